"""Subscription resolvers: authenticate, validate arguments, then stream events.

Each takes ``after`` (an event id): it first replays what the client missed, then goes
live. A connection holds a bounded number of subscriptions; one that falls too far
behind is dropped with close code 4008 rather than buffered without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

import strawberry
from starlette.websockets import WebSocket

from taskforge.domain.enums import JobStatus
from taskforge.domain.errors import InvalidInput, RateLimited
from taskforge.realtime import filters, log_stream, streams
from taskforge.realtime.tail import Route
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import event_types as ev
from taskforge.schema import execution_types as x
from taskforge.schema import types as t
from taskforge.schema.shared_events import shared
from taskforge.services import executions, job_admin, jobs, queues, schedules, workflow_reads
from taskforge.services.base import Principal

Info = strawberry.Info[Context, None]
SLOW_CONSUMER_CLOSE = 4008


def _cursor(after: strawberry.ID | None) -> int | None:
    if after is None:
        return None
    try:
        value = int(str(after))
    except ValueError as exc:
        raise InvalidInput(f"after is not an event id: {after!r}", field="after") from exc
    if value < 0:
        raise InvalidInput("after is not an event id", field="after")
    return value


async def _stream(
    ctx: Context,
    principal: Principal,
    types: frozenset[str],
    accept: filters.Filter,
    after: int | None,
    route: Route | None = None,
    coalesce: Any = None,
) -> AsyncIterator[dict[str, Any]]:
    """The tenant's events with the connection's cap and slow-consumer drop applied."""
    limit = ctx.runtime.settings.subscriptions_per_connection
    if ctx.subscriptions >= limit:
        raise RateLimited(f"at most {limit} subscriptions per connection", limit=limit)
    ctx.subscriptions += 1
    try:
        async for event in streams.events(
            ctx.runtime.tail,
            ctx.runtime.db,
            principal.organization_id,
            set(types),
            filters.accepting(accept),
            after,
            on_overflow=lambda: _drop(ctx.request),
            route=route,
            coalesce=coalesce,
        ):
            yield event
    finally:
        ctx.subscriptions -= 1


def _drop(conn: Any) -> None:
    if isinstance(conn, WebSocket):
        asyncio.get_running_loop().create_task(_close(conn))


async def _close(ws: WebSocket) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(2):
            await ws.close(code=SLOW_CONSUMER_CLOSE, reason="slow consumer: buffer full")


async def job_status_changed(
    info: Info,
    job_id: strawberry.ID | None = None,
    queue_id: strawberry.ID | None = None,
    workflow_id: strawberry.ID | None = None,
    statuses: list[t.JobStatusEnum] | None = None,  # type: ignore[valid-type]
    after: strawberry.ID | None = None,
) -> AsyncGenerator[t.JobStatusEvent, None]:
    ctx = info.context
    principal = await ctx.principal()
    principal.require("jobs:read")
    cursor = _cursor(after)
    job = ids.optional(job_id, "jobId")
    queue = ids.optional(queue_id, "queueId")
    flow = ids.optional(workflow_id, "workflowId")
    # unknown or foreign ids fail now, with NOT_FOUND, instead of a silent stream
    if job is not None:
        await jobs.get(ctx.svc, principal, job)
    if queue is not None:
        await queues.get_queue(ctx.svc, principal, queue)
    if flow is not None:
        await workflow_reads.get(ctx.svc, principal, flow)
    wanted = [JobStatus(s) for s in statuses] if statuses else None
    accept = filters.job_status(job, queue, flow, wanted)
    route = filters.route(job=job, workflow=flow)
    async for event in _stream(ctx, principal, filters.JOB_STATUS, accept, cursor, route):
        yield shared(event, ev.job_status_event)


async def workflow_progress(
    info: Info, workflow_id: strawberry.ID, after: strawberry.ID | None = None
) -> AsyncGenerator[ev.WorkflowProgressEvent, None]:
    """Each job change in the workflow, with the workflow's status and stats after it."""
    ctx = info.context
    principal = await ctx.principal()
    cursor = _cursor(after)
    flow = await _workflow_id(ctx, principal, workflow_id)
    accept = filters.workflow_progress(flow)
    route = filters.route(workflow=flow)
    async for event in _stream(ctx, principal, filters.WORKFLOW_PROGRESS, accept, cursor, route):
        yield shared(event, ev.WorkflowProgressEvent.of)


async def _workflow_id(ctx: Context, principal: Principal, value: strawberry.ID) -> uuid.UUID:
    flow = ids.parse(value, "workflowId")
    await workflow_reads.get(ctx.svc, principal, flow)
    return flow


async def scheduler_ticks(
    info: Info, schedule_id: strawberry.ID | None = None, after: strawberry.ID | None = None
) -> AsyncGenerator[ev.SchedulerTick, None]:
    """Each fired occurrence: when, what it created, and the schedule's next run."""
    ctx = info.context
    principal = await ctx.principal()
    principal.require(schedules.READ)
    cursor = _cursor(after)
    wanted = ids.optional(schedule_id, "scheduleId")
    if wanted is not None:
        await schedules.get(ctx.svc, principal, wanted)
    accept = filters.scheduler_ticks(wanted)
    async for event in _stream(ctx, principal, filters.SCHEDULER_TICKS, accept, cursor):
        yield shared(event, ev.SchedulerTick.of)


async def jobs_available(
    info: Info, queues: list[strawberry.ID] | None = None
) -> AsyncGenerator[x.JobsAvailable, None]:
    """A light wake-up signal for workers: a job became claimable in one of the queues.

    Jobs that become due later (scheduled, retries) send no signal: workers also poll.
    """
    ctx = info.context
    principal = await ctx.principal()
    principal.require("workers")
    wanted = {ids.parse(q, "queues") for q in queues} if queues else None
    if wanted:
        for q in wanted:
            await _queue_exists(ctx, principal, q)
    accept = filters.jobs_available(wanted)
    types = filters.JOBS_AVAILABLE
    # a wake-up signal: a burst (a fan-out releasing 10,000 jobs) sends one per queue,
    # not one per job
    coalesce = filters.queue_of
    async for event in _stream(ctx, principal, types, accept, None, coalesce=coalesce):
        yield x.JobsAvailable(
            event_id=strawberry.ID(str(event["seq"])),
            queue_id=strawberry.ID(str(filters.queue_of(event))),
        )


async def execution_logs(
    info: Info,
    execution_id: strawberry.ID,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="A log cursor (an edge's `cursor`, here or in logsConnection): the"
            " entries after it are replayed first."
        ),
    ] = None,
) -> AsyncGenerator[x.LogEdge, None]:
    """An execution's log entries: the stored ones after ``after`` (without it, from the
    first), then each as it is appended (a worker sends them at most about a second
    after the handler logs them). Each edge's cursor resumes the stream after it."""
    ctx = info.context
    principal = await ctx.principal()
    principal.require(job_admin.READ)
    ident = ids.parse(execution_id, "executionId")
    cursor = x.decode_log_cursor(after)
    execution = await job_admin.execution(ctx.svc, principal, ident)  # NOT_FOUND if foreign
    limit = ctx.runtime.settings.subscriptions_per_connection
    if ctx.subscriptions >= limit:
        raise RateLimited(f"at most {limit} subscriptions per connection", limit=limit)
    ctx.subscriptions += 1

    async def read(after_id: int, size: int) -> list[Any]:
        return await executions.logs_after(ctx.svc, principal, ident, after_id, size)

    try:
        async for row in log_stream.entries(
            ctx.runtime.tail,
            principal.organization_id,
            ident,
            execution.job_id,
            cursor or 0,
            read,
            on_overflow=lambda: _drop(ctx.request),
        ):
            yield x.LogEdge(cursor=x.encode_log_cursor(row.id), node=x.ExecutionLog.of(row))
    finally:
        ctx.subscriptions -= 1


async def _queue_exists(ctx: Context, principal: Principal, queue_id: uuid.UUID) -> None:
    await queues.get_queue(ctx.svc, principal, queue_id)
