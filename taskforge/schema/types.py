"""GraphQL object types. They describe the schema; they are built from the records
services hand up."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from taskforge.domain import records
from taskforge.domain.enums import DependencyStatus, JobStatus, Tier, TriggerRule, UserRole
from taskforge.domain.errors import NotFound
from taskforge.domain.jobs import claimable, next_eligible_at
from taskforge.domain.queues import QueueSettings as DomainQueueSettings
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.schema.flow_types import ConcurrencyRule, RateLimitRule, queue_rules
from taskforge.schema.queue_stats_types import QueueStats
from taskforge.services import pagination
from taskforge.services.organizations import Overview

if TYPE_CHECKING:
    from taskforge.domain.subscriptions import OrganizationStatus
    from taskforge.resolvers.context import Context
    from taskforge.schema.execution_types import Execution
    from taskforge.schema.organization_types import SubscriptionPlan
    from taskforge.schema.workflow_types import Dependency, Workflow

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")
DependencyStatusEnum = strawberry.enum(DependencyStatus, name="DependencyStatus")
TierEnum = strawberry.enum(Tier, name="Tier")
UserRoleEnum = strawberry.enum(UserRole, name="UserRole")
TriggerRuleEnum = strawberry.enum(
    TriggerRule,
    name="TriggerRule",
    description="When a job with incoming dependencies may run, read from their states: "
    "ALL_SUCCESS (the default), ALL_DONE, ALL_FAILED, ONE_SUCCESS, ONE_FAILED, NONE_FAILED, "
    "NONE_SKIPPED. A job without dependencies ignores it.",
)

T = TypeVar("T")
P = TypeVar("P", bound=records.Paged)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items matching the filters (runs a count).")
    async def total_count(self) -> int:
        return await self._total()

    @classmethod
    def build(cls, listing: pagination.Listing[P], convert: Callable[[P], T]) -> Connection[T]:
        edges = [Edge(cursor=listing.cursor(row), node=convert(row)) for row in listing.items]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=listing.has_next,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _total=listing.total,
        )


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    billing_email: str
    created_at: datetime
    status: Annotated[OrganizationStatus, strawberry.lazy("taskforge.schema.organization_types")]
    tier: TierEnum  # type: ignore[valid-type]
    max_jobs_per_month: int | None = strawberry.field(
        deprecation_reason="Use subscription { limits { maxJobsPerPeriod } }."
    )
    max_workers: int | None = strawberry.field(
        deprecation_reason="Use subscription { limits { maxWorkers } }."
    )
    jobs_used_this_month: int = strawberry.field(
        deprecation_reason="Counts the subscription's period, not the calendar month: "
        "use subscription { usage { jobsThisPeriod } }."
    )

    _view: strawberry.Private[Overview]

    @strawberry.field(description="Tier, limits, the running period and its usage.")
    def subscription(
        self,
    ) -> Annotated[SubscriptionPlan, strawberry.lazy("taskforge.schema.organization_types")]:
        from taskforge.schema.organization_types import SubscriptionPlan

        return SubscriptionPlan.of(self._view)

    @classmethod
    def of(cls, view: Overview) -> Organization:
        org, sub = view.organization, view.subscription
        return cls(
            id=strawberry.ID(str(org.id)),
            name=org.name,
            billing_email=org.billing_email,
            created_at=org.created_at,
            status=view.status,
            tier=sub.tier,
            max_jobs_per_month=sub.max_jobs_per_month,
            max_workers=sub.max_workers,
            jobs_used_this_month=view.usage.jobs_this_period,
            _view=view,
        )


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    role: UserRoleEnum  # type: ignore[valid-type]
    created_at: datetime
    name: str | None = None
    deactivated_at: datetime | None = None

    @strawberry.field(description="False once the user was deactivated.")
    def active(self) -> bool:
        return self.deactivated_at is None

    @classmethod
    def of(cls, row: records.User) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            role=row.role,
            created_at=row.created_at,
            name=row.name,
            deactivated_at=row.deactivated_at,
        )


@strawberry.type
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str
    permissions: list[str]
    project_id: strawberry.ID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: strawberry.ID | None = strawberry.field(
        default=None,
        description="The user who created the key (none: another key or the operator).",
    )

    @classmethod
    def of(cls, row: records.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            prefix=row.prefix,
            permissions=list(row.permissions),
            project_id=strawberry.ID(str(row.project_id)) if row.project_id else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            created_by=strawberry.ID(str(row.created_by)) if row.created_by else None,
        )


@strawberry.type
class Viewer:
    organization: Organization
    user: User | None
    api_key: ApiKey | None
    permissions: list[str]


@strawberry.type
class QueueSettings:
    max_attempts: int
    base_delay_seconds: float
    multiplier: float
    max_delay_seconds: float
    jitter: bool
    timeout_seconds: int | None
    retention_days: int | None = strawberry.field(
        default=None,
        description="Days its finished jobs are kept; null: the deployment's default "
        "(TASKFORGE_JOB_RETENTION_DAYS).",
    )

    @classmethod
    def of(cls, raw: Mapping[str, Any], retention_days: int | None = None) -> QueueSettings:
        s = DomainQueueSettings.from_json(dict(raw))
        return cls(
            max_attempts=s.retry.max_attempts,
            base_delay_seconds=s.retry.base_delay,
            multiplier=s.retry.multiplier,
            max_delay_seconds=s.retry.max_delay,
            jitter=s.retry.jitter,
            timeout_seconds=s.timeout_seconds,
            retention_days=retention_days,
        )


@strawberry.type
class Project:
    id: strawberry.ID
    name: str
    description: str | None
    created_at: datetime

    @strawberry.field
    async def queues(self, info: strawberry.Info[Context, None]) -> list[Queue]:
        rows = await info.context.loaders.queues_by_project.load(uuid.UUID(self.id))
        return [Queue.of(row) for row in rows]

    @classmethod
    def of(cls, row: records.Project) -> Project:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            created_at=row.created_at,
        )


@strawberry.type
class Queue:
    id: strawberry.ID
    name: str
    priority: int
    settings: QueueSettings
    created_at: datetime
    project_id: strawberry.ID
    paused_at: datetime | None = strawberry.field(
        default=None, description="Set while paused: the queue accepts jobs and starts none."
    )
    concurrency: ConcurrencyRule | None = strawberry.field(
        default=None, description="The concurrency limit of its jobs (unless a job has its own)."
    )
    rate_limit: RateLimitRule | None = strawberry.field(
        default=None, description="The rate limit of its jobs (unless a job has its own)."
    )

    @strawberry.field
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @strawberry.field
    async def project(self, info: strawberry.Info[Context, None]) -> Project:
        row = await info.context.loaders.project.load(uuid.UUID(self.project_id))
        return Project.of(row)

    @strawberry.field(
        description="Live figures of the queue, read through indexes and bounded by "
        "countLimit (never a scan of its jobs)."
    )
    async def stats(self, info: strawberry.Info[Context, None]) -> QueueStats:
        figures = await info.context.loaders.queue_stats.load(uuid.UUID(self.id))
        if figures is None:  # deleted since it was read
            raise NotFound("queue", self.id)
        return QueueStats.of(figures)

    @classmethod
    def of(cls, row: records.Queue) -> Queue:
        concurrency, rate_limit = queue_rules(row.settings)
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            priority=row.priority,
            settings=QueueSettings.of(row.settings, row.retention_days),
            created_at=row.created_at,
            project_id=strawberry.ID(str(row.project_id)),
            paused_at=row.paused_at,
            concurrency=concurrency,
            rate_limit=rate_limit,
        )


@strawberry.type
class Job:
    id: strawberry.ID
    job_type: str
    payload: JSON
    status: JobStatusEnum  # type: ignore[valid-type]
    status_reason: str | None
    dependency_status: DependencyStatusEnum  # type: ignore[valid-type]
    priority: int
    scheduled_for: datetime | None
    attempts: int
    max_attempts: int | None
    output: JSON | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    queue_id: strawberry.ID
    project_id: strawberry.ID
    name: str | None = strawberry.field(description="The job's name within its workflow.")
    workflow_id: strawberry.ID | None
    concurrency_key: str | None = strawberry.field(
        default=None,
        description="The value of its concurrency key (its own rule's or its queue's, as "
        "text; null: no concurrency limit).",
    )
    rate_limit_key: str | None = strawberry.field(
        default=None,
        description="The value of its rate-limit key (as text; null: no rate limit).",
    )
    trigger_rule: TriggerRuleEnum = strawberry.field(  # type: ignore[valid-type]
        default=TriggerRule.ALL_SUCCESS,
        description="When it may run once it has dependencies: set by its workflow "
        "definition's `trigger_rule`, else ALL_SUCCESS.",
    )
    deduplicated: bool = strawberry.field(
        default=False,
        description="True in the response of an enqueue whose idempotencyKey an earlier "
        "call used: this is the job that call created, and nothing new was created. "
        "False everywhere else (job(id), listings, later reads).",
    )

    @strawberry.field(description="Edges this job waits on (it is their child).")
    async def dependencies(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Dependency, strawberry.lazy("taskforge.schema.workflow_types")]]:
        from taskforge.schema.workflow_types import Dependency

        rows = await info.context.loaders.edges.load(uuid.UUID(self.id))
        return [Dependency.of(e) for e in rows if str(e.child_job_id) == self.id]

    @strawberry.field(description="Edges from this job to the jobs that wait on it.")
    async def dependents(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Dependency, strawberry.lazy("taskforge.schema.workflow_types")]]:
        from taskforge.schema.workflow_types import Dependency

        rows = await info.context.loaders.edges.load(uuid.UUID(self.id))
        return [Dependency.of(e) for e in rows if str(e.parent_job_id) == self.id]

    @strawberry.field(
        description="A workflow job's latest child run, the template run it waits for (null"
        " for other jobs, and until it starts)."
    )
    async def child_workflow(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Workflow, strawberry.lazy("taskforge.schema.workflow_types")] | None:
        if self.job_type != WORKFLOW_JOB_TYPE:  # no query for the others
            return None
        from taskforge.schema.workflow_types import Workflow

        row = await info.context.loaders.child_workflow.load(uuid.UUID(self.id))
        return Workflow.of(row) if row is not None else None

    @strawberry.field(description="Jobs this job depends on.")
    async def parents(self, info: strawberry.Info[Context, None]) -> list[Job]:
        rows = await info.context.loaders.edges.load(uuid.UUID(self.id))
        ids = [e.parent_job_id for e in rows if str(e.child_job_id) == self.id]
        return [Job.of(j) for j in await info.context.loaders.job.load_many(ids) if j]

    @strawberry.field(description="Jobs that depend on this job.")
    async def children(self, info: strawberry.Info[Context, None]) -> list[Job]:
        rows = await info.context.loaders.edges.load(uuid.UUID(self.id))
        ids = [e.child_job_id for e in rows if str(e.parent_job_id) == self.id]
        return [Job.of(j) for j in await info.context.loaders.job.load_many(ids) if j]

    @strawberry.field
    async def queue(self, info: strawberry.Info[Context, None]) -> Queue:
        row = await info.context.loaders.queue.load(uuid.UUID(self.queue_id))
        return Queue.of(row)

    @strawberry.field(
        description="True while the job could be claimed (PENDING and ready, or SCHEDULED "
        "and due) but no online worker of its queue has a handler for its type: it waits "
        "for one rather than failing."
    )
    async def waiting_for_handler(self, info: strawberry.Info[Context, None]) -> bool:
        if not claimable(
            JobStatus(self.status),
            DependencyStatus(self.dependency_status),
            self.scheduled_for,
            info.context.svc.clock(),
        ):
            return False
        key = (uuid.UUID(self.queue_id), self.job_type)
        return not await info.context.loaders.handled.load(key)

    @strawberry.field(
        description="When the job can next be claimed while a time holds it back: its "
        "scheduledFor while it is SCHEDULED (a delayed start, a retry's backoff, a "
        "debounce period), else null."
    )
    def next_eligible_at(self) -> datetime | None:
        return next_eligible_at(JobStatus(self.status), self.scheduled_for)

    @strawberry.field(description="Progress its latest attempt reported (0 to 1), or null.")
    async def progress(self, info: strawberry.Info[Context, None]) -> float | None:
        rows = await info.context.loaders.executions.load(uuid.UUID(self.id))
        return rows[-1].progress if rows else None

    @strawberry.field(description="The message of its latest attempt's progress, or null.")
    async def progress_message(self, info: strawberry.Info[Context, None]) -> str | None:
        rows = await info.context.loaders.executions.load(uuid.UUID(self.id))
        return rows[-1].progress_message if rows else None

    @strawberry.field(
        description="The outputs of its direct parents in its workflow, by job name (null "
        "for a parent without output); empty for a job outside a workflow. What a worker "
        "handler reads as ctx.parents."
    )
    async def parent_outputs(self, info: strawberry.Info[Context, None]) -> JSON:
        if self.workflow_id is None:
            return cast(JSON, {})
        outputs = await info.context.loaders.parent_outputs.load(uuid.UUID(self.id))
        return cast(JSON, outputs)

    @strawberry.field(description="Every attempt, oldest first.")
    async def executions(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Execution, strawberry.lazy("taskforge.schema.execution_types")]]:
        from taskforge.schema.execution_types import Execution

        rows = await info.context.loaders.executions.load(uuid.UUID(self.id))
        return [Execution.of(r) for r in rows]

    @classmethod
    def of(cls, row: records.Job) -> Job:
        return cls(
            id=strawberry.ID(str(row.id)),
            job_type=row.job_type,
            payload=cast(JSON, row.payload),
            status=row.status,
            status_reason=row.status_reason,
            dependency_status=row.dependency_status,
            priority=row.priority,
            scheduled_for=row.scheduled_for,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            output=cast(JSON | None, row.output),
            error=row.error,
            created_at=row.created_at,
            updated_at=row.updated_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            queue_id=strawberry.ID(str(row.queue_id)),
            project_id=strawberry.ID(str(row.project_id)),
            name=row.name,
            workflow_id=strawberry.ID(str(row.workflow_id)) if row.workflow_id else None,
            concurrency_key=row.concurrency_key,
            rate_limit_key=row.rate_key,
            trigger_rule=row.trigger_rule,
            deduplicated=row.deduplicated,
        )


@strawberry.type(
    description="The jobs one enqueueJobBatch call created, in the order of its payloads."
)
class JobBatch:
    rows: strawberry.Private[list[records.Job]]

    @strawberry.field(description="How many jobs were created.")
    def count(self) -> int:
        return len(self.rows)

    @strawberry.field(
        description="The new jobs' ids: the cheap answer for a large batch (one list of "
        "scalars instead of an object a job)."
    )
    def ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(str(row.id)) for row in self.rows]

    @strawberry.field(description="The new jobs.")
    def jobs(self) -> list[Job]:
        return [Job.of(row) for row in self.rows]


@strawberry.type
class LoginPayload:
    token: str
    expires_at: datetime
    user: User


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey
    secret: str = strawberry.field(description="The key itself; shown only this once.")


@strawberry.type
class JobStatusEvent:
    event_id: strawberry.ID
    job_id: strawberry.ID
    queue_id: strawberry.ID
    project_id: strawberry.ID
    job_type: str
    status: JobStatusEnum  # type: ignore[valid-type]
    previous_status: JobStatusEnum | None  # type: ignore[valid-type]
    reason: str | None
    occurred_at: datetime
    workflow_id: strawberry.ID | None = None
    progress: float | None = strawberry.field(
        default=None,
        description="A running job's progress (0 to 1) on a progress report (reason"
        " `progress`, status unchanged); null on status changes.",
    )
    progress_message: str | None = None
    deleted: bool = strawberry.field(
        default=False,
        description="The event is the job's deletion (`status`: its status when deleted).",
    )

    @strawberry.field(description="The job now, or null if it was deleted since.")
    async def job(self, info: strawberry.Info[Context, None]) -> Job | None:
        row = await info.context.loaders.job.load(uuid.UUID(self.job_id))
        return Job.of(row) if row is not None else None
