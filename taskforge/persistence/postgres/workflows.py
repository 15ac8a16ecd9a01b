"""PostgreSQL workflows: statements sent on the driver connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import FailurePolicy, JobStatus, WorkflowStatus
from taskforge.domain.rows import RefreshRow
from taskforge.persistence.common.workflows import LIVE_JOBS, decode_counts
from taskforge.persistence.postgres.driver import driver_connection, members

LIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)
STATUS = members(JobStatus)


# a claim of workflow jobs reads their parents' outputs: on the driver connection, where
# the same statement through SQLAlchemy cost 1 ms of CPU a claim (a chain's every step)
PARENTS_PG = """
SELECT e.child_job_id, p.name, p.status, p.output
FROM job_dependencies e JOIN jobs p ON p.id = e.parent_job_id
WHERE e.child_job_id = ANY($1::uuid[]) AND p.name IS NOT NULL
    AND ($2::uuid IS NULL OR e.organization_id = $2)
"""


# Two statements: the lock, then the read. A read in the locking statement would use
# that statement's snapshot, taken before it waited: two acknowledgements ending a
# workflow's last two jobs each saw the other's job still live, and neither ended it.
LOCK_WORKFLOWS_PG = """
SELECT id FROM workflows WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
"""


# with the counts STATES_PG reads (as JSON): the engine's refresh is the last read of an
# acknowledgement, and the job events recorded next carry them (one round trip less).
# Whether jobs are live is read off those counts, not probed: an EXISTS over the
# workflow's jobs was planned as a scan in heap order, past every job already ended (1 ms
# an acknowledgement, growing, halfway through a 10,000-job fan-out).
REFRESH_PG = """
SELECT w.id, w.status, w.failure_policy, coalesce(w.retained_counts::jsonb, (
    SELECT jsonb_object_agg(status, n) FROM (
        SELECT status, sum(delta) AS n FROM workflow_job_counts
        WHERE workflow_id = w.id GROUP BY status
    ) AS c
)) AS counts
FROM workflows w WHERE w.id = ANY($1::uuid[]) ORDER BY w.id
"""


HAS_LIVE_JOBS_PG = (
    "SELECT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND status IN ({}))".format(
        ", ".join(f"'{s.value}'" for s in LIVE_JOBS)
    )
)


# the workflow's status and its job counts as the triggers of migration 0008 keep them,
# or as retention froze them before deleting its jobs (then its count rows are not read)
STATES_PG = """
SELECT w.id, w.status, w.retained_counts, c.status AS job_status, c.n FROM workflows w
LEFT JOIN LATERAL (
    SELECT status, sum(delta) AS n FROM workflow_job_counts
    WHERE workflow_id = w.id AND w.retained_counts IS NULL GROUP BY status
) AS c ON true
WHERE w.id = ANY($1::uuid[])
"""


# Folds the count changes of workflows holding more than $1 rows (up to $2 workflows)
# into one row per (workflow, status). A reader's snapshot sees either the old rows or
# the folded ones, never both; SKIP LOCKED lets two folding replicas split the rows.
FOLD_COUNTS_PG = """
WITH crowded AS (
    SELECT id AS workflow_id FROM workflows WHERE id IN (
        SELECT workflow_id FROM workflow_job_counts GROUP BY workflow_id HAVING count(*) > $1
    )
    LIMIT $2 FOR KEY SHARE SKIP LOCKED
), taken AS (
    DELETE FROM workflow_job_counts WHERE id IN (
        SELECT id FROM workflow_job_counts
        WHERE workflow_id IN (SELECT workflow_id FROM crowded)
        FOR UPDATE SKIP LOCKED
    )
    RETURNING workflow_id, status, delta
), folded AS (
    INSERT INTO workflow_job_counts (workflow_id, status, delta)
    SELECT workflow_id, status, sum(delta) FROM taken
    GROUP BY workflow_id, status HAVING sum(delta) <> 0
)
SELECT count(DISTINCT workflow_id) FROM taken
"""


async def lock_for_refresh(
    session: AsyncSession, ids: Iterable[uuid.UUID], locked: Iterable[uuid.UUID] = ()
) -> list[RefreshRow]:
    ids = sorted(ids)
    if not ids:
        return []
    driver = await driver_connection(session)
    await session.flush()  # the driver does not autoflush
    if unlocked := sorted(set(ids).difference(locked)):
        await driver.execute(LOCK_WORKFLOWS_PG, unlocked)
    rows = []
    for r in await driver.fetch(REFRESH_PG, ids):
        counts = decode_counts(r["counts"]) if r["counts"] is not None else {}
        live = any(counts.get(status, 0) > 0 for status in LIVE_JOBS)
        status = WorkflowStatus(r["status"])
        rows.append(RefreshRow(r["id"], status, FailurePolicy(r["failure_policy"]), live, counts))
    return rows


async def has_live_jobs(session: AsyncSession, workflow_id: uuid.UUID) -> bool:
    driver = await driver_connection(session)
    await session.flush()
    return bool(await driver.fetchval(HAS_LIVE_JOBS_PG, workflow_id))


async def states(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
    out: dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]] = {}
    driver = await driver_connection(session)
    await session.flush()
    for r in await driver.fetch(STATES_PG, list(workflow_ids)):
        if r["retained_counts"] is not None:
            out[r["id"]] = (WorkflowStatus(r["status"]), decode_counts(r["retained_counts"]))
            continue
        _, counts = out.setdefault(r["id"], (WorkflowStatus(r["status"]), {}))
        if r["job_status"] is not None and r["n"]:
            counts[JobStatus(r["job_status"])] = int(r["n"])
    return out


async def fold_counts(session: AsyncSession, over: int, limit: int) -> int:
    # Each workflow's row is share-locked (FOLD_COUNTS_PG), so a deleteWorkflow (FOR
    # UPDATE) either waits for the fold and then removes the folded rows too, or holds
    # the row and the fold skips it; without that, rows folded during a deletion
    # outlived their workflow. The engine's lock (FOR NO KEY UPDATE) does not conflict.
    driver = await driver_connection(session)
    return int(await driver.fetchval(FOLD_COUNTS_PG, over, limit))


async def parents(
    session: AsyncSession, child_ids: Sequence[uuid.UUID], org_id: uuid.UUID | None
) -> dict[uuid.UUID, dict[str, tuple[JobStatus, Any]]]:
    if not child_ids:
        return {}
    driver = await driver_connection(session)
    await session.flush()  # the driver does not autoflush
    out: dict[uuid.UUID, dict[str, tuple[JobStatus, Any]]] = {}
    for child, name, status, output in await driver.fetch(PARENTS_PG, list(child_ids), org_id):
        out.setdefault(child, {})[name] = (STATUS(status), output)
    return out
