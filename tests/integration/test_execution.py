"""Workers, claims, outcomes, retries, leases and timeouts on both backends."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from taskforge.domain.enums import (
    ExecutionStatus,
    JobStatus,
    LogLevel,
    Tier,
    WorkerStatus,
    WorkerType,
)
from taskforge.domain.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from taskforge.persistence.common import executions as repo
from taskforge.persistence.common import tenancy as tenancy_repo
from taskforge.persistence.tables import ExecutionLog, JobExecution, Worker
from taskforge.services import executions, jobs, queues, workers
from taskforge.services.workers import QueueWeight
from tests.conftest import admin_of, new_org


class Clock:
    """A controllable clock for retry and lease timing."""

    def __init__(self, svc) -> None:
        self.now = svc.clock()
        svc.clock = lambda: self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(svc):
    return Clock(svc)


async def make_worker(svc, admin, *queue_ids, name="w", weights=None):
    weights = weights or [1] * len(queue_ids)
    return await workers.register(
        svc,
        admin,
        name,
        WorkerType.GENERAL,
        [QueueWeight(q, w) for q, w in zip(queue_ids, weights, strict=True)],
    )


async def enqueue(svc, admin, queue_id, n=1, **kw):
    return await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=queue_id, job_type="t", **kw)] * n)


async def test_claim_complete(svc, org, admin, clock) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, worker.id, None, 10, lease_seconds=30)
    assert claimed.job.id == job.id and claimed.job.status is JobStatus.PROCESSING
    assert claimed.attempt == 1 and claimed.lease_expires_at == clock.now + timedelta(seconds=30)
    assert await executions.claim(svc, admin, worker.id, None, 10) == []

    [ack] = await executions.complete(svc, admin, [(claimed.execution_id, {"ok": True})])
    assert ack.error is None
    done = await jobs.get(svc, admin, job.id)
    assert (done.status, done.output, done.attempts) == (JobStatus.SUCCEEDED, {"ok": True}, 1)
    [execution] = await executions.executions_of(svc, admin, [job.id])
    assert execution.status is ExecutionStatus.SUCCEEDED and execution.output == {"ok": True}
    # a second ack is stale
    [again] = await executions.complete(svc, admin, [(claimed.execution_id, None)])
    assert isinstance(again.error, Conflict)


async def test_claim_order_and_limits(svc, org, admin, clock) -> None:
    low = await queues.create_queue(svc, admin, org.project.id, "low", priority=1)
    high = await queues.create_queue(svc, admin, org.project.id, "high", priority=9)
    worker = await make_worker(svc, admin, low.id, high.id)
    old_low = await enqueue(svc, admin, low.id, priority=9)
    clock.advance(1)
    [h_low] = await enqueue(svc, admin, high.id, priority=1)
    clock.advance(1)
    [h_high] = await enqueue(svc, admin, high.id, priority=8)
    clock.advance(1)
    [h_high_newer] = await enqueue(svc, admin, high.id, priority=8)
    [later] = await enqueue(
        svc, admin, high.id, priority=9, scheduled_for=clock.now + timedelta(minutes=5)
    )
    got = await executions.claim(svc, admin, worker.id, None, 3)
    assert [c.job.id for c in got] == [h_high.id, h_high_newer.id, h_low.id]
    got = await executions.claim(svc, admin, worker.id, None, 10)
    assert [c.job.id for c in got] == [old_low[0].id]  # the future job waits
    clock.advance(301)
    [due] = await executions.claim(svc, admin, worker.id, None, 10)
    assert due.job.id == later.id
    with pytest.raises(InvalidInput):
        await executions.claim(svc, admin, worker.id, None, 0)


async def test_claim_respects_assignment_weights(svc, org, admin) -> None:
    a = await queues.create_queue(svc, admin, org.project.id, "a")
    b = await queues.create_queue(svc, admin, org.project.id, "b")
    worker = await make_worker(svc, admin, a.id, b.id, weights=[1, 5])
    [in_a] = await enqueue(svc, admin, a.id)
    [in_b] = await enqueue(svc, admin, b.id)
    got = await executions.claim(svc, admin, worker.id, None, 2)
    assert [c.job.id for c in got] == [in_b.id, in_a.id]


async def test_claim_only_assigned_queues(svc, org, admin) -> None:
    other = await queues.create_queue(svc, admin, org.project.id, "other")
    worker = await make_worker(svc, admin, org.queue.id)
    await enqueue(svc, admin, other.id)
    assert await executions.claim(svc, admin, worker.id, [other.id], 5) == []
    with pytest.raises(NotFound):
        await executions.claim(svc, admin, worker.id, [uuid.uuid4()], 5)


async def test_retries_follow_the_queue_policy(svc, org, admin, clock) -> None:
    queue = await queues.create_queue(
        svc,
        admin,
        org.project.id,
        "r",
        settings={
            "max_attempts": 3,
            "base_delay": 10,
            "multiplier": 2,
            "max_delay": 100,
            "jitter": False,
        },
    )
    worker = await make_worker(svc, admin, queue.id)
    [job] = await enqueue(svc, admin, queue.id)
    for attempt, delay in ((1, 10), (2, 20)):
        [c] = await executions.claim(svc, admin, worker.id, None, 1)
        assert c.attempt == attempt
        [ack] = await executions.fail(svc, admin, [(c.execution_id, ("boom", True))])
        assert ack.error is None
        j = await jobs.get(svc, admin, job.id)
        assert j.status is JobStatus.SCHEDULED and j.scheduled_for == clock.now + timedelta(
            seconds=delay
        )
        clock.advance(delay - 1)
        assert await executions.claim(svc, admin, worker.id, None, 1) == []
        clock.advance(1)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    await executions.fail(svc, admin, [(c.execution_id, ("boom", True))])
    j = await jobs.get(svc, admin, job.id)
    assert (j.status, j.status_reason, j.attempts) == (JobStatus.FAILED, "attempts_exhausted", 3)
    history = await executions.executions_of(svc, admin, [job.id])
    assert [e.status for e in history] == [
        ExecutionStatus.RETRYING,
        ExecutionStatus.RETRYING,
        ExecutionStatus.FAILED,
    ]


async def test_non_retryable_failure_ends_the_job(svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, org.queue.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    await executions.fail(svc, admin, [(c.execution_id, ("bad input", False))])
    j = await jobs.get(svc, admin, job.id)
    assert (j.status, j.error, j.status_reason) == (JobStatus.FAILED, "bad input", "failed")


async def test_job_max_attempts_overrides_the_queue(svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, org.queue.id, max_attempts=1)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    await executions.fail(svc, admin, [(c.execution_id, ("x", True))])
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.FAILED


async def test_lease_expiry_and_heartbeat(svc, org, admin, clock) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, org.queue.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1, lease_seconds=10)
    clock.advance(8)
    _, extended = await workers.heartbeat(svc, admin, worker.id, lease_seconds=10)
    assert extended == 1
    clock.advance(8)
    assert await executions.reap(svc) == 0  # the heartbeat kept it alive
    clock.advance(3)
    assert await executions.reap(svc) == 1
    j = await jobs.get(svc, admin, job.id)
    assert (j.status, j.status_reason) == (JobStatus.SCHEDULED, "lease_expired")
    [stale] = await executions.complete(svc, admin, [(c.execution_id, None)])
    assert isinstance(stale.error, Conflict)
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.SCHEDULED  # unchanged
    clock.advance(600)
    [again] = await executions.claim(svc, admin, worker.id, None, 1)
    assert again.job.id == job.id and again.attempt == 2


async def test_queue_timeout(svc, org, admin, clock) -> None:
    queue = await queues.create_queue(
        svc, admin, org.project.id, "t", settings={"timeout_seconds": 5, "max_attempts": 1}
    )
    worker = await make_worker(svc, admin, queue.id)
    [job] = await enqueue(svc, admin, queue.id)
    await executions.claim(svc, admin, worker.id, None, 1, lease_seconds=60)
    clock.advance(4)
    await workers.heartbeat(svc, admin, worker.id)
    assert await executions.reap(svc) == 0
    clock.advance(2)
    await workers.heartbeat(svc, admin, worker.id)  # heartbeats do not outlive the timeout
    assert await executions.reap(svc) == 1
    j = await jobs.get(svc, admin, job.id)
    assert (j.status, j.status_reason) == (JobStatus.FAILED, "timeout")


async def test_cancelled_job_refuses_the_ack(svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, org.queue.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    await jobs.cancel(svc, admin, job.id)
    [ack] = await executions.fail(svc, admin, [(c.execution_id, ("x", True))])
    assert isinstance(ack.error, Conflict)
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.CANCELLED


async def test_batch_acks_are_independent(svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    await enqueue(svc, admin, org.queue.id, 3)
    c = await executions.claim(svc, admin, worker.id, None, 3)
    await jobs.cancel(svc, admin, c[1].job.id)
    acks = await executions.complete(
        svc, admin, [(x.execution_id, {"i": i}) for i, x in enumerate(c)] + [(uuid.uuid4(), None)]
    )
    assert [type(a.error).__name__ if a.error else None for a in acks] == [
        None,
        "Conflict",
        None,
        "NotFound",
    ]
    statuses = [(await jobs.get(svc, admin, x.job.id)).status for x in c]
    assert statuses == [JobStatus.SUCCEEDED, JobStatus.CANCELLED, JobStatus.SUCCEEDED]


async def test_drain(svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    await enqueue(svc, admin, org.queue.id, 2)
    [held] = await executions.claim(svc, admin, worker.id, None, 1)
    drained = await workers.drain(svc, admin, worker.id)
    assert drained.status is WorkerStatus.DRAINING
    assert await executions.claim(svc, admin, worker.id, None, 5) == []
    [ack] = await executions.complete(svc, admin, [(held.execution_id, None)])  # may finish
    assert ack.error is None
    assert (await workers.get(svc, admin, worker.id)).status is WorkerStatus.DRAINING


async def test_silent_workers_go_offline(svc, org, admin, clock) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    assert workers.is_healthy(worker, clock.now, svc.settings.heartbeat_timeout_seconds)
    clock.advance(svc.settings.heartbeat_timeout_seconds + 1)
    assert await workers.mark_silent_offline(svc) == 1
    w = await workers.get(svc, admin, worker.id)
    assert w.status is WorkerStatus.OFFLINE and not workers.is_healthy(
        w, clock.now, svc.settings.heartbeat_timeout_seconds
    )
    await workers.heartbeat(svc, admin, worker.id)
    assert (await workers.get(svc, admin, worker.id)).status is WorkerStatus.ONLINE


async def test_worker_quota(svc) -> None:
    org = await new_org(svc, "Tiny", Tier.STARTER)
    admin = admin_of(org)
    async with svc.write() as session:
        sub = await tenancy_repo.subscription(session, org.organization.id)
        sub.max_workers = 2
    first = await make_worker(svc, admin, org.queue.id, name="a")
    await make_worker(svc, admin, org.queue.id, name="b")
    with pytest.raises(QuotaExceeded):
        await make_worker(svc, admin, org.queue.id, name="c")
    async with svc.write() as session:  # an OFFLINE worker frees its place
        (await session.get(Worker, first.id)).status = WorkerStatus.OFFLINE
    await make_worker(svc, admin, org.queue.id, name="c")


async def test_register_validation(svc, org, admin, other_org) -> None:
    with pytest.raises(InvalidInput):
        await workers.register(svc, admin, "w", WorkerType.GENERAL, [])
    with pytest.raises(InvalidInput):
        await make_worker(svc, admin, org.queue.id, weights=[0])
    with pytest.raises(NotFound):
        await make_worker(svc, admin, other_org.queue.id)


async def test_logs(svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    await enqueue(svc, admin, org.queue.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    n = await executions.append_logs(
        svc,
        admin,
        c.execution_id,
        [(LogLevel.INFO, "started", {"step": 1}), (LogLevel.ERROR, "oops", None)],
    )
    assert n == 2
    [logs] = [await executions.logs_of(svc, admin, [c.execution_id])]
    assert [(x.level, x.message, x.metadata_) for x in logs] == [
        (LogLevel.INFO, "started", {"step": 1}),
        (LogLevel.ERROR, "oops", {}),
    ]
    with pytest.raises(NotFound):
        await executions.append_logs(svc, admin, uuid.uuid4(), [(LogLevel.INFO, "x", None)])
    with pytest.raises(InvalidInput):
        await executions.append_logs(svc, admin, c.execution_id, [])
    async with svc.read() as session:
        assert len(list(await session.scalars(select(ExecutionLog)))) == 2
        assert (await session.scalar(select(JobExecution))).status is ExecutionStatus.STARTED


async def test_reaper_engine_runs_in_the_runtime(database_url, tmp_path) -> None:
    import asyncio

    from taskforge.runtime import Runtime
    from tests.conftest import make_settings

    rt = Runtime.create(make_settings(database_url, tmp_path, reaper_interval=0.05))
    await rt.start(migrate=False)
    try:
        svc = rt.services
        org = await new_org(svc)
        admin = admin_of(org)
        worker = await make_worker(svc, admin, org.queue.id)
        [job] = await enqueue(svc, admin, org.queue.id)
        await executions.claim(svc, admin, worker.id, None, 1, lease_seconds=1)
        for _ in range(100):
            if (await jobs.get(svc, admin, job.id)).status is JobStatus.SCHEDULED:
                break
            await asyncio.sleep(0.05)
        j = await jobs.get(svc, admin, job.id)
        assert (j.status, j.status_reason) == (JobStatus.SCHEDULED, "lease_expired")
    finally:
        await rt.stop()


async def test_sync_job_status(svc, org, admin) -> None:
    from taskforge.persistence.tables import Job
    from taskforge.services import consistency

    worker = await make_worker(svc, admin, org.queue.id)
    [a, b, c] = await enqueue(svc, admin, org.queue.id, 3)
    claimed = {x.job.id: x for x in await executions.claim(svc, admin, worker.id, None, 3)}
    assert await consistency.sync_job_status(svc, admin, a.id) == []
    async with svc.write() as session:  # simulate crashes that split job and execution
        (await session.get(Job, a.id)).status = JobStatus.SUCCEEDED
        (
            await session.get(JobExecution, claimed[b.id].execution_id)
        ).status = ExecutionStatus.SUCCEEDED
        (
            await session.get(JobExecution, claimed[c.id].execution_id)
        ).status = ExecutionStatus.FAILED
        (await session.get(Job, c.id)).status = JobStatus.SUCCEEDED
    assert await consistency.sync_job_status(svc, admin, a.id) == [
        "closed_execution_started_to_succeeded"
    ]
    assert await consistency.sync_job_status(svc, admin, b.id) == [
        "synced_job_processing_to_succeeded"
    ]
    assert await consistency.sync_job_status(svc, admin, c.id) == ["synced_job_succeeded_to_failed"]
    for job_id in (a.id, b.id, c.id):
        assert await consistency.sync_job_status(svc, admin, job_id) == []
    with pytest.raises(NotFound):
        await consistency.sync_job_status(svc, admin, uuid.uuid4())


async def test_cleanup_orphans(svc, org, admin, other_org) -> None:
    from taskforge.domain.enums import DependencyCondition, DependencyType
    from taskforge.domain.errors import Forbidden
    from taskforge.persistence.tables import JobDependency
    from taskforge.services import consistency
    from taskforge.services.base import Principal

    worker = await make_worker(svc, admin, org.queue.id)
    [lost, orphan, parent, child] = await enqueue(svc, admin, org.queue.id, 4)
    claimed = await executions.claim(svc, admin, worker.id, None, 2)
    held = {c.job.id: c for c in claimed}
    assert set(held) == {lost.id, orphan.id}
    async with svc.write() as session:
        (await session.get(Worker, worker.id)).status = WorkerStatus.OFFLINE
        # orphan: its execution row vanished but the job still says PROCESSING
        await session.delete(await session.get(JobExecution, held[orphan.id].execution_id))
        session.add(
            JobDependency(
                organization_id=org.organization.id,
                parent_job_id=parent.id,
                child_job_id=child.id,
                dependency_type=DependencyType.SEQUENTIAL,
                condition=DependencyCondition.SUCCEEDED,
            )
        )
    with pytest.raises(Forbidden):
        await consistency.cleanup_orphans(
            svc, Principal(org.organization.id, frozenset({"jobs:write"}))
        )
    report = await consistency.cleanup_orphans(svc, admin)
    assert report.failed_execution_ids == [held[lost.id].execution_id]
    assert report.requeued_job_ids == [orphan.id]
    assert (await jobs.get(svc, admin, lost.id)).status_reason == "worker_lost"
    assert (await jobs.get(svc, admin, orphan.id)).status is JobStatus.PENDING
    assert (await consistency.cleanup_orphans(svc, admin)).requeued_job_ids == []
    # the other tenant is untouched
    assert (await consistency.cleanup_orphans(svc, admin_of(other_org))).failed_execution_ids == []
    assert report.deleted_edge_ids == []  # foreign keys keep edges from dangling


class _Abort(Exception):
    pass


async def test_a_claim_is_part_of_its_unit_of_work(svc, org, admin) -> None:
    """The hot statements (PostgreSQL: sent straight to the driver) share the session's
    transaction: rolled back with it, nothing of the claim stays."""
    worker = await make_worker(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, org.queue.id)
    now = svc.clock()
    with pytest.raises(_Abort):
        async with svc.write() as session:
            [(row, _, _)] = await repo.claim(
                session, [[org.queue.id]], 1, now, worker.id, now + timedelta(seconds=60), {}
            )
            assert row.id == job.id and row.status is JobStatus.PROCESSING
            raise _Abort
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.PENDING
    assert await executions.executions_of(svc, admin, [job.id]) == []
    [again] = await executions.claim(svc, admin, worker.id, None, 1)
    assert again.job.id == job.id and again.attempt == 1


async def test_claims_beat_at_most_once_a_second(svc, org, admin, clock) -> None:
    """A claim is a sign of life, but a busy worker's claims write it once a second."""
    worker = await make_worker(svc, admin, org.queue.id)
    registered = worker.last_heartbeat
    clock.advance(0.5)
    assert await executions.claim(svc, admin, worker.id, None, 1) == []
    assert (await workers.get(svc, admin, worker.id)).last_heartbeat == registered
    clock.advance(1)
    assert await executions.claim(svc, admin, worker.id, None, 1) == []
    assert (await workers.get(svc, admin, worker.id)).last_heartbeat == clock.now
    async with svc.write() as session:  # a silent worker marked OFFLINE comes back at once
        (await session.get(Worker, worker.id)).status = WorkerStatus.OFFLINE
    assert await executions.claim(svc, admin, worker.id, None, 1) == []
    assert (await workers.get(svc, admin, worker.id)).status is WorkerStatus.ONLINE


async def test_claims_take_due_and_ready_jobs_only(svc, org, admin, clock) -> None:
    """Nothing ready or due: no claim work at all; a due retry is promoted and claimed in
    the same call."""
    worker = await make_worker(svc, admin, org.queue.id)
    [later] = await enqueue(svc, admin, org.queue.id, scheduled_for=clock.now + timedelta(hours=1))
    assert await executions.claim(svc, admin, worker.id, None, 5) == []
    clock.advance(3601)
    [due] = await executions.claim(svc, admin, worker.id, None, 5)
    assert due.job.id == later.id and due.job.status is JobStatus.PROCESSING


async def test_relay_wakes_only_for_commits_with_events(runtime, svc, org, admin) -> None:
    worker = await make_worker(svc, admin, org.queue.id)
    before = runtime.db.event_commits
    assert await executions.claim(svc, admin, worker.id, None, 5) == []  # writes no event
    assert runtime.db.event_commits == before
    await enqueue(svc, admin, org.queue.id)
    assert runtime.db.event_commits == before + 1
