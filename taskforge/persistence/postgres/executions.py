"""PostgreSQL executions: statements sent on the driver connection."""

from __future__ import annotations

import functools
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    ExecutionStatus,
    JobStatus,
    WorkerStatus,
    WorkflowStatus,
)
from taskforge.domain.rows import Succeeded
from taskforge.domain.transitions import RUNNING, STARTED
from taskforge.persistence.common.executions import BEAT_EVERY
from taskforge.persistence.common.workflows import decode_counts
from taskforge.persistence.postgres.driver import (
    DriverRow,
    JobRow,
    driver_connection,
    json_text,
    members,
)
from taskforge.persistence.store import WORKFLOW_STATES
from taskforge.persistence.tables import (
    DUE_PREDICATE,
    READY_PREDICATE,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    QueueWorkerAssignment,
    Worker,
    status_in,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]


EXECUTIONS: Table = JobExecution.__table__  # type: ignore[assignment]


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


WORKERS: Table = Worker.__table__  # type: ignore[assignment]


ASSIGNMENTS: Table = QueueWorkerAssignment.__table__  # type: ignore[assignment]


QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]


class TargetRow(DriverRow):
    converters = {"worker_status": members(WorkerStatus)}


class AckRow(DriverRow):
    converters = {"status": members(ExecutionStatus), "job_status": members(JobStatus)}


_ONLINE_UNLESS_DRAINING = "CASE WHEN status = 'DRAINING' THEN status ELSE 'ONLINE' END"


# The claiming worker's status once its sign of life is recorded (a DRAINING worker stays
# DRAINING) and its queues, each with whether it has ready jobs (the ready index) and due
# SCHEDULED ones (the due index): without either there is nothing to claim, and promotion
# is skipped where none are due. A paused queue is neither ready nor due (CASE: its
# indexes are not probed) and reports itself paused: the claim skips it. Without the
# probe ($5 false: a backlog is expected), a running queue is reported ready unprobed.
READY_PROBE = f"""EXISTS (
        SELECT 1 FROM jobs WHERE queue_id = a.queue_id AND {READY_PREDICATE}
        ORDER BY priority DESC, fair_seq, created_at LIMIT 1  -- the ready index, whatever the stats
    )"""
# a typed worker's probe: one probe of idx_jobs_ready_typed per type, never a row of
# another type (a scalar subquery in claim order: as an EXISTS or unordered, a plan
# expecting the types spread evenly may scan the queue's rows until one matches)
TYPED_READY_PROBE = f"""EXISTS (
        SELECT 1 FROM unnest($6::text[]) AS t(job_type) WHERE (
            SELECT true FROM jobs
            WHERE queue_id = a.queue_id AND job_type = t.job_type AND {READY_PREDICATE}
            ORDER BY priority DESC, fair_seq, created_at LIMIT 1
        )
    )"""
TARGETS_PG = f"""
WITH w AS (
    SELECT id, {_ONLINE_UNLESS_DRAINING} AS status FROM workers
    WHERE id = $2 AND organization_id = $1
), beat AS (
    UPDATE workers SET last_heartbeat = $3, status = {_ONLINE_UNLESS_DRAINING}
    WHERE id = (SELECT id FROM w)
        AND (last_heartbeat IS NULL OR last_heartbeat <= $4 OR status = 'OFFLINE')
), o AS (  -- a suspended or deleted organization's queues have nothing to claim
    SELECT suspended_at IS NULL AND deleted_at IS NULL AS live FROM organizations
    WHERE id = $1
)
SELECT w.status AS worker_status, a.queue_id, a.weight, a.is_active, q.priority, q.settings,
    q.flow_control, q.paused_at IS NOT NULL AS paused,
    CASE WHEN q.paused_at IS NULL AND (SELECT live FROM o) THEN CASE WHEN $5 THEN {{ready}}
    ELSE true END ELSE false END AS ready,
    CASE WHEN q.paused_at IS NULL AND (SELECT live FROM o) THEN EXISTS (
        SELECT 1 FROM jobs WHERE queue_id = a.queue_id AND {DUE_PREDICATE}
        AND scheduled_for <= $3
    ) ELSE false END AS due
FROM w
LEFT JOIN queue_worker_assignments a ON a.worker_id = w.id
LEFT JOIN job_queues q ON q.id = a.queue_id AND q.organization_id = $1
"""
UNTYPED_TARGETS_PG = TARGETS_PG.format(ready=READY_PROBE)
TYPED_TARGETS_PG = TARGETS_PG.format(ready=TYPED_READY_PROBE)


# parent_outputs (claims for a worker that asked for ctx.parents): a workflow job's
# parents' outputs by name, one index probe of its edges per job, in the claim's own
# statement rather than a read after it; none for a job without dependencies (NONE: a
# map's child, made after its template's parents ended)
PARENT_OUTPUTS = """CASE WHEN claimed.workflow_id IS NOT NULL
    AND claimed.dependency_status <> 'NONE' THEN coalesce((
    SELECT jsonb_object_agg(p.name, p.output)
    FROM job_dependencies e JOIN jobs p ON p.id = e.parent_job_id
    WHERE e.child_job_id = claimed.id AND e.organization_id = claimed.organization_id
        AND p.organization_id = claimed.organization_id AND p.name IS NOT NULL
), '{}') END"""


# a workflow's job counts, one sum per status (FILTER: an aggregate without a grouping)
_COUNTS = ", ".join(
    f"'{status}', sum(delta) FILTER (WHERE status = '{status}')" for status in JobStatus
)


# "Has this job an edge like ..." is a scalar subquery with LIMIT 1, not EXISTS: the
# planner may run an EXISTS as one hashed scan of every edge in that status (all
# tenants' pending edges, on each claim); a scalar subquery is always an index probe
# per row.
#
# Take up to $2 ready jobs of one group of queues (by the partial ready index, in claim
# order; SKIP LOCKED lets concurrent claimers pass each other), mark them PROCESSING and
# start one execution each (nothing if the worker is gone), whose id the update draws:
# the result is read from the update alone, not from a join of the two (which a generic
# plan, estimating 10 rows a side, may make a nested loop over every pair of the batch).
# starts_edges: whether a job has PENDING outgoing PARALLEL edges, the only edges a start
# decides (a fan-out's parent skips the engine on claim). workflow_state: the job's
# workflow's status and job counts as this statement found them (before its own claims,
# which the caller adds), read once per workflow: the status events of the claim carry
# them, without a read of their own per claim.
CLAIM_PG = """
WITH w AS (  -- the executions' worker: its deletion waits for this claim (no key checks)
    SELECT id FROM workers WHERE id = $4 FOR KEY SHARE
), picked AS (
{picked}
), claimed AS (
    UPDATE jobs SET status = '{processing}', attempts = attempts + 1, started_at = $3,
        updated_at = $3, status_reason = NULL
    WHERE id = ANY(ARRAY(SELECT id FROM picked))  -- by the primary key, never a scan
    RETURNING jobs.*, gen_random_uuid() AS execution_id
), started AS (  -- run though not read, as every data-modifying CTE
    INSERT INTO job_executions (id, organization_id, job_id, worker_id, status,
        attempt_number, started_at, lease_expires_at, deadline_at, created_at)
    SELECT c.execution_id, c.organization_id, c.id, $4, 'STARTED', c.attempts, $3, $5,
        d.deadline, $3
    FROM claimed c
    LEFT JOIN unnest($6::uuid[], $7::timestamptz[]) AS d(queue_id, deadline)
        ON d.queue_id = c.queue_id
), states AS MATERIALIZED (  -- once per workflow, by its primary key
    SELECT w.id, jsonb_build_array(w.status, coalesce(w.retained_counts::jsonb, (
        SELECT jsonb_build_object({counts}) FROM workflow_job_counts
        WHERE workflow_id = w.id
    ))) AS state
    FROM workflows w
    WHERE w.id = ANY(ARRAY(SELECT workflow_id FROM claimed WHERE workflow_id IS NOT NULL))
)
SELECT claimed.*, (
    SELECT true FROM job_dependencies e
    WHERE e.parent_job_id = claimed.id AND e.status = 'PENDING'
        AND e.dependency_type = 'PARALLEL'
    LIMIT 1
) IS NOT NULL AS starts_edges,
(SELECT s.state FROM states s WHERE s.id = claimed.workflow_id) AS workflow_state,
{parents} AS parent_outputs
FROM claimed
""".replace("{counts}", _COUNTS)


# The walk of a ready index that picks the jobs, in claim order ({columns}: what the
# statement reads of them; {types}: a condition on the job type).
WALK_PG = """    SELECT {columns} FROM jobs
    WHERE queue_id {queues}{types} AND {ready} AND EXISTS (SELECT 1 FROM w)
    ORDER BY priority DESC, fair_seq, created_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED"""


def _claim(queues: str, types: str = "", per_type: bool = False, parents: bool = False) -> str:
    walk = WALK_PG.format(
        columns="id, priority, fair_seq, created_at, ctid AS at" if per_type else "id",
        queues=queues,
        types=types,
        ready=READY_PREDICATE,
    )
    if per_type:
        # ctid: equal keys (an enqueue's batch shares its created_at) in the order the
        # index holds them, as a walk of one index returns them
        walk = (
            "    SELECT j.id FROM unnest($8::text[]) AS t(job_type) CROSS JOIN LATERAL (\n"
            f"{walk}\n    ) j\n"
            "    ORDER BY j.priority DESC, j.fair_seq, j.created_at, j.at LIMIT $2"
        )
    return CLAIM_PG.format(
        picked=walk,
        processing=JobStatus.PROCESSING,
        parents=PARENT_OUTPUTS if parents else "NULL::jsonb",
    )


@functools.cache
def claim_statement(several: bool, job_types: int | None, parents: bool) -> str:
    """The claim of one queue or several, of any type (None), of one type or several
    (1, 2), with the parents' outputs or without.

    One queue: "= $1" walks the index in claim order; "= ANY" would sort every ready row.
    """
    queues = "= ANY($1::uuid[])" if several else "= $1"
    if job_types is None:
        return _claim(queues, parents=parents)
    if job_types == 1:
        return _claim(queues, " AND job_type = $8", parents=parents)
    return _claim(queues, " AND job_type = t.job_type", per_type=True, parents=parents)


# Typed claims (the worker's handler types, $8) go by idx_jobs_ready_typed (queue, type,
# claim order): rows of other types are never read. One type: "= $8" walks the index in
# claim order as the untyped claim does. Several: each type's walk (a lateral subquery,
# so every plan, generic ones included, probes the index by queue and type) takes and
# locks up to $2 of its rows, and the first $2 of those in claim order are claimed. As
# "job_type = ANY($8)" the planner may rather walk idx_jobs_ready filtering on the
# types (expecting them spread evenly: it reads every row of other types queued ahead),
# or, generic, scan the table. The rows locked beyond the $2 claimed stay locked until
# the claim commits (concurrent claims skip them): a bounded cost, (types - 1) x $2 at
# most, that an untyped claim does not pay.
# (The claims without parents' outputs, keyed by (several queues, several types).)
CLAIM_TYPED_PG = {
    (several, multi): claim_statement(several, 2 if multi else 1, False)
    for several in (False, True)
    for multi in (False, True)
}
CLAIM_ONE_PG = claim_statement(False, None, False)
CLAIM_ANY_PG = claim_statement(True, None, False)


# What an acknowledgement checks, with both rows locked.
ACK_ROWS_PG = """
SELECT e.id, e.status, e.job_id, j.status AS job_status, j.organization_id, j.queue_id,
    j.project_id, j.job_type, j.workflow_id
FROM job_executions e JOIN jobs j ON j.id = e.job_id
WHERE e.organization_id = $1 AND e.id = ANY($2::uuid[])
ORDER BY e.id FOR UPDATE OF e, j
"""


# Executions and their jobs SUCCEEDED, each with its output (JSON text or NULL). The
# caller checked both statuses with the rows locked; the guards keep a row outside the
# transition's sources unchanged whatever the caller.
SUCCEED_PG = f"""
WITH done AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS d(execution_id, job_id, output)
), executions AS (
    UPDATE job_executions SET status = '{ExecutionStatus.SUCCEEDED}', finished_at = $4,
        output = done.output::jsonb
    FROM done WHERE job_executions.id = done.execution_id
        AND job_executions.{status_in(STARTED)}
)
UPDATE jobs SET status = '{JobStatus.SUCCEEDED}', finished_at = $4, updated_at = $4,
    error = NULL, output = done.output::jsonb
FROM done WHERE jobs.id = done.job_id AND jobs.{status_in(RUNNING)}
"""


async def claim_targets(
    session: AsyncSession,
    org_id: uuid.UUID,
    worker_id: uuid.UUID,
    now: datetime,
    probe: bool = True,
    job_types: Sequence[str] | None = None,
) -> tuple[WorkerStatus | None, list[Any]]:
    # committed on its own when it opens the unit of work: a sign of life need not wait
    # for the claim, and a claim that finds nothing costs one round trip (no BEGIN, no
    # COMMIT, and no WAL unless the heartbeat was due)
    driver = await driver_connection(session, standalone=True)
    args = (org_id, worker_id, now, now - BEAT_EVERY, probe)
    if job_types is None:
        rows = TargetRow.all(await driver.fetch(UNTYPED_TARGETS_PG, *args))
    else:
        rows = TargetRow.all(await driver.fetch(TYPED_TARGETS_PG, *args, list(job_types)))
    status = rows[0].worker_status if rows else None
    return status, [r for r in rows if r.queue_id is not None]


def workflow_states(session: AsyncSession, rows: list[Any]) -> None:
    """The claimed workflows' states as the claim left them: read before its own claims,
    each claimed job then counts PROCESSING rather than PENDING. Kept for the events
    recorded next (a later statement's state replaces an earlier one's)."""
    found = {r.workflow_id: r.workflow_state for r in rows if r.workflow_state is not None}
    # (each row carries its workflow's state: the last one read of each is decoded)
    if not found:
        return
    claimed = Counter(r.workflow_id for r in rows if r.workflow_id in found)
    known = session.info.setdefault(WORKFLOW_STATES, {})
    for workflow_id, raw in found.items():
        status, counts = json.loads(raw) if isinstance(raw, str) else raw
        per_status = decode_counts(counts) if counts is not None else {}
        n = claimed[workflow_id]
        per_status[JobStatus.PENDING] = per_status.get(JobStatus.PENDING, 0) - n
        per_status[JobStatus.PROCESSING] = per_status.get(JobStatus.PROCESSING, 0) + n
        known[workflow_id] = (
            WorkflowStatus(status),
            {s: count for s, count in per_status.items() if count},
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
    driver = await driver_connection(session)
    claimed: list[tuple[Any, uuid.UUID, bool | None]] = []
    typed: tuple[Any, ...] = ()
    if job_types is not None:  # one type bound as a scalar: the index walk in claim order
        typed = (job_types[0] if len(job_types) == 1 else list(job_types),)
    for group in queue_groups:
        remaining = limit - len(claimed)
        if remaining <= 0:
            break
        queues: Any = group[0] if len(group) == 1 else group
        kinds = None if job_types is None else len(job_types)
        sql = claim_statement(len(group) > 1, kinds if kinds is None else min(kinds, 2), parents)
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
                *typed,
            )
        )
        workflow_states(session, rows)
        started = [(r, r.execution_id, r.starts_edges) for r in rows]
        # RETURNING has no order
        started.sort(key=lambda c: (-c[0].priority, c[0].fair_seq, c[0].created_at))
        claimed += started
    return claimed


# Successes in one statement: each job still PROCESSING (or the like) whose execution is
# the tenant's and STARTED becomes SUCCEEDED, then that execution; both guards hold
# under concurrency because everything that ends an attempt locks the job first
# (cancel, the reaper, a failure's acknowledgement), which this statement's update of
# the job waits for and then re-checks. Returns what the events and the engine need,
# and how many executions changed (as many as jobs, always; the caller checks).
#
# Every row is reached by its primary key: the execution by a lateral probe (OFFSET 0,
# not flattened into a join), then the jobs and the executions to update by the arrays
# of their ids (never a scan of all executions), each taking its output (and a job its
# execution) from one object keyed by job, built once. No join remains for a plan to
# get wrong: joined to the batch instead, the generic plan of a prepared statement
# (estimating 10 rows a side) compared every row with every row of the batch, 250,000
# comparisons for 500 (100-200 ms, 4x the rest of the statement), and without
# statistics it rescanned the batch for each job of the table. JSON null in that
# object is NULL: a NULL output is stored as the SQL NULL, never as the JSON "null".
# The status guards are written as expressions (`status || ''`) so that they cannot
# match the predicates of the partial indexes idx_job_executions_live and
# idx_jobs_processing: an ANALYZE taken while
# nothing ran (an idle moment, a fresh deployment) has those indexes look empty, and
# the planner then scanned the whole of each for every row of the batch, nested in
# one another (10 ms for an acknowledgement of 64 jobs with 64 live ones, 150 for 500).
SUCCEED_CURRENT_PG = f"""
WITH d AS (
    SELECT d.execution_id, d.output, e.job_id
    FROM unnest($2::uuid[], $3::text[]) AS d(execution_id, output)
    CROSS JOIN LATERAL (
        SELECT job_id FROM job_executions
        WHERE id = d.execution_id AND organization_id = $1
            AND {status_in(STARTED, "status || ''")}
        OFFSET 0
    ) AS e
), m AS (  -- by job: its execution and output
    SELECT jsonb_object_agg(job_id::text, jsonb_build_array(execution_id, output::jsonb))
        AS m
    FROM d
), j AS (
    UPDATE jobs SET status = '{JobStatus.SUCCEEDED}', finished_at = $4, updated_at = $4,
        error = NULL, output = NULLIF((SELECT m FROM m) -> jobs.id::text -> 1, 'null')
    WHERE jobs.id = ANY(ARRAY(SELECT job_id FROM d))
        AND {status_in(RUNNING, "jobs.status || ''")}
    RETURNING ((SELECT m FROM m) -> jobs.id::text ->> 0)::uuid AS execution_id,
        jobs.id AS job_id, jobs.organization_id, jobs.queue_id, jobs.project_id,
        jobs.job_type, jobs.workflow_id, jobs.started_at, jobs.schedule_id
), x AS (
    UPDATE job_executions SET status = '{ExecutionStatus.SUCCEEDED}', finished_at = $4,
        output = NULLIF((SELECT m FROM m) -> job_executions.job_id::text -> 1, 'null')
    WHERE job_executions.id = ANY(ARRAY(SELECT execution_id FROM j))
        AND {status_in(STARTED, "job_executions.status || ''")}
    RETURNING job_executions.id
)
SELECT j.execution_id, j.job_id, j.organization_id, j.queue_id, j.project_id, j.job_type,
    j.workflow_id, j.started_at, j.schedule_id, (SELECT count(*) FROM x) AS closed
FROM j
"""


async def succeed_current(
    session: AsyncSession,
    org_id: uuid.UUID,
    items: Sequence[tuple[uuid.UUID, Any]],
    now: datetime,
) -> list[Succeeded]:
    if not items:
        return []
    driver = await driver_connection(session)
    rows = await driver.fetch(
        SUCCEED_CURRENT_PG,
        org_id,
        [e for e, _ in items],
        [None if out is None else json_text(out) for _, out in items],
        now,
    )
    if rows and rows[0]["closed"] != len(rows):  # never: see SUCCEED_CURRENT_PG
        raise RuntimeError("a job succeeded without its execution; rolled back")
    return [Succeeded(*r[:9]) for r in rows]


async def ack_rows(
    session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
) -> list[Any]:
    driver = await driver_connection(session)
    return AckRow.all(await driver.fetch(ACK_ROWS_PG, org_id, list(execution_ids)))


async def succeed(
    session: AsyncSession, done: Sequence[tuple[uuid.UUID, uuid.UUID, Any]], now: datetime
) -> None:
    if not done:
        return
    driver = await driver_connection(session)
    await driver.execute(
        SUCCEED_PG,
        [e for e, _, _ in done],
        [j for _, j, _ in done],
        [None if out is None else json_text(out) for _, _, out in done],
        now,
    )
    return
