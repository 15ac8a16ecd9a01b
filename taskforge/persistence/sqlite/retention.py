"""SQLite retention: the queues (for jobs) or projects (for workflows) one by one (no
LATERAL), each an index range scan."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskforge.domain.jobs import TERMINAL
from taskforge.persistence.common.workflows import LIVE_JOBS
from taskforge.persistence.tables import (
    EXPIRABLE_PREDICATE,
    WORKFLOW_EXPIRABLE_PREDICATE,
    Job,
    JobDependency,
    JobQueue,
    Project,
    Workflow,
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


async def expired_workflows(
    session: AsyncSession, now: datetime, default_days: float, limit: int
) -> list[uuid.UUID]:
    live = exists().where(Job.workflow_id == Workflow.id, Job.status.in_(LIVE_JOBS))
    longest = func.max(func.coalesce(JobQueue.retention_days, default_days))
    projects = await session.execute(
        select(Project.id, longest)
        .outerjoin(JobQueue, JobQueue.project_id == Project.id)
        .group_by(Project.id)
    )
    found: list[uuid.UUID] = []
    for project_id, days in list(projects):
        if len(found) >= limit:
            break
        cutoff = now - timedelta(days=days if days is not None else default_days)
        stmt = (
            select(Workflow.id)
            .where(
                Workflow.project_id == project_id,
                text(WORKFLOW_EXPIRABLE_PREDICATE),  # literal: the partial index's own terms
                Workflow.finished_at < cutoff,
                ~live,
            )
            .order_by(Workflow.finished_at)
            .limit(limit - len(found))
        )
        found += list(await session.scalars(stmt))
    return found
