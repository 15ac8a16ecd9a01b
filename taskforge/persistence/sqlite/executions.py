"""SQLite executions: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    and_,
    bindparam,
    exists,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    ExecutionStatus,
    JobStatus,
    WorkerStatus,
)
from taskforge.domain.rows import Succeeded
from taskforge.domain.transitions import RUNNING, STARTED
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common.executions import ACK_COLUMNS, BEAT_EVERY
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    DUE_PREDICATE,
    READY_PREDICATE,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    Organization,
    QueueWorkerAssignment,
    Worker,
    status_in,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]


EXECUTIONS: Table = JobExecution.__table__  # type: ignore[assignment]

# an acknowledgement's guards, literal: the per-output path is an executemany, which
# takes no expanding IN parameter
_STARTED = text(status_in(STARTED))
_RUNNING = text(status_in(RUNNING))


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


WORKERS: Table = Worker.__table__  # type: ignore[assignment]


ASSIGNMENTS: Table = QueueWorkerAssignment.__table__  # type: ignore[assignment]


QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]
ORGANIZATIONS: Table = Organization.__table__  # type: ignore[assignment]


async def claim_targets(
    session: AsyncSession,
    org_id: uuid.UUID,
    worker_id: uuid.UUID,
    now: datetime,
    probe: bool = True,
    job_types: Sequence[str] | None = None,
) -> tuple[WorkerStatus | None, list[Any]]:
    worker = (
        await session.execute(
            select(WORKERS.c.status, WORKERS.c.last_heartbeat).where(
                WORKERS.c.id == worker_id, WORKERS.c.organization_id == org_id
            )
        )
    ).first()
    if worker is None:
        return None, []
    status = worker.status if worker.status is WorkerStatus.DRAINING else WorkerStatus.ONLINE
    beat = worker.last_heartbeat is None or worker.last_heartbeat <= now - BEAT_EVERY
    if beat or worker.status is not status:
        await session.execute(
            update(WORKERS)
            .where(WORKERS.c.id == worker_id)
            .values(last_heartbeat=now, status=status)
        )
    ready = exists().where(JOBS.c.queue_id == ASSIGNMENTS.c.queue_id, text(READY_PREDICATE))
    if job_types is not None:  # by the typed ready index
        ready = ready.where(JOBS.c.job_type.in_(job_types))
    due = exists().where(
        JOBS.c.queue_id == ASSIGNMENTS.c.queue_id,
        text(DUE_PREDICATE),
        JOBS.c.scheduled_for <= now,
    )
    # a paused queue, or any queue of a suspended or deleted organization, is neither
    # ready nor due
    live = exists().where(
        ORGANIZATIONS.c.id == org_id,
        ORGANIZATIONS.c.suspended_at.is_(None),
        ORGANIZATIONS.c.deleted_at.is_(None),
    )
    running = and_(QUEUES.c.paused_at.is_(None), live)
    stmt = (
        select(
            ASSIGNMENTS,
            QUEUES.c.priority,
            QUEUES.c.settings,
            QUEUES.c.flow_control,
            QUEUES.c.paused_at.is_not(None).label("paused"),
            (and_(running, ready) if probe else running).label("ready"),
            and_(running, due).label("due"),
        )
        .join(QUEUES, QUEUES.c.id == ASSIGNMENTS.c.queue_id)
        .where(ASSIGNMENTS.c.worker_id == worker_id, QUEUES.c.organization_id == org_id)
    )
    return status, list(await session.execute(stmt))


async def claim(
    session: AsyncSession,
    queue_groups: Sequence[Sequence[uuid.UUID]],
    limit: int,
    now: datetime,
    worker_id: uuid.UUID,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
    job_types: Sequence[str] | None = None,
    parents: bool = False,  # read by the caller here, in a statement of its own
) -> list[tuple[Any, uuid.UUID, bool | None]]:
    claimed: list[tuple[Any, uuid.UUID, bool | None]] = []
    for group in queue_groups:
        remaining = limit - len(claimed)
        if remaining <= 0:
            break
        rows = await jobs_repo.claim_ready(session, group, remaining, now, job_types)
        ids = await _start_portable(session, rows, worker_id, now, lease_until, deadlines)
        started = [(r, e, None) for r, e in zip(rows, ids, strict=True)]
        # RETURNING has no order
        started.sort(key=lambda c: (-c[0].priority, c[0].fair_seq, c[0].created_at))
        claimed += started
    return claimed


async def ack_rows(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[Any]:
    stmt = (
        select(*ACK_COLUMNS)
        .join(Job, Job.id == JobExecution.job_id)
        .where(JobExecution.organization_id == org_id, JobExecution.id.in_(execution_ids))
        .order_by(JobExecution.id)
    )
    return list(await session.execute(store_of(session).lock_row(stmt)))


async def succeed_current(
    session: AsyncSession,
    org_id: uuid.UUID,
    items: Sequence[tuple[uuid.UUID, Any]],
    now: datetime,
) -> list[Succeeded]:
    outputs = dict(items)
    current = [
        r
        for r in await ack_rows(session, org_id, list(outputs))
        if r.status in STARTED and r.job_status in RUNNING
    ]
    await succeed(session, [(r.id, r.job_id, outputs[r.id]) for r in current], now)
    return [
        Succeeded(
            r.id,
            r.job_id,
            r.organization_id,
            r.queue_id,
            r.project_id,
            r.job_type,
            r.workflow_id,
            r.started_at,
            r.schedule_id,
        )
        for r in current
    ]


async def succeed(
    session: AsyncSession, done: Sequence[tuple[uuid.UUID, uuid.UUID, Any]], now: datetime
) -> None:
    if not done:
        return
    # acks without output (the common case) share one UPDATE per table; the rest go
    # as one executemany with per-row outputs
    bare = [(e, j) for e, j, out in done if out is None]
    with_output = [(e, j, out) for e, j, out in done if out is not None]
    execution_done = {"status": ExecutionStatus.SUCCEEDED, "finished_at": now}
    job_done = {"status": JobStatus.SUCCEEDED, "finished_at": now, "updated_at": now, "error": None}
    if bare:
        await session.execute(
            update(EXECUTIONS)
            .where(EXECUTIONS.c.id.in_([e for e, _ in bare]), _STARTED)
            .values(**execution_done, output=None)
        )
        await session.execute(
            update(JOBS)
            .where(JOBS.c.id.in_([j for _, j in bare]), _RUNNING)
            .values(**job_done, output=None)
        )
    if with_output:
        await session.execute(
            update(EXECUTIONS)
            .where(EXECUTIONS.c.id == bindparam("eid"), _STARTED)
            .values(**execution_done, output=bindparam("out")),
            [{"eid": e, "out": out} for e, _, out in with_output],
        )
        await session.execute(
            update(JOBS)
            .where(JOBS.c.id == bindparam("jid"), _RUNNING)
            .values(**job_done, output=bindparam("out")),
            [{"jid": j, "out": out} for _, j, out in with_output],
        )


async def _start_portable(
    session: AsyncSession,
    jobs: Sequence[Row[Any]],
    worker_id: uuid.UUID,
    now: datetime,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
) -> list[uuid.UUID]:
    """One STARTED execution per claimed job (a single multi-row INSERT)."""
    rows = [
        {
            "id": uuid.uuid4(),
            "organization_id": job.organization_id,
            "job_id": job.id,
            "worker_id": worker_id,
            "status": ExecutionStatus.STARTED,
            "attempt_number": job.attempts,
            "started_at": now,
            "lease_expires_at": lease_until,
            "deadline_at": deadlines.get(job.queue_id),
            "created_at": now,
        }
        for job in jobs
    ]
    if rows:
        await session.execute(insert(EXECUTIONS), rows)
    return [r["id"] for r in rows]
