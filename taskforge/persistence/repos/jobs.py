"""Jobs: inserts, guarded status updates, listing, cascade delete."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import DependencyStatus, EdgeStatus, ExecutionStatus, JobStatus
from taskforge.persistence.tables import Job, JobDependency, JobExecution


async def insert_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(Job), rows)


async def get(session: AsyncSession, org_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    return await session.scalar(select(Job).where(Job.id == job_id, Job.organization_id == org_id))


async def by_ids(session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Job]:
    rows = await session.scalars(select(Job).where(Job.organization_id == org_id, Job.id.in_(ids)))
    return list(rows)


def listing(
    org_id: uuid.UUID,
    *,
    queue_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    statuses: Iterable[JobStatus] | None = None,
    job_type: str | None = None,
) -> Select[Job]:
    stmt = select(Job).where(Job.organization_id == org_id)
    if queue_id is not None:
        stmt = stmt.where(Job.queue_id == queue_id)
    if project_id is not None:
        stmt = stmt.where(Job.project_id == project_id)
    if statuses:
        stmt = stmt.where(Job.status.in_(list(statuses)))
    if job_type is not None:
        stmt = stmt.where(Job.job_type == job_type)
    return stmt


async def transition(
    session: AsyncSession,
    org_id: uuid.UUID,
    job_id: uuid.UUID,
    sources: Iterable[JobStatus],
    values: dict[str, Any],
) -> bool:
    """Compare-and-set: change the job only if its status is still one of ``sources``."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.organization_id == org_id, Job.status.in_(list(sources)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def end_live_executions(
    session: AsyncSession, job_id: uuid.UUID, status: ExecutionStatus, now: datetime, error: str
) -> None:
    await session.execute(
        update(JobExecution)
        .where(JobExecution.job_id == job_id, JobExecution.status == ExecutionStatus.STARTED)
        .values(status=status, finished_at=now, error=error)
        .execution_options(synchronize_session=False)
    )


async def delete_cascade(
    session: AsyncSession, org_id: uuid.UUID, job_id: uuid.UUID
) -> list[uuid.UUID]:
    """Delete a job with its edges (executions and logs go by foreign-key cascade).

    Returns the children whose incoming edges changed.
    """
    children = list(
        await session.scalars(
            select(JobDependency.child_job_id).where(JobDependency.parent_job_id == job_id)
        )
    )
    await session.execute(
        delete(JobDependency).where(
            (JobDependency.parent_job_id == job_id) | (JobDependency.child_job_id == job_id)
        )
    )
    await session.execute(delete(Job).where(Job.id == job_id, Job.organization_id == org_id))
    return children


async def release_waiting_children(session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
    """Children no longer waiting on any pending edge become SATISFIED (NONE if edgeless)."""
    if not child_ids:
        return
    has_edges = exists().where(JobDependency.child_job_id == Job.id)
    pending = exists().where(
        JobDependency.child_job_id == Job.id, JobDependency.status == EdgeStatus.PENDING
    )
    for target, edged in ((DependencyStatus.SATISFIED, True), (DependencyStatus.NONE, False)):
        await session.execute(
            update(Job)
            .where(
                Job.id.in_(child_ids),
                Job.dependency_status == DependencyStatus.WAITING,
                ~pending,
                has_edges if edged else ~has_edges,
            )
            .values(dependency_status=target)
            .execution_options(synchronize_session=False)
        )
