"""The store contract, specified once and checked on every store (the ``runtime``
fixture runs each test on SQLite and on PostgreSQL): rows returned (shape and values),
rows changed and the exclusion a claim guarantees."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from taskforge.domain import events
from taskforge.domain.enums import (
    ExecutionStatus,
    FailurePolicy,
    JobStatus,
    LogLevel,
    WorkerStatus,
    WorkerType,
    WorkflowStatus,
)
from taskforge.domain.rows import GraphJob, RefreshRow, Succeeded
from taskforge.persistence.common import executions as store_executions
from taskforge.persistence.common import graph, jobs, outbox, schedules, workflows
from taskforge.persistence.store import EVENTS_WRITTEN, store_of
from taskforge.persistence.tables import Event, ExecutionLog, Job, JobExecution, Worker, Workflow
from taskforge.services import executions, fleet, workers
from taskforge.services import jobs as job_service
from tests.conftest import admin_of


async def _enqueue(svc: Any, org: Any, n: int) -> list[uuid.UUID]:
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    return [j.id for j in await job_service.enqueue(svc, admin_of(org), [spec] * n)]


async def test_a_claim_never_hands_one_job_to_two_claimers(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    expected = set(await _enqueue(svc, org, 60))
    claims: Counter[uuid.UUID] = Counter()

    async def claimer(n: int) -> None:
        worker = await workers.register(
            svc, admin, f"w{n}", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
        )
        while got := await executions.claim(svc, admin, worker.id, None, 7):
            claims.update(c.job.id for c in got)

    await asyncio.gather(*(claimer(n) for n in range(4)))
    assert set(claims) == expected
    assert max(claims.values()) == 1


async def test_claimed_rows_have_one_shape(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    [job_id] = await _enqueue(svc, org, 1)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    [claimed] = await executions.claim(svc, admin, worker.id, None, 5)
    assert claimed.job.id == job_id
    assert claimed.job.status is JobStatus.PROCESSING
    assert claimed.job.attempts == 1


async def _workflow(svc: Any, org: Any) -> uuid.UUID:
    async with svc.write() as session:
        wf = Workflow(
            id=uuid.uuid4(),
            organization_id=org.organization.id,
            project_id=org.project.id,
            name="conformance",
            status=WorkflowStatus.RUNNING,
            failure_policy=FailurePolicy.FAIL_FAST,
            definition={},
        )
        session.add(wf)
        await session.flush()
        return wf.id


async def test_workflow_states_and_refresh_rows(svc: Any, org: Any) -> None:
    wid = await _workflow(svc, org)
    async with svc.write() as session:
        states = await workflows.states(session, [wid])
        refreshed = await workflows.lock_for_refresh(session, [wid])
    # no jobs: a status and no counts, on both stores (not a zero count)
    assert states == {wid: (WorkflowStatus.RUNNING, {})}
    assert refreshed == [
        RefreshRow(wid, WorkflowStatus.RUNNING, FailurePolicy.FAIL_FAST, False, {})
    ]
    assert type(refreshed[0]) is RefreshRow


async def test_fold_counts_of_an_idle_database_folds_nothing(svc: Any) -> None:
    async with svc.write() as session:
        assert await workflows.fold_counts(session, 0, 10) == 0


async def test_graph_rows_have_one_shape(svc: Any, org: Any) -> None:
    job_id, ran = await _enqueue(svc, org, 2)
    started = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    async with svc.write() as session:
        finished = started + dt.timedelta(seconds=7, microseconds=250_001)
        await session.execute(
            update(Job).where(Job.id == ran).values(started_at=started, finished_at=finished)
        )
    async with svc.read() as session:
        rows = await graph.graph_jobs(session, org.organization.id, [str(job_id), str(ran)])
        assert await graph.graph_jobs(session, uuid.uuid4(), [str(job_id)]) == []
    by_id = {row.id: row for row in rows}
    assert {type(row) for row in rows} == {GraphJob}
    # ids as text; of start and finish, only the seconds it ran (None until it finished)
    # ... and no template (not a mapped job): its text and index are None
    assert by_id[str(job_id)] == (str(job_id), None, "noop", "PENDING", None, None, None)
    assert by_id[str(ran)].run_seconds == 7.250001


async def test_graph_reads_run_with_collection_paused(
    svc: Any, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graph read allocates containers per row and per value that all outlive it: the
    store reads, and builds its rows, with cyclic collection paused (taskforge.gc_pause),
    which resumes after."""
    ids = [str(j) for j in await _enqueue(svc, org, 3)]
    states: list[tuple[bool, bool]] = []

    def spy(read: Any) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            began = gc.isenabled()
            out = await read(*args, **kwargs)
            states.append((began, gc.isenabled()))
            return out

        return call

    assert gc.isenabled()
    async with svc.read() as session:
        store = store_of(session).graph
        for name in ("graph_jobs", "graph_step", "graph_of_workflow"):
            monkeypatch.setattr(store, name, spy(getattr(store, name)))
        rows = await graph.graph_jobs(session, org.organization.id, ids)
        steps = await graph.graph_step(session, org.organization.id, ids, upstream=True)
        await graph.graph_of_workflow(session, uuid.uuid4())
    assert len(rows) == 3 and steps == []
    assert states == [(False, False)] * 3
    assert gc.isenabled()


async def test_a_locked_job_is_the_job(svc: Any, org: Any) -> None:
    [job_id] = await _enqueue(svc, org, 1)
    async with svc.write() as session:
        job = await jobs.lock(session, org.organization.id, job_id)
        assert job is not None and job.id == job_id
        assert await jobs.lock(session, uuid.uuid4(), job_id) is None


async def _claimed(svc: Any, org: Any, n: int) -> tuple[Any, list[Any]]:
    admin = admin_of(org)
    await _enqueue(svc, org, n)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    return worker, await executions.claim(svc, admin, worker.id, None, n)


async def _execution(svc: Any, execution_id: Any) -> Any:
    async with svc.read() as session:
        return (
            await session.execute(select(JobExecution).where(JobExecution.id == execution_id))
        ).scalar_one_or_none()


async def test_an_executions_job_and_worker_are_kept_without_foreign_keys(
    svc: Any, org: Any
) -> None:
    """Deleting a worker clears its executions' worker; deleting a job deletes its
    executions and their logs (triggers: the claim runs no key checks)."""
    admin = admin_of(org)
    worker, [c] = await _claimed(svc, org, 1)
    await executions.append_logs(svc, admin, c.execution_id, [(LogLevel.INFO, "hi", None)])
    await executions.complete(svc, admin, [(c.execution_id, None)])
    async with svc.write() as session:
        await session.execute(
            update(Worker).where(Worker.id == worker.id).values(status=WorkerStatus.OFFLINE)
        )
    await fleet.delete_worker(svc, admin, worker.id)
    kept = await _execution(svc, c.execution_id)
    assert kept is not None and kept.worker_id is None

    await job_service.delete(svc, admin, c.job.id)
    assert await _execution(svc, c.execution_id) is None
    async with svc.read() as session:
        logs = await session.scalar(
            select(func.count()).where(ExecutionLog.execution_id == c.execution_id)
        )
    assert logs == 0


async def test_a_workers_deletion_waits_for_its_claim(svc: Any, org: Any) -> None:
    """A claim holds its worker's row: a deletion meanwhile waits for the claim's commit,
    then clears the worker of what the claim wrote (no execution names a missing worker)."""
    admin = admin_of(org)
    [job_id] = await _enqueue(svc, org, 1)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    now = dt.datetime.now(dt.UTC)

    async def delete_worker() -> None:
        async with svc.write() as session:
            await session.execute(delete(Worker).where(Worker.id == worker.id))

    async with svc.write() as session:
        [(_, execution_id, _)] = await store_executions.claim(
            session, [[org.queue.id]], 5, now, worker.id, now + dt.timedelta(minutes=1), {}
        )
        deleting = asyncio.create_task(delete_worker())
        await asyncio.sleep(0.5)
        assert not deleting.done()  # waits for the claim's transaction
    await asyncio.wait_for(deleting, 10)
    execution = await _execution(svc, execution_id)
    assert (execution.job_id, execution.worker_id) == (job_id, None)


async def test_claim_targets_report_the_worker_and_its_queues(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    await _enqueue(svc, org, 1)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    now = dt.datetime.now(dt.UTC)
    async with svc.write() as session:
        status, targets = await store_executions.claim_targets(
            session, org.organization.id, worker.id, now
        )
        missing = await store_executions.claim_targets(
            session, org.organization.id, uuid.uuid4(), now
        )
    assert status is WorkerStatus.ONLINE
    assert [(t.queue_id, bool(t.ready), bool(t.due)) for t in targets] == [
        (org.queue.id, True, False)
    ]
    assert missing == (None, [])


async def test_claim_targets_without_the_probe_report_running_queues_ready(
    svc: Any, org: Any
) -> None:
    """A claim that expects a backlog skips the ready probe: an empty queue is then
    reported ready (the claim finds nothing), a paused one still is not."""
    admin = admin_of(org)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    now = dt.datetime.now(dt.UTC)

    async def ready(probe: bool) -> bool:
        async with svc.write() as session:
            _, targets = await store_executions.claim_targets(
                session, org.organization.id, worker.id, now, probe
            )
        return bool(targets[0].ready)

    assert (await ready(True), await ready(False)) == (False, True)  # nothing enqueued
    assert await executions.claim(svc, admin, worker.id, None, 5, probe=False) == []
    await fleet.pause_queue(svc, admin, org.queue.id)
    assert (await ready(True), await ready(False)) == (False, False)


async def test_ack_rows_and_succeed(svc: Any, org: Any) -> None:
    _, claimed = await _claimed(svc, org, 2)
    ids = sorted(c.execution_id for c in claimed)
    now = dt.datetime.now(dt.UTC)
    async with svc.write() as session:
        rows = await store_executions.ack_rows(session, org.organization.id, ids)
        assert [r.id for r in rows] == ids  # in execution id order
        assert {(r.status, r.job_status) for r in rows} == {
            (ExecutionStatus.STARTED, JobStatus.PROCESSING)
        }
        assert await store_executions.ack_rows(session, uuid.uuid4(), ids) == []
        await store_executions.succeed(
            session, [(r.id, r.job_id, {"n": i} if i else None) for i, r in enumerate(rows)], now
        )
    async with svc.read() as session:
        done = {
            j.id: (j.status, j.output)
            for j in await session.scalars(select(Job).where(Job.id.in_([r.job_id for r in rows])))
        }
    assert done == {
        rows[0].job_id: (JobStatus.SUCCEEDED, None),
        rows[1].job_id: (JobStatus.SUCCEEDED, {"n": 1}),
    }


async def test_succeed_current_ends_only_current_attempts_of_the_tenant(svc: Any, org: Any) -> None:
    _, claimed = await _claimed(svc, org, 3)
    current, stale, foreign = (c.execution_id for c in claimed)
    jobs_of = {c.execution_id: c.job.id for c in claimed}
    now = dt.datetime.now(dt.UTC)
    async with svc.read() as session:
        started = {
            e: (await session.get(Job, j)).started_at  # type: ignore[union-attr]
            for e, j in jobs_of.items()
        }
    assert started[current] is not None
    async with svc.write() as session:  # the second job was cancelled meanwhile
        await session.execute(
            Job.__table__.update()
            .where(Job.id == jobs_of[stale])
            .values(status=JobStatus.CANCELLED)
        )
    async with svc.write() as session:
        assert (
            await store_executions.succeed_current(session, uuid.uuid4(), [(foreign, None)], now)
            == []
        )
        ended = await store_executions.succeed_current(
            session,
            org.organization.id,
            [(current, {"n": 1}), (stale, None), (uuid.uuid4(), None)],
            now,
        )
    assert ended == [
        Succeeded(
            current,
            jobs_of[current],
            org.organization.id,
            org.queue.id,
            org.project.id,
            "noop",
            None,
            started[current],  # when its job started (the run time it is counted with)
        )
    ]
    async with svc.read() as session:
        rows = {
            e.id: (e.status, j.status, j.output)
            for e, j in (
                await session.execute(
                    select(JobExecution, Job).join(Job, Job.id == JobExecution.job_id)
                )
            ).all()
        }
    assert rows == {
        current: (ExecutionStatus.SUCCEEDED, JobStatus.SUCCEEDED, {"n": 1}),
        stale: (ExecutionStatus.STARTED, JobStatus.CANCELLED, None),
        foreign: (ExecutionStatus.STARTED, JobStatus.PROCESSING, None),
    }


async def test_live_jobs_of_a_workflow(svc: Any, org: Any) -> None:
    wid = await _workflow(svc, org)
    async with svc.write() as session:
        assert await workflows.has_live_jobs(session, wid) is False
        jobs_, edges = await graph.graph_of_workflow(session, wid)
    assert (jobs_, edges) == ([], [])


async def test_an_insert_that_ignores_conflicts_changes_nothing(svc: Any, org: Any) -> None:
    """The store's insert_ignore skips a duplicate key (rate windows count once)."""
    window = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    async with svc.write() as session:
        assert await schedules.take_rate(session, org.organization.id, "t", window, 3, 5)
        assert not await schedules.take_rate(session, org.organization.id, "t", window, 3, 5)
        assert await schedules.take_rate_upto(session, org.organization.id, "t", window, 9, 5) == 2


async def test_outbox_append_marks_the_unit_and_writes_spans(svc: Any, org: Any) -> None:
    keys = [uuid.uuid4() for _ in range(3)]
    new = [events.ApiKeyCreated(org.organization.id, key) for key in keys]
    async with svc.write() as session:
        before = (await session.execute(select(func.max(Event.id)))).scalar() or 0
        await outbox.append(session, new)
        assert session.info[EVENTS_WRITTEN] is True
        rows = list(
            await session.execute(select(Event.span, Event.payload).where(Event.id > before))
        )
    # three events of one tenant, topic and type in a row: one row of span 3
    assert [(span, payload) for span, payload in rows] == [
        (3, [{"apiKeyId": str(key)} for key in keys])
    ]
