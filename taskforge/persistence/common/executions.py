"""Claims, executions and logs. The claim and the acknowledgement run on every job:
their statements are the store's (``postgres/executions``: single statements prepared
once per connection; ``sqlite/executions``: SQLAlchemy Core); the rest is portable.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Table,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    ExecutionStatus,
    JobStatus,
    WorkerStatus,
)
from taskforge.domain.rows import Succeeded
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    ExecutionLog,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    QueueWorkerAssignment,
    Worker,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]
EXECUTIONS: Table = JobExecution.__table__  # type: ignore[assignment]
EDGES: Table = JobDependency.__table__  # type: ignore[assignment]
WORKERS: Table = Worker.__table__  # type: ignore[assignment]
ASSIGNMENTS: Table = QueueWorkerAssignment.__table__  # type: ignore[assignment]
QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]


# A claim is a sign of life, written at most once a second (the health timeout is tens of
# seconds): busy workers claim many times a second, and a claim that writes nothing else
# then commits no WAL.
BEAT_EVERY = timedelta(seconds=1)


async def claim_targets(
    session: AsyncSession,
    org_id: uuid.UUID,
    worker_id: uuid.UUID,
    now: datetime,
    probe: bool = True,
    job_types: Sequence[str] | None = None,
) -> tuple[WorkerStatus | None, list[Any]]:
    """Record the claiming worker's sign of life (ONLINE unless DRAINING; at most once
    per ``BEAT_EVERY``); return its status (None: no such worker) and its assignments
    (rows with queue_id, weight, is_active, priority, settings, flow_control, ready,
    due). Without
    ``probe``, a queue that is not paused is reported ready without looking; with
    ``job_types``, ready means ready jobs of those types (a queue full of others is
    not ready for this worker).

    PostgreSQL commits this on its own when it opens the unit of work (a sign of life
    need not wait for the claim, and an empty claim costs one round trip); SQLite
    writes it in the unit of work. Either way it is written."""
    return await store_of(session).executions.claim_targets(
        session, org_id, worker_id, now, probe, job_types
    )


async def claim(
    session: AsyncSession,
    queue_groups: Sequence[Sequence[uuid.UUID]],
    limit: int,
    now: datetime,
    worker_id: uuid.UUID,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
    job_types: Sequence[str] | None = None,
    parents: bool = False,
) -> list[tuple[Any, uuid.UUID, bool | None]]:
    """Take up to ``limit`` ready jobs, group by group (queues of equal rank), each group
    by job priority then age; they come back PROCESSING with their attempt counted and
    one STARTED execution each (``deadlines``: per queue). ``job_types``: only jobs of
    these types, by the typed ready index (None: any type).

    Returns (job row with every job column, execution id, whether the start decides
    edges: PENDING outgoing PARALLEL edges; None where the store does not read it,
    SQLite, and the engine then looks). Two concurrent claims never take the same
    job: SKIP LOCKED on PostgreSQL, one writer at a time on SQLite. ``parents``: see
    ``Store.executions.claim``."""
    return await store_of(session).executions.claim(
        session, queue_groups, limit, now, worker_id, lease_until, deadlines, job_types, parents
    )


async def current_for_update(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[tuple[JobExecution, Job]]:
    """Executions with their jobs, locked (the ack path)."""
    stmt = (
        select(JobExecution, Job)
        .join(Job, Job.id == JobExecution.job_id)
        .where(JobExecution.organization_id == org_id, JobExecution.id.in_(execution_ids))
    )
    rows = await session.execute(store_of(session).lock_row(stmt))
    return [(e, j) for e, j in rows]


async def held_by(
    session: AsyncSession, org_id: uuid.UUID, worker_id: uuid.UUID
) -> list[tuple[Job, JobExecution]]:
    """The worker's live attempts (STARTED, their job PROCESSING), with their jobs, by
    the partial index of live attempts."""
    stmt = (
        select(Job, JobExecution)
        .join(Job, Job.id == JobExecution.job_id)
        .where(
            JobExecution.worker_id == worker_id,
            JobExecution.status == ExecutionStatus.STARTED,
            JobExecution.organization_id == org_id,
            Job.status == JobStatus.PROCESSING,
        )
        .order_by(JobExecution.started_at)
    )
    return [(j, e) for j, e in await session.execute(stmt)]


ACK_COLUMNS = (
    JobExecution.id,
    JobExecution.status,
    JobExecution.job_id,
    Job.status.label("job_status"),
    Job.organization_id,
    Job.queue_id,
    Job.project_id,
    Job.job_type,
    Job.workflow_id,
    Job.started_at,
    Job.schedule_id,
)


async def ack_rows(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """What an acknowledgement checks (id, status, job_id, job_status, organization_id,
    queue_id, project_id, job_type, workflow_id), in execution id order, with both
    rows locked (so two acknowledgements of overlapping batches cannot deadlock).
    Outgoing edges are not read here: this statement may have waited for the locks
    and could miss an edge committed meanwhile; the engine reads them itself."""
    return await store_of(session).executions.ack_rows(session, org_id, execution_ids)


async def succeed_current(
    session: AsyncSession,
    org_id: uuid.UUID,
    items: Sequence[tuple[uuid.UUID, Any]],
    now: datetime,
) -> list[Succeeded]:
    """(execution id, output) pairs: the tenant's STARTED executions whose jobs are
    running end SUCCEEDED with their jobs; returns those (the rest are unchanged)."""
    return await store_of(session).executions.succeed_current(session, org_id, items, now)


async def succeed(
    session: AsyncSession, done: Sequence[tuple[uuid.UUID, uuid.UUID, Any]], now: datetime
) -> None:
    """(execution id, job id, output) triples: both rows SUCCEEDED with that output,
    finished now, the job's error cleared; batched."""
    return await store_of(session).executions.succeed(session, done, now)


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
    rows = await session.execute(store_of(session).lock_for_claim(stmt, of=[JobExecution, Job]))
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
    session: AsyncSession, org_id: uuid.UUID, execution_id: uuid.UUID, *, lock: bool = False
) -> JobExecution | None:
    """``lock``: held until commit (FOR NO KEY UPDATE on PostgreSQL; SQLite's writes are
    serial already), so that writes about one execution commit in the order they began."""
    stmt = select(JobExecution).where(
        JobExecution.id == execution_id, JobExecution.organization_id == org_id
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    return await session.scalar(stmt)


async def add_logs(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the entries (at least one), in order; returns the last one's id."""
    ids = await session.scalars(
        insert(ExecutionLog).returning(ExecutionLog.id, sort_by_parameter_order=True), rows
    )
    return max(ids)


async def logs_after(
    session: AsyncSession, execution_id: uuid.UUID, after: int, limit: int
) -> list[ExecutionLog]:
    """An execution's entries after the id ``after``, oldest first (by its index)."""
    rows = await session.scalars(
        select(ExecutionLog)
        .where(ExecutionLog.execution_id == execution_id, ExecutionLog.id > after)
        .order_by(ExecutionLog.id)
        .limit(limit)
    )
    return list(rows)


async def live_of_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> list[JobExecution]:
    """The running attempts (STARTED) of these jobs of the tenant (by the job index)."""
    if not job_ids:
        return []
    rows = await session.scalars(
        select(JobExecution).where(
            JobExecution.organization_id == org_id,
            JobExecution.job_id.in_(job_ids),
            JobExecution.status == ExecutionStatus.STARTED,
        )
    )
    return list(rows)


async def cancelled_among(
    session: AsyncSession,
    org_id: uuid.UUID,
    worker_id: uuid.UUID,
    execution_ids: Sequence[uuid.UUID],
) -> list[uuid.UUID]:
    """Those of the worker's executions (by id) that were cancelled: what a heartbeat
    tells a worker to stop (a primary key probe each)."""
    if not execution_ids:
        return []
    rows = await session.scalars(
        select(JobExecution.id).where(
            JobExecution.id.in_(execution_ids),
            JobExecution.organization_id == org_id,
            JobExecution.worker_id == worker_id,
            JobExecution.status == ExecutionStatus.CANCELLED,
        )
    )
    return list(rows)


async def logs_by_executions(
    session: AsyncSession, execution_ids: Sequence[uuid.UUID]
) -> list[ExecutionLog]:
    rows = await session.scalars(
        select(ExecutionLog)
        .where(ExecutionLog.execution_id.in_(execution_ids))
        .order_by(ExecutionLog.id)
    )
    return list(rows)
