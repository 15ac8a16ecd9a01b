"""Workers and their queue assignments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import ExecutionStatus, WorkerStatus
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    JobExecution,
    QueueWorkerAssignment,
    Subscription,
    Worker,
)


async def get(session: AsyncSession, org_id: uuid.UUID, worker_id: uuid.UUID) -> Worker | None:
    return await session.scalar(
        select(Worker).where(Worker.id == worker_id, Worker.organization_id == org_id)
    )


async def by_ids(
    session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Worker]:
    rows = await session.scalars(
        select(Worker).where(Worker.organization_id == org_id, Worker.id.in_(ids))
    )
    return list(rows)


def listing(org_id: uuid.UUID, statuses: Sequence[WorkerStatus] | None) -> Select[Worker]:
    stmt = select(Worker).where(Worker.organization_id == org_id)
    if statuses:
        stmt = stmt.where(Worker.status.in_(statuses))
    return stmt


async def lock_subscription(session: AsyncSession, org_id: uuid.UUID) -> Subscription | None:
    """Serialise quota checks of one organization (row lock; SQLite is already serial)."""
    stmt = select(Subscription).where(Subscription.organization_id == org_id)
    return await session.scalar(store_of(session).lock_row(stmt))


async def count_live(session: AsyncSession, org_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        Worker.organization_id == org_id, Worker.status != WorkerStatus.OFFLINE
    )
    return int(await session.scalar(stmt) or 0)


async def assignments(
    session: AsyncSession, worker_ids: Sequence[uuid.UUID]
) -> list[QueueWorkerAssignment]:
    rows = await session.scalars(
        select(QueueWorkerAssignment).where(QueueWorkerAssignment.worker_id.in_(worker_ids))
    )
    return list(rows)


async def serving(
    session: AsyncSession,
    org_id: uuid.UUID,
    queue_ids: Sequence[uuid.UUID],
    alive_after: datetime,
) -> list[tuple[uuid.UUID, list[str] | None]]:
    """(queue id, advertised job types or None for any) of each of the organization's
    online workers actively assigned to these queues (by the assignments' key)."""
    stmt = (
        select(QueueWorkerAssignment.queue_id, Worker.job_types)
        .join(Worker, Worker.id == QueueWorkerAssignment.worker_id)
        .where(
            QueueWorkerAssignment.queue_id.in_(queue_ids),
            QueueWorkerAssignment.is_active.is_(True),
            Worker.organization_id == org_id,
            Worker.status == WorkerStatus.ONLINE,
            Worker.last_heartbeat > alive_after,
        )
    )
    return [(q, types) for q, types in await session.execute(stmt)]


def lease_extension(worker_id: uuid.UUID, until: datetime) -> Update:
    """The worker's live executions' leases to ``until`` (idx_job_executions_live: its
    live ones only, however many it ran before). Rows another transaction holds are
    skipped, not waited for: an acknowledgement locks its executions in its own order,
    and a heartbeat waiting on one of them while holding another deadlocked with it.
    A held execution is being ended or reaped; if that rolls back, its lease still
    runs and the next heartbeat extends it."""
    live = (
        select(JobExecution.id)
        .where(JobExecution.worker_id == worker_id, JobExecution.status == ExecutionStatus.STARTED)
        # FOR NO KEY UPDATE: not skipping rows that inserting their logs key-share-locks;
        # SQLite has no row locks and renders none
        .with_for_update(skip_locked=True, key_share=True)
    )
    return (
        update(JobExecution)
        .where(JobExecution.id.in_(live.scalar_subquery()))
        .values(lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )


async def extend_leases(session: AsyncSession, worker_id: uuid.UUID, until: datetime) -> int:
    result = await session.execute(lease_extension(worker_id, until))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_silent_offline(session: AsyncSession, stale_before: datetime) -> list[Worker]:
    """Workers whose heartbeats stopped: OFFLINE (set-based, by the heartbeat index)."""
    rows = await session.execute(
        update(Worker)
        .where(Worker.status != WorkerStatus.OFFLINE, Worker.last_heartbeat < stale_before)
        .values(status=WorkerStatus.OFFLINE)
        .returning(Worker.id, Worker.organization_id)
    )
    return [Worker(id=r.id, organization_id=r.organization_id) for r in rows]


async def offline_ids(session: AsyncSession, org_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Worker.id).where(
            Worker.organization_id == org_id, Worker.status == WorkerStatus.OFFLINE
        )
    )
    return list(rows)
