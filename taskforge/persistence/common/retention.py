"""Retention: the deletion of expired finished jobs with their executions, logs and
edges, set-based and in one transaction per batch (the store finds the batch:
``Retention.expired``, ``Retention.expired_workflows``), and the steps of an expired
workflow's: its counts frozen, its jobs taken a batch at a time, the workflow marked
pruned. Portable: the same on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.common import workflows
from taskforge.persistence.tables import (
    ExecutionLog,
    Job,
    JobDependency,
    JobExecution,
    Workflow,
)


async def delete_jobs(session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> int:
    """Delete these jobs with their logs, executions and edges, each table in one
    statement (what the foreign keys would cascade row by row); returns the jobs deleted."""
    if not job_ids:
        return 0
    ids = list(job_ids)
    executions = select(JobExecution.id).where(JobExecution.job_id.in_(ids))
    await session.execute(delete(ExecutionLog).where(ExecutionLog.execution_id.in_(executions)))
    await session.execute(delete(JobExecution).where(JobExecution.job_id.in_(ids)))
    await session.execute(
        delete(JobDependency).where(
            or_(JobDependency.parent_job_id.in_(ids), JobDependency.child_job_id.in_(ids))
        )
    )
    result = await session.execute(delete(Job).where(Job.id.in_(ids)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def freeze_counts(session: AsyncSession, workflow_id: uuid.UUID) -> bool:
    """Freeze the workflow's job counts per status on its row (``retained_counts``),
    read as every workflow read reads them, unless frozen already; returns whether this
    call froze them. The caller holds the workflow's row lock and has deleted none of
    its jobs yet."""
    if await session.scalar(
        select(Workflow.retained_counts.is_not(None)).where(Workflow.id == workflow_id)
    ):
        return False
    [(_, counts)] = (await workflows.states(session, [workflow_id])).values()
    await session.execute(
        update(Workflow)
        .where(Workflow.id == workflow_id)
        # updated_at kept: the workflow did not change, its jobs go
        .values(retained_counts=workflows.encode_counts(counts), updated_at=Workflow.updated_at)
        .execution_options(synchronize_session=False)
    )
    return True


async def workflow_jobs(
    session: AsyncSession, workflow_id: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    """Up to ``limit`` of the workflow's jobs (a range of idx_jobs_workflow_status)."""
    stmt = select(Job.id).where(Job.workflow_id == workflow_id).limit(limit)
    return list(await session.scalars(stmt))


async def mark_pruned(session: AsyncSession, workflow_id: uuid.UUID, now: datetime) -> None:
    """The workflow's last job has gone: it leaves idx_workflows_expirable."""
    await session.execute(
        update(Workflow)
        .where(Workflow.id == workflow_id)
        .values(pruned_at=now, updated_at=Workflow.updated_at)
        .execution_options(synchronize_session=False)
    )
