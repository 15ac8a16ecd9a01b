"""SQLite workflows: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.domain.rows import RefreshRow
from taskforge.persistence.common.workflows import LIVE_JOBS, decode_counts
from taskforge.persistence.tables import Job, JobDependency, Workflow

LIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)


async def lock_for_refresh(
    session: AsyncSession, ids: Iterable[uuid.UUID], locked: Iterable[uuid.UUID] = ()
) -> list[RefreshRow]:
    ids = sorted(ids)
    if not ids:
        return []
    stmt = (
        select(Workflow)
        .options(defer(Workflow.definition, raiseload=True))
        .where(Workflow.id.in_(ids))
        .order_by(Workflow.id)
    )
    rows = list(await session.scalars(stmt))
    counts = await states(session, ids)
    return [
        RefreshRow(
            wf.id,
            wf.status,
            wf.failure_policy,
            await has_live_jobs(session, wf.id),
            counts[wf.id][1],
        )
        for wf in rows
    ]


async def has_live_jobs(session: AsyncSession, workflow_id: uuid.UUID) -> bool:
    stmt = select(exists().where(Job.workflow_id == workflow_id, Job.status.in_(LIVE_JOBS)))
    return bool(await session.scalar(stmt))


async def states(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
    out: dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]] = {}
    # a workflow whose jobs retention is deleting: the counts it froze first, its jobs
    # not joined
    frozen = Workflow.retained_counts
    stmt = (
        select(Workflow.id, Workflow.status, frozen, Job.status, func.count(Job.id))
        .outerjoin(Job, and_(Job.workflow_id == Workflow.id, frozen.is_(None)))
        .where(Workflow.id.in_(workflow_ids))
        .group_by(Workflow.id, Workflow.status, frozen, Job.status)
    )
    for wid, status, raw, job_status, n in await session.execute(stmt):
        if raw is not None:
            out[wid] = (status, decode_counts(raw))
            continue
        _, counts = out.setdefault(wid, (status, {}))
        if job_status is not None:
            counts[job_status] = n
    return out


async def fold_counts(session: AsyncSession, over: int, limit: int) -> int:
    return 0


async def parents(
    session: AsyncSession, child_ids: Sequence[uuid.UUID], org_id: uuid.UUID | None
) -> dict[uuid.UUID, dict[str, tuple[JobStatus, Any]]]:
    if not child_ids:
        return {}
    edges, parent = JobDependency.__table__, Job.__table__.alias("parent")
    stmt = (
        select(edges.c.child_job_id, parent.c.name, parent.c.status, parent.c.output)
        .join(parent, parent.c.id == edges.c.parent_job_id)
        .where(edges.c.child_job_id.in_(list(child_ids)), parent.c.name.is_not(None))
    )
    if org_id is not None:
        stmt = stmt.where(edges.c.organization_id == org_id)
    out: dict[uuid.UUID, dict[str, tuple[JobStatus, Any]]] = {}
    for child, name, status, output in await session.execute(stmt):
        out.setdefault(child, {})[name] = (JobStatus(status), output)
    return out
