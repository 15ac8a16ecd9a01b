"""Job queues."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.jobs import ACTIVE
from taskforge.persistence.tables import Job, JobQueue


async def get(session: AsyncSession, org_id: uuid.UUID, queue_id: uuid.UUID) -> JobQueue | None:
    return await session.scalar(
        select(JobQueue).where(JobQueue.id == queue_id, JobQueue.organization_id == org_id)
    )


async def by_name(session: AsyncSession, project_id: uuid.UUID, name: str) -> JobQueue | None:
    return await session.scalar(
        select(JobQueue).where(JobQueue.project_id == project_id, JobQueue.name == name)
    )


async def by_ids(
    session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[JobQueue]:
    rows = await session.scalars(
        select(JobQueue).where(JobQueue.organization_id == org_id, JobQueue.id.in_(ids))
    )
    return list(rows)


async def by_projects(
    session: AsyncSession, org_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> list[JobQueue]:
    rows = await session.scalars(
        select(JobQueue)
        .where(JobQueue.organization_id == org_id, JobQueue.project_id.in_(project_ids))
        .order_by(JobQueue.name)
    )
    return list(rows)


def listing(org_id: uuid.UUID, project_id: uuid.UUID | None) -> Select[JobQueue]:
    stmt = select(JobQueue).where(JobQueue.organization_id == org_id)
    if project_id is not None:
        stmt = stmt.where(JobQueue.project_id == project_id)
    return stmt


async def has_active_jobs(session: AsyncSession, queue_id: uuid.UUID) -> bool:
    stmt = select(exists().where(Job.queue_id == queue_id, Job.status.in_(ACTIVE)))
    return bool(await session.scalar(stmt))
