"""Scalar strategies for the fuzz stage, registered with schemathesis per deployment.

Plain random values stop at the first check of almost every resolver (an id that
does not exist, an expression that does not parse); these mix real ids, names and
well-formed expressions of the deployment with random and hostile values, so cases
also reach the services behind those checks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import graphql
import yaml
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.graphql import nodes, scalar

from tests.fuzz.deployment import Deployment


def _split(words: str) -> list[str]:
    return words.split()


# GraphQL object literals only take names as keys
_KEYS = st.sampled_from(
    _split(
        "name jobs job_type queue payload depends_on dependencies job type condition "
        "expression priority max_attempts failure_policy timeout description status output n x"
    )
) | st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,8}\Z")

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=16,
)

_CRONS = ["0 3 * * *", "*/5 * * * *", "0 0 1 1 *", "30 2 * * 1-5", "*/10 * * * * *", "0 0 31 2 *"]
_INTERVALS = ["30s", "15m", "2h", "1d", "1h30m", "0s", "1000000d"]
_TIMES = ["2999-01-01T00:00:00Z", "2020-01-01T00:00:00+05:30", "1970-01-01T00:00:00Z"]
_EXPRESSIONS = ['output.status == "valid"', "output.n > 2 and output.ok", "output.", "not not"]
_ZONES = ["UTC", "Europe/Rome", "America/New_York", "Asia/Kolkata", "Mars/Olympus", "", "utc"]
_PERMISSIONS = _split(
    "jobs:read jobs:write job_dependency:read job_dependency:write scheduled_job:read "
    "scheduled_job:write workflows:read workflows:write workers admin root"
)
# text that has broken servers: NUL, a lone surrogate, long and huge strings,
# control characters, SQL and format syntax
_HOSTILE = [
    "a\x00b",
    "\x00",
    "\ud800",
    "x\udfffy",
    "x" * 201,
    "x" * 65_537,
    "\u202e\u200b",
    "'; DROP TABLE jobs; --",
    "%s%s%n",
    "{{ input.x }}",
    "\r\n\t",
    "\U0001f600" * 50,
]
_WORDS = [
    "",
    " ",
    "default",
    *_ZONES,
    *_PERMISSIONS,
    "fuzz.pending",
    "fuzz.claimed",
    "fuzz.scheduled",
    "ONCE",
    "RECURRING",
    "CRON",
    "FAIL_FAST",
    "MANUAL",
    "continue-on-failure",
    "name: x\njobs: [{name: a, job_type: t}]",
    "{",
    "[]",
    "null",
    "admin@taskforge.local",
]


def _node(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_node(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_node(v))
            for k, v in value.items()
        ]
    )


def _definitions(queues: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Workflow definitions, mostly well-formed (unique names, edges to earlier jobs),
    with the deployment's queue names."""

    @st.composite
    def jobs(draw: st.DrawFn) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(draw(st.integers(0, 5))):
            job: dict[str, Any] = {
                "name": draw(st.sampled_from([f"j{i}", "j0"]) | st.text(max_size=4)),
                "job_type": draw(st.sampled_from(["fuzz.a", "fuzz.b"]) | st.text(max_size=5)),
                "queue": draw(st.sampled_from(queues) | st.text(max_size=5)),
            }
            earlier = st.sampled_from([f"j{k}" for k in range(i)] or ["j0"])
            if i and draw(st.booleans()):
                job["depends_on"] = draw(st.lists(earlier, max_size=2, unique=True) | earlier)
            elif i and draw(st.booleans()):
                job["dependencies"] = [
                    draw(
                        st.fixed_dictionaries(
                            {"job": earlier},
                            optional={
                                "type": st.sampled_from(
                                    ["SEQUENTIAL", "PARALLEL", "CONDITIONAL", "x"]
                                ),
                                "condition": st.sampled_from(["SUCCEEDED", "FAILED", "ALWAYS"]),
                                "expression": st.sampled_from(_EXPRESSIONS),
                            },
                        )
                    )
                ]
            extra = st.fixed_dictionaries(
                {},
                optional={
                    "payload": st.dictionaries(_KEYS, JSON_VALUES, max_size=3),
                    "priority": st.integers(-2, 12),
                    "max_attempts": st.integers(-1, 101),
                },
            )
            out.append(job | draw(extra))
        return out

    return st.fixed_dictionaries(
        {"name": st.sampled_from(["wf", "etl"]) | st.text(max_size=8), "jobs": jobs()},
        optional={
            "failure_policy": st.sampled_from(["FAIL_FAST", "MANUAL", "CONTINUE_ON_FAILURE", "?"]),
            "timeout": st.sampled_from(["1h", "30", 0, -5, "x", 10**12]),
            "priority": st.integers(-1, 10),
            "description": st.text(max_size=10),
        },
    )


def _datetimes() -> st.SearchStrategy[str]:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    near = st.integers(min_value=-30 * 86400, max_value=30 * 86400).map(
        lambda s: (datetime.now(UTC) + timedelta(seconds=s)).isoformat()
    )
    zones = st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
    )
    anywhen = st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones
    ).map(datetime.isoformat)
    naive = st.datetimes().map(datetime.isoformat)
    junk = st.sampled_from(
        ["", "now", "2024-13-45T00:00:00Z", "2024-01-01", base.isoformat() + "x"]
    )
    return near | anywhen | naive | junk | st.text(max_size=20)


# an ID argument's name says which kind of object it takes; a bare ``id`` takes the
# first kind its field's name contains (deleteDependency, revokeApiKey, job ...)
_ID_ARGUMENTS = {
    "queueId": "queue",
    "queues": "queue",
    "jobId": "job",
    "parentJobId": "job",
    "childJobId": "job",
    "projectId": "project",
    "workerId": "worker",
    "executionId": "execution",
    "executionIds": "execution",
    "workflowId": "workflow",
    "scheduleId": "schedule",
}
_FIELD_KINDS = ("apikey", "dependency", "workflow", "schedule", "worker", "queue", "project", "job")
_STRING_ARGUMENTS = {
    "after": "cursor",
    "email": "email",
    "password": "password",
    "timezone": "timezone",
    "permissions": "permission",
    "jobType": "job_type",
}


def _kind(field: str, argument: str) -> str | None:
    """The pool an argument of ``field`` draws real values from, if any."""
    if argument in _ID_ARGUMENTS:
        return _ID_ARGUMENTS[argument]
    if argument == "id":
        name = field.lower()
        kind = next((k for k in _FIELD_KINDS if k in name), None)
        return "api_key" if kind == "apikey" else kind
    if argument == "expression":
        return "schedule_expression" if "chedule" in field else "condition"
    return _STRING_ARGUMENTS.get(argument)


def _bindings(schema: graphql.GraphQLSchema) -> dict[str, str]:
    """``Type.field.argument.path`` -> kind, for every argument taking a known kind."""
    out: dict[str, str] = {}

    def walk(prefix: str, field: str, name: str, type_: graphql.GraphQLInputType) -> None:
        inner = graphql.get_named_type(type_)
        is_list = graphql.is_list_type(graphql.get_nullable_type(type_))
        path = f"{prefix}.{name}[*]" if is_list else f"{prefix}.{name}"
        if isinstance(inner, graphql.GraphQLInputObjectType):
            for sub, sub_field in inner.fields.items():
                walk(path, field, sub, sub_field.type)
        elif (kind := _kind(field, name)) is not None:
            out[path] = kind

    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for field_name, field_def in root.fields.items():
            for arg_name, arg in field_def.args.items():
                walk(f"{root.name}.{field_name}", field_name, arg_name, arg.type)
    return out


def config(deployment: Deployment, schema: graphql.GraphQLSchema) -> SchemathesisConfig:
    """A schemathesis configuration that, four times in five, gives an argument a real
    value of the kind it takes: an id of the deployment's (a queue's to ``queueId``), a
    cursor, a job type, a schedule or condition expression, a timezone, a permission,
    the admin's email and password. Otherwise the scalar strategies pick the value."""
    pools = {
        **{
            kind: [i for i in ids if i not in deployment.protected]
            for kind, ids in deployment.ids.items()
        },
        **deployment.values,
        "schedule_expression": [*_CRONS, *_INTERVALS, *_TIMES, "* * *", "61 * * * *", "-1s"],
        "condition": _EXPRESSIONS,
        "timezone": _ZONES,
        "permission": _PERMISSIONS,
        "job_type": ["fuzz.pending", "fuzz.claimed", "fuzz.scheduled", "fuzz.a", "bad type", ""],
    }
    bindings = _bindings(schema)
    missing = {kind for kind in bindings.values() if not pools.get(kind)}
    assert not missing, f"the deployment has no {missing}"
    # per operation: each case then looks only at its own operation's bindings
    per_operation: dict[str, dict[str, Any]] = {}
    for path, kind in bindings.items():
        label = ".".join(path.split(".")[:2])
        per_operation.setdefault(label, {})[path] = {"dictionary": kind, "probability": 0.8}
    return SchemathesisConfig.from_dict(
        {
            "dictionaries": {kind: {"values": ids} for kind, ids in pools.items() if ids},
            "operations": [
                {"include-name": label, "parameters": parameters}
                for label, parameters in per_operation.items()
            ],
        }
    )


def register(deployment: Deployment) -> None:
    """Scalar strategies: ids (any real one, random, junk), strings (the deployment's
    names, valid expressions, random text), small and boundary integers, JSON values
    and workflow definitions, and timestamps near now, far away and malformed."""
    any_real = st.sampled_from(deployment.all_ids())
    junk_ids = st.sampled_from(["", "0", "-1", "null", "00000000-0000-0000-0000-000000000000"])
    scalar(
        "ID",
        st.one_of(
            any_real.map(nodes.String),
            st.uuids().map(nodes.String),
            junk_ids.map(nodes.String),
            st.text(max_size=40).map(nodes.String),
            st.integers().map(nodes.Int),
        ),
    )
    words = [*_WORDS, *_EXPRESSIONS, *_CRONS, *_INTERVALS, *_TIMES, *deployment.queue_names]
    scalar(
        "String",
        st.one_of(st.sampled_from(words), st.text(), st.sampled_from(_HOSTILE)).map(nodes.String),
    )
    scalar(
        "Int",
        st.one_of(
            st.integers(-1, 12),
            st.sampled_from([50, 99, 100, 101, 500, 501, 1000, 3600, 3601, 2**31 - 1, -(2**31)]),
            st.integers(-(2**31), 2**31 - 1),
        ).map(nodes.Int),
    )
    definitions = _definitions(deployment.queue_names)
    scalar(
        "JSON",
        st.one_of(
            JSON_VALUES.map(_node),
            st.dictionaries(_KEYS, JSON_VALUES, max_size=5).map(_node),
            definitions.map(_node),
            definitions.map(json.dumps).map(nodes.String),
            definitions.map(yaml.safe_dump).map(nodes.String),
        ),
    )
    scalar("DateTime", _datetimes().map(nodes.String))
