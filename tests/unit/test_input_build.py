"""Quick-built input objects equal the ones Strawberry builds field by field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import parse
from graphql.execution.values import get_variable_values
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryList, get_object_definition

from taskforge.config import Limits
from taskforge.schema.inputs import EnqueueJobInput
from taskforge.schema.roots import build_schema

Q = str(uuid.UUID(int=7))
JOBS: list[dict[str, Any]] = [
    {"queueId": Q, "jobType": "t"},
    {
        "queueId": Q,
        "jobType": "t",
        "payload": {"a": [1, {"b": None}]},
        "priority": 9,
        "scheduledFor": "2026-01-02T03:04:05+00:00",
        "maxAttempts": 3,
        "concurrency": {"key": "payload.a", "max": 2, "strategy": "CANCEL_NEWEST"},
        "rateLimit": {"limit": 5, "period": 60},
        "debounce": {"key": "payload.a", "period": 10},
        "idempotencyKey": "k-1",
    },
    {"queueId": Q, "jobType": "t", "payload": None, "concurrency": None, "maxAttempts": None},
]


def _convert(values: Any) -> list[Any]:
    schema = build_schema(Limits())
    document = parse("mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }")
    definitions = document.definitions[0].variable_definitions  # type: ignore[attr-defined]
    coerced = get_variable_values(schema._schema, definitions, {"j": values}).coerced["j"]
    return convert_argument(  # type: ignore[return-value]
        coerced,
        StrawberryList(EnqueueJobInput),
        schema.schema_converter.scalar_registry,
        schema.config,
    )


def test_quick_inputs_equal_strawberrys(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = _convert(JOBS)
    definition = get_object_definition(EnqueueJobInput, strict=True)
    assert definition.from_input is not None
    monkeypatch.setattr(definition, "from_input", None)
    assert quick == _convert(JOBS)
    nested = quick[1]
    assert nested.concurrency.max == 2 and nested.concurrency.strategy.value == "CANCEL_NEWEST"
    assert nested.debounce.period == 10 and nested.payload == {"a": [1, {"b": None}]}
