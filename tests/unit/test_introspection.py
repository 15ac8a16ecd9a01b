"""Introspection off: no ``__schema``/``__type``, and no error suggests a name, through
validation or variable coercion; schemas built with it on keep their suggestions."""

from __future__ import annotations

from typing import Any

import pytest

from taskforge.config import Limits
from taskforge.schema.roots import build_schema

# each is a place graphql-core suggests names: fields, arguments, types (variables and
# fragments), enum values (literal and variable), input fields (literal and variable)
TYPOS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ viewr { organization { name } } }", None),
    ("{ viewer { organization { nam } } }", None),
    ("{ jobs(frist: 1) { totalCount } }", None),
    ("query($s: JobStatu) { jobs(status: [$s]) { totalCount } }", None),
    ("fragment f on Jb { id } { job(id: 1) { ...f } }", None),
    ("{ jobs(status: [PENDNG]) { totalCount } }", None),
    ("query($s: [JobStatus!]) { jobs(status: $s) { totalCount } }", {"s": ["PENDNG"]}),
    ('mutation { enqueueJob(input: {queueId: "x", jobTyp: "a"}) { id } }', None),
    (
        "mutation($i: EnqueueJobInput!) { enqueueJob(input: $i) { id } }",
        {"i": {"queueId": "x", "jobTyp": "a"}},
    ),
    ("subscription { jobStatusChangd { jobId } }", None),
]


async def messages(schema: Any, query: str, variables: dict[str, Any] | None) -> list[str]:
    result = await schema.execute(query, variable_values=variables)
    assert result.errors, query
    return [e.message for e in result.errors]


@pytest.mark.parametrize(("query", "variables"), TYPOS)
async def test_no_suggestions_when_introspection_is_off(query, variables) -> None:
    # built in turn in one process, as the tests build several apps: neither changes
    # the other
    quiet = build_schema(Limits(), introspection=False)
    loud = build_schema(Limits())
    assert any("Did you mean" in m for m in await messages(loud, query, variables))
    for message in await messages(quiet, query, variables):
        assert "Did you mean" not in message, message
    assert any("Did you mean" in m for m in await messages(loud, query, variables))


async def test_introspection_is_refused_with_a_code() -> None:
    quiet = build_schema(Limits(), introspection=False)
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Job") { name } }'):
        result = await quiet.execute(query)
        assert result.data is None
        assert result.errors
        assert {e.extensions["code"] for e in result.errors if e.extensions} == {"FORBIDDEN"}
    assert (await quiet.execute("{ __typename }")).data == {"__typename": "Query"}
    loud = build_schema(Limits())
    result = await loud.execute("{ __schema { queryType { name } } }")
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}
