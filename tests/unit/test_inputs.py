"""The generic input rules (domain.inputs), the field limits (domain.validation) and the
boundary that applies them to every root field's arguments (schema.boundary)."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskforge.config import Limits
from taskforge.domain import inputs, validation
from taskforge.domain.errors import InvalidInput
from taskforge.domain.workflows import parse_definition
from taskforge.schema.boundary import InputBoundary
from taskforge.schema.roots import Mutation, Query, Subscription, build_schema


def nested(levels: int, leaf: Any = 1) -> Any:
    value = leaf
    for i in range(levels):
        value = {"k": value} if i % 2 else [value]
    return value


def refusal(value: Any, **kwargs: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        inputs.check_json(value, "payload", **kwargs)
    assert caught.value.details["field"] == "payload"
    return caught.value


def test_json_depth_is_at_most_64() -> None:
    inputs.check_json(nested(64), "payload")
    error = refusal(nested(65))
    assert error.details["rule"] == "depth"
    assert "nested deeper than 64 levels" in error.message
    assert error.message.startswith("payload[0].k[0]")  # where it broke


def test_json_numbers_are_safe_and_finite() -> None:
    safe = 2**53 - 1
    inputs.check_json([safe, -safe, 0.5, -0.0, 9007199254740990.0, True, None], "payload")
    for bad in (safe + 1, -safe - 1, 10**30, 1e16, math.nan, math.inf, -math.inf):
        assert refusal({"n": bad}).details["rule"] in ("integer", "number")


def test_json_strings_keys_and_types() -> None:
    assert refusal({"a": ["x\x00"]}).message.startswith("payload.a[0] contains a NUL")
    assert refusal({"a\x00": 1}).details["rule"] == "nul"
    assert refusal({"s": "\udfff"}).details["rule"] == "surrogate"
    assert refusal({1: "a"}).details["rule"] == "key"  # YAML gives such keys
    for not_json in (date(2024, 1, 1), {1, 2}, (1, 2), b"x", object()):
        assert refusal({"v": not_json}).details["rule"] == "json"
    inputs.check_json({"emoji": "😀", "ctl": "\x01\n", "": ""}, "payload")


def test_json_budget_stops_shared_nodes_early() -> None:
    """A YAML alias bomb: 30 levels each referring twice to the one below are 2**30
    nodes when walked; the budget stops the walk at once."""
    node: Any = ["x"]
    for _ in range(30):
        node = [node, node]
    started = time.perf_counter()
    assert refusal(node, budget=1_000_000).details["rule"] == "size"
    assert time.perf_counter() - started < 2


def test_text_rules() -> None:
    assert inputs.check_text("ok ✓", "name", 4) == "ok ✓"
    for bad, rule in (("a\x00", "nul"), ("\ud800", "surrogate"), ("x" * 5, "length")):
        with pytest.raises(InvalidInput) as caught:
            inputs.check_text(bad, "name", 4)
        assert caught.value.details["field"] == "name"
        assert caught.value.details["rule"] == rule


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), True),
        (datetime(9998, 12, 31, 23, 59, tzinfo=UTC), True),
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), False),
        (datetime(9999, 1, 1, tzinfo=UTC), False),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), False),
        (datetime.max.replace(tzinfo=UTC), False),
        (datetime(2030, 1, 1), False),  # no offset
    ],
)  # fmt: skip
def test_timestamps(value: datetime, ok: bool) -> None:
    if ok:
        assert inputs.check_timestamp(value, "at") == value
        return
    with pytest.raises(InvalidInput) as caught:
        inputs.check_timestamp(value, "at")
    assert caught.value.details["field"] == "at"


def test_field_limits_match_the_columns() -> None:
    """Each limit is at most its column's VARCHAR length, so PostgreSQL never refuses
    what SQLite stores."""
    from taskforge.persistence import tables

    def width(column: Any) -> int:
        return int(column.type.length)

    assert (
        min(
            width(t.__table__.c.name)
            for t in (
                tables.Organization,
                tables.Project,
                tables.ApiKey,
                tables.JobQueue,
                tables.Workflow,
                tables.Worker,
                tables.ScheduledJob,
            )
        )
        >= validation.MAX_NAME
    )
    assert width(tables.Job.__table__.c.name) >= validation.MAX_NAME
    assert width(tables.Job.__table__.c.status_reason) >= validation.MAX_REASON
    assert width(tables.Job.__table__.c.job_type) >= validation.MAX_JOB_TYPE
    assert width(tables.ScheduledJob.__table__.c.job_type) >= validation.MAX_JOB_TYPE
    assert width(tables.User.__table__.c.email) >= validation.MAX_EMAIL
    assert width(tables.ScheduledJob.__table__.c.expression) >= validation.MAX_SCHEDULE_EXPRESSION
    assert width(tables.ScheduledJob.__table__.c.timezone) >= validation.MAX_TIMEZONE


def test_field_rules() -> None:
    assert validation.name("  n  ") == "n"
    assert validation.description("d" * 2000) == "d" * 2000
    assert validation.reason(None) is None
    for call in (
        lambda: validation.name("a\x00b"),
        lambda: validation.name("n" * 201),
        lambda: validation.description("d" * 2001),
        lambda: validation.reason("r" * 201),
        lambda: validation.email("a\x00@example.com"),
        lambda: validation.password("p" * 1001),
        lambda: validation.job_type("abc\n"),
        lambda: validation.schedule_expression("* " * 101),
        lambda: validation.timezone("Z" * 65),
        lambda: validation.log_message("é" * 40, 64),  # 40 characters, 80 bytes
        lambda: validation.json_payload({"a": "x" * 100}, 50),
    ):
        with pytest.raises(InvalidInput):
            call()


def test_definition_text_cannot_recurse_without_bound() -> None:
    limits = {"max_jobs": 100, "max_depth": 10, "payload_bytes": 10_000}
    deep_json = '{"name": "w", "jobs": [{"name": "a", "job_type": "t", "payload": %s}]}'
    deep_yaml = "name: w\njobs:\n  - name: a\n    job_type: t\n    payload: %s\n"
    for source in (
        deep_json % ('{"k": ' * 10_000 + "1" + "}" * 10_000),
        deep_yaml % ("{k: " * 10_000 + "x" + "}" * 10_000),
        deep_yaml % ("[" * 100 + "]" * 100),
        "[" * 10_000,
    ):
        with pytest.raises(InvalidInput) as caught:
            parse_definition(source, **limits)
        assert caught.value.details["field"] == "definition"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    started = time.perf_counter()
    with pytest.raises(InvalidInput):  # a billion nodes if walked
        parse_definition(bomb, **limits, max_bytes=100_000)
    assert time.perf_counter() - started < 2
    for payload in (
        "{n: 123456789012345678901234567890}",
        "{n: .nan}",
        "{1: one}",
        "{d: 2024-01-01}",
    ):
        with pytest.raises(InvalidInput):
            parse_definition(deep_yaml % payload, **limits)


def test_every_root_field_has_the_boundary() -> None:
    build_schema(Limits())
    for root in (Query, Mutation, Subscription):
        for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            [boundary] = [e for e in field.extensions if isinstance(e, InputBoundary)]
            names = {a.python_name for a in field.arguments}
            assert {python_name for python_name, _, _ in boundary.checks} <= names


# --- properties ----------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=()), max_size=8)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=12,
) | st.builds(nested, st.integers(60, 70), scalars)


def admissible(value: Any, depth: int = 0) -> bool:
    """The rules, written plainly."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) <= 2**53 - 1
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= 2**53 - 1
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if depth >= 64:
        return False
    if isinstance(value, list):
        return all(admissible(v, depth + 1) for v in value)
    return all(admissible(k) and admissible(v, depth + 1) for k, v in value.items())


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_is_refused_or_encodes_both_ways_unchanged(value: Any) -> None:
    try:
        inputs.check_json(value, "payload")
    except InvalidInput:
        assert not admissible(value)
        return
    assert admissible(value)
    # what SQLite keeps (json) and what PostgreSQL is sent (orjson) both decode equal
    assert json.loads(json.dumps(value)) == value
    assert orjson.loads(orjson.dumps(value)) == value


def test_only_root_fields_take_text_json_or_time_arguments() -> None:
    """The boundary sits on root fields; a nested field taking such an argument would
    escape it (guard it too before adding one: with the InputBoundary extension)."""
    from graphql import GraphQLObjectType, get_named_type

    from taskforge.schema.boundary import InputBoundary

    schema = build_schema(Limits())._schema
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    checked = {"String", "ID", "JSON", "DateTime"}
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named in roots:
            continue
        for name, field in named.fields.items():
            definition = field.extensions.get("strawberry-definition")
            if definition and any(isinstance(e, InputBoundary) for e in definition.extensions):
                continue
            for arg_name, arg in field.args.items():
                kind = get_named_type(arg.type)
                assert kind.name not in checked, f"{named.name}.{name}({arg_name}: {kind})"
