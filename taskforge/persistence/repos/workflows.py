"""Workflows: rows, their jobs' status counts, and the timeout engine's query."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from taskforge.domain.enums import FailurePolicy, JobStatus, WorkflowStatus
from taskforge.persistence import dialects
from taskforge.persistence.database import DriverRow, driver_connection
from taskforge.persistence.tables import Job, Workflow, WorkflowJobCount

LIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)


async def get(session: AsyncSession, org_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow | None:
    return await session.scalar(
        select(Workflow).where(Workflow.id == workflow_id, Workflow.organization_id == org_id)
    )


async def lock(session: AsyncSession, org_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow | None:
    """The workflow row, locked: its use cases and the engine serialize on it."""
    stmt = select(Workflow).where(Workflow.id == workflow_id, Workflow.organization_id == org_id)
    return await session.scalar(dialects.of(session).lock_row(stmt))


class RefreshRow(DriverRow):
    converters = {"status": WorkflowStatus, "failure_policy": FailurePolicy}


async def lock_for_refresh(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Any]:
    """The workflows, locked in id order (two transactions never wait on each other in a
    cycle), each with id, status, failure_policy and whether any job is still live (read
    once the lock is held): what the engine decides on after every batch of
    acknowledgements. The engine loads a workflow's entity (``locked``) only to change
    it."""
    ids = sorted(ids)
    if not ids:
        return []
    driver = await driver_connection(session)
    if driver is not None:
        await session.flush()  # the driver does not autoflush
        await driver.execute(LOCK_WORKFLOWS_PG, ids)
        return RefreshRow.all(await driver.fetch(REFRESH_PG, ids))
    stmt = (
        select(Workflow)
        .options(defer(Workflow.definition, raiseload=True))
        .where(Workflow.id.in_(ids))
        .order_by(Workflow.id)
    )
    return [
        SimpleNamespace(
            id=wf.id,
            status=wf.status,
            failure_policy=wf.failure_policy,
            live=await has_live_jobs(session, wf.id),
        )
        for wf in await session.scalars(dialects.of(session).lock_row(stmt))
    ]


async def locked(session: AsyncSession, workflow_id: uuid.UUID) -> Workflow:
    """The entity of a workflow this transaction has locked, without its definition (the
    engine never reads it: a 10,000-job workflow's is megabytes of JSON)."""
    wf = await session.get(
        Workflow, workflow_id, options=[defer(Workflow.definition, raiseload=True)]
    )
    assert wf is not None  # locked by this transaction: it cannot have gone
    return wf


async def by_ids(
    session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Workflow]:
    rows = await session.scalars(
        select(Workflow).where(Workflow.organization_id == org_id, Workflow.id.in_(ids))
    )
    return list(rows)


async def policies(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID | None, FailurePolicy]:
    stmt = select(Workflow.id, Workflow.failure_policy).where(Workflow.id.in_(list(ids)))
    return {wid: policy for wid, policy in await session.execute(stmt)}


async def job_ids(
    session: AsyncSession, workflow_id: uuid.UUID, statuses: Iterable[JobStatus] | None = None
) -> list[uuid.UUID]:
    stmt = select(Job.id).where(Job.workflow_id == workflow_id)
    if statuses is not None:
        stmt = stmt.where(Job.status.in_(list(statuses)))
    return list(await session.scalars(stmt))


LIVE_JOBS = (JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.PROCESSING)
_LIVE_SQL = ", ".join(f"'{s.value}'" for s in LIVE_JOBS)
# Two statements: the lock, then the read. A read in the locking statement would use
# that statement's snapshot, taken before it waited: two acknowledgements ending a
# workflow's last two jobs each saw the other's job still live, and neither ended it.
LOCK_WORKFLOWS_PG = """
SELECT id FROM workflows WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
"""
REFRESH_PG = f"""
SELECT w.id, w.status, w.failure_policy, EXISTS (
    SELECT 1 FROM jobs j WHERE j.workflow_id = w.id AND j.status IN ({_LIVE_SQL})
) AS live
FROM workflows w WHERE w.id = ANY($1::uuid[]) ORDER BY w.id
"""
HAS_LIVE_JOBS_PG = (
    "SELECT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND status IN ({}))".format(
        ", ".join(f"'{s.value}'" for s in LIVE_JOBS)
    )
)


async def has_live_jobs(session: AsyncSession, workflow_id: uuid.UUID) -> bool:
    """Whether any job of the workflow has not ended (an index probe; asked after every
    batch of acknowledgements in a workflow, so on the driver connection when it can)."""
    driver = await driver_connection(session)
    if driver is not None:
        await session.flush()
        return bool(await driver.fetchval(HAS_LIVE_JOBS_PG, workflow_id))
    stmt = select(exists().where(Job.workflow_id == workflow_id, Job.status.in_(LIVE_JOBS)))
    return bool(await session.scalar(stmt))


async def jobs(session: AsyncSession, workflow_id: uuid.UUID) -> list[Job]:
    rows = await session.scalars(
        select(Job).where(Job.workflow_id == workflow_id).order_by(Job.created_at, Job.name)
    )
    return list(rows)


async def jobs_of_many(
    session: AsyncSession, org_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> list[Job]:
    rows = await session.scalars(
        select(Job)
        .where(Job.organization_id == org_id, Job.workflow_id.in_(workflow_ids))
        .order_by(Job.created_at, Job.name)
    )
    return list(rows)


async def status_counts(
    session: AsyncSession, workflow_id: uuid.UUID
) -> dict[tuple[JobStatus, str | None], int]:
    stmt = (
        select(Job.status, Job.status_reason, func.count())
        .where(Job.workflow_id == workflow_id)
        .group_by(Job.status, Job.status_reason)
    )
    return {(status, reason): n for status, reason, n in await session.execute(stmt)}


# the workflow's status and its job counts as the triggers of migration 0008 keep them
STATES_PG = """
SELECT w.id, w.status, c.status AS job_status, c.n FROM workflows w
LEFT JOIN LATERAL (
    SELECT status, sum(delta) AS n FROM workflow_job_counts
    WHERE workflow_id = w.id GROUP BY status
) AS c ON true
WHERE w.id = ANY($1::uuid[])
"""


async def states(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
    """Each workflow's status and its jobs' counts per status, in one statement, with
    this session's pending changes flushed first. On PostgreSQL the counts are sums of
    the trigger-kept changes (a few rows per batch that touched the workflow); elsewhere
    the jobs are counted."""
    out: dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]] = {}
    driver = await driver_connection(session)
    if driver is not None:
        await session.flush()
        for r in await driver.fetch(STATES_PG, list(workflow_ids)):
            _, counts = out.setdefault(r["id"], (WorkflowStatus(r["status"]), {}))
            if r["job_status"] is not None and r["n"]:
                counts[JobStatus(r["job_status"])] = int(r["n"])
        return out
    stmt = (
        select(Workflow.id, Workflow.status, Job.status, func.count(Job.id))
        .outerjoin(Job, Job.workflow_id == Workflow.id)
        .where(Workflow.id.in_(workflow_ids))
        .group_by(Workflow.id, Workflow.status, Job.status)
    )
    for wid, status, job_status, n in await session.execute(stmt):
        _, counts = out.setdefault(wid, (status, {}))
        if job_status is not None:
            counts[job_status] = n
    return out


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


async def fold_counts(session: AsyncSession, over: int, limit: int) -> int:
    """Fold the count changes of up to ``limit`` workflows with more than ``over`` rows,
    so that ``states`` sums a few rows however long a workflow runs. Returns how many
    were folded (PostgreSQL; elsewhere jobs are counted and there is nothing to fold).

    Each workflow's row is share-locked, so a deleteWorkflow (FOR UPDATE) either waits
    for the fold and then removes the folded rows too, or holds the row and the fold
    skips it; without that, rows folded during a deletion outlived their workflow. The
    engine's lock (FOR NO KEY UPDATE) does not conflict: busy workflows still fold."""
    driver = await driver_connection(session)
    if driver is None:
        return 0
    return int(await driver.fetchval(FOLD_COUNTS_PG, over, limit))


async def forget_counts(session: AsyncSession, workflow_id: uuid.UUID) -> None:
    """A deleted workflow's count changes go with it."""
    await session.execute(
        delete(WorkflowJobCount).where(WorkflowJobCount.workflow_id == workflow_id)
    )


async def status_counts_many(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[JobStatus, int]]:
    stmt = (
        select(Job.workflow_id, Job.status, func.count())
        .where(Job.workflow_id.in_(workflow_ids))
        .group_by(Job.workflow_id, Job.status)
    )
    out: dict[uuid.UUID, dict[JobStatus, int]] = {}
    for wid, status, n in await session.execute(stmt):
        if wid is not None:
            out.setdefault(wid, {})[status] = n
    return out


async def overdue(session: AsyncSession, now: datetime, limit: int) -> list[Workflow]:
    """Live workflows past their deadline, locked, skipping rows another replica holds."""
    stmt = (
        select(Workflow)
        .where(Workflow.status.in_(LIVE), Workflow.deadline_at < now)
        .order_by(Workflow.deadline_at)
        .limit(limit)
    )
    return list(await session.scalars(dialects.of(session).lock_for_claim(stmt)))


def listing(
    org_id: uuid.UUID,
    project_id: uuid.UUID | None = None,
    statuses: Iterable[WorkflowStatus] | None = None,
) -> Select[Workflow]:
    stmt = select(Workflow).where(Workflow.organization_id == org_id)
    if project_id is not None:
        stmt = stmt.where(Workflow.project_id == project_id)
    if statuses:
        stmt = stmt.where(Workflow.status.in_(list(statuses)))
    return stmt
