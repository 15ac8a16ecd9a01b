"""GraphQL types of job execution: workers, executions, logs, claims, acks."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, cast

import strawberry
from strawberry.scalars import JSON

from taskforge.domain import records
from taskforge.domain.enums import ExecutionStatus, LogLevel, WorkerStatus, WorkerType
from taskforge.domain.errors import InvalidInput
from taskforge.schema.boundary import InputBoundary
from taskforge.schema.types import Job, PageInfo, Queue
from taskforge.services import job_admin

if TYPE_CHECKING:
    from taskforge.resolvers.context import Context

WorkerTypeEnum = strawberry.enum(WorkerType, name="WorkerType")
WorkerStatusEnum = strawberry.enum(WorkerStatus, name="WorkerStatus")
ExecutionStatusEnum = strawberry.enum(ExecutionStatus, name="ExecutionStatus")
LogLevelEnum = strawberry.enum(LogLevel, name="LogLevel")


@strawberry.type
class QueueAssignment:
    weight: int
    is_active: bool
    queue_id: strawberry.ID

    @strawberry.field
    async def queue(self, info: strawberry.Info[Context, None]) -> Queue:
        return Queue.of(await info.context.loaders.queue.load(uuid.UUID(self.queue_id)))


@strawberry.type
class Worker:
    id: strawberry.ID
    name: str
    type: WorkerTypeEnum  # type: ignore[valid-type]
    status: WorkerStatusEnum  # type: ignore[valid-type]
    last_heartbeat: datetime | None
    created_at: datetime
    is_healthy: bool
    job_types: list[str] | None = strawberry.field(
        description="The job types it has handlers for and claims (null: any type)."
    )

    @strawberry.field
    async def queues(self, info: strawberry.Info[Context, None]) -> list[QueueAssignment]:
        rows = await info.context.loaders.assignments.load(uuid.UUID(self.id))
        return [
            QueueAssignment(
                weight=a.weight, is_active=a.is_active, queue_id=strawberry.ID(str(a.queue_id))
            )
            for a in rows
        ]

    @classmethod
    def of(cls, row: records.Worker, healthy: bool) -> Worker:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            type=row.worker_type,
            status=row.status,
            last_heartbeat=row.last_heartbeat,
            created_at=row.created_at,
            is_healthy=healthy,
            job_types=row.job_types,
        )


@strawberry.type
class ExecutionLog:
    id: strawberry.ID
    level: LogLevelEnum  # type: ignore[valid-type]
    message: str
    metadata: JSON
    logged_at: datetime

    @classmethod
    def of(cls, r: records.ExecutionLog) -> ExecutionLog:
        return cls(
            id=strawberry.ID(str(r.id)),
            level=r.level,
            message=r.message,
            metadata=cast(JSON, r.metadata_),
            logged_at=r.logged_at,
        )


def encode_log_cursor(ident: int) -> str:
    return base64.urlsafe_b64encode(f"log|{ident}".encode()).decode()


def decode_log_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        kind, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if kind != "log":
            raise ValueError(kind)
        value = int(ident)
        if not 0 <= value < 2**63:  # a log id: the database's bigint
            raise ValueError(ident)
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("after is not a valid cursor", field="after") from exc


@strawberry.type
class LogEdge:
    cursor: str
    node: ExecutionLog


@strawberry.type
class LogConnection:
    edges: list[LogEdge]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Entries matching the level filter (runs a count).")
    async def total_count(self) -> int:
        return await self._total()

    @classmethod
    def build(cls, page: job_admin.LogPage) -> LogConnection:
        edges = [
            LogEdge(cursor=encode_log_cursor(r.id), node=ExecutionLog.of(r)) for r in page.items
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _total=page.total,
        )


@strawberry.type
class Execution:
    id: strawberry.ID
    attempt: int
    status: ExecutionStatusEnum  # type: ignore[valid-type]
    output: JSON | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    lease_expires_at: datetime | None
    worker_id: strawberry.ID | None
    progress: float | None = strawberry.field(
        description="What the handler last reported, from 0 to 1 (null: nothing yet)."
    )
    progress_message: str | None
    traceback: str | None = strawberry.field(
        description="A failed attempt's handler traceback (its last 16 KiB), beside `error`."
    )

    @strawberry.field(description="Seconds from start to finish; null while running.")
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @strawberry.field
    async def worker(self, info: strawberry.Info[Context, None]) -> Worker | None:
        if self.worker_id is None:
            return None
        row = await info.context.loaders.worker.load(uuid.UUID(self.worker_id))
        return None if row is None else Worker.of(row, info.context.healthy(row))

    @strawberry.field(
        description="Every entry, oldest first, unpaged.",
        deprecation_reason="Use logsConnection: paged, filterable by level.",
    )
    async def logs(self, info: strawberry.Info[Context, None]) -> list[ExecutionLog]:
        rows = await info.context.loaders.logs.load(uuid.UUID(self.id))
        return [ExecutionLog.of(r) for r in rows]

    @strawberry.field(
        description="Log entries, oldest first, as a cursor connection; `level` is a minimum"
        " (WARN: WARN and ERROR entries).",
        extensions=[InputBoundary()],
    )
    async def logs_connection(
        self,
        info: strawberry.Info[Context, None],
        first: int = 50,
        after: str | None = None,
        level: LogLevelEnum | None = None,  # type: ignore[valid-type]
    ) -> LogConnection:
        page = await job_admin.logs(
            info.context.svc,
            await info.context.principal(),
            uuid.UUID(self.id),
            first=first,
            after=decode_log_cursor(after),
            level=LogLevel(level) if level is not None else None,
        )
        return LogConnection.build(page)

    @classmethod
    def of(cls, row: records.Execution) -> Execution:
        return cls(
            id=strawberry.ID(str(row.id)),
            attempt=row.attempt_number,
            status=row.status,
            output=cast(JSON | None, row.output),
            error=row.error,
            started_at=row.started_at,
            finished_at=row.finished_at,
            lease_expires_at=row.lease_expires_at,
            worker_id=strawberry.ID(str(row.worker_id)) if row.worker_id else None,
            progress=row.progress,
            progress_message=row.progress_message,
            traceback=row.traceback,
        )


@strawberry.type
class ClaimedJob:
    """A job handed to a worker. ``jobId``, ``jobType`` and ``payload`` are what a worker
    needs to run it, as flat fields: a claim returns hundreds, and each nested object
    costs the server a field resolution per field."""

    execution_id: strawberry.ID
    attempt: int
    lease_expires_at: datetime
    job_id: strawberry.ID
    job_type: str
    payload: JSON
    trace_context: str | None = strawberry.field(
        description="The W3C traceparent of the request that created the job (server "
        "tracing on): the attempt's span is its child."
    )
    # the record is built only if the client selects ``job``
    record: strawberry.Private[Callable[[], records.Job]]
    # a plain value, not a resolver: read by the claim itself when selected
    parent_outputs: JSON = strawberry.field(
        default_factory=dict,
        description="The outputs of the job's direct parents in its workflow, by job name "
        "(null for a parent without output): a handler's ctx.parents. Empty for a job "
        "outside a workflow; read with the claim, for all its jobs at once.",
    )

    @strawberry.field
    def job(self) -> Job:
        return Job.of(self.record())


@strawberry.type
class AckResult:
    execution_id: strawberry.ID
    ok: bool
    code: str | None
    message: str | None


@strawberry.type
class AcknowledgeJobsPayload:
    acknowledged: int = strawberry.field(description="Acknowledgements taken.")
    rejected: list[AckResult] = strawberry.field(
        description="The refused ones (stale: NOT_FOUND or CONFLICT), each with its code."
    )


@strawberry.type
class HeartbeatPayload:
    worker: Worker
    leases_extended: int
    cancelled_execution_ids: list[strawberry.ID] = strawberry.field(
        description="Of the `executionIds` sent: those cancelled. The worker stops their"
        " handlers (their attempts are CANCELLED already; nothing to acknowledge)."
    )


@strawberry.type
class SyncJobStatusPayload:
    job: Job
    actions: list[str]


@strawberry.type
class CleanupOrphansPayload:
    requeued_job_ids: list[strawberry.ID]
    failed_execution_ids: list[strawberry.ID]
    deleted_edge_ids: list[strawberry.ID]


@strawberry.type
class JobsAvailable:
    event_id: strawberry.ID
    queue_id: strawberry.ID
