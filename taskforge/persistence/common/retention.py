"""Retention: the deletion of expired finished jobs with their executions, logs and
edges, set-based and in one transaction per batch (the store finds the batch:
``Retention.expired``). Portable: the same on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.tables import ExecutionLog, Job, JobDependency, JobExecution


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
