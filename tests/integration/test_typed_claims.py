"""Handler-aware claims: a worker claims only the job types it names, a job no online
worker runs waits (``waitingForHandler``) instead of failing, per tenant, without N+1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from taskforge.services import executions, jobs, workers
from tests.conftest import admin_of
from tests.helpers import asgi_client

REGISTER = """mutation($q: ID!, $types: [String!]) {
  registerWorker(name: "w", queues: [{queueId: $q}], jobTypes: $types) { id jobTypes } }"""
CLAIM = """mutation($w: ID!, $n: Int!, $types: [String!]) {
  claimJobs(workerId: $w, limit: $n, jobTypes: $types) { jobId jobType } }"""
ENQUEUE = """mutation($jobs: [EnqueueJobInput!]!) { enqueueJobs(jobs: $jobs) { id } }"""
WAITING = "query($id: ID!) { job(id: $id) { status waitingForHandler } }"


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def enqueue(gql: Any, queue_id: str, *specs: tuple[str, int]) -> list[str]:
    data = await gql.ok(
        ENQUEUE, {"jobs": [{"queueId": queue_id, "jobType": t, "priority": p} for t, p in specs]}
    )
    return [j["id"] for j in data["enqueueJobs"]]


async def waiting(gql: Any, job_id: str) -> bool:
    job = (await gql.ok(WAITING, {"id": job_id}))["job"]
    return bool(job["waitingForHandler"])


async def test_a_typed_claim_takes_only_its_types_in_claim_order(gql, org) -> None:
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q, "types": ["b", "a", "a"]}))["registerWorker"]
    assert worker["jobTypes"] == ["a", "b"]  # checked, deduplicated, sorted
    a_low, other, b_high, a_mid = await enqueue(gql, q, ("a", 1), ("other", 9), ("b", 8), ("a", 5))
    # several types: one claim in priority order across them, nothing of other types
    got = (await gql.ok(CLAIM, {"w": worker["id"], "n": 10, "types": ["a", "b"]}))["claimJobs"]
    assert [c["jobId"] for c in got] == [b_high, a_mid, a_low]
    assert (await gql.ok(WAITING, {"id": other}))["job"]["status"] == "PENDING"
    # one type
    [c_job] = await enqueue(gql, q, ("c", 1))
    assert (await gql.ok(CLAIM, {"w": worker["id"], "n": 10, "types": ["a"]}))["claimJobs"] == []
    got = (await gql.ok(CLAIM, {"w": worker["id"], "n": 10, "types": ["c"]}))["claimJobs"]
    assert [c["jobId"] for c in got] == [c_job]
    # without jobTypes: any type, as before
    got = (await gql.ok(CLAIM, {"w": worker["id"], "n": 10}))["claimJobs"]
    assert [(c["jobId"], c["jobType"]) for c in got] == [(other, "other")]


async def test_bad_job_types_are_refused(gql, org) -> None:
    q = str(org.queue.id)
    assert await gql.error(REGISTER, {"q": q, "types": []}) == "BAD_USER_INPUT"
    assert await gql.error(REGISTER, {"q": q, "types": ["no spaces"]}) == "BAD_USER_INPUT"
    worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]
    assert worker["jobTypes"] is None
    for bad in ([], ["x" * 201], ["a/b"]):
        assert await gql.error(CLAIM, {"w": worker["id"], "n": 1, "types": bad}) == (
            "BAD_USER_INPUT"
        )


async def test_waiting_for_handler_follows_the_online_workers_of_the_queue(
    gql, org, svc, other_org
) -> None:
    q = str(org.queue.id)
    [job] = await enqueue(gql, q, ("email", 5))
    assert await waiting(gql, job)  # no worker at all
    # another tenant's worker with that handler, on its own queue, changes nothing
    theirs = workers.QueueWeight(other_org.queue.id)
    await workers.register(svc, admin_of(other_org), "x", _general(), [theirs], ["email"])
    assert await waiting(gql, job)
    # a worker of this queue without the type
    resize = (await gql.ok(REGISTER, {"q": q, "types": ["resize"]}))["registerWorker"]
    assert await waiting(gql, job)
    # one with it: served; drained (not online), waiting again
    emails = (await gql.ok(REGISTER, {"q": q, "types": ["email"]}))["registerWorker"]
    assert not await waiting(gql, job)
    await gql.ok("mutation($w: ID!) { drainWorker(workerId: $w) { id } }", {"w": emails["id"]})
    assert await waiting(gql, job)
    # a worker that named no types runs anything
    await gql.ok(REGISTER, {"q": q})
    assert not await waiting(gql, job)
    # running, a job is not waiting for a handler
    await gql.ok(CLAIM, {"w": resize["id"], "n": 1})
    assert not await waiting(gql, job)


async def test_only_claimable_jobs_wait_for_a_handler(gql, org, svc) -> None:
    admin, q = admin_of(org), org.queue.id
    later = svc.clock() + timedelta(hours=1)
    [scheduled] = await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=q, job_type="nobody", scheduled_for=later)]
    )
    assert not await waiting(gql, str(scheduled.id))  # not due: nothing could claim it
    [due] = await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=q, job_type="nobody", scheduled_for=svc.clock())]
    )
    assert await waiting(gql, str(due.id))


async def test_another_tenants_job_is_not_found(gql, org, svc, other_org) -> None:
    [theirs] = await jobs.enqueue(
        svc, admin_of(other_org), [jobs.NewJob(queue_id=other_org.queue.id, job_type="t")]
    )
    body = await gql.raw(WAITING, {"id": str(theirs.id)})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_waiting_for_handler_has_no_n_plus_one(gql, org, runtime) -> None:
    q = str(org.queue.id)
    await gql.ok(REGISTER, {"q": q, "types": ["t0"]})
    query = "{ jobs(first: 100) { edges { node { jobType waitingForHandler } } } }"
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async def count(n: int) -> int:
        await enqueue(gql, q, *((f"t{i % 7}", 5) for i in range(n)))
        statements.clear()
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        try:
            data = await gql.ok(query)
        finally:
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        nodes = [e["node"] for e in data["jobs"]["edges"]]
        assert all(n["waitingForHandler"] is (n["jobType"] != "t0") for n in nodes)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        return len([s for s in selects if "outbox_cursor" not in s and "FROM events" not in s])

    await count(1)  # the first request of a client reads its credential
    assert await count(3) == await count(30) <= 3


async def test_the_service_claim_with_types(svc, org) -> None:
    admin = admin_of(org)
    worker = await workers.register(
        svc, admin, "w", _general(), [workers.QueueWeight(org.queue.id)], ["a"]
    )
    await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type=t) for t in ("b", "a", "b")]
    )
    got = await executions.claim(svc, admin, worker.id, None, 10, job_types=["a"])
    assert [c.job_type for c in got] == ["a"]
    assert await executions.claim(svc, admin, worker.id, None, 10, job_types=["a"]) == []


def _general() -> Any:
    from taskforge.domain.enums import WorkerType

    return WorkerType.GENERAL


@pytest.mark.parametrize("transport", ["channel", "graphql"])
async def test_an_sdk_worker_leaves_the_types_it_cannot_run(runtime, org, transport) -> None:
    """The SDK names its handlers' types: a job of another type is never claimed, so it
    waits PENDING (no longer failed with 'no handler') while the others run."""
    import asyncio

    from taskforge.domain.enums import JobStatus
    from taskforge.worker.channel import ChannelWorker
    from taskforge.worker.client import Client
    from taskforge.worker.runner import Settings, Worker
    from tests.helpers import served

    svc, admin = runtime.services, admin_of(org)
    specs = [jobs.NewJob(queue_id=org.queue.id, job_type=t) for t in ("mine", "theirs") * 3]
    created = await jobs.enqueue(svc, admin, specs)

    async def mine(payload: dict[str, Any], ctx: Any) -> None:
        return None

    kind = ChannelWorker if transport == "channel" else Worker
    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = kind(client, {"mine": mine}, [(str(org.queue.id), 1)], Settings(poll_interval=0.1))
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            mine_ids = [j.id for j in created if j.job_type == "mine"]

            async def mine_done() -> None:  # acknowledged, not only run (processed)
                for i in mine_ids:
                    while (await jobs.get(svc, admin, i)).status is not JobStatus.SUCCEEDED:
                        assert not running.done(), running
                        await asyncio.sleep(0.05)

            await asyncio.wait_for(mine_done(), 20)
            await asyncio.sleep(0.5)  # a few more claims and polls: still not taken
            async with asgi_client(runtime, org.api_key.secret) as gql:
                for j in created:
                    row = await jobs.get(svc, admin, j.id)
                    if j.job_type == "mine":
                        assert row.status is JobStatus.SUCCEEDED
                    else:
                        assert row.status is JobStatus.PENDING and row.attempts == 0
                        assert await waiting(gql, str(j.id))
            [registered] = (await workers.list_workers(svc, admin, None, 10, None)).items
            assert registered.job_types == ["mine"]
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
            await client.close()
    assert worker.processed == 3


async def test_a_typed_claim_takes_one_batch_in_its_enqueue_order(gql, org) -> None:
    """An enqueue's jobs share their created_at: a claim of several types takes them in
    the order they were enqueued, as an untyped claim does."""
    q = str(org.queue.id)
    worker = (await gql.ok(REGISTER, {"q": q, "types": ["a", "b"]}))["registerWorker"]["id"]
    ids = await enqueue(gql, q, *((t, 5) for t in ["b", "a", "c", "a", "b", "b", "a"]))
    got = (await gql.ok(CLAIM, {"w": worker, "n": 4, "types": ["a", "b"]}))["claimJobs"]
    assert [c["jobId"] for c in got] == [ids[0], ids[1], ids[3], ids[4]]


async def test_a_typed_probe_finds_a_queue_ready_only_with_its_types(svc, org) -> None:
    """Before a claim, a worker's queues are probed for ready jobs: of its types only, so
    a queue full of other types costs it no claim transaction."""
    from taskforge.persistence.common import executions as repo

    admin = admin_of(org)
    worker = await workers.register(
        svc, admin, "w", _general(), [workers.QueueWeight(org.queue.id)], ["a"]
    )
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="b")] * 3)

    async def ready(types: list[str] | None) -> bool:
        async with svc.write() as session:
            org_id, now = org.organization.id, svc.clock()
            _, [target] = await repo.claim_targets(session, org_id, worker.id, now, True, types)
        return bool(target.ready)

    assert await ready(None) and await ready(["b"]) and await ready(["a", "b"])
    assert not await ready(["a"]) and not await ready(["a", "c"])
