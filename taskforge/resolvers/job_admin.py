"""Resolvers for job administration: retry, update, bulk cancel and retry, execution."""

from __future__ import annotations

from datetime import datetime

import strawberry

from taskforge.domain.enums import JobStatus
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import execution_types as x
from taskforge.schema import types as t
from taskforge.schema.job_admin_types import JobFilterInput
from taskforge.services import job_admin

Info = strawberry.Info[Context, None]


def _filter(where: JobFilterInput) -> job_admin.JobFilter:
    return job_admin.JobFilter(
        queue_id=ids.optional(where.queue_id, "filter.queueId"),
        statuses=frozenset(JobStatus(s) for s in where.statuses)
        if where.statuses is not None
        else None,
        job_type=where.job_type,
        created_after=where.created_after,
        created_before=where.created_before,
        workflow_id=ids.optional(where.workflow_id, "filter.workflowId"),
    )


async def retry_job(info: Info, id: strawberry.ID) -> t.Job:
    principal = await info.context.principal()
    return t.Job.of(await job_admin.retry(info.context.svc, principal, ids.parse(id)))


async def update_job(
    info: Info,
    id: strawberry.ID,
    priority: int | None = None,
    scheduled_for: datetime | None = None,
) -> t.Job:
    principal = await info.context.principal()
    row = await job_admin.update(
        info.context.svc, principal, ids.parse(id), priority=priority, scheduled_for=scheduled_for
    )
    return t.Job.of(row)


async def cancel_jobs(info: Info, filter: JobFilterInput, reason: str | None = None) -> int:
    principal = await info.context.principal()
    return await job_admin.cancel_many(info.context.svc, principal, _filter(filter), reason)


async def retry_jobs(info: Info, filter: JobFilterInput) -> int:
    principal = await info.context.principal()
    return await job_admin.retry_many(info.context.svc, principal, _filter(filter))


async def execution(info: Info, id: strawberry.ID) -> x.Execution:
    principal = await info.context.principal()
    return x.Execution.of(await job_admin.execution(info.context.svc, principal, ids.parse(id)))
