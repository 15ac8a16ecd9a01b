"""Subscription resolvers: authenticate, validate arguments, then stream events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from taskforge.domain.enums import JobStatus
from taskforge.realtime import streams
from taskforge.resolvers import ids
from taskforge.schema import execution_types as x
from taskforge.schema import types as t
from taskforge.schema.context import Context
from taskforge.services import jobs, queues
from taskforge.services import queues as queues_service

Info = strawberry.Info[Context, None]


async def job_status_changed(
    info: Info,
    job_id: strawberry.ID | None = None,
    queue_id: strawberry.ID | None = None,
    statuses: list[t.JobStatusEnum] | None = None,  # type: ignore[valid-type]
) -> AsyncGenerator[t.JobStatusEvent, None]:
    ctx = info.context
    principal = await ctx.principal()
    job = ids.optional(job_id, "jobId")
    queue = ids.optional(queue_id, "queueId")
    # unknown or foreign ids fail now, with NOT_FOUND, instead of a silent stream
    if job is not None:
        await jobs.get(ctx.svc, principal, job)
    if queue is not None:
        await queues.get_queue(ctx.svc, principal, queue)
    principal.require("jobs:read")
    wanted = {JobStatus(s).value for s in statuses} if statuses else None

    def accept(event: dict[str, Any]) -> bool:
        p = event["payload"]
        return (
            (job is None or p["jobId"] == str(job))
            and (queue is None or p["queueId"] == str(queue))
            and (wanted is None or p["status"] in wanted)
        )

    async for event in streams.events(
        ctx.runtime.broker, principal.organization_id, {jobs.STATUS_CHANGED}, accept
    ):
        p = event["payload"]
        yield t.JobStatusEvent(
            event_id=strawberry.ID(str(event["seq"])),
            job_id=p["jobId"],
            queue_id=p["queueId"],
            project_id=p["projectId"],
            job_type=p["jobType"],
            status=JobStatus(p["status"]),
            previous_status=JobStatus(p["previousStatus"]) if p["previousStatus"] else None,
            reason=p["reason"],
            occurred_at=datetime.fromisoformat(event["createdAt"]),
        )


async def jobs_available(
    info: Info, queues: list[strawberry.ID] | None = None
) -> AsyncGenerator[x.JobsAvailable, None]:
    """A light wake-up signal for workers: a job became claimable in one of the queues.

    Jobs that become due later (scheduled, retries) send no signal: workers also poll.
    """
    ctx = info.context
    principal = await ctx.principal()
    principal.require("workers")
    wanted = {str(ids.parse(q, "queues")) for q in queues} if queues else None
    if wanted:
        for q in wanted:
            await queues_service.get_queue(ctx.svc, principal, uuid.UUID(q))

    def accept(event: dict[str, Any]) -> bool:
        p = event["payload"]
        return p["status"] == "PENDING" and (wanted is None or p["queueId"] in wanted)

    async for event in streams.events(
        ctx.runtime.broker, principal.organization_id, {jobs.STATUS_CHANGED}, accept
    ):
        yield x.JobsAvailable(
            event_id=strawberry.ID(str(event["seq"])), queue_id=event["payload"]["queueId"]
        )
