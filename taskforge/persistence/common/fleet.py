"""Projects, queues, workers and assignments as administration changes them: the
statements of project deletion, queue pause, worker deletion and pruning, and
assignments. Portable: the same on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import WorkerStatus
from taskforge.domain.jobs import ACTIVE
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    Job,
    JobDependency,
    JobQueue,
    Project,
    QueueWorkerAssignment,
    Worker,
    Workflow,
)


async def lock_project(
    session: AsyncSession, org_id: uuid.UUID, project_id: uuid.UUID
) -> Project | None:
    stmt = select(Project).where(Project.id == project_id, Project.organization_id == org_id)
    return await session.scalar(store_of(session).lock_row(stmt))


async def lock_queue(
    session: AsyncSession, org_id: uuid.UUID, queue_id: uuid.UUID
) -> JobQueue | None:
    stmt = select(JobQueue).where(JobQueue.id == queue_id, JobQueue.organization_id == org_id)
    return await session.scalar(store_of(session).lock_row(stmt))


async def project_queues(session: AsyncSession, project_id: uuid.UUID) -> list[JobQueue]:
    rows = await session.scalars(
        select(JobQueue).where(JobQueue.project_id == project_id).order_by(JobQueue.id)
    )
    return list(rows)


async def project_workflow_ids(session: AsyncSession, project_id: uuid.UUID) -> list[uuid.UUID]:
    return list(await session.scalars(select(Workflow.id).where(Workflow.project_id == project_id)))


async def any_unfinished(session: AsyncSession, queue_ids: Sequence[uuid.UUID]) -> bool:
    """Whether any of these queues holds a job that has not ended (one probe per queue)."""
    for queue_id in queue_ids:
        stmt = select(exists().where(Job.queue_id == queue_id, Job.status.in_(ACTIVE)))
        if await session.scalar(stmt):
            return True
    return False


async def children_outside(
    session: AsyncSession, queue_ids: Sequence[uuid.UUID], workflow_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Jobs outside these queues and workflows with an edge from a job inside them: the
    children a deletion of them must re-evaluate."""
    inside = select(Job.id).where(
        or_(Job.queue_id.in_(queue_ids), Job.workflow_id.in_(workflow_ids))
    )
    stmt = (
        select(JobDependency.child_job_id)
        .where(JobDependency.parent_job_id.in_(inside), JobDependency.child_job_id.not_in(inside))
        .distinct()
    )
    return list(await session.scalars(stmt))


async def detach_workers(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Workers first registered in the project outlive it: their project goes, not them
    (their assignments to its queues go with the queues)."""
    await session.execute(
        update(Worker).where(Worker.project_id == project_id).values(project_id=None)
    )


async def lock_worker(
    session: AsyncSession, org_id: uuid.UUID, worker_id: uuid.UUID
) -> Worker | None:
    stmt = select(Worker).where(Worker.id == worker_id, Worker.organization_id == org_id)
    return await session.scalar(store_of(session).lock_row(stmt))


async def delete_worker(session: AsyncSession, worker_id: uuid.UUID) -> None:
    """The worker and its assignments; its executions keep their history with no worker
    (the foreign key sets their worker_id to NULL)."""
    await session.execute(
        delete(QueueWorkerAssignment).where(QueueWorkerAssignment.worker_id == worker_id)
    )
    await session.execute(delete(Worker).where(Worker.id == worker_id))


async def assignment(
    session: AsyncSession, worker_id: uuid.UUID, queue_id: uuid.UUID
) -> QueueWorkerAssignment | None:
    return await session.get(QueueWorkerAssignment, (queue_id, worker_id))


async def prune_offline(session: AsyncSession, before: datetime, limit: int) -> list[Worker]:
    """Delete up to ``limit`` workers OFFLINE since before ``before`` (by their last
    heartbeat, through its index) with their assignments; returns them (id, tenant,
    name). Rows another transaction holds are skipped."""
    stale = (
        select(Worker.id, Worker.organization_id, Worker.name)
        .where(Worker.last_heartbeat < before, Worker.status == WorkerStatus.OFFLINE)
        .order_by(Worker.last_heartbeat)
        .limit(limit)
    )
    rows = list(await session.execute(store_of(session).lock_for_claim(stale)))
    ids = [r.id for r in rows]
    if ids:
        await session.execute(
            delete(QueueWorkerAssignment).where(QueueWorkerAssignment.worker_id.in_(ids))
        )
        await session.execute(delete(Worker).where(Worker.id.in_(ids)))
    return [Worker(id=r.id, organization_id=r.organization_id, name=r.name) for r in rows]
