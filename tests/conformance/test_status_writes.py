"""Set-based status writes of both stores change only rows in their transition's
sources (``domain.transitions``): a row in any other status is left as it was."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update

from taskforge.domain import transitions
from taskforge.domain.enums import ExecutionStatus, JobStatus, WorkerType
from taskforge.persistence.common import dependencies, jobs
from taskforge.persistence.common import executions as store_executions
from taskforge.persistence.tables import Job, JobExecution
from taskforge.services import executions, workers
from taskforge.services import jobs as job_service
from tests.conftest import admin_of

PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


async def _one_per_status(svc: Any, org: Any) -> dict[uuid.UUID, JobStatus]:
    """A job in every status, due (scheduled in the past), its dependencies met."""
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    created = await job_service.enqueue(svc, admin_of(org), [spec] * len(JobStatus))
    wanted = {job.id: status for job, status in zip(created, JobStatus, strict=True)}
    async with svc.write() as session:
        for job_id, status in wanted.items():
            await session.execute(
                update(Job).where(Job.id == job_id).values(status=status, scheduled_for=PAST)
            )
    return wanted


async def _statuses(svc: Any, ids: Any) -> dict[uuid.UUID, JobStatus]:
    async with svc.read() as session:
        rows = await session.execute(select(Job.id, Job.status).where(Job.id.in_(list(ids))))
        return {job_id: status for job_id, status in rows}


def _moved(before: dict[uuid.UUID, JobStatus], after: dict[uuid.UUID, JobStatus]) -> set[JobStatus]:
    return {before[j] for j in before if after[j] is not before[j]}


async def test_a_claim_takes_only_claimable_jobs(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    before = await _one_per_status(svc, org)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    # the claim promotes the due SCHEDULED job first, then claims it with the PENDING one
    claimed = await executions.claim(svc, admin, worker.id, None, 50)
    assert {before[c.job.id] for c in claimed} == transitions.CLAIMABLE | transitions.DUE
    after = await _statuses(svc, before)
    assert _moved(before, after) == transitions.CLAIMABLE | transitions.DUE


async def test_promotion_takes_only_due_jobs(svc: Any, org: Any) -> None:
    before = await _one_per_status(svc, org)
    async with svc.write() as session:
        promoted = await jobs.promote_due(session, [org.queue.id], dt.datetime.now(dt.UTC))
    assert {before[r.id] for r in promoted} == transitions.DUE
    assert _moved(before, await _statuses(svc, before)) == transitions.DUE


async def test_ending_not_started_jobs_leaves_started_and_ended_ones(svc: Any, org: Any) -> None:
    before = await _one_per_status(svc, org)
    now = dt.datetime.now(dt.UTC)
    async with svc.write() as session:
        ended = await dependencies.end_not_started(
            session, list(before), JobStatus.CANCELLED, "test", now
        )
    assert {before[r.id] for r in ended} == transitions.NOT_STARTED
    after = await _statuses(svc, before)
    assert _moved(before, after) == transitions.NOT_STARTED
    assert {after[j] for j in before if before[j] in transitions.NOT_STARTED} == {
        JobStatus.CANCELLED
    }


async def test_an_acknowledgement_leaves_a_cancelled_attempt_cancelled(svc: Any, org: Any) -> None:
    """The store's succeed is guarded by the transition's sources too: a job and attempt
    cancelled meanwhile stay CANCELLED even if a caller skipped its check."""
    admin = admin_of(org)
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    await job_service.enqueue(svc, admin, [spec] * 2)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    running, cancelled = await executions.claim(svc, admin, worker.id, None, 2)
    async with svc.write() as session:
        await session.execute(
            update(Job).where(Job.id == cancelled.job.id).values(status=JobStatus.CANCELLED)
        )
        await session.execute(
            update(JobExecution)
            .where(JobExecution.id == cancelled.execution_id)
            .values(status=ExecutionStatus.CANCELLED)
        )
    now = dt.datetime.now(dt.UTC)
    for output in (None, {"n": 1}):  # both paths: shared statement, per-row outputs
        async with svc.write() as session:
            await store_executions.succeed(
                session,
                [(c.execution_id, c.job.id, output) for c in (running, cancelled)],
                now,
            )
    async with svc.read() as session:
        jobs_ = dict(
            (
                await session.execute(
                    select(Job.id, Job.status).where(Job.id.in_([running.job.id, cancelled.job.id]))
                )
            ).all()
        )
        attempts = dict(
            (
                await session.execute(
                    select(JobExecution.job_id, JobExecution.status).where(
                        JobExecution.job_id.in_([running.job.id, cancelled.job.id])
                    )
                )
            ).all()
        )
    assert jobs_ == {running.job.id: JobStatus.SUCCEEDED, cancelled.job.id: JobStatus.CANCELLED}
    assert attempts == {
        running.job.id: ExecutionStatus.SUCCEEDED,
        cancelled.job.id: ExecutionStatus.CANCELLED,
    }


async def test_closing_open_attempts_leaves_history(svc: Any, org: Any) -> None:
    """Only the open attempt closes: a running one, or the latest one waiting for its
    retry; an earlier RETRYING attempt and every finished one stay as they are."""
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    created = await job_service.enqueue(svc, admin_of(org), [spec] * 2)
    now = dt.datetime.now(dt.UTC)
    history = [
        # (job, attempt, status, closed)
        (0, 1, ExecutionStatus.RETRYING, False),
        (0, 2, ExecutionStatus.STARTED, True),
        (1, 1, ExecutionStatus.FAILED, False),
        (1, 2, ExecutionStatus.SUCCEEDED, False),
        (1, 3, ExecutionStatus.RETRYING, True),
    ]
    ids: list[uuid.UUID] = []
    async with svc.write() as session:
        for job, attempt, status, _ in history:
            execution = JobExecution(
                id=uuid.uuid4(),
                organization_id=org.organization.id,
                job_id=created[job].id,
                status=status,
                attempt_number=attempt,
                started_at=now,
            )
            session.add(execution)
            ids.append(execution.id)
        await session.flush()
        await jobs.close_open_attempts(
            session, [j.id for j in created], ExecutionStatus.CANCELLED, now, "test"
        )
    async with svc.read() as session:
        found = dict(
            (
                await session.execute(
                    select(JobExecution.id, JobExecution.status).where(JobExecution.id.in_(ids))
                )
            ).all()
        )
    assert [found[i] for i in ids] == [
        ExecutionStatus.CANCELLED if closed else status for _, _, status, closed in history
    ]
    assert {status for _, _, status, closed in history if closed} <= transitions.OPEN
