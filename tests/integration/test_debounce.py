"""Debounce on both databases: of a (queue, key value)'s enqueues within the period only
the last runs, and not before a period after it; the others end CANCELLED as
``debounced``; a running job is left alone; tenants never meet; bad rules are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from taskforge.domain.enums import DependencyStatus, JobStatus, WorkerType
from taskforge.domain.errors import NotFound
from taskforge.domain.flow import Debounce
from taskforge.persistence.tables import Event
from taskforge.services import dependencies, executions, jobs, queues, workers
from tests.conftest import admin_of
from tests.helpers import asgi_client, stored_events

PERIOD = 60
BY_CUSTOMER = Debounce.parse("payload.customer_id", PERIOD)

ENQUEUE = """mutation($input: EnqueueJobInput!) {
  enqueueJob(input: $input) { id status statusReason scheduledFor nextEligibleAt } }"""
ENQUEUE_MANY = """mutation($jobs: [EnqueueJobInput!]!) {
  enqueueJobs(jobs: $jobs) { id status statusReason nextEligibleAt } }"""
JOB = "query($id: ID!) { job(id: $id) { status statusReason scheduledFor nextEligibleAt } }"


class Clock:
    def __init__(self, svc: Any) -> None:
        self.now = svc.clock()
        svc.clock = lambda: self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(svc: Any) -> Clock:
    return Clock(svc)


async def enqueue(svc: Any, org: Any, customer: Any, rule: Debounce | None = BY_CUSTOMER) -> Any:
    payload = {} if customer is None else {"customer_id": customer}
    spec = jobs.NewJob(org.queue.id, "sync", payload, debounce=rule)
    [job] = await jobs.enqueue(svc, admin_of(org), [spec])
    return job


async def claim_all(svc: Any, org: Any, worker: Any) -> list[Any]:
    return [c.job.id for c in await executions.claim(svc, admin_of(org), worker.id, None, 50)]


async def worker_of(svc: Any, org: Any) -> Any:
    queues = [workers.QueueWeight(org.queue.id)]
    return await workers.register(svc, admin_of(org), "w", WorkerType.GENERAL, queues)


async def get(svc: Any, org: Any, job: Any) -> Any:
    return await jobs.get(svc, admin_of(org), job.id)


async def test_only_the_last_of_three_enqueues_runs_a_period_after_it(svc, org, clock) -> None:
    worker = await worker_of(svc, org)
    first = await enqueue(svc, org, "c-1")
    assert first.status is JobStatus.SCHEDULED
    assert first.scheduled_for == clock.now + timedelta(seconds=PERIOD)
    clock.advance(20)
    second = await enqueue(svc, org, "c-1")
    clock.advance(30)
    last = await enqueue(svc, org, "c-1")
    last_enqueued = clock.now
    for replaced in (first, second):
        now = await get(svc, org, replaced)
        assert (now.status, now.status_reason) == (JobStatus.CANCELLED, "debounced")
        assert now.finished_at == now.updated_at
    assert (await get(svc, org, last)).status is JobStatus.SCHEDULED
    # not before a period after the last enqueue: the first's period is long over
    clock.advance(PERIOD - 1)
    assert await claim_all(svc, org, worker) == []
    clock.advance(1)
    assert last.scheduled_for == last_enqueued + timedelta(seconds=PERIOD) == clock.now
    assert await claim_all(svc, org, worker) == [last.id]
    # each replaced job's status change is an event with the reason
    async with svc.read() as session:
        stored = await stored_events(session, Event.organization_id == org.organization.id)
    debounced = [
        e["payload"]["jobId"]
        for e in stored
        if e["type"] == "job.status_changed" and e["payload"]["reason"] == "debounced"
    ]
    assert debounced == [str(first.id), str(second.id)]
    assert {e["payload"]["previousStatus"] for e in stored if e["payload"].get("reason")} == {
        "SCHEDULED"
    }


async def test_different_key_values_do_not_replace_each_other(svc, org, clock) -> None:
    a, b = await enqueue(svc, org, "a"), await enqueue(svc, org, "b")
    # a number and its text are one key value (keys compare as text); a missing path is
    # null, and every null-keyed job shares one group
    seven = await enqueue(svc, org, 7)
    missing = await enqueue(svc, org, None)
    await enqueue(svc, org, "7")
    await enqueue(svc, org, None)
    plain = await enqueue(svc, org, "a", rule=None)  # not debounced: neither replaces nor is
    statuses = {j.id: (await get(svc, org, j)).status for j in (a, b, seven, missing, plain)}
    assert statuses == {
        a.id: JobStatus.SCHEDULED,
        b.id: JobStatus.SCHEDULED,
        seven.id: JobStatus.CANCELLED,
        missing.id: JobStatus.CANCELLED,
        plain.id: JobStatus.PENDING,
    }


async def test_one_key_in_two_queues_is_two_groups(svc, org, admin) -> None:
    other_queue = await queues.create_queue(svc, admin, org.project.id, "other")
    here = await enqueue(svc, org, "c-1")
    spec = jobs.NewJob(other_queue.id, "sync", {"customer_id": "c-1"}, debounce=BY_CUSTOMER)
    await jobs.enqueue(svc, admin, [spec])
    assert (await get(svc, org, here)).status is JobStatus.SCHEDULED


async def test_a_running_job_is_not_replaced(svc, org, clock) -> None:
    worker = await worker_of(svc, org)
    running = await enqueue(svc, org, "c-1")
    clock.advance(PERIOD)
    assert await claim_all(svc, org, worker) == [running.id]
    newer = await enqueue(svc, org, "c-1")
    assert (await get(svc, org, running)).status is JobStatus.PROCESSING
    assert newer.status is JobStatus.SCHEDULED
    clock.advance(PERIOD - 1)
    assert await claim_all(svc, org, worker) == []  # it just waits its period
    clock.advance(1)
    assert await claim_all(svc, org, worker) == [newer.id]


async def test_a_job_waiting_for_its_retry_is_not_replaced(svc, org, clock) -> None:
    worker = await worker_of(svc, org)
    job = await enqueue(svc, org, "c-1")
    clock.advance(PERIOD)
    [claimed] = await executions.claim(svc, admin_of(org), worker.id, None, 1)
    await executions.fail(svc, admin_of(org), [(claimed.execution_id, ("boom", True))])
    assert (await get(svc, org, job)).status is JobStatus.SCHEDULED  # its retry's backoff
    await enqueue(svc, org, "c-1")
    assert (await get(svc, org, job)).status is JobStatus.SCHEDULED


async def test_a_later_scheduled_for_is_kept(svc, org, clock) -> None:
    later = clock.now + timedelta(hours=1)
    spec = jobs.NewJob(org.queue.id, "t", {}, scheduled_for=later, debounce=BY_CUSTOMER)
    [job] = await jobs.enqueue(svc, admin_of(org), [spec])
    assert job.scheduled_for == later
    earlier = clock.now + timedelta(seconds=1)
    spec = jobs.NewJob(org.queue.id, "t", {}, scheduled_for=earlier, debounce=BY_CUSTOMER)
    [job] = await jobs.enqueue(svc, admin_of(org), [spec])
    assert job.scheduled_for == clock.now + timedelta(seconds=PERIOD)


async def test_in_a_batch_the_later_job_of_a_key_wins(svc, org, clock) -> None:
    waiting = await enqueue(svc, org, "a")

    def spec(customer: str) -> jobs.NewJob:
        return jobs.NewJob(org.queue.id, "t", {"customer_id": customer}, debounce=BY_CUSTOMER)

    created = await jobs.enqueue(
        svc, admin_of(org), [spec("a"), spec("b"), spec("a"), jobs.NewJob(org.queue.id, "t")]
    )
    # what the call returns is what the jobs are once it committed
    assert [(j.status, j.status_reason) for j in created] == [
        (JobStatus.CANCELLED, "debounced"),
        (JobStatus.SCHEDULED, None),
        (JobStatus.SCHEDULED, None),
        (JobStatus.PENDING, None),
    ]
    assert [(await get(svc, org, j)).status for j in created] == [j.status for j in created]
    assert (await get(svc, org, waiting)).status is JobStatus.CANCELLED


async def test_the_dependents_of_a_replaced_job_are_decided(svc, org, admin) -> None:
    parent = await enqueue(svc, org, "c-1")
    [child] = await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, "t")])
    await dependencies.create(svc, admin, parent.id, child.id)
    await enqueue(svc, org, "c-1")
    now = await get(svc, org, child)
    assert (now.status, now.status_reason) == (JobStatus.CANCELLED, "dependency_failed")
    assert now.dependency_status is DependencyStatus.FAILED


async def test_tenants_never_meet(svc, org, other_org) -> None:
    mine = await enqueue(svc, org, "c-1")
    theirs = await enqueue(svc, other_org, "c-1")
    assert (await get(svc, org, mine)).status is JobStatus.SCHEDULED
    assert (await get(svc, other_org, theirs)).status is JobStatus.SCHEDULED
    # another tenant cannot reach my queue's group: NOT_FOUND, and my job still waits
    spec = jobs.NewJob(org.queue.id, "sync", {"customer_id": "c-1"}, debounce=BY_CUSTOMER)
    with pytest.raises(NotFound):
        await jobs.enqueue(svc, admin_of(other_org), [spec])
    assert (await get(svc, org, mine)).status is JobStatus.SCHEDULED


async def test_a_plain_enqueue_sends_no_debounce_statement(runtime, svc, org) -> None:
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await enqueue(svc, org, "c-1", rule=None)
        plain = list(sent)
        sent.clear()
        await enqueue(svc, org, "c-1")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # (a plain INSERT ... RETURNING of every column names the new column, nothing more)
    markers = ("pg_advisory", "debounce_key=", "debounce_key IN")
    assert not [s for s in plain if any(m in s for m in markers)]
    assert any("debounce_key=" in s for s in sent)
    assert any("debounce_key IN" in s for s in sent)


async def test_the_graphql_shape(runtime, org, clock) -> None:
    q = str(org.queue.id)
    rule = {"key": "payload.customer_id", "period": PERIOD}
    job = {"queueId": q, "jobType": "sync", "payload": {"customer_id": "c-1"}, "debounce": rule}
    async with asgi_client(runtime, org.api_key.secret) as gql:
        first = (await gql.ok(ENQUEUE, {"input": job}))["enqueueJob"]
        assert first["status"] == "SCHEDULED"
        assert first["nextEligibleAt"] == first["scheduledFor"]
        many = await gql.ok(ENQUEUE_MANY, {"jobs": [job, {**job, "debounce": None}]})
        [last, plain] = many["enqueueJobs"]
        assert last["status"] == "SCHEDULED" and last["nextEligibleAt"] is not None
        assert plain["status"] == "PENDING" and plain["nextEligibleAt"] is None
        replaced = (await gql.ok(JOB, {"id": first["id"]}))["job"]
        assert replaced == {
            "status": "CANCELLED",
            "statusReason": "debounced",
            "scheduledFor": first["scheduledFor"],
            "nextEligibleAt": None,
        }


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"key": "payload.a +", "period": 10}, "debounce.key"),
        ({"key": "__import__('os')", "period": 10}, "debounce.key"),
        ({"key": "  ", "period": 10}, "debounce.key"),
        ({"key": "payload.a", "period": 0}, "debounce.period"),
        ({"key": "payload.a", "period": -5}, "debounce.period"),
        ({"period": 7 * 86_400 + 1}, "debounce.period"),
    ],
)
async def test_bad_rules_are_refused_with_their_field(runtime, org, rule, field) -> None:
    job = {"queueId": str(org.queue.id), "jobType": "t", "debounce": rule}
    async with asgi_client(runtime, org.api_key.secret) as gql:
        for query, variables in ((ENQUEUE, {"input": job}), (ENQUEUE_MANY, {"jobs": [job]})):
            body = await gql.raw(query, variables)
            [error] = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["extensions"]["field"] == field
        total = await gql.ok("{ jobs(first: 1) { totalCount } }")
    assert total["jobs"]["totalCount"] == 0


async def test_a_retried_debounced_enqueue_is_deduplicated_not_debounced(svc, org, clock) -> None:
    # the idempotency fingerprint is taken before debounce moves the job's start: a
    # client's retry of the same request (seconds later) returns the first job
    spec = jobs.NewJob(
        org.queue.id, "sync", {"customer_id": "c"}, debounce=BY_CUSTOMER, idempotency_key="k1"
    )
    [first] = await jobs.enqueue(svc, admin_of(org), [spec])
    clock.advance(5)
    [again] = await jobs.enqueue(svc, admin_of(org), [spec])
    assert again.id == first.id and again.deduplicated
    assert again.status is JobStatus.SCHEDULED  # not replaced by its own retry
    other = jobs.NewJob(
        org.queue.id, "sync", {"customer_id": "c"}, debounce=BY_CUSTOMER, idempotency_key="k2"
    )
    [newer] = await jobs.enqueue(svc, admin_of(org), [other])
    assert newer.id != first.id and not newer.deduplicated
    assert (await jobs.get(svc, admin_of(org), first.id)).status_reason == "debounced"


class _Deadlock(Exception):
    sqlstate = "40P01"  # what the database says when it breaks a lock cycle


async def test_a_retried_transaction_keeps_the_requests_fingerprint(svc, org, monkeypatch) -> None:
    real, calls = jobs.insert_jobs, []

    async def once_aborted(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise _Deadlock("deadlock detected")
        return await real(*args)

    monkeypatch.setattr(jobs, "insert_jobs", once_aborted)
    spec = jobs.NewJob(org.queue.id, "sync", {"c": 1}, debounce=BY_CUSTOMER, idempotency_key="k")
    [first] = await jobs.enqueue(svc, admin_of(org), [spec])
    assert len(calls) == 2  # retried
    [again] = await jobs.enqueue(svc, admin_of(org), [spec])  # the very same request
    assert again.id == first.id and again.deduplicated
    plain = jobs.NewJob(org.queue.id, "sync", {"customer_id": "x"}, debounce=BY_CUSTOMER)
    calls.clear()
    [job] = await jobs.enqueue(svc, admin_of(org), [plain])  # no key: retried all the same
    assert len(calls) == 2 and job.status is JobStatus.SCHEDULED
