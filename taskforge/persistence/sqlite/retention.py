"""SQLite retention: the queues one by one (no LATERAL), each an index range scan."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskforge.domain.jobs import TERMINAL
from taskforge.persistence.tables import (
    EXPIRABLE_PREDICATE,
    Job,
    JobDependency,
    JobQueue,
)


async def expired(
    session: AsyncSession, now: datetime, default_days: float, limit: int
) -> list[uuid.UUID]:
    other = aliased(Job, name="other")
    unfinished = other.status.not_in(list(TERMINAL))
    waiting_child = exists().where(
        JobDependency.parent_job_id == Job.id,
        other.id == JobDependency.child_job_id,
        unfinished,
    )
    waiting_parent = exists().where(
        JobDependency.child_job_id == Job.id,
        other.id == JobDependency.parent_job_id,
        unfinished,
    )
    found: list[uuid.UUID] = []
    queues = await session.execute(select(JobQueue.id, JobQueue.retention_days))
    for queue_id, days in list(queues):
        if len(found) >= limit:
            break
        cutoff = now - timedelta(days=days if days is not None else default_days)
        stmt = (
            select(Job.id)
            .where(
                Job.queue_id == queue_id,
                text(EXPIRABLE_PREDICATE),  # literal: the partial index's own terms
                Job.finished_at < cutoff,
                ~waiting_child,
                ~waiting_parent,
            )
            .order_by(Job.finished_at)
            .limit(limit - len(found))
        )
        found += list(await session.scalars(stmt))
    return found
