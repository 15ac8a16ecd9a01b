"""Jobs: inserts, guarded status updates, listing, cascade delete."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.transitions import OPEN, STARTED
from taskforge.persistence.store import note_inserted, store_of
from taskforge.persistence.tables import (
    DUE_PREDICATE,
    ENDED_PREDICATE,
    READY_PREDICATE,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    Workflow,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]
# a time range's (inclusive start, exclusive end); None: unbounded on that side
Period = tuple[datetime | None, datetime | None]
QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]


async def insert_many(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Row[Any]]:
    """Insert and return the new rows, in the order given (no re-read)."""
    stmt = insert(JOBS).returning(*JOBS.c, sort_by_parameter_order=True)
    inserted = list(await session.execute(stmt, rows))
    note_inserted(session, "jobs", len(inserted))
    return inserted


# what a job added to a running workflow is written with (``insert_added``); the flow
# columns may be absent (no key, round-robin position 0)
ADDED_COLUMNS = (
    "id",
    "organization_id",
    "project_id",
    "queue_id",
    "workflow_id",
    "name",
    "job_type",
    "payload",
    "priority",
    "max_attempts",
    "status",
    "dependency_status",
    "attempts",
    "created_at",
    "updated_at",
    "trace_context",
    "map_parent_id",
    "map_index",
)
FLOW_DEFAULTS: dict[str, Any] = {
    "concurrency_key": None,
    "concurrency_max": None,
    "rate_key": None,
    "rate_limit": None,
    "rate_period": None,
    "fair_seq": 0,
}


async def insert_added(
    session: AsyncSession, rows: list[dict[str, Any]], shared: Mapping[str, Any] | None = None
) -> None:
    """Insert jobs added to a running workflow (``Store.jobs.insert_added``)."""
    if rows:
        await store_of(session).jobs.insert_added(session, rows, shared)


async def insert_in_queues(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    """Insert job rows into the organization's queues, each with its queue's project;
    returns the new rows (every job column) in the order given. Rows whose queue is
    not one of the organization's are left out, and so are rows of queues with flow
    control (services/flow writes theirs)."""
    return await store_of(session).jobs.insert_in_queues(session, org_id, rows)


async def insert_rows(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    """Insert job rows of queues the caller checked, with their projects and flow-control
    columns (``Store.jobs.insert_rows``); returns them in the order given."""
    return await store_of(session).jobs.insert_rows(session, org_id, rows)


async def promote_due(
    session: AsyncSession, queue_ids: Sequence[uuid.UUID], now: datetime
) -> list[Row[Any]]:
    """SCHEDULED jobs whose time has come become PENDING (by the due index)."""
    due = (
        select(JOBS.c.id)
        .where(
            JOBS.c.queue_id.in_(queue_ids),
            text(DUE_PREDICATE),
            JOBS.c.scheduled_for <= now,
        )
        .order_by(JOBS.c.scheduled_for)
        .limit(1000)
    )
    due = store_of(session).lock_for_claim(due, of=JOBS)
    stmt = (
        update(JOBS)
        .where(JOBS.c.id.in_(due.scalar_subquery()))
        .values(status=JobStatus.PENDING, updated_at=now)
        .returning(*JOBS.c)
    )
    return list(await session.execute(stmt))


async def claim_ready(
    session: AsyncSession,
    group: Sequence[uuid.UUID],
    limit: int,
    now: datetime,
    job_types: Sequence[str] | None = None,
) -> list[Row[Any]]:
    """The SQLite store's claim (sqlite/executions.claim): up to ``limit`` ready jobs of these
    queues (of ``job_types`` only, by the typed ready index, unless None), by the ready
    index in claim order, PROCESSING with their attempt counted."""
    picked = select(JOBS.c.id).where(JOBS.c.queue_id.in_(group), text(READY_PREDICATE))
    if job_types is not None:
        picked = picked.where(JOBS.c.job_type.in_(job_types))
    picked = picked.order_by(JOBS.c.priority.desc(), JOBS.c.fair_seq, JOBS.c.created_at)
    picked = picked.limit(limit)
    picked = store_of(session).lock_for_claim(picked, of=JOBS)
    stmt = (
        update(JOBS)
        .where(JOBS.c.id.in_(picked.scalar_subquery()))
        .values(
            status=JobStatus.PROCESSING,
            attempts=JOBS.c.attempts + 1,
            started_at=now,
            updated_at=now,
            status_reason=None,
        )
        .returning(*JOBS.c)
    )
    return list(await session.execute(stmt))


async def get(session: AsyncSession, org_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    return await session.scalar(select(Job).where(Job.id == job_id, Job.organization_id == org_id))


async def lock(session: AsyncSession, org_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    """The job, its row locked (FOR UPDATE): a claim, an acknowledgement or the reaper
    holding it is waited for, and what is read is what they committed."""
    stmt = select(Job).where(Job.id == job_id, Job.organization_id == org_id)
    return await session.scalar(store_of(session).lock_row(stmt))


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
    workflow_id: uuid.UUID | None = None,
    created: Period = (None, None),
    finished: Period = (None, None),
) -> Select[Job]:
    """The tenant's jobs matching every filter given; ``created`` and ``finished`` are
    [after, before) bounds (a finished bound leaves out jobs that have not ended). Paged
    on ``listing_key(finished)``.

    The indexes that serve it: the tenant's (organization_id, created_at, id), walked
    newest first; with a queue, (queue_id, created_at, id); with a finished bound, the
    tenant's (organization_id, finished_at, id) over the range asked for, the other
    filters checked on its rows (at most the tenant's jobs that ended in that range);
    with a workflow, its jobs through idx_jobs_workflow_status, then sorted (at most
    TASKFORGE_LIMIT_WORKFLOW_JOBS rows)."""
    if workflow_id is None:
        stmt = select(Job).where(Job.organization_id == org_id)
    else:
        # the tenant checked on the workflow, once (its jobs are its tenant's): with
        # organization_id = $1 on jobs, the planner could walk the tenant's created index
        # and filter, reading every newer job of the tenant before an old workflow's
        owned = select(Workflow.id).where(
            Workflow.id == workflow_id, Workflow.organization_id == org_id
        )
        stmt = select(Job).where(Job.workflow_id == workflow_id, owned.exists())
    if queue_id is not None:
        stmt = stmt.where(Job.queue_id == queue_id)
    if project_id is not None:
        stmt = stmt.where(Job.project_id == project_id)
    if statuses:
        stmt = stmt.where(Job.status.in_(list(statuses)))
    if job_type is not None:
        stmt = stmt.where(Job.job_type == job_type)
    if finished != (None, None):
        # stated: SQLite uses the partial index only so (a bound implies it in PostgreSQL)
        stmt = stmt.where(text(ENDED_PREDICATE))
    for column, (after, before) in ((Job.created_at, created), (Job.finished_at, finished)):
        if after is not None:
            stmt = stmt.where(column >= after)
        if before is not None:
            stmt = stmt.where(column < before)
    return stmt


def listing_key(finished: Period) -> Any:
    """The time a listing is paged on, newest first, with the id: finished_at when a
    finished bound is given (every job listed has one), else created_at."""
    return Job.created_at if finished == (None, None) else Job.finished_at


async def close_open_attempts(
    session: AsyncSession,
    job_ids: Sequence[uuid.UUID],
    status: ExecutionStatus,
    now: datetime,
    reason: str,
) -> None:
    """The open attempt of each job ends with ``status``: a running one (STARTED), or the
    latest one while it waits for its retry (RETRYING). Earlier attempts and finished ones
    are history and stay as they are; a RETRYING attempt keeps its error and end time."""
    if not job_ids:
        return
    newer = aliased(JobExecution)
    latest = (
        select(func.max(newer.attempt_number))
        .where(newer.job_id == JobExecution.job_id)
        .scalar_subquery()
    )
    await session.execute(
        update(JobExecution)
        .where(
            JobExecution.job_id.in_(list(job_ids)),
            or_(
                JobExecution.status.in_(STARTED),
                and_(
                    JobExecution.status.in_(OPEN - STARTED),
                    JobExecution.attempt_number == latest,
                ),
            ),
        )
        .values(
            status=status,
            finished_at=func.coalesce(
                JobExecution.finished_at, literal(now, JobExecution.finished_at.type)
            ),
            error=func.coalesce(JobExecution.error, reason),
        )
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
    # a deleted map template's children stay, as plain jobs: their implied edges into it
    # go as stored edges do
    await session.execute(
        update(Job)
        .where(Job.map_parent_id == job_id, Job.organization_id == org_id)
        .values(map_parent_id=None, map_index=None)
    )
    return children
