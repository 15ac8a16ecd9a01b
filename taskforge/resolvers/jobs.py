"""Resolvers for jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from taskforge.domain.enums import JobStatus
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.schema.flow_types import ConcurrencyInput, RateLimitInput, rules
from taskforge.schema.inputs import EnqueueJobInput
from taskforge.services import jobs, pagination

Info = strawberry.Info[Context, None]


def _spec(item: EnqueueJobInput) -> jobs.NewJob:
    payload: Any = item.payload if item.payload is not None else {}
    concurrency, rate_limit = rules(item.concurrency, item.rate_limit)
    return jobs.NewJob(
        queue_id=ids.parse(item.queue_id, "queueId"),
        job_type=item.job_type,
        payload=payload,  # type: ignore[arg-type]
        priority=item.priority,
        scheduled_for=item.scheduled_for,
        max_attempts=item.max_attempts,
        concurrency=concurrency,
        rate_limit=rate_limit,
        debounce=item.debounce.rule() if item.debounce is not None else None,
        idempotency_key=item.idempotency_key,
    )


async def enqueue_job(info: Info, input: EnqueueJobInput) -> t.Job:
    principal = await info.context.principal()
    [row] = await jobs.enqueue(info.context.svc, principal, [_spec(input)])
    return t.Job.of(row)


async def enqueue_jobs(
    info: Info, jobs_: Annotated[list[EnqueueJobInput], strawberry.argument(name="jobs")]
) -> list[t.Job]:
    principal = await info.context.principal()
    rows = await jobs.enqueue(info.context.svc, principal, [_spec(i) for i in jobs_])
    return [t.Job.of(row) for row in rows]


async def enqueue_job_batch(
    info: Info,
    queue_id: strawberry.ID,
    job_type: str,
    payloads: list[JSON],
    priority: int = 5,
    scheduled_for: datetime | None = None,
    max_attempts: int | None = None,
    concurrency: Annotated[
        ConcurrencyInput | None,
        strawberry.argument(description="Every job's concurrency limit; default: the queue's."),
    ] = None,
    rate_limit: Annotated[
        RateLimitInput | None,
        strawberry.argument(description="Every job's rate limit; default: the queue's."),
    ] = None,
) -> t.JobBatch:
    # One queue, type and set of options for every job: GraphQL coerces a list of JSON
    # scalars, not one input object a job, field by field (most of enqueueJobs' cost).
    principal = await info.context.principal()
    queue = ids.parse(queue_id, "queueId")
    own = rules(concurrency, rate_limit)  # each job's key is its own payload's
    specs = [
        jobs.NewJob(queue, job_type, p, priority, scheduled_for, max_attempts, *own)  # type: ignore[arg-type]
        for p in payloads
    ]
    rows = await jobs.enqueue(info.context.svc, principal, specs, "payloads", payloads=True)
    return t.JobBatch(rows=rows)


async def cancel_job(info: Info, id: strawberry.ID, reason: str | None = None) -> t.Job:
    principal = await info.context.principal()
    return t.Job.of(await jobs.cancel(info.context.svc, principal, ids.parse(id), reason))


async def delete_job(info: Info, id: strawberry.ID) -> strawberry.ID:
    principal = await info.context.principal()
    await jobs.delete(info.context.svc, principal, ids.parse(id))
    return id


async def job(info: Info, id: strawberry.ID) -> t.Job:
    principal = await info.context.principal()
    return t.Job.of(await jobs.get(info.context.svc, principal, ids.parse(id)))


# what a finished bound does to the listing's order (and so to its cursors)
BY_FINISHED = (
    "With finishedAfter or finishedBefore the jobs come newest-finished first (by finishedAt, "
    "then id, whatever createdAfter/createdBefore say) and the cursors are of that order: "
    "keep the same finished bounds while paging."
)


async def jobs_(
    info: Info,
    first: int = 50,
    after: str | None = None,
    queue_id: strawberry.ID | None = None,
    project_id: strawberry.ID | None = None,
    status: list[t.JobStatusEnum] | None = None,  # type: ignore[valid-type]
    job_type: str | None = None,
    workflow_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only this workflow's jobs (another's: NOT_FOUND)."),
    ] = None,
    created_after: Annotated[
        datetime | None,
        strawberry.argument(description="Created at or after this time (inclusive)."),
    ] = None,
    created_before: Annotated[
        datetime | None,
        strawberry.argument(
            description="Created before this time (exclusive); createdAfter, if given, must "
            "be earlier (else BAD_USER_INPUT)."
        ),
    ] = None,
    finished_after: Annotated[
        datetime | None,
        strawberry.argument(
            description="Ended at or after this time (inclusive); jobs not ended are left out. "
            f"{BY_FINISHED}"
        ),
    ] = None,
    finished_before: Annotated[
        datetime | None,
        strawberry.argument(
            description="Ended before this time (exclusive); finishedAfter, if given, must be "
            f"earlier (else BAD_USER_INPUT). {BY_FINISHED}"
        ),
    ] = None,
) -> t.Connection[t.Job]:
    principal = await info.context.principal()
    listing = await jobs.list_jobs(
        info.context.svc,
        principal,
        first=first,
        after=pagination.decode(after),
        queue_id=ids.optional(queue_id, "queueId"),
        project_id=ids.optional(project_id, "projectId"),
        statuses=[JobStatus(s) for s in status] if status else None,
        job_type=job_type,
        workflow_id=ids.optional(workflow_id, "workflowId"),
        created=(created_after, created_before),
        finished=(finished_after, finished_before),
    )
    return t.Connection.build(listing, t.Job.of)  # type: ignore[arg-type]
