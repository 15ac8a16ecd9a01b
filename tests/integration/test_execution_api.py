"""The execution API over GraphQL: worker flow, batch acks, history without N+1."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.helpers import asgi_client

REGISTER = """mutation($q: ID!) { registerWorker(name: "w1", type: SPECIALIZED_IO,
  queues: [{queueId: $q, weight: 3}]) {
    id status isHealthy type queues { weight queue { name } } } }"""
CLAIM = """mutation($w: ID!, $n: Int!) { claimJobs(workerId: $w, limit: $n, leaseSeconds: 30) {
  executionId attempt leaseExpiresAt job { id status attempts } } }"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def enqueue(gql, queue_id, n):
    data = await gql.ok(
        "mutation($jobs: [EnqueueJobInput!]!) { enqueueJobs(jobs: $jobs) { id } }",
        {"jobs": [{"queueId": queue_id, "jobType": "t"}] * n},
    )
    return [j["id"] for j in data["enqueueJobs"]]


async def test_worker_flow(gql, org) -> None:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]
    assert (
        worker["status"] == "ONLINE" and worker["isHealthy"] and worker["type"] == "SPECIALIZED_IO"
    )
    assert worker["queues"] == [{"weight": 3, "queue": {"name": "default"}}]
    [ok_id, fail_id, stale_id] = await enqueue(gql, q, 3)
    claimed = (await gql.ok(CLAIM, {"w": worker["id"], "n": 3}))["claimJobs"]
    assert {c["job"]["id"] for c in claimed} == {ok_id, fail_id, stale_id}
    assert all(c["job"]["status"] == "PROCESSING" and c["attempt"] == 1 for c in claimed)
    by_job = {c["job"]["id"]: c["executionId"] for c in claimed}

    logged = await gql.ok(
        "mutation($e: ID!) { appendLogs(executionId: $e, entries: ["
        '{message: "one", metadata: {k: 1}}, {level: WARN, message: "two"}]) }',
        {"e": by_job[ok_id]},
    )
    assert logged["appendLogs"] == 2
    done = await gql.ok(
        "mutation($e: ID!) { completeJob(executionId: $e, output: {n: 42}) { status output } }",
        {"e": by_job[ok_id]},
    )
    assert done["completeJob"] == {"status": "SUCCEEDED", "output": {"n": 42}}
    failed = await gql.ok(
        'mutation($e: ID!) { failJob(executionId: $e, error: "nope", '
        "retryable: false) { status error } }",
        {"e": by_job[fail_id]},
    )
    assert failed["failJob"] == {"status": "FAILED", "error": "nope"}
    await gql.ok("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": stale_id})
    assert (
        await gql.error(
            "mutation($e: ID!) { completeJob(executionId: $e) { id } }", {"e": by_job[stale_id]}
        )
        == "CONFLICT"
    )
    acks = await gql.ok(
        "mutation($items: [CompleteJobInput!]!) { completeJobs(items: $items) "
        "{ executionId ok code } }",
        {
            "items": [
                {"executionId": by_job[stale_id]},
                {"executionId": "00000000-0000-4000-8000-000000000000"},
            ]
        },
    )
    assert [(a["ok"], a["code"]) for a in acks["completeJobs"]] == [
        (False, "CONFLICT"),
        (False, "NOT_FOUND"),
    ]

    job = await gql.ok(
        "query($id: ID!) { job(id: $id) { executions { attempt status output "
        "duration worker { name isHealthy } logs { level message metadata } } } }",
        {"id": ok_id},
    )
    [execution] = job["job"]["executions"]
    assert execution["status"] == "SUCCEEDED" and execution["output"] == {"n": 42}
    assert execution["duration"] >= 0 and execution["worker"] == {"name": "w1", "isHealthy": True}
    assert execution["logs"] == [
        {"level": "INFO", "message": "one", "metadata": {"k": 1}},
        {"level": "WARN", "message": "two", "metadata": {}},
    ]

    beat = await gql.ok(
        "mutation($w: ID!) { workerHeartbeat(workerId: $w) { leasesExtended worker { status } } }",
        {"w": worker["id"]},
    )
    assert beat["workerHeartbeat"] == {"leasesExtended": 0, "worker": {"status": "ONLINE"}}
    drained = await gql.ok(
        "mutation($w: ID!) { drainWorker(workerId: $w) { status } }", {"w": worker["id"]}
    )
    assert drained["drainWorker"]["status"] == "DRAINING"
    listed = await gql.ok("{ workers(status: [DRAINING]) { totalCount edges { node { id } } } }")
    assert listed["workers"]["totalCount"] == 1

    synced = await gql.ok(
        "mutation($id: ID!) { syncJobStatus(jobId: $id) { actions job { status } } }", {"id": ok_id}
    )
    assert synced["syncJobStatus"] == {"actions": [], "job": {"status": "SUCCEEDED"}}
    report = await gql.ok(
        "mutation { cleanupOrphans { requeuedJobIds failedExecutionIds deletedEdgeIds } }"
    )
    assert report["cleanupOrphans"] == {
        "requeuedJobIds": [],
        "failedExecutionIds": [],
        "deletedEdgeIds": [],
    }


async def test_bad_worker_input(gql, org) -> None:
    q = str(org.queue.id)
    assert await gql.error('mutation { registerWorker(name: "", queues: []) { id } }') == (
        "BAD_USER_INPUT"
    )
    assert (
        await gql.error(
            'mutation($q: ID!) { registerWorker(name: "x", type: WIZARD, '
            "queues: [{queueId: $q}]) { id } }",
            {"q": q},
        )
        == "BAD_USER_INPUT"
    )
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]["id"]
    assert await gql.error(CLAIM, {"w": worker, "n": 100000}) == "BAD_USER_INPUT"
    assert (
        await gql.error(
            "mutation($w: ID!) { claimJobs(workerId: $w, leaseSeconds: 0) { attempt } }",
            {"w": worker},
        )
        == "BAD_USER_INPUT"
    )
    data = await gql.ok(
        'mutation { createApiKey(name: "r", permissions: ["jobs:read"]) { secret } }'
    )
    reader = gql.as_(data["createApiKey"]["secret"])
    assert await reader.error(CLAIM, {"w": worker, "n": 1}) == "FORBIDDEN"
    assert await reader.error("mutation { cleanupOrphans { requeuedJobIds } }") == "FORBIDDEN"


async def test_execution_history_has_no_n_plus_one(gql, org, runtime) -> None:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]["id"]
    query = (
        "{ jobs(first: 100) { edges { node { executions { status worker { name } "
        "logs { message } } } } } }"
    )
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    async def count(n: int) -> int:
        await enqueue(gql, q, n)
        for c in (await gql.ok(CLAIM, {"w": worker, "n": n}))["claimJobs"]:
            await gql.ok(
                'mutation($e: ID!) { appendLogs(executionId: $e, entries: [{message: "m"}]) }',
                {"e": c["executionId"]},
            )
            await gql.ok(
                "mutation($e: ID!) { completeJob(executionId: $e) { id } }", {"e": c["executionId"]}
            )
        statements.clear()
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        try:
            data = await gql.ok(query)
        finally:
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        assert all(e["node"]["executions"][0]["logs"] for e in data["jobs"]["edges"])
        return len(
            [
                s
                for s in statements
                if s.lstrip().upper().startswith("SELECT")
                and "outbox_cursor" not in s
                and "FROM events" not in s
            ]
        )

    assert await count(3) == await count(30) <= 5


async def test_complete_jobs_takes_items_and_bare_ids_together(gql, org) -> None:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]
    [with_output, bare, stale] = await enqueue(gql, q, 3)
    claimed = (await gql.ok(CLAIM, {"w": worker["id"], "n": 3}))["claimJobs"]
    by_job = {c["job"]["id"]: c["executionId"] for c in claimed}
    await gql.ok("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": stale})
    acks = await gql.ok(
        "mutation($items: [CompleteJobInput!], $ids: [ID!]) { completeJobs(items: $items, "
        "executionIds: $ids) { executionId ok code } }",
        {
            "items": [{"executionId": by_job[with_output], "output": {"n": 1}}],
            "ids": [by_job[bare], by_job[stale]],
        },
    )
    assert [(a["executionId"], a["ok"], a["code"]) for a in acks["completeJobs"]] == [
        (by_job[with_output], True, None),
        (by_job[bare], True, None),
        (by_job[stale], False, "CONFLICT"),
    ]
    assert (
        await gql.error('mutation { completeJobs(executionIds: ["nope"]) { ok } }')
        == "BAD_USER_INPUT"
    )
    jobs = await gql.ok(
        "query($a: ID!, $b: ID!) { a: job(id: $a) { status output } b: job(id: $b) "
        "{ status output } }",
        {"a": with_output, "b": bare},
    )
    assert jobs == {
        "a": {"status": "SUCCEEDED", "output": {"n": 1}},
        "b": {"status": "SUCCEEDED", "output": None},
    }


async def test_acknowledge_jobs_answers_with_a_count_and_the_refusals(gql, org) -> None:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]
    [with_output, bare, failing, stale] = await enqueue(gql, q, 4)
    claimed = (
        await gql.ok(
            """mutation($w: ID!) { claimJobs(workerId: $w, limit: 4) {
                executionId jobId jobType payload job { id } } }""",
            {"w": worker["id"]},
        )
    )["claimJobs"]
    assert all(c["jobId"] == c["job"]["id"] and c["jobType"] == "t" for c in claimed)
    assert all(c["payload"] == {} for c in claimed)
    by_job = {c["jobId"]: c["executionId"] for c in claimed}
    await gql.ok("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": stale})
    data = await gql.ok(
        """mutation($done: [CompleteJobInput!], $ids: [ID!], $failed: [FailJobInput!]) {
            acknowledgeJobs(completed: $done, executionIds: $ids, failed: $failed) {
                acknowledged rejected { executionId ok code } } }""",
        {
            "done": [{"executionId": by_job[with_output], "output": {"n": 1}}],
            "ids": [by_job[bare], by_job[stale]],
            "failed": [{"executionId": by_job[failing], "error": "boom", "retryable": False}],
        },
    )
    assert data["acknowledgeJobs"] == {
        "acknowledged": 3,
        "rejected": [{"executionId": by_job[stale], "ok": False, "code": "CONFLICT"}],
    }
    jobs = await gql.ok(
        "query($a: ID!, $b: ID!, $c: ID!) { a: job(id: $a) { status output } "
        "b: job(id: $b) { status } c: job(id: $c) { status error } }",
        {"a": with_output, "b": bare, "c": failing},
    )
    assert jobs == {
        "a": {"status": "SUCCEEDED", "output": {"n": 1}},
        "b": {"status": "SUCCEEDED"},
        "c": {"status": "FAILED", "error": "boom"},
    }
    assert (
        await gql.error('mutation { acknowledgeJobs(executionIds: ["nope"]) { acknowledged } }')
        == "BAD_USER_INPUT"
    )
