"""What the consistency repairs look for: jobs and executions a crash (or an older
version) left out of step, and edges whose jobs are gone. Reads per tenant, rows locked
for the repair."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.executions import DECIDED, OPEN
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, JobDependency, JobExecution


async def processing_without_live_execution(session: AsyncSession, org_id: uuid.UUID) -> list[Job]:
    live = exists().where(
        JobExecution.job_id == Job.id, JobExecution.status == ExecutionStatus.STARTED
    )
    # a running workflow job has no attempt: its child run is what runs
    stmt = select(Job).where(
        Job.organization_id == org_id,
        Job.status == JobStatus.PROCESSING,
        Job.job_type != WORKFLOW_JOB_TYPE,
        ~live,
    )
    return list(await session.scalars(store_of(session).lock_row(stmt)))


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
    rows = await session.execute(store_of(session).lock_row(stmt))
    return [(e, j) for e, j in rows]


async def decided_with_open_attempt(
    session: AsyncSession, org_id: uuid.UUID
) -> list[tuple[JobExecution, Job]]:
    """Cancelled or skipped jobs whose latest execution is still open (STARTED, or
    RETRYING), with that execution; both locked."""
    newer = aliased(JobExecution)
    latest = (
        select(func.max(newer.attempt_number))
        .where(newer.job_id == JobExecution.job_id)
        .scalar_subquery()
    )
    stmt = (
        select(JobExecution, Job)
        .join(Job, Job.id == JobExecution.job_id)
        .where(
            Job.organization_id == org_id,
            Job.status.in_(DECIDED),
            JobExecution.status.in_(OPEN),
            JobExecution.attempt_number == latest,
        )
    )
    rows = await session.execute(store_of(session).lock_row(stmt))
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
