"""Job administration: the bulk operations' batches (keyset on (created_at, id), served
by ``idx_jobs_org_created``), guarded set-based cancels, locked reads of several jobs,
and an execution's logs by page."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus, LogLevel
from taskforge.domain.transitions import JOBS as JOB_MACHINE
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import ExecutionLog, Job

JOBS: Table = Job.__table__  # type: ignore[assignment]
# cancel: -> CANCELLED from these (the WHERE of the set-based cancel)
CANCELLABLE = JOB_MACHINE.sources(JobStatus.CANCELLED)


def matching(
    org_id: uuid.UUID,
    *,
    statuses: Collection[JobStatus],
    queue_id: uuid.UUID | None = None,
    job_type: str | None = None,
    workflow_id: uuid.UUID | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> Select[Any]:
    """The tenant's jobs matching a bulk filter, in these statuses (keyset columns)."""
    stmt: Select[Any] = select(Job.id, Job.created_at, Job.status).where(  # type: ignore[assignment]
        Job.organization_id == org_id, Job.status.in_(list(statuses))
    )
    if queue_id is not None:
        stmt = stmt.where(Job.queue_id == queue_id)
    if job_type is not None:
        stmt = stmt.where(Job.job_type == job_type)
    if workflow_id is not None:
        stmt = stmt.where(Job.workflow_id == workflow_id)
    if created_after is not None:
        stmt = stmt.where(Job.created_at >= created_after)
    if created_before is not None:
        stmt = stmt.where(Job.created_at < created_before)
    return stmt


async def next_batch(
    session: AsyncSession,
    stmt: Select[Any],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[Any]]:
    """The next ``limit`` rows of ``stmt`` after the keyset position, oldest first,
    locked (FOR UPDATE on PostgreSQL: a claim or an acknowledgement holding one is
    waited for; rows are taken only for this short transaction)."""
    if after is not None:
        at, ident = after
        # the redundant bound is what an index range can start from (the OR is not):
        # without it every batch would scan the tenant's jobs from the oldest again
        stmt = stmt.where(
            Job.created_at >= at,
            or_(Job.created_at > at, and_(Job.created_at == at, Job.id > ident)),
        )
    stmt = stmt.order_by(Job.created_at, Job.id).limit(limit)
    return list(await session.execute(store_of(session).lock_row(stmt)))


async def lock_many(
    session: AsyncSession, org_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> list[Job]:
    """These jobs of the tenant, locked in id order (so two callers cannot deadlock)."""
    if not ids:
        return []
    stmt = select(Job).where(Job.organization_id == org_id, Job.id.in_(list(ids))).order_by(Job.id)
    return list(await session.scalars(store_of(session).lock_row(stmt)))


async def cancel_many(
    session: AsyncSession, ids: Sequence[uuid.UUID], reason: str, now: datetime
) -> list[Row[Any]]:
    """These jobs CANCELLED if they still may be (the table's sources); returns the
    changed rows (every job column)."""
    if not ids:
        return []
    stmt = (
        update(JOBS)
        .where(JOBS.c.id.in_(list(ids)), JOBS.c.status.in_(CANCELLABLE))
        .values(status=JobStatus.CANCELLED, status_reason=reason, finished_at=now, updated_at=now)
        .returning(*JOBS.c)
    )
    return list(await session.execute(stmt))


def logs(execution_id: uuid.UUID, levels: Collection[LogLevel] | None) -> Select[Any]:
    stmt = select(ExecutionLog).where(ExecutionLog.execution_id == execution_id)
    if levels is not None:
        stmt = stmt.where(ExecutionLog.level.in_(list(levels)))
    return stmt


async def logs_page(
    session: AsyncSession, stmt: Select[Any], after: int | None, first: int
) -> tuple[list[ExecutionLog], bool]:
    """A page of log entries, oldest first (keyset on the entry id); whether more follow."""
    if after is not None:
        stmt = stmt.where(ExecutionLog.id > after)
    rows = list((await session.scalars(stmt.order_by(ExecutionLog.id).limit(first + 1))).all())
    return rows[:first], len(rows) > first


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)
