"""SQLite workflows: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.domain.rows import RefreshRow
from taskforge.persistence.common.workflows import LIVE_JOBS
from taskforge.persistence.tables import Job, Workflow

LIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)


async def lock_for_refresh(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[RefreshRow]:
    """The workflows, locked in id order (two transactions never wait on each other in a
    cycle), each with id, status, failure_policy and whether any job is still live (read
    once the lock is held): what the engine decides on after every batch of
    acknowledgements. The engine loads a workflow's entity (``locked``) only to change
    it."""
    ids = sorted(ids)
    if not ids:
        return []
    stmt = (
        select(Workflow)
        .options(defer(Workflow.definition, raiseload=True))
        .where(Workflow.id.in_(ids))
        .order_by(Workflow.id)
    )
    return [
        RefreshRow(wf.id, wf.status, wf.failure_policy, await has_live_jobs(session, wf.id))
        for wf in await session.scalars(stmt)
    ]


async def has_live_jobs(session: AsyncSession, workflow_id: uuid.UUID) -> bool:
    """Whether any job of the workflow has not ended (an index probe; asked after every
    batch of acknowledgements in a workflow)."""
    stmt = select(exists().where(Job.workflow_id == workflow_id, Job.status.in_(LIVE_JOBS)))
    return bool(await session.scalar(stmt))


async def states(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
    """Each workflow's status and its jobs' counts per status, in one statement, with
    this session's pending changes flushed first. On PostgreSQL the counts are sums of
    the trigger-kept changes (a few rows per batch that touched the workflow); elsewhere
    the jobs are counted."""
    out: dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]] = {}
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


async def fold_counts(session: AsyncSession, over: int, limit: int) -> int:
    """Fold the count changes of up to ``limit`` workflows with more than ``over`` rows,
    so that ``states`` sums a few rows however long a workflow runs. Returns how many
    were folded (PostgreSQL; elsewhere jobs are counted and there is nothing to fold).

    Each workflow's row is share-locked, so a deleteWorkflow (FOR UPDATE) either waits
    for the fold and then removes the folded rows too, or holds the row and the fold
    skips it; without that, rows folded during a deletion outlived their workflow. The
    engine's lock (FOR NO KEY UPDATE) does not conflict: busy workflows still fold."""
    return 0
