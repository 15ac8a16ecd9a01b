"""Claims, executions and logs: the hot-path SQL of job execution."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskforge.domain.enums import DependencyStatus, ExecutionStatus, JobStatus
from taskforge.persistence import dialects
from taskforge.persistence.tables import (
    ExecutionLog,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    QueueWorkerAssignment,
)

READY_DEPENDENCIES = (DependencyStatus.NONE, DependencyStatus.SATISFIED)


async def claim(
    session: AsyncSession,
    org_id: uuid.UUID,
    worker_id: uuid.UUID,
    queue_ids: Sequence[uuid.UUID],
    limit: int,
    now: datetime,
) -> list[Job]:
    """Lock up to ``limit`` claimable jobs of the worker's queues, best first.

    Order: queue priority, the worker's weight for the queue, job priority, age.
    SKIP LOCKED on PostgreSQL lets concurrent claimers pass each other's rows.
    """
    ready = or_(
        Job.status == JobStatus.PENDING,
        and_(Job.status == JobStatus.SCHEDULED, Job.scheduled_for <= now),
    )
    stmt = (
        select(Job)
        .join(JobQueue, JobQueue.id == Job.queue_id)
        .join(
            QueueWorkerAssignment,
            and_(
                QueueWorkerAssignment.queue_id == Job.queue_id,
                QueueWorkerAssignment.worker_id == worker_id,
            ),
        )
        .where(
            Job.organization_id == org_id,
            Job.queue_id.in_(queue_ids),
            ready,
            Job.dependency_status.in_(READY_DEPENDENCIES),
        )
        .order_by(
            JobQueue.priority.desc(),
            QueueWorkerAssignment.weight.desc(),
            Job.priority.desc(),
            Job.created_at,
        )
        .limit(limit)
    )
    stmt = dialects.of(session).lock_for_claim(stmt, of=Job)
    return list(await session.scalars(stmt))


async def start(
    session: AsyncSession,
    jobs: Sequence[Job],
    worker_id: uuid.UUID,
    now: datetime,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
) -> list[dict[str, Any]]:
    """Mark the locked jobs PROCESSING and insert one STARTED execution each.

    The jobs are the locked ORM rows: changing them in place flushes as one batched
    UPDATE and leaves them current, with no re-read.
    """
    for job in jobs:
        job.status, job.started_at, job.updated_at = JobStatus.PROCESSING, now, now
        job.attempts += 1
        job.status_reason = None
    await session.flush()
    rows = [
        {
            "id": uuid.uuid4(),
            "organization_id": job.organization_id,
            "job_id": job.id,
            "worker_id": worker_id,
            "status": ExecutionStatus.STARTED,
            "attempt_number": job.attempts,
            "started_at": now,
            "lease_expires_at": lease_until,
            "deadline_at": deadlines.get(job.id),
            "created_at": now,
        }
        for job in jobs
    ]
    if rows:
        await session.execute(insert(JobExecution), rows)
    return rows


async def current_for_update(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[tuple[JobExecution, Job]]:
    """Executions with their jobs, locked (the ack path)."""
    stmt = (
        select(JobExecution, Job)
        .join(Job, Job.id == JobExecution.job_id)
        .where(JobExecution.organization_id == org_id, JobExecution.id.in_(execution_ids))
    )
    rows = await session.execute(dialects.of(session).lock_row(stmt))
    return [(e, j) for e, j in rows]


async def expired(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[JobExecution, Job]]:
    """Live executions past their lease or deadline, locked, skipping rows in use."""
    stmt = (
        select(JobExecution, Job)
        .join(Job, Job.id == JobExecution.job_id)
        .where(
            JobExecution.status == ExecutionStatus.STARTED,
            or_(JobExecution.lease_expires_at < now, JobExecution.deadline_at < now),
        )
        .limit(limit)
    )
    rows = await session.execute(dialects.of(session).lock_for_claim(stmt, of=[JobExecution, Job]))
    return [(e, j) for e, j in rows]


async def latest(session: AsyncSession, job_id: uuid.UUID) -> JobExecution | None:
    return await session.scalar(
        select(JobExecution)
        .where(JobExecution.job_id == job_id)
        .order_by(JobExecution.attempt_number.desc(), JobExecution.created_at.desc())
        .limit(1)
    )


async def by_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> list[JobExecution]:
    rows = await session.scalars(
        select(JobExecution)
        .where(JobExecution.organization_id == org_id, JobExecution.job_id.in_(job_ids))
        .order_by(JobExecution.attempt_number)
    )
    return list(rows)


async def get(
    session: AsyncSession, org_id: uuid.UUID, execution_id: uuid.UUID
) -> JobExecution | None:
    return await session.scalar(
        select(JobExecution).where(
            JobExecution.id == execution_id, JobExecution.organization_id == org_id
        )
    )


async def add_logs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ExecutionLog), rows)


async def logs_by_executions(
    session: AsyncSession, execution_ids: Sequence[uuid.UUID]
) -> list[ExecutionLog]:
    rows = await session.scalars(
        select(ExecutionLog)
        .where(ExecutionLog.execution_id.in_(execution_ids))
        .order_by(ExecutionLog.id)
    )
    return list(rows)


async def processing_without_live_execution(session: AsyncSession, org_id: uuid.UUID) -> list[Job]:
    live = exists().where(
        JobExecution.job_id == Job.id, JobExecution.status == ExecutionStatus.STARTED
    )
    stmt = select(Job).where(
        Job.organization_id == org_id, Job.status == JobStatus.PROCESSING, ~live
    )
    return list(await session.scalars(dialects.of(session).lock_row(stmt)))


async def live_without_worker(
    session: AsyncSession, org_id: uuid.UUID, offline_worker_ids: Sequence[uuid.UUID]
) -> list[tuple[JobExecution, Job]]:
    """Live executions whose worker is gone (deleted) or OFFLINE."""
    stmt = (
        select(JobExecution, Job)
        .join(Job, Job.id == JobExecution.job_id)
        .where(
            JobExecution.organization_id == org_id,
            JobExecution.status == ExecutionStatus.STARTED,
            or_(JobExecution.worker_id.is_(None), JobExecution.worker_id.in_(offline_worker_ids)),
        )
    )
    rows = await session.execute(dialects.of(session).lock_row(stmt))
    return [(e, j) for e, j in rows]


async def dangling_edges(session: AsyncSession, org_id: uuid.UUID) -> list[uuid.UUID]:
    """Edges whose parent or child no longer exists, deleted; returns their ids."""
    parent, child = aliased(Job), aliased(Job)
    ids = list(
        await session.scalars(
            select(JobDependency.id)
            .outerjoin(parent, parent.id == JobDependency.parent_job_id)
            .outerjoin(child, child.id == JobDependency.child_job_id)
            .where(
                JobDependency.organization_id == org_id,
                or_(parent.id.is_(None), child.id.is_(None)),
            )
        )
    )
    if ids:
        await session.execute(delete(JobDependency).where(JobDependency.id.in_(ids)))
    return ids
