"""Claims, executions and logs: the hot-path SQL of job execution.

The claim and the acknowledgement run on every job, so on PostgreSQL they are single
named statements sent straight to asyncpg (see ``database.driver_connection``); the
SQLAlchemy Core versions beside them are the portable path (SQLite) and the reference
for what the statements do.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    exists,
    insert,
    or_,
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
from taskforge.persistence import dialects
from taskforge.persistence.database import DriverRow, driver_connection, json_text
from taskforge.persistence.repos import jobs as jobs_repo
from taskforge.persistence.repos.jobs import JobRow
from taskforge.persistence.tables import (
    READY_PREDICATE,
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


class TargetRow(DriverRow):
    converters = {"worker_status": WorkerStatus}


class AckRow(DriverRow):
    converters = {"status": ExecutionStatus, "job_status": JobStatus}


_ONLINE_UNLESS_DRAINING = "CASE WHEN status = 'DRAINING' THEN status ELSE 'ONLINE' END"
# A claim is a sign of life, written at most once a second (the health timeout is tens of
# seconds): busy workers claim many times a second, and a claim that writes nothing else
# then commits no WAL.
BEAT_EVERY = timedelta(seconds=1)
# The claiming worker's status once its sign of life is recorded (a DRAINING worker stays
# DRAINING) and its queues, each with whether it has ready jobs (the ready index) and due
# SCHEDULED ones (the due index): without either there is nothing to claim, and promotion
# is skipped where none are due.
TARGETS_PG = f"""
WITH w AS (
    SELECT id, {_ONLINE_UNLESS_DRAINING} AS status FROM workers
    WHERE id = $2 AND organization_id = $1
), beat AS (
    UPDATE workers SET last_heartbeat = $3, status = {_ONLINE_UNLESS_DRAINING}
    WHERE id = (SELECT id FROM w)
        AND (last_heartbeat IS NULL OR last_heartbeat <= $4 OR status = 'OFFLINE')
)
SELECT w.status AS worker_status, a.queue_id, a.weight, a.is_active, q.priority, q.settings,
    EXISTS (
        SELECT 1 FROM jobs WHERE queue_id = a.queue_id AND {READY_PREDICATE}
        ORDER BY priority DESC, created_at LIMIT 1  -- the ready index, whatever the stats
    ) AS ready,
    EXISTS (
        SELECT 1 FROM jobs WHERE queue_id = a.queue_id AND status = 'SCHEDULED'
        AND scheduled_for <= $3
    ) AS due
FROM w
LEFT JOIN queue_worker_assignments a ON a.worker_id = w.id
LEFT JOIN job_queues q ON q.id = a.queue_id AND q.organization_id = $1
"""

# "Has this job an edge like ..." is a scalar subquery with LIMIT 1, not EXISTS: the
# planner may run an EXISTS as one hashed scan of every edge in that status (all
# tenants' pending edges, on each claim); a scalar subquery is always an index probe
# per row.
#
# Take up to $2 ready jobs of one group of queues (by the partial ready index, in claim
# order; SKIP LOCKED lets concurrent claimers pass each other), mark them PROCESSING and
# start one execution each. starts_edges: whether a job has PENDING outgoing PARALLEL
# edges, the only edges a start decides (a fan-out's parent skips the engine on claim).
CLAIM_PG = """
WITH picked AS (
    SELECT id FROM jobs
    WHERE queue_id {queues} AND {ready}
    ORDER BY priority DESC, created_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE jobs SET status = 'PROCESSING', attempts = attempts + 1, started_at = $3,
        updated_at = $3, status_reason = NULL
    WHERE id = ANY(ARRAY(SELECT id FROM picked))  -- by the primary key, never a scan
    RETURNING jobs.*
), started AS (
    INSERT INTO job_executions (id, organization_id, job_id, worker_id, status,
        attempt_number, started_at, lease_expires_at, deadline_at, created_at)
    SELECT gen_random_uuid(), c.organization_id, c.id, $4, 'STARTED', c.attempts, $3, $5,
        d.deadline, $3
    FROM claimed c
    LEFT JOIN unnest($6::uuid[], $7::timestamptz[]) AS d(queue_id, deadline)
        ON d.queue_id = c.queue_id
    RETURNING id, job_id
)
SELECT claimed.*, started.id AS execution_id, (
    SELECT true FROM job_dependencies e
    WHERE e.parent_job_id = claimed.id AND e.status = 'PENDING'
        AND e.dependency_type = 'PARALLEL'
    LIMIT 1
) IS NOT NULL AS starts_edges
FROM claimed JOIN started ON started.job_id = claimed.id
"""
# one queue: "= $1" walks the index in claim order; "= ANY" would sort every ready row
CLAIM_ONE_PG = CLAIM_PG.format(queues="= $1", ready=READY_PREDICATE)
CLAIM_ANY_PG = CLAIM_PG.format(queues="= ANY($1::uuid[])", ready=READY_PREDICATE)

# What an acknowledgement checks, with both rows locked.
ACK_ROWS_PG = """
SELECT e.id, e.status, e.job_id, j.status AS job_status, j.organization_id, j.queue_id,
    j.project_id, j.job_type, j.workflow_id
FROM job_executions e JOIN jobs j ON j.id = e.job_id
WHERE e.organization_id = $1 AND e.id = ANY($2::uuid[])
ORDER BY e.id FOR UPDATE OF e, j
"""

# Executions and their jobs SUCCEEDED, each with its output (JSON text or NULL).
SUCCEED_PG = """
WITH done AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS d(execution_id, job_id, output)
), executions AS (
    UPDATE job_executions SET status = 'SUCCEEDED', finished_at = $4,
        output = done.output::jsonb
    FROM done WHERE job_executions.id = done.execution_id
)
UPDATE jobs SET status = 'SUCCEEDED', finished_at = $4, updated_at = $4, error = NULL,
    output = done.output::jsonb
FROM done WHERE jobs.id = done.job_id
"""


async def claim_targets(
    session: AsyncSession, org_id: uuid.UUID, worker_id: uuid.UUID, now: datetime
) -> tuple[WorkerStatus | None, list[Any]]:
    """Record the claiming worker's sign of life (ONLINE unless DRAINING; at most once
    per ``BEAT_EVERY``); return its status (None: no such worker) and its assignments
    (queue_id, weight, is_active, priority, settings, ready, due).

    On PostgreSQL this commits on its own when it opens the unit of work: a sign of life
    need not wait for the claim, and a claim that finds nothing to do then costs one
    round trip (no BEGIN, no COMMIT, and no WAL unless the heartbeat was due).
    """
    driver = await driver_connection(session, standalone=True)
    if driver is not None:
        rows = TargetRow.all(
            await driver.fetch(TARGETS_PG, org_id, worker_id, now, now - BEAT_EVERY)
        )
        status = rows[0].worker_status if rows else None
        return status, [r for r in rows if r.queue_id is not None]
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
    due = exists().where(
        JOBS.c.queue_id == ASSIGNMENTS.c.queue_id,
        text("status = 'SCHEDULED'"),
        JOBS.c.scheduled_for <= now,
    )
    stmt = (
        select(
            ASSIGNMENTS,
            QUEUES.c.priority,
            QUEUES.c.settings,
            ready.label("ready"),
            due.label("due"),
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
) -> list[tuple[Any, uuid.UUID, bool | None]]:
    """Take up to ``limit`` ready jobs, group by group (queues of equal rank), each group
    by job priority then age; they come back PROCESSING with their attempt counted and
    one STARTED execution each (``deadlines``: per queue).

    Returns (job row, execution id, whether the start decides edges: PENDING outgoing
    PARALLEL edges, or None if not known).
    Each claim walks the partial index of ready jobs in claim order, so its cost is the
    number of rows taken, not the number waiting.
    """
    driver = await driver_connection(session)
    claimed: list[tuple[Any, uuid.UUID, bool | None]] = []
    for group in queue_groups:
        remaining = limit - len(claimed)
        if remaining <= 0:
            break
        if driver is not None:
            sql, queues = (CLAIM_ONE_PG, group[0]) if len(group) == 1 else (CLAIM_ANY_PG, group)
            rows: list[Any] = JobRow.all(
                await driver.fetch(
                    sql,
                    queues,
                    remaining,
                    now,
                    worker_id,
                    lease_until,
                    list(deadlines),
                    list(deadlines.values()),
                )
            )
            started = [(r, r.execution_id, r.starts_edges) for r in rows]
        else:
            rows = await jobs_repo.claim_ready(session, group, remaining, now)
            ids = await _start_portable(session, rows, worker_id, now, lease_until, deadlines)
            started = [(r, e, None) for r, e in zip(rows, ids, strict=True)]
        started.sort(key=lambda c: (-c[0].priority, c[0].created_at))  # RETURNING has no order
        claimed += started
    return claimed


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


async def current_for_update(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[tuple[JobExecution, Job]]:
    """Executions with their jobs, locked (the ack path)."""
    stmt = (
        select(JobExecution, Job)
        .join(Job, Job.id == JobExecution.job_id)
        .where(JobExecution.organization_id == org_id, JobExecution.id.in_(execution_ids))
    )
    rows = await session.execute(dialects.of(session).lock_row(stmt))
    return [(e, j) for e, j in rows]


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
)


async def ack_rows(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """Just what an acknowledgement checks, with both rows locked (in execution id order,
    so two acknowledgements of overlapping batches, a retried one, cannot deadlock).
    Whether a job has PENDING outgoing edges is not read here: read in this statement,
    which may have waited for the locks, it could miss an edge committed meanwhile (a
    createDependency from the running job); the engine reads them in its own."""
    driver = await driver_connection(session)
    if driver is not None:
        return AckRow.all(await driver.fetch(ACK_ROWS_PG, org_id, list(execution_ids)))
    stmt = (
        select(*ACK_COLUMNS)
        .join(Job, Job.id == JobExecution.job_id)
        .where(JobExecution.organization_id == org_id, JobExecution.id.in_(execution_ids))
        .order_by(JobExecution.id)
    )
    return list(await session.execute(dialects.of(session).lock_row(stmt)))


async def succeed(
    session: AsyncSession, done: Sequence[tuple[uuid.UUID, uuid.UUID, Any]], now: datetime
) -> None:
    """(execution id, job id, output) triples: both rows SUCCEEDED, batched.

    Portable path: acks without output (the common case) share one UPDATE per table;
    the rest go as one executemany with per-row outputs.
    """
    if not done:
        return
    driver = await driver_connection(session)
    if driver is not None:
        await driver.execute(
            SUCCEED_PG,
            [e for e, _, _ in done],
            [j for _, j, _ in done],
            [None if out is None else json_text(out) for _, _, out in done],
            now,
        )
        return
    bare = [(e, j) for e, j, out in done if out is None]
    with_output = [(e, j, out) for e, j, out in done if out is not None]
    execution_done = {"status": ExecutionStatus.SUCCEEDED, "finished_at": now}
    job_done = {"status": JobStatus.SUCCEEDED, "finished_at": now, "updated_at": now, "error": None}
    if bare:
        await session.execute(
            update(EXECUTIONS)
            .where(EXECUTIONS.c.id.in_([e for e, _ in bare]))
            .values(**execution_done, output=None)
        )
        await session.execute(
            update(JOBS).where(JOBS.c.id.in_([j for _, j in bare])).values(**job_done, output=None)
        )
    if with_output:
        await session.execute(
            update(EXECUTIONS)
            .where(EXECUTIONS.c.id == bindparam("eid"))
            .values(**execution_done, output=bindparam("out")),
            [{"eid": e, "out": out} for e, _, out in with_output],
        )
        await session.execute(
            update(JOBS)
            .where(JOBS.c.id == bindparam("jid"))
            .values(**job_done, output=bindparam("out")),
            [{"jid": j, "out": out} for _, j, out in with_output],
        )


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
    rows = await session.execute(dialects.of(session).lock_for_claim(stmt, of=[JobExecution, Job]))
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
    session: AsyncSession, org_id: uuid.UUID, execution_id: uuid.UUID
) -> JobExecution | None:
    return await session.scalar(
        select(JobExecution).where(
            JobExecution.id == execution_id, JobExecution.organization_id == org_id
        )
    )


async def add_logs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ExecutionLog), rows)


async def logs_by_executions(
    session: AsyncSession, execution_ids: Sequence[uuid.UUID]
) -> list[ExecutionLog]:
    rows = await session.scalars(
        select(ExecutionLog)
        .where(ExecutionLog.execution_id.in_(execution_ids))
        .order_by(ExecutionLog.id)
    )
    return list(rows)
