"""PostgreSQL dependencies: statements sent on the driver connection."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import (
    Table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.dependencies import (
    RELEASED_WHEN_ALL_RESOLVED,
    SKIPPED_BY_OPERATOR,
    EdgeRule,
    evaluate_edge,
    mapped_edge,
)
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    FailurePolicy,
    JobStatus,
    TriggerRule,
)
from taskforge.domain.rows import PendingEdge, Released
from taskforge.domain.transitions import NOT_STARTED
from taskforge.persistence.common.dependencies import ENGINE_COLUMNS
from taskforge.persistence.postgres.driver import JobRow, driver_connection, integrity_error
from taskforge.persistence.store import note_inserted
from taskforge.persistence.tables import Job, JobDependency, status_in

JOBS: Table = Job.__table__  # type: ignore[assignment]


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


# PostgreSQL: a workflow's edges in one statement, one array per column (an executemany
# sent a statement per edge: 19,996 for a 10,000-job fan-out and fan-in)
INSERT_EDGES_PG = """
INSERT INTO job_dependencies (id, organization_id, parent_job_id, child_job_id,
    dependency_type, condition, expression, status, created_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
    $6::text[], $7::text[], $8::text[], $9::timestamptz[])
"""


_EDGE_COLUMNS = (
    "id",
    "organization_id",
    "parent_job_id",
    "child_job_id",
    "dependency_type",
    "condition",
    "expression",
    "status",
    "created_at",
)


PENDING_OUT_PG = """
SELECT id, parent_job_id, child_job_id, dependency_type, condition, expression
FROM job_dependencies WHERE parent_job_id = ANY($1::uuid[]) AND status = 'PENDING'
"""


SET_STATUS_PG = """
UPDATE job_dependencies SET status = $2, resolved_at = $3, resolved_by = $4
WHERE id = ANY($1::uuid[]) AND status = 'PENDING'
"""


def _status_rules() -> str:
    """evaluate_edge as a JSON object, for the edges it decides by the parent's status
    alone (no expression): "TYPE CONDITION PARENT_STATUS" -> edge status."""
    rules = {
        f"{t.value} {c.value} {s.value}": out.value
        for t in DependencyType
        for c in DependencyCondition
        for s in JobStatus
        if (out := evaluate_edge(EdgeRule(t, c), s)) is not EdgeStatus.PENDING
    }
    return json.dumps(rules, sort_keys=True)


# Children about to be decided, locked in id order: two parents of one child ending in
# two transactions at once each see the other's edge still PENDING unless the second
# waits for the first to commit before reading the edges. Only children that have not
# started can still change (a started one's ack holds its row, so it is not waited for).
# NO KEY UPDATE, what an UPDATE of the row takes: it does not hold up inserts of edges
# or executions that reference the job.
LOCK_CHILDREN_PG = f"""
SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND {status_in(NOT_STARTED)}
ORDER BY id FOR NO KEY UPDATE
"""


# PostgreSQL, one statement per step of the engine: decides the parents' PENDING edges
# without an expression by the rules above (returning each child once), locks those
# children as LOCK_CHILDREN_PG does (the engine reads their edges in its next statement,
# which then sees what a previous holder committed: the lock needs no round trip of its
# own, one per acknowledgement of a fan-in's parents), and returns the PENDING edges
# with an expression, which need the parent's output and are evaluated in Python. Each
# parent's PENDING edges are read once (a lateral probe of its index; OFFSET 0 keeps
# the planner from flattening it into a scan of all pending edges), both kinds at once:
# a probe per kind read a fan-out root's 10,000 edges twice. The rule is a lookup, not
# a join: with the table's statistics stale or missing (a workflow created a moment
# ago), a join here was planned as a nested loop of every parent against every pending
# edge, 90 ms for an ack of 700 jobs. The update touches none of the edges returned,
# and the read sees the edges as they were before it. The children are locked by their
# primary key (ARRAY: never a scan of the workflow index for their status). Then (the
# count of the children's lock read first: children before workflows, the engine's
# order) the workflows $4 the caller will refresh, which saves that refresh its own
# locking round trip. A mapped child that ended decides its template as an edge would
# (the edge is implied, no row: see services/mapping), so the templates of the parents
# that ended ($5: those of the parents that may be, ended and in a workflow) are
# returned and locked with the children.
DECIDE_PG = f"""
WITH pending AS MATERIALIZED (
    SELECT d.id, d.parent_job_id, d.child_job_id, d.dependency_type, d.condition,
        d.expression, p.status AS parent_status
    FROM unnest($1::uuid[], $2::text[]) AS p(id, status)
    CROSS JOIN LATERAL (
        SELECT id, parent_job_id, child_job_id, dependency_type, condition, expression
        FROM job_dependencies WHERE parent_job_id = p.id AND status = 'PENDING'
        OFFSET 0
    ) AS d
), decided AS (
    UPDATE job_dependencies e SET status = x.outcome, resolved_at = $3,
        resolved_by = 'parent:' || x.parent_status
    FROM (
        SELECT id, parent_status, '{_status_rules()}'::jsonb
            ->> (dependency_type || ' ' || condition || ' ' || parent_status) AS outcome
        FROM pending WHERE expression IS NULL
    ) AS x
    WHERE e.id = x.id AND x.outcome IS NOT NULL
    RETURNING e.child_job_id
), mapped AS (
    SELECT DISTINCT map_parent_id AS child_job_id FROM jobs
    WHERE id = ANY($5::uuid[]) AND map_parent_id IS NOT NULL
), children AS (
    SELECT child_job_id FROM decided UNION SELECT child_job_id FROM mapped
), locked AS (
    SELECT id FROM jobs
    WHERE id = ANY(ARRAY(SELECT child_job_id FROM children))
        AND {status_in(NOT_STARTED)}
    ORDER BY id FOR NO KEY UPDATE
), flows AS (
    SELECT id FROM workflows
    WHERE id = ANY($4::uuid[]) AND (SELECT count(*) FROM locked) >= 0
    ORDER BY id FOR NO KEY UPDATE
)
SELECT child_job_id, NULL::uuid AS id, NULL::uuid AS parent_job_id,
    NULL AS dependency_type, NULL AS condition, NULL AS expression
FROM children
WHERE (SELECT count(*) FROM flows) >= 0  -- a CTE that is not read is not run
UNION ALL
SELECT child_job_id, id, parent_job_id, dependency_type, condition, expression
FROM pending WHERE expression IS NOT NULL
"""


def mapped_edge_sql(status: str, reason: str, workflow_id: str) -> str:
    """``domain.dependencies.mapped_edge`` as SQL: the state of a mapped child's implied
    edge from its ``status``, ``reason`` and its workflow's id (expressions). A FAILED
    child's waits for the operator under a MANUAL policy (its workflow's, read by key)."""
    cases = " ".join(
        f"WHEN '{job.value}' THEN '{mapped_edge(job).value}'"
        for job in JobStatus
        if job not in (JobStatus.SKIPPED, JobStatus.FAILED)
    )
    return (
        f"CASE WHEN {status} = 'SKIPPED' THEN CASE WHEN {reason} IS NOT DISTINCT FROM"
        f" '{SKIPPED_BY_OPERATOR}' THEN"
        f" '{mapped_edge(JobStatus.SKIPPED, SKIPPED_BY_OPERATOR).value}'"
        f" ELSE '{mapped_edge(JobStatus.SKIPPED).value}' END"
        f" WHEN {status} = 'FAILED' THEN CASE WHEN (SELECT w.failure_policy FROM workflows w"
        f" WHERE w.id = {workflow_id}) = '{FailurePolicy.MANUAL.value}'"
        f" THEN '{mapped_edge(JobStatus.FAILED, None, True).value}'"
        f" ELSE '{mapped_edge(JobStatus.FAILED).value}' END"
        f" ELSE CASE {status} {cases} END END"
    )


# A child's engine row and the edge statuses that decide it, in one statement of index
# probes (scalar subqueries, never hashed into a scan of all edges: see postgres/executions).
# The index on (child_job_id, status) is walked in status order, CANCELLED < FAILED <
# PENDING < RESOLVED: its first entry is the lowest status, the most decisive one under
# ALL_SUCCESS (NULL: no edges; RESOLVED: all resolved), except that FAILED outranks
# CANCELLED (one more probe then). One probe per child: a released child, whose edges are
# all RESOLVED, took two (a probe below RESOLVED, then one for any edge), 20,000 for a
# fan-out's release. Another trigger rule reads which statuses are present (``present``:
# the lowest, then a probe for each status above it), a probe per status, never a count.
# A map template that has expanded (map_count set) reads the statuses present always:
# its edges' and its children's implied edges' (mapped_edge_sql): the children's statuses
# are walked as the edges' are, a probe of idx_jobs_map_children for the lowest status
# above the last one found (ORDER BY ... LIMIT 1: an equality on the status, as in
# EXISTS, was planned as a scan of every child when the statistics saw many); only
# SKIPPED children are read one by one (for their reason: skipped by the operator, or
# not). ``resolved`` is then whether all are RESOLVED (DECIDE_CHILDREN_PG's release).
CHILDREN_PG = """
SELECT {columns},
    CASE WHEN j.map_count IS NULL AND s.low < 'RESOLVED' THEN s.low END AS first,
    CASE WHEN j.map_count IS NOT NULL THEN m.present = ARRAY['RESOLVED']
        WHEN s.low IS NULL OR s.low >= 'RESOLVED' THEN s.low IS NOT NULL END AS resolved,
    CASE WHEN j.map_count IS NULL AND s.low = 'CANCELLED' THEN (
        SELECT true FROM job_dependencies e
        WHERE e.child_job_id = j.id AND e.status = 'FAILED' LIMIT 1
    ) IS NOT NULL END AS failed,
    CASE WHEN j.map_count IS NOT NULL THEN m.present
        WHEN j.trigger_rule <> '{default}' AND s.low IS NOT NULL THEN ARRAY[s.low::text] || ARRAY(
        SELECT v.status FROM unnest(ARRAY[{statuses}]) AS v(status)
        WHERE v.status > s.low AND EXISTS (
            SELECT FROM job_dependencies e WHERE e.child_job_id = j.id AND e.status = v.status
        )
    ) END AS present
FROM jobs j LEFT JOIN LATERAL (
    SELECT e.status AS low FROM job_dependencies e
    WHERE e.child_job_id = j.id
    ORDER BY e.status LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    WITH RECURSIVE found(status) AS (
        (SELECT c.status FROM jobs c WHERE c.map_parent_id = j.id ORDER BY c.status LIMIT 1)
        UNION ALL
        SELECT (
            SELECT c.status FROM jobs c WHERE c.map_parent_id = j.id AND c.status > f.status
            ORDER BY c.status LIMIT 1
        ) FROM found f WHERE f.status IS NOT NULL
    )
    SELECT ARRAY(
        SELECT v.status FROM unnest(ARRAY[{statuses}]) AS v(status)
        WHERE EXISTS (
            SELECT FROM job_dependencies e WHERE e.child_job_id = j.id AND e.status = v.status
        )
        UNION
        SELECT {found} FROM found f WHERE f.status IS NOT NULL AND f.status <> 'SKIPPED'
        UNION
        SELECT {skipped} FROM jobs c WHERE c.map_parent_id = j.id AND c.status = 'SKIPPED'
            AND EXISTS (SELECT FROM found f WHERE f.status = 'SKIPPED')
        ORDER BY 1
    ) AS present
    WHERE j.map_count IS NOT NULL  -- a one-time filter: nothing read for other jobs
) m ON true
WHERE j.id = ANY($1::uuid[])
""".format(
    columns=", ".join(f"j.{c.name}" for c in ENGINE_COLUMNS),
    default=TriggerRule.ALL_SUCCESS.value,
    statuses=", ".join(f"'{status.value}'" for status in sorted(EdgeStatus)),
    found=mapped_edge_sql("f.status", "NULL", "j.workflow_id"),
    skipped=mapped_edge_sql("c.status", "c.status_reason", "j.workflow_id"),
)


def _deciding(record: Any) -> set[EdgeStatus]:
    if (present := record["present"]) is not None:
        return {EdgeStatus(status) for status in present}
    first = record["first"]
    if first is None:
        return {EdgeStatus.RESOLVED} if record["resolved"] else set()
    if record["failed"]:
        return {EdgeStatus.FAILED, EdgeStatus.CANCELLED}
    return {EdgeStatus(first)}


# the trigger rules that release a child whose edges are all RESOLVED ("{}": the alias)
_RELEASES = status_in(RELEASED_WHEN_ALL_RESOLVED, "{}trigger_rule")


# PostgreSQL, CHILDREN_PG and the commonest decision in one statement: children whose
# edges are all RESOLVED and whose rule then releases them (child_outcome: SATISFIED,
# nothing to end; ALL_FAILED and ONE_FAILED children are skipped instead) become SATISFIED here
# and come back as one row per (organization, project, queue, workflow, status) listing
# those not started: the PENDING ones are claimable now, the SCHEDULED ones at their start
# (their payload templates resolve now all the same); every other child comes back whole,
# with the statuses that decide it, for the engine. A fan-out's release of 10,000 children is then
# one statement returning one row, not 10,000 rows read and their ids sent back.
DECIDE_CHILDREN_PG = f"""
WITH state AS (
    {CHILDREN_PG.strip()}
), ready AS (
    UPDATE jobs SET dependency_status = 'SATISFIED', updated_at = $2
    FROM state s
    WHERE jobs.id = s.id AND s.first IS NULL AND s.resolved AND {_RELEASES.format("s.")}
        AND s.dependency_status <> 'SATISFIED'
    RETURNING jobs.id, jobs.organization_id, jobs.project_id, jobs.queue_id,
        jobs.workflow_id, jobs.status
)
SELECT *, NULL::uuid[] AS released FROM state
WHERE NOT (first IS NULL AND resolved AND {_RELEASES.format("")})
UNION ALL
SELECT NULL, organization_id, project_id, queue_id, workflow_id, NULL, status, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, array_agg(id)
FROM ready WHERE status IN ('PENDING', 'SCHEDULED')
GROUP BY organization_id, project_id, queue_id, workflow_id, status
"""


SET_DEPENDENCY_STATUS_PG = """
UPDATE jobs SET dependency_status = $2, updated_at = $3 WHERE id = ANY($1::uuid[])
"""


async def insert_edges(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    driver = await driver_connection(session)
    await session.flush()  # the jobs they reference
    columns = [[r[c] for r in rows] for c in _EDGE_COLUMNS]
    for text in columns[4:8]:  # enums as their stored names
        text[:] = [None if v is None else str(v) for v in text]
    try:
        await driver.execute(INSERT_EDGES_PG, *columns)
        note_inserted(session, "job_dependencies", len(rows))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise integrity_error(exc, INSERT_EDGES_PG) from exc


def _pending(records: list[Any]) -> list[PendingEdge]:
    return [
        PendingEdge(
            r["id"],
            r["parent_job_id"],
            r["child_job_id"],
            DependencyType(r["dependency_type"]),
            DependencyCondition(r["condition"]),
            r["expression"],
        )
        for r in records
    ]


async def pending_out(session: AsyncSession, parent_ids: Sequence[uuid.UUID]) -> list[PendingEdge]:
    if not parent_ids:
        return []
    driver = await driver_connection(session)
    await session.flush()  # the driver does not autoflush: edges added by this unit
    return _pending(await driver.fetch(PENDING_OUT_PG, list(parent_ids)))


async def decide(
    session: AsyncSession,
    parents: Sequence[tuple[uuid.UUID, JobStatus]],
    now: datetime,
    workflows: Iterable[uuid.UUID] = (),
    mapped: Iterable[uuid.UUID] = (),
) -> tuple[set[uuid.UUID], list[PendingEdge]]:
    ids = [p for p, _ in parents]
    driver = await driver_connection(session)
    await session.flush()
    statuses = [s.value for _, s in parents]
    rows = await driver.fetch(DECIDE_PG, ids, statuses, now, sorted(workflows), list(mapped))
    children = {r["child_job_id"] for r in rows if r["id"] is None}
    return children, _pending([r for r in rows if r["id"] is not None])


async def set_status(
    session: AsyncSession,
    edge_ids: Sequence[uuid.UUID],
    status: EdgeStatus,
    now: datetime,
    by: str,
) -> None:
    if not edge_ids:
        return
    driver = await driver_connection(session)
    await session.flush()
    await driver.execute(SET_STATUS_PG, list(edge_ids), status.value, now, by)
    return


async def lock_children(session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
    if child_ids:
        driver = await driver_connection(session)
        await session.flush()
        await driver.execute(LOCK_CHILDREN_PG, list(child_ids))


async def children_state(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any]]:
    ids = list(child_ids)
    if not ids:
        return {}, []
    driver = await driver_connection(session)
    await session.flush()  # the driver does not autoflush
    records = await driver.fetch(CHILDREN_PG, ids)
    present = {r["id"]: _deciding(r) for r in records}
    return present, JobRow.all(records)


async def decide_children(
    session: AsyncSession, child_ids: Iterable[uuid.UUID], now: datetime
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any], list[Released]]:
    driver = await driver_connection(session)
    ids = list(child_ids)
    if not ids:
        return {}, [], []
    await session.flush()
    records = await driver.fetch(DECIDE_CHILDREN_PG, ids, now)
    released = [
        Released(
            r["organization_id"],
            r["project_id"],
            r["queue_id"],
            r["workflow_id"],
            group,
            due=r["status"] == JobStatus.PENDING.value,
        )
        for r in records
        if (group := r["released"]) is not None
    ]
    rest = [r for r in records if r["released"] is None]
    return {r["id"]: _deciding(r) for r in rest}, JobRow.all(rest), released


async def set_dependency_status(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], status: DependencyStatus, now: datetime
) -> None:
    if not job_ids:
        return
    driver = await driver_connection(session)
    await session.flush()
    await driver.execute(SET_DEPENDENCY_STATUS_PG, list(job_ids), status.value, now)
