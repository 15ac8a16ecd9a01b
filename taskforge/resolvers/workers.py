"""Resolvers for workers, claims, acknowledgements, logs and consistency repairs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from taskforge.domain.enums import LogLevel, WorkerStatus, WorkerType
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.resolvers.selections import selects
from taskforge.schema import execution_types as x
from taskforge.schema import types as t
from taskforge.schema.inputs import (
    CompleteJobInput,
    FailJobInput,
    LogEntryInput,
    QueueWeightInput,
    SpawnJobInput,
)
from taskforge.services import consistency, executions, jobs, pagination, spawning, workers
from taskforge.services.executions import Ack

Info = strawberry.Info[Context, None]


def _worker(info: Info, row: Any) -> x.Worker:
    return x.Worker.of(row, info.context.healthy(row))


async def register_worker(
    info: Info,
    name: str,
    queues: list[QueueWeightInput],
    type: x.WorkerTypeEnum = WorkerType.GENERAL,  # type: ignore[valid-type]
    job_types: Annotated[
        list[str] | None,
        strawberry.argument(
            description="The job types the worker has handlers for (omitted: any type); "
            "Job.waitingForHandler reads them."
        ),
    ] = None,
) -> x.Worker:
    principal = await info.context.principal()
    assignments = [workers.QueueWeight(ids.parse(q.queue_id, "queueId"), q.weight) for q in queues]
    row = await workers.register(
        info.context.svc, principal, name, WorkerType(type), assignments, job_types
    )
    return _worker(info, row)


async def worker_heartbeat(
    info: Info,
    worker_id: strawberry.ID,
    lease_seconds: int | None = None,
    execution_ids: Annotated[
        list[strawberry.ID] | None,
        strawberry.argument(
            description="The executions the worker is running: the answer says which of"
            " them were cancelled (`cancelledExecutionIds`)."
        ),
    ] = None,
) -> x.HeartbeatPayload:
    principal = await info.context.principal()
    held = [ids.parse(e, "executionIds") for e in execution_ids or []]
    got = await workers.beat(
        info.context.svc, principal, ids.parse(worker_id, "workerId"), lease_seconds, held
    )
    return x.HeartbeatPayload(
        worker=_worker(info, got.worker),
        leases_extended=got.leases_extended,
        cancelled_execution_ids=[strawberry.ID(str(e)) for e in got.cancelled],
    )


async def drain_worker(info: Info, worker_id: strawberry.ID) -> x.Worker:
    principal = await info.context.principal()
    row = await workers.drain(info.context.svc, principal, ids.parse(worker_id, "workerId"))
    return _worker(info, row)


async def worker(info: Info, id: strawberry.ID) -> x.Worker:
    principal = await info.context.principal()
    return _worker(info, await workers.get(info.context.svc, principal, ids.parse(id)))


async def workers_(
    info: Info,
    status: list[x.WorkerStatusEnum] | None = None,  # type: ignore[valid-type]
    first: int = 50,
    after: str | None = None,
) -> t.Connection[x.Worker]:
    principal = await info.context.principal()
    listing = await workers.list_workers(
        info.context.svc,
        principal,
        [WorkerStatus(s) for s in status] if status else None,
        first,
        pagination.decode(after),
    )
    return t.Connection.build(listing, lambda row: _worker(info, row))  # type: ignore[arg-type]


async def claim_jobs(
    info: Info,
    worker_id: strawberry.ID,
    queues: list[strawberry.ID] | None = None,
    limit: int = 10,
    lease_seconds: int | None = None,
    job_types: Annotated[
        list[str] | None,
        strawberry.argument(
            description="Only jobs of these types (the worker's handlers); omitted: any type."
        ),
    ] = None,
) -> list[x.ClaimedJob]:
    principal = await info.context.principal()
    claimed = await executions.claim(
        info.context.svc,
        principal,
        ids.parse(worker_id, "workerId"),
        [ids.parse(q, "queues") for q in queues] if queues else None,
        limit,
        lease_seconds,
        job_types=job_types,
        # read in the claim's transaction, and only when asked for
        parents=selects(info.selected_fields, "parentOutputs"),
    )
    return [
        x.ClaimedJob(
            execution_id=strawberry.ID(str(c.execution_id)),
            attempt=c.attempt,
            lease_expires_at=c.lease_expires_at,
            job_id=strawberry.ID(str(c.job_id)),
            job_type=c.job_type,
            payload=cast(JSON, c.payload),
            trace_context=c.trace_context,
            record=c.record,
            parent_outputs=cast(JSON, c.parents or {}),
        )
        for c in claimed
    ]


def _ack(a: Ack) -> x.AckResult:
    return x.AckResult(
        execution_id=strawberry.ID(str(a.execution_id)),
        ok=a.error is None,
        code=a.error.code if a.error else None,
        message=a.error.message if a.error else None,
    )


async def _job_after(info: Info, acks: list[Ack]) -> t.Job:
    executions.raise_single(acks)
    principal = await info.context.principal()
    job_id = acks[0].job_id
    assert job_id is not None
    return t.Job.of(await jobs.get(info.context.svc, principal, job_id))


async def complete_job(
    info: Info, execution_id: strawberry.ID, output: JSON | None = None
) -> t.Job:
    principal = await info.context.principal()
    acks = await executions.complete(
        info.context.svc,
        principal,
        [(ids.parse(execution_id, "executionId"), output)],  # type: ignore[list-item]
    )
    return await _job_after(info, acks)


async def fail_job(
    info: Info,
    execution_id: strawberry.ID,
    error: str,
    retryable: bool = True,
    traceback: Annotated[
        str | None,
        strawberry.argument(description="The handler's traceback; its last 16 KiB are kept."),
    ] = None,
) -> t.Job:
    principal = await info.context.principal()
    acks = await executions.fail(
        info.context.svc,
        principal,
        [(ids.parse(execution_id, "executionId"), (error, retryable, traceback))],
    )
    return await _job_after(info, acks)


async def complete_jobs(
    info: Info,
    items: list[CompleteJobInput] | None = None,
    execution_ids: Annotated[
        list[strawberry.ID] | None,
        strawberry.argument(
            description="Successes without output: a plain list of ids, which a server "
            "reads several times faster than input objects (workers ack in hundreds)."
        ),
    ] = None,
) -> list[x.AckResult]:
    principal = await info.context.principal()
    batch = [(ids.parse(i.execution_id, "executionId"), i.output) for i in items or []]
    batch += [(ids.parse(e, "executionIds"), None) for e in execution_ids or []]
    acks = await executions.complete(info.context.svc, principal, batch)  # type: ignore[arg-type]
    return [_ack(a) for a in acks]


async def fail_jobs(info: Info, items: list[FailJobInput]) -> list[x.AckResult]:
    principal = await info.context.principal()
    acks = await executions.fail(
        info.context.svc,
        principal,
        [
            (ids.parse(i.execution_id, "executionId"), (i.error, i.retryable, i.traceback))
            for i in items
        ],
    )
    return [_ack(a) for a in acks]


async def acknowledge_jobs(
    info: Info,
    execution_ids: Annotated[
        list[strawberry.ID] | None,
        strawberry.argument(description="Successes without output."),
    ] = None,
    completed: Annotated[
        list[CompleteJobInput] | None,
        strawberry.argument(description="Successes with output."),
    ] = None,
    failed: list[FailJobInput] | None = None,
) -> x.AcknowledgeJobsPayload:
    """A busy worker's batch of outcomes in one round trip, answered with a count and
    only the refused acknowledgements (completeJobs and failJobs answer one result per
    item, which for hundreds costs the server more than the acknowledging does)."""
    principal = await info.context.principal()
    svc = info.context.svc
    done = [(ids.parse(i.execution_id, "completed"), i.output) for i in completed or []]
    done += [(ids.parse(e, "executionIds"), None) for e in execution_ids or []]
    bad = [
        (ids.parse(i.execution_id, "failed"), (i.error, i.retryable, i.traceback))
        for i in failed or []
    ]
    acks = await executions.complete(svc, principal, done)  # type: ignore[arg-type]
    acks += await executions.fail(svc, principal, bad)
    rejected = [_ack(a) for a in acks if a.error is not None]
    return x.AcknowledgeJobsPayload(acknowledged=len(acks) - len(rejected), rejected=rejected)


async def append_logs(info: Info, execution_id: strawberry.ID, entries: list[LogEntryInput]) -> int:
    principal = await info.context.principal()
    return await executions.append_logs(
        info.context.svc,
        principal,
        ids.parse(execution_id, "executionId"),
        [(LogLevel(e.level), e.message, e.metadata) for e in entries],  # type: ignore[misc]
    )


async def report_progress(
    info: Info,
    fraction: Annotated[float, strawberry.argument(description="From 0 to 1.")],
    execution_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="The running attempt.")
    ] = None,
    job_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Or the job, whose running attempt it is."),
    ] = None,
    message: str | None = None,
) -> x.Execution:
    """A running attempt's progress, for workers without the SDK (which sends it on its
    own, coalesced); the `workers` permission. Subscribers of jobStatusChanged see it."""
    principal = await info.context.principal()
    report = executions.Progress(
        ids.optional(execution_id, "executionId"), ids.optional(job_id, "jobId"), fraction, message
    )
    rows = await executions.report_progress(info.context.svc, principal, [report])
    return x.Execution.of(rows[0])


async def spawn_jobs(
    info: Info,
    execution_id: Annotated[
        strawberry.ID,
        strawberry.argument(description="The running attempt of the job that spawns them."),
    ],
    jobs: list[SpawnJobInput],
) -> list[t.Job]:
    """Jobs a running workflow job adds to its workflow (the SDK's ctx.spawn)."""
    principal = await info.context.principal()
    wanted = [
        spawning.Spawn(j.job_type, cast(dict[str, Any] | None, j.payload), j.name, j.queue)
        for j in jobs
    ]
    made = await spawning.spawn(
        info.context.svc, principal, ids.parse(execution_id, "executionId"), wanted
    )
    return [t.Job.of(job) for job in made]


async def sync_job_status(info: Info, job_id: strawberry.ID) -> x.SyncJobStatusPayload:
    principal = await info.context.principal()
    job = ids.parse(job_id, "jobId")
    actions = await consistency.sync_job_status(info.context.svc, principal, job)
    return x.SyncJobStatusPayload(
        job=t.Job.of(await jobs.get(info.context.svc, principal, job)), actions=actions
    )


async def cleanup_orphans(info: Info) -> x.CleanupOrphansPayload:
    principal = await info.context.principal()
    report = await consistency.cleanup_orphans(info.context.svc, principal)

    def as_ids(values: list[uuid.UUID]) -> list[strawberry.ID]:
        return [strawberry.ID(str(v)) for v in values]

    return x.CleanupOrphansPayload(
        requeued_job_ids=as_ids(report.requeued_job_ids),
        failed_execution_ids=as_ids(report.failed_execution_ids),
        deleted_edge_ids=as_ids(report.deleted_edge_ids),
    )
