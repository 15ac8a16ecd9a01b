"""The input boundary over GraphQL, on both databases: NUL characters, lone surrogates,
text over its limit, deep JSON, unsafe integers and far-off timestamps are refused with
BAD_USER_INPUT naming the field, and a refusal writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from taskforge.persistence.tables import Base
from tests.helpers import asgi_client

NUL, SURROGATE = "a\x00b", "a\ud800b"
MB = "x" * 1_000_000
ENQUEUE = """mutation($q: ID!, $t: String! = "t", $p: JSON, $at: DateTime) {
  enqueueJob(input: {queueId: $q, jobType: $t, payload: $p, scheduledFor: $at}) {
    id payload scheduledFor } }"""
REGISTER = """mutation($q: ID!, $n: String! = "w") {
  registerWorker(name: $n, queues: [{queueId: $q}]) { id } }"""
CLAIM = "mutation($w: ID!) { claimJobs(workerId: $w, limit: 10) { executionId job { id } } }"
SCHEDULE = "mutation($i: ScheduleInput!) { createSchedule(input: $i) { id metadata } }"
WORKFLOW = """mutation($p: ID!, $d: JSON!) {
  createWorkflow(input: {projectId: $p, definition: $d}) { id definition } }"""


def deep(levels: int, leaf: Any = 1) -> Any:
    """``levels`` nested containers, alternating objects and arrays."""
    value = leaf
    for i in range(levels):
        value = {"k": value} if i % 2 else [value]
    return value


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def row_counts(runtime) -> dict[str, int]:
    """Rows per table (the events outbox included), in one statement."""
    tables = Base.metadata.sorted_tables
    stmt = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    async with runtime.db.read() as session:
        row = (await session.execute(stmt)).one()
    return {t.name: n for t, n in zip(tables, row, strict=True)}


async def raw(gql, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Like ``gql.raw``, but JSON with ASCII escapes, which can carry lone surrogates."""
    resp = await gql.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"},
    )
    body: dict[str, Any] = resp.json()
    return body


async def refused(gql, runtime, query: str, variables: dict[str, Any], field: str) -> str:
    """Run an operation that must be refused as bad input naming ``field``, having
    written nothing; returns the message.

    A lone surrogate may also be refused before GraphQL, by a JSON parser that does
    not decode one (\\ud800 without its pair is not valid JSON text): then no field
    is named."""
    before = await row_counts(runtime)
    body = await raw(gql, query, variables)
    assert body.get("errors"), body
    [error] = body["errors"]
    if SURROGATE in json.dumps(variables, ensure_ascii=False) and "field" not in error.get(
        "extensions", {}
    ):
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    else:
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert await row_counts(runtime) == before
    return str(error["message"])


async def worker_with_execution(gql, org) -> tuple[str, str]:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]["id"]
    await gql.ok(ENQUEUE, {"q": q})
    [claimed] = (await gql.ok(CLAIM, {"w": worker}))["claimJobs"]
    return worker, claimed["executionId"]


def job_schedule(org, **fields: Any) -> dict[str, Any]:
    base = {"name": "s", "type": "CRON", "expression": "0 * * * *"}
    return {**base, "queueId": str(org.queue.id), "jobType": "t", **fields}


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
async def test_names_refuse_nul_and_surrogates(gql, runtime, org, bad) -> None:
    q, p = str(org.queue.id), str(org.project.id)
    rule = "NUL" if bad == NUL else "surrogate"
    cases = [
        ("mutation($n: String!) { createProject(name: $n) { id } }", {}, "name"),
        (
            "mutation($p: ID!, $n: String!) { createQueue(projectId: $p, name: $n) { id } }",
            {},
            "name",
        ),
        (
            'mutation($n: String!) { createApiKey(name: $n, permissions: ["jobs:read"]) '
            "{ secret } }",
            {},
            "name",
        ),
        (REGISTER, {"q": q}, "name"),
    ]  # fmt: skip
    for query, extra, field in cases:
        message = await refused(gql, runtime, query, {"n": bad, "p": p, **extra}, field)
        assert rule in message or bad == SURROGATE
    await refused(gql, runtime, SCHEDULE, {"i": job_schedule(org, name=bad)}, "name")
    definition = {"name": "wf", "jobs": [{"name": bad, "job_type": "t"}]}
    await refused(gql, runtime, WORKFLOW, {"p": p, "d": definition}, "definition")


async def test_job_types_reasons_logs_and_payloads_refuse_nul(gql, runtime, org) -> None:
    q = str(org.queue.id)
    await refused(gql, runtime, ENQUEUE, {"q": q, "t": NUL}, "jobType")
    await refused(gql, runtime, ENQUEUE, {"q": q, "p": {"s": NUL}}, "payload")
    message = await refused(gql, runtime, ENQUEUE, {"q": q, "p": {"x": {NUL: 1}}}, "payload")
    assert message.startswith("payload.x[") and "key" in message
    await refused(gql, runtime, ENQUEUE, {"q": q, "p": {"s": [SURROGATE]}}, "payload")
    batch = [{"queueId": q, "jobType": "t"}, {"queueId": q, "jobType": "t", "payload": [NUL]}]
    await refused(
        gql,
        runtime,
        "mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }",
        {"j": batch},
        "jobs[1].payload",
    )
    job = (await gql.ok(ENQUEUE, {"q": q}))["enqueueJob"]["id"]
    cancel = "mutation($id: ID!, $r: String) { cancelJob(id: $id, reason: $r) { status } }"
    await refused(gql, runtime, cancel, {"id": job, "r": NUL}, "reason")
    assert (await gql.ok(cancel, {"id": job, "r": "a b"}))["cancelJob"]["status"] == "CANCELLED"
    _, execution = await worker_with_execution(gql, org)
    logs = "mutation($e: ID!, $l: [LogEntryInput!]!) { appendLogs(executionId: $e, entries: $l) }"
    entries = [{"message": "fine"}, {"message": NUL}]
    await refused(gql, runtime, logs, {"e": execution, "l": entries}, "entries[1].message")
    entries = [{"message": "fine", "metadata": {"k": NUL}}]
    await refused(gql, runtime, logs, {"e": execution, "l": entries}, "entries[0].metadata")


async def test_filters_refuse_nul(gql, runtime) -> None:
    query = "query($t: String) { jobs(jobType: $t) { totalCount } }"
    await refused(gql, runtime, query, {"t": NUL}, "jobType")
    assert (await gql.ok(query, {"t": "a-b"}))["jobs"]["totalCount"] == 0


async def test_text_over_its_limit_is_refused(gql, runtime, org) -> None:
    create = "mutation($n: String!, $d: String) { createProject(name: $n, description: $d) { id } }"
    message = await refused(gql, runtime, create, {"n": "p", "d": MB}, "description")
    assert "longer than 2000 characters" in message
    await refused(gql, runtime, create, {"n": "n" * 201, "d": None}, "name")
    made = await gql.ok(create, {"n": "p", "d": "d" * 2_000})
    assert made["createProject"]["id"]
    job = (await gql.ok(ENQUEUE, {"q": str(org.queue.id)}))["enqueueJob"]["id"]
    cancel = "mutation($id: ID!, $r: String) { cancelJob(id: $id, reason: $r) { statusReason } }"
    await refused(gql, runtime, cancel, {"id": job, "r": MB}, "reason")
    done = await gql.ok(cancel, {"id": job, "r": "r" * 200})
    assert done["cancelJob"]["statusReason"] == "r" * 200
    schedule = job_schedule(org, expression="0 * * * *" + " " * 300 + "x" * 200)
    await refused(gql, runtime, SCHEDULE, {"i": schedule}, "expression")
    await refused(gql, runtime, SCHEDULE, {"i": job_schedule(org, timezone="Z" * 65)}, "timezone")


@pytest.mark.parametrize("levels", [65, 500])
async def test_deep_json_is_refused_everywhere(gql, runtime, org, levels) -> None:
    q, p, value = str(org.queue.id), str(org.project.id), deep(levels)
    message = await refused(gql, runtime, ENQUEUE, {"q": q, "p": value}, "payload")
    assert "nested deeper than 64 levels" in message
    meta = job_schedule(org, metadata={"m": value})
    await refused(gql, runtime, SCHEDULE, {"i": meta}, "metadata")
    await refused(gql, runtime, SCHEDULE, {"i": job_schedule(org, payload=value)}, "payload")
    definition = {"name": "wf", "jobs": [{"name": "a", "job_type": "t", "payload": value}]}
    await refused(gql, runtime, WORKFLOW, {"p": p, "d": definition}, "definition")
    _, execution = await worker_with_execution(gql, org)
    logs = 'mutation($e: ID!, $m: JSON) { appendLogs(executionId: $e, entries: [{message: "m", metadata: $m}]) }'  # noqa: E501
    await refused(gql, runtime, logs, {"e": execution, "m": {"d": value}}, "entries[0].metadata")
    complete = "mutation($e: ID!, $o: JSON) { completeJob(executionId: $e, output: $o) { id } }"
    await refused(gql, runtime, complete, {"e": execution, "o": {"d": value}}, "output")
    # 64 levels are fine, and come back as they went in
    fine = deep(64)
    stored = (await gql.ok(ENQUEUE, {"q": q, "p": fine}))["enqueueJob"]
    assert stored["payload"] == fine


async def test_deep_output_in_a_batch_refuses_only_its_own_acknowledgement(gql, org) -> None:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]["id"]
    for _ in range(2):
        await gql.ok(ENQUEUE, {"q": q})
    first, second = (await gql.ok(CLAIM, {"w": worker}))["claimJobs"]
    acks = await gql.ok(
        "mutation($c: [CompleteJobInput!]) { acknowledgeJobs(completed: $c) "
        "{ acknowledged rejected { executionId code message } } }",
        {
            "c": [
                {"executionId": first["executionId"], "output": {"d": deep(100)}},
                {"executionId": second["executionId"], "output": {"n": 2**53 - 1}},
            ]
        },
    )
    [rejected] = acks["acknowledgeJobs"]["rejected"]
    assert acks["acknowledgeJobs"]["acknowledged"] == 1
    assert rejected["executionId"] == first["executionId"]
    assert rejected["code"] == "BAD_USER_INPUT" and "nested deeper" in rejected["message"]
    job = await gql.ok(
        "query($id: ID!) { job(id: $id) { status output } }", {"id": second["job"]["id"]}
    )
    assert job["job"] == {"status": "SUCCEEDED", "output": {"n": 2**53 - 1}}


@pytest.mark.parametrize("syntax", ["json", "yaml"])
async def test_a_deeply_nested_definition_text_is_bad_input(gql, runtime, org, syntax) -> None:
    levels = 10_000
    if syntax == "json":
        payload = '{"k": ' * levels + "1" + "}" * levels
        source = (
            f'{{"name": "wf", "jobs": [{{"name": "a", "job_type": "t", "payload": {payload}}}]}}'
        )
    else:
        payload = "{k: " * levels + "x" + "}" * levels
        source = f"name: wf\njobs:\n  - name: a\n    job_type: t\n    payload: {payload}\n"
    p = str(org.project.id)
    message = await refused(gql, runtime, WORKFLOW, {"p": p, "d": source}, "definition")
    assert "deeper than 64 levels" in message
    flow = "[" * levels + "]" * levels  # YAML flow style (JSON-looking, but not JSON)
    await refused(gql, runtime, WORKFLOW, {"p": p, "d": f"name: wf\njobs: {flow}"}, "definition")


async def test_integers_must_be_safe_and_numbers_finite(gql, runtime, org) -> None:
    q = str(org.queue.id)
    body = '{"query": %s, "variables": {"q": "%s", "p": {"n": 123456789012345678901234567890}}}'
    before = await row_counts(runtime)
    resp = await gql.http.post(
        "/graphql",
        content=body % (json.dumps(ENQUEUE), q),
        headers={"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"},
    )
    [error] = resp.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "payload"}
    assert "outside" in error["message"]
    assert await row_counts(runtime) == before
    for n in (2**53, -(2**53), 1e16):
        await refused(gql, runtime, ENQUEUE, {"q": q, "p": {"n": n}}, "payload")
    literal = 'mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t", payload: {n: %s}}) { id } }'  # noqa: E501
    await refused(gql, runtime, literal % 10**30, {"q": q}, "payload")
    edge = {"max": 2**53 - 1, "min": -(2**53 - 1), "f": 0.1, "big": 9007199254740990.0}
    stored = (await gql.ok(ENQUEUE, {"q": q, "p": edge}))["enqueueJob"]
    assert stored["payload"] == edge
    read = await gql.ok("query($id: ID!) { job(id: $id) { payload } }", {"id": stored["id"]})
    assert read["job"]["payload"] == edge
    assert type(read["job"]["payload"]["f"]) is float


@pytest.mark.parametrize(
    "at",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "2030-01-01T00:00:00"],
)
async def test_timestamps_out_of_range_are_refused(gql, runtime, org, at) -> None:
    await refused(gql, runtime, ENQUEUE, {"q": str(org.queue.id), "at": at}, "scheduledFor")
    create_key = (
        'mutation($at: DateTime) { createApiKey(name: "k", permissions: ["jobs:read"], '
        "expiresAt: $at) { secret } }"
    )
    await refused(gql, runtime, create_key, {"at": at}, "expiresAt")


async def test_timestamps_in_range_are_kept(gql, runtime, org) -> None:
    at = "9998-12-31T23:59:59+00:00"
    stored = (await gql.ok(ENQUEUE, {"q": str(org.queue.id), "at": at}))["enqueueJob"]
    assert stored["scheduledFor"] == at
    once = job_schedule(org, type="ONCE", expression="9999-06-01T00:00:00Z")
    message = await refused(gql, runtime, SCHEDULE, {"i": once}, "expression")
    assert "up to 9999-01-01" in message


async def test_retry_delays_cannot_push_a_retry_past_the_timestamp_range(gql, runtime, org) -> None:
    """A delay of 1e300 seconds was accepted, and the first failed attempt then failed
    the server computing its retry time."""
    create = """mutation($p: ID!, $s: QueueSettingsInput) {
      createQueue(projectId: $p, name: "slow", settings: $s) { settings { maxDelaySeconds } } }"""
    p = str(org.project.id)
    huge = {"baseDelaySeconds": 1e300, "maxDelaySeconds": 1e300}
    await refused(gql, runtime, create, {"p": p, "s": huge}, "maxDelaySeconds")
    year = {"baseDelaySeconds": 60, "maxDelaySeconds": 366 * 86_400}
    made = await gql.ok(create, {"p": p, "s": year})
    assert made["createQueue"]["settings"]["maxDelaySeconds"] == 366 * 86_400
