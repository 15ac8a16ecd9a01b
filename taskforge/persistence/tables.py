"""SQLAlchemy tables for every entity. Indexes follow seed 003 §8.1 plus the hot paths.

Tenant-owned rows carry ``organization_id`` directly so every query filters on it
without a join.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    ExecutionStatus,
    FailurePolicy,
    JobStatus,
    LogLevel,
    MisfirePolicy,
    OverlapPolicy,
    ScheduleKind,
    ScheduleStatus,
    Tier,
    TriggerRule,
    UserRole,
    WorkerStatus,
    WorkerType,
    WorkflowStatus,
)
from taskforge.persistence.types import (
    BigId,
    NullableJSON,
    PortableJSON,
    UTCDateTime,
    str_enum,
    utcnow,
)

CASCADE = "CASCADE"


def status_in(statuses: Collection[StrEnum], column: str = "status") -> str:
    """A literal SQL predicate: ``column`` holds one of these statuses. Set-based writes
    build their WHERE from the domain's source sets (``domain.transitions``) with it, once,
    at import: statement texts stay constant (prepared once per connection)."""
    values = sorted(s.value for s in statuses)
    if len(values) == 1:  # the form partial index predicates are written in
        return f"{column} = '{values[0]}'"
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Literal, not bound: a partial index is only usable when the query states its predicate
# (SQLite) and in PostgreSQL's generic plans of prepared statements. Written out rather
# than built: an index predicate changes only with a migration (tests keep both equal to
# status_in of the domain's CLAIMABLE and DUE).
READY_PREDICATE = "status = 'PENDING' AND dependency_status IN ('NONE', 'SATISFIED')"
DUE_PREDICATE = "status = 'SCHEDULED'"
# a debounced job that waits: what a later enqueue of its key value replaces. A lookup
# states the status part; its equality on debounce_key implies the rest (both databases)
WAITING_PREDICATE = "status IN ('PENDING', 'SCHEDULED')"
DEBOUNCE_PREDICATE = f"debounce_key IS NOT NULL AND {WAITING_PREDICATE}"
# the tenant's running jobs (the orphan check, Queue.stats)
PROCESSING_PREDICATE = "status = 'PROCESSING'"
# jobs that have ended, by their finished_at (the listing by finished time)
ENDED_PREDICATE = "finished_at IS NOT NULL"


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: PortableJSON}


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _org() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete=CASCADE), index=True)


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(200))
    billing_email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # set by the operator (taskforge org suspend): credentials refused, nothing claimed
    suspended_at: Mapped[datetime | None]
    # set by taskforge org delete: the removal engine deletes what it owns, then the row
    deleted_at: Mapped[datetime | None]


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole))
    created_at: Mapped[datetime] = _created()
    name: Mapped[str | None] = mapped_column(String(200))
    # set: the user can no longer log in, and their tokens and keys are refused
    deactivated_at: Mapped[datetime | None]
    # tokens issued before this are refused
    password_changed_at: Mapped[datetime | None]


class Subscription(Base):
    """Tier and limits of an organization, plus the running monthly usage counter."""

    __tablename__ = "subscriptions"
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE), unique=True
    )
    tier: Mapped[Tier] = mapped_column(str_enum(Tier))
    max_jobs_per_month: Mapped[int | None]
    max_workers: Mapped[int | None]
    current_period_end: Mapped[datetime | None]
    usage_period: Mapped[str] = mapped_column(String(7), default="")
    jobs_used: Mapped[int] = mapped_column(default=0)
    # periods end whole months after this instant (domain.subscriptions); jobs_used
    # counts the period ending at current_period_end
    period_anchor: Mapped[datetime | None]


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permissions: Mapped[list[str]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # the user who created it (none: created by a key or the operator); their
    # deactivation stops it
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class Invitation(Base):
    """A single-use invitation to join an organization; only its token's hash is kept."""

    __tablename__ = "invitations"
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class JobQueue(Base):
    __tablename__ = "job_queues"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete=CASCADE))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(default=5)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    # set while paused: the claim skips the queue (read in the claim's first statement)
    paused_at: Mapped[datetime | None]
    # days its finished jobs are kept; None: the deployment's job_retention_days
    retention_days: Mapped[int | None]
    # set once a flow rule (concurrency key, rate limit) was configured on the queue or
    # came with one of its jobs, and never cleared: its claims take the flow path
    # (services/flow_claims), the others keep the plain claim statements (migration 0027)
    flow_control: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


# retention: an ended workflow whose jobs have not all been deleted yet
WORKFLOW_EXPIRABLE_PREDICATE = (
    "status IN ('CANCELLED', 'FAILED', 'SUCCEEDED') AND pruned_at IS NULL"
)


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (
        # the timeout engine: live workflows by deadline
        Index(
            "idx_workflows_deadline",
            "deadline_at",
            postgresql_where=text("status IN ('RUNNING', 'PAUSED')"),
            sqlite_where=text("status IN ('RUNNING', 'PAUSED')"),
        ),
        Index("idx_workflows_org_created", "organization_id", "created_at", "id"),
        # retention: each project's ended workflows whose jobs are still kept, oldest
        # first (services/retention); a workflow leaves it once its last job has gone
        Index(
            "idx_workflows_expirable",
            "project_id",
            "finished_at",
            postgresql_where=text(WORKFLOW_EXPIRABLE_PREDICATE),
            sqlite_where=text(WORKFLOW_EXPIRABLE_PREDICATE),
        ),
        # sub-workflows: the child runs a workflow job started (migration 0032); partial,
        # so a top-level run writes no entry
        Index(
            "idx_workflows_parent_job",
            "parent_job_id",
            postgresql_where=text("parent_job_id IS NOT NULL"),
            sqlite_where=text("parent_job_id IS NOT NULL"),
        ),
    )
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete=CASCADE))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[WorkflowStatus] = mapped_column(str_enum(WorkflowStatus))
    failure_policy: Mapped[FailurePolicy] = mapped_column(str_enum(FailurePolicy))
    timeout_seconds: Mapped[int | None]
    priority: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    # retention: the jobs' counts per status ({"SUCCEEDED": 3, ...}), frozen before the
    # first of its jobs is deleted; every read of its counts answers from them once set
    retained_counts: Mapped[dict[str, int] | None] = mapped_column(NullableJSON)
    # when retention deleted the last of its jobs
    pruned_at: Mapped[datetime | None]
    # the template (name, version) the run's definition was copied from (migration 0032)
    template_name: Mapped[str | None] = mapped_column(String(200))
    template_version: Mapped[int | None]
    # a child run: the workflow job that started it and that job's workflow (no foreign
    # keys: a job's deletion need not probe workflows, and a child outlives nothing it
    # needs), and how deep it nests (0: a top-level run)
    parent_job_id: Mapped[uuid.UUID | None]
    parent_workflow_id: Mapped[uuid.UUID | None]
    nesting: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # how many of its jobs are workflow jobs (fixed at creation, like its jobs): the
    # engine looks for child runs to start only among the released jobs of those with some
    subworkflow_jobs: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # the schedule whose occurrence created it (migration 0031), as for jobs
    schedule_id: Mapped[uuid.UUID | None]
    # the run's input (createWorkflow / startWorkflow; NULL: none given), the definition's
    # JSON Schema for it, and whether any job's payload references the input or its
    # parents' outputs: the release of a workflow without references reads nothing more
    # (services/run_data; migration 0030)
    input: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    input_schema: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    payload_refs: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # how many of its jobs map over a list (fixed at creation, like subworkflow_jobs): the
    # engine looks for templates to expand only among the released jobs of those with some
    map_templates: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class WorkflowTemplate(Base):
    """A named, versioned workflow definition of a project (migration 0032): versions
    count from 1 per name and never change once saved."""

    __tablename__ = "workflow_templates"
    __table_args__ = (
        UniqueConstraint("organization_id", "project_id", "name", "version"),
        Index("idx_workflow_templates_org_created", "organization_id", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE)
    )
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete=CASCADE))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    # the definition as data (JSON or YAML text parsed), as it was given
    definition: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    job_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created()


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # due retries and delayed starts
        Index(
            "idx_jobs_due",
            "queue_id",
            "scheduled_for",
            postgresql_where=text(DUE_PREDICATE),
            sqlite_where=text(DUE_PREDICATE),
        ),
        # tenant listing, newest first (keyset pagination)
        Index("idx_jobs_org_created", "organization_id", "created_at", "id"),
        # a queue's jobs, and its listing newest first (migration 0037: it replaced the
        # index on queue_id alone, so a job writes no more entries than before, if larger
        # ones). With the id: without it the page needs a sort of created_at's ties, and
        # then the planner walked the tenant's index instead, past every newer job
        Index("idx_jobs_queue_created", "queue_id", "created_at", "id"),
        # the tenant's listing by finished time, newest first (jobs(finishedAfter/Before),
        # migration 0037); partial: a job writes its entry when it ends
        Index(
            "idx_jobs_org_finished",
            "organization_id",
            "finished_at",
            "id",
            postgresql_where=text(ENDED_PREDICATE),
            sqlite_where=text(ENDED_PREDICATE),
        ),
        # a workflow's jobs, and "has it any job still live" as one index probe; partial
        # (migration 0020): a job outside a workflow writes no entry here on each status
        # change, and every condition on workflow_id implies workflow_id IS NOT NULL
        Index(
            "idx_jobs_workflow_status",
            "workflow_id",
            "status",
            postgresql_where=text("workflow_id IS NOT NULL"),
            sqlite_where=text("workflow_id IS NOT NULL"),
        ),
        # a map template's children by status (migration 0038): which states its
        # children's implied edges are in, a probe per status; partial, so only mapped
        # children write entries
        Index(
            "idx_jobs_map_children",
            "map_parent_id",
            "status",
            postgresql_where=text("map_parent_id IS NOT NULL"),
            sqlite_where=text("map_parent_id IS NOT NULL"),
        ),
        # the orphan check, and a queue's running jobs (Queue.stats: with the queue, not
        # the tenant's every running job, migration 0037); partial, so an attempt writes
        # it once, not on each change
        Index(
            "idx_jobs_processing",
            "organization_id",
            "queue_id",
            postgresql_where=text(PROCESSING_PREDICATE),
            sqlite_where=text(PROCESSING_PREDICATE),
        ),
    )
    id: Mapped[uuid.UUID] = _id()
    # the queue's organization and project (an enqueue copies them from its row): its key
    # implies theirs, which cost a locking query per inserted job (migration 0019)
    organization_id: Mapped[uuid.UUID]
    project_id: Mapped[uuid.UUID]
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_queues.id", ondelete=CASCADE))
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflows.id", ondelete=CASCADE)
    )
    name: Mapped[str | None] = mapped_column(String(200))
    job_type: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus))
    status_reason: Mapped[str | None] = mapped_column(String(200))
    dependency_status: Mapped[DependencyStatus] = mapped_column(
        str_enum(DependencyStatus), default=DependencyStatus.NONE
    )
    priority: Mapped[int] = mapped_column(default=5)
    scheduled_for: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int | None]
    output: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # the W3C traceparent of the span that created the job (tracing on; migration 0022)
    trace_context: Mapped[str | None] = mapped_column(String(256))
    # flow control (migration 0027): the job's concurrency key value (its own rule's or
    # its queue's; NULL: none) and how many of that value may run at once in its queue;
    # its rate-limit key value, starts allowed per period (seconds); and its round-robin
    # position among its queue's concurrency keys (claim order: priority, fair_seq, age;
    # 0 in queues without flow rules, so their order is by priority and age)
    concurrency_key: Mapped[str | None] = mapped_column(String(255))
    concurrency_max: Mapped[int | None]
    rate_key: Mapped[str | None] = mapped_column(String(255))
    rate_limit: Mapped[int | None]
    rate_period: Mapped[int | None]
    fair_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # the key value of a debounced job (services/debounce; migration 0028), else NULL
    debounce_key: Mapped[str | None] = mapped_column(Text)
    # when a job with incoming edges may run (domain.dependencies; migration 0029): read
    # by the engine with the rows it decides, never on the claim path
    trigger_rule: Mapped[TriggerRule] = mapped_column(
        str_enum(TriggerRule), default=TriggerRule.ALL_SUCCESS, server_default="ALL_SUCCESS"
    )
    # the schedule whose occurrence created it (migration 0031), else NULL: what tells a
    # run's end to its schedule (services/schedule_runs) without a query per job. No
    # foreign key: a schedule is soft-deleted, and a key check costs every insert
    schedule_id: Mapped[uuid.UUID | None]
    # a workflow job's payload as defined, when it has references ({{ input.x }}): each
    # release resolves it into ``payload`` (services/run_data; migration 0030), else NULL
    payload_template: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    # dynamic fan-out (services/mapping; migration 0033). On a job with ``map_over`` (its
    # template): the list's reference, and how many children it made (NULL until it
    # expanded). On each mapped child: its template and its item's position. No foreign
    # key: a key check costs each of 10,000 inserts; the children are found by edges
    map_over: Mapped[str | None] = mapped_column(Text)
    map_count: Mapped[int | None]
    map_parent_id: Mapped[uuid.UUID | None]
    map_index: Mapped[int | None]


# retention: a queue's finished jobs outside workflows (which keep their jobs), oldest
# first (services/retention); the claim's rows are never in it
FINISHED_PREDICATE = "status IN ('CANCELLED', 'FAILED', 'SKIPPED', 'SUCCEEDED')"
EXPIRABLE_PREDICATE = f"{FINISHED_PREDICATE} AND workflow_id IS NULL"
Index(
    "idx_jobs_finished",
    Job.queue_id,
    Job.finished_at,
    postgresql_where=text(EXPIRABLE_PREDICATE),
    sqlite_where=text(EXPIRABLE_PREDICATE),
)

# a queue's outcomes over time (Queue.stats: succeeded and failed in the last hour, per
# minute), workflow jobs included (migration 0037). Partial on the two outcomes counted:
# a job writes its entry once, when it ends, and the claim path's rows are never in it
OUTCOME_PREDICATE = "status IN ('FAILED', 'SUCCEEDED')"
Index(
    "idx_jobs_outcomes",
    Job.queue_id,
    Job.status,
    Job.finished_at,
    postgresql_where=text(OUTCOME_PREDICATE),
    sqlite_where=text(OUTCOME_PREDICATE),
)

# debounce: the waiting jobs of a (queue, key value), which the next enqueue of that key
# value replaces; partial, so a job without a key writes no entry
Index(
    "idx_jobs_debounce",
    Job.queue_id,
    Job.debounce_key,
    postgresql_where=text(DEBOUNCE_PREDICATE),
    sqlite_where=text(DEBOUNCE_PREDICATE),
)

# claim path: only claimable rows, already in claim order (see postgres/executions):
# priority, then the round-robin position among concurrency keys (0 outside flow-control
# queues: there the order is priority then age), then age (migration 0027)
Index(
    "idx_jobs_ready",
    Job.queue_id,
    Job.priority.desc(),
    Job.fair_seq,
    Job.created_at,
    postgresql_where=text(READY_PREDICATE),
    sqlite_where=text(READY_PREDICATE),
)
# typed claims (a worker's handler types): the same rows by queue, type, claim order; a
# queue's rows of other types are never read (migration 0024)
Index(
    "idx_jobs_ready_typed",
    Job.queue_id,
    Job.job_type,
    Job.priority.desc(),
    Job.fair_seq,
    Job.created_at,
    postgresql_where=text(READY_PREDICATE),
    sqlite_where=text(READY_PREDICATE),
)
# flow control (migration 0027), only rows with a concurrency key: the running jobs of
# each key (what a flow claim counts), and the live ones (what a cancelling strategy
# counts at enqueue, and the last round-robin position of a key). The running one's
# status is an expression (`status || ''`), so that a statement stating it implies no
# other index's predicate: with "status = 'PROCESSING'" a flow claim's probe of a key
# could be planned on idx_jobs_processing, every tenant's running jobs, where an
# ANALYZE taken while nothing ran has that index look empty.
RUNNING_KEYED_PREDICATE = "(status || '') = 'PROCESSING' AND concurrency_key IS NOT NULL"
LIVE_KEYED_PREDICATE = (
    "status IN ('PENDING', 'PROCESSING', 'SCHEDULED') AND concurrency_key IS NOT NULL"
)
Index(
    "idx_jobs_concurrency_running",
    Job.queue_id,
    Job.concurrency_key,
    postgresql_where=text(RUNNING_KEYED_PREDICATE),
    sqlite_where=text(RUNNING_KEYED_PREDICATE),
)
Index(
    "idx_jobs_concurrency_live",
    Job.queue_id,
    Job.concurrency_key,
    Job.fair_seq,
    postgresql_where=text(LIVE_KEYED_PREDICATE),
    sqlite_where=text(LIVE_KEYED_PREDICATE),
)


class RateLimitStart(Base):
    """One start of a rate-limited job (migration 0027): a flow claim counts a key's starts
    within its period here. No foreign keys (a key check would lock the queue's row in
    every such claim); the retention engine deletes rows once ``expires_at`` (the start
    plus the job's period) has passed, and with them those of deleted queues."""

    __tablename__ = "rate_limit_starts"
    __table_args__ = (
        Index("idx_rate_limit_starts_key", "queue_id", "rate_key", "started_at"),
        Index("idx_rate_limit_starts_expires", "expires_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID]
    queue_id: Mapped[uuid.UUID]
    rate_key: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WorkflowJobCount(Base):
    """A change to a workflow's job count per status: on PostgreSQL, statement triggers on
    ``jobs`` add one row per statement, workflow and status it moved (migration 0008).
    Summing a workflow's rows reads one per batch that touched it, where counting its
    jobs reads every job, for each event of a 10,000-job workflow. No foreign key: the
    rows of a deleted workflow are removed with it (services/workflows.delete)."""

    __tablename__ = "workflow_job_counts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(32))
    delta: Mapped[int] = mapped_column(BigInteger)


class Worker(Base):
    __tablename__ = "workers"
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete=CASCADE), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    worker_type: Mapped[WorkerType] = mapped_column(str_enum(WorkerType))
    status: Mapped[WorkerStatus] = mapped_column(str_enum(WorkerStatus))
    last_heartbeat: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = _created()
    # the job types it has handlers for, as advertised on register/hello (NULL: any)
    job_types: Mapped[list[str] | None] = mapped_column(NullableJSON)


class QueueWorkerAssignment(Base):
    __tablename__ = "queue_worker_assignments"
    queue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("job_queues.id", ondelete=CASCADE), primary_key=True
    )
    worker_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workers.id", ondelete=CASCADE), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()


class JobExecution(Base):
    __tablename__ = "job_executions"
    __table_args__ = (
        # live attempts: a worker's (its heartbeat extends their leases) and all of them
        # (the reaper); partial, so an attempt writes it once, not on each change
        Index(
            "idx_job_executions_live",
            "worker_id",
            "lease_expires_at",
            postgresql_where=text("status = 'STARTED'"),
            sqlite_where=text("status = 'STARTED'"),
        ),
    )
    id: Mapped[uuid.UUID] = _id()
    # no foreign key: the job's cascades the execution, and a key check here would lock
    # the tenant's row in every claim
    organization_id: Mapped[uuid.UUID]
    # no foreign keys either (migration 0019): each was a locking query per execution in
    # every claim. Triggers delete a job's executions with it and clear a deleted
    # worker's; a claim holds its jobs locked and locks its worker's row once.
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    worker_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[ExecutionStatus] = mapped_column(str_enum(ExecutionStatus))
    attempt_number: Mapped[int] = mapped_column(Integer)
    output: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    # started_at + the queue's timeout: past it the reaper fails the attempt
    deadline_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = _created()
    # what the handler last reported while running (0..1), and a failure's traceback
    progress: Mapped[float | None] = mapped_column(Float)
    progress_message: Mapped[str | None] = mapped_column(Text)
    progress_event_at: Mapped[datetime | None]  # the last report that wrote an event
    traceback: Mapped[str | None] = mapped_column(Text)


class ExecutionLog(Base):
    __tablename__ = "execution_logs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("job_executions.id", ondelete=CASCADE), index=True
    )
    level: Mapped[LogLevel] = mapped_column(str_enum(LogLevel))
    message: Mapped[str] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobDependency(Base):
    __tablename__ = "job_dependencies"
    __table_args__ = (
        # (parent, child) unique also serves "outgoing edges of these parents"
        UniqueConstraint("parent_job_id", "child_job_id"),
        # "does this child still wait on / has it lost an edge": index probes, even for
        # a fan-in of thousands
        Index("idx_job_dependencies_child_status", "child_job_id", "status"),
    )
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE)
    )
    parent_job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete=CASCADE))
    child_job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete=CASCADE))
    dependency_type: Mapped[DependencyType] = mapped_column(str_enum(DependencyType))
    condition: Mapped[DependencyCondition] = mapped_column(str_enum(DependencyCondition))
    expression: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EdgeStatus] = mapped_column(str_enum(EdgeStatus), default=EdgeStatus.PENDING)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()


BUFFERED_PREDICATE = "buffered_fire_at IS NOT NULL"
BACKFILL_PREDICATE = "backfill_due_at IS NOT NULL"
BACKFILL_NEXT_PREDICATE = "backfill_next_at IS NOT NULL"


class ScheduledJob(Base):
    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        # the engine's query: due ACTIVE schedules by time (deleted ones have no next run)
        Index("idx_scheduled_jobs_due", "status", "next_run_at"),
        # and each tick: those holding an occurrence until their live run ends (few)
        Index(
            "idx_scheduled_jobs_buffered",
            "buffered_fire_at",
            postgresql_where=text(BUFFERED_PREDICATE),
            sqlite_where=text(BUFFERED_PREDICATE),
        ),
        # and those whose next backfilled run may fire (migration 0035)
        Index(
            "idx_scheduled_jobs_backfill",
            "backfill_next_at",
            postgresql_where=text(BACKFILL_NEXT_PREDICATE),
            sqlite_where=text(BACKFILL_NEXT_PREDICATE),
        ),
    )
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete=CASCADE))
    queue_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("job_queues.id", ondelete=CASCADE)
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ScheduleKind] = mapped_column(str_enum(ScheduleKind))
    expression: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    job_type: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[int] = mapped_column(default=5)
    max_attempts: Mapped[int | None]
    workflow_definition: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    status: Mapped[ScheduleStatus] = mapped_column(str_enum(ScheduleStatus))
    misfire_policy: Mapped[MisfirePolicy] = mapped_column(
        str_enum(MisfirePolicy), default=MisfirePolicy.FIRE_ONCE
    )
    max_runs: Mapped[int | None]
    runs_count: Mapped[int] = mapped_column(default=0)
    # RECURRING intervals count from here (creation, or the last change of expression)
    anchor_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    rate_limit_per_minute: Mapped[int | None]
    # the first occurrence a rate limit deferred: owed, fired before anything newer
    pending_fire_at: Mapped[datetime | None]
    deferrals: Mapped[int] = mapped_column(default=0)
    last_deferred_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", PortableJSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # policies (migration 0031, domain/schedule_policies). next_run_at is when the next
    # run fires: next_occurrence_at, its occurrence in the timetable, plus its jitter
    next_occurrence_at: Mapped[datetime | None]
    jitter_seconds: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    overlap_policy: Mapped[OverlapPolicy] = mapped_column(
        str_enum(OverlapPolicy),
        default=OverlapPolicy.ALLOW_ALL,
        server_default=OverlapPolicy.ALLOW_ALL.value,
    )
    # the last run the timetable fired: whether it is live decides an overlap. No
    # foreign keys: a deleted job or workflow is simply not live
    last_job_id: Mapped[uuid.UUID | None]
    last_workflow_id: Mapped[uuid.UUID | None]
    # BUFFER_ONE: the occurrence waiting for the live run to end
    buffered_fire_at: Mapped[datetime | None]
    # occurrences the overlap policy skipped, in all
    skipped_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    pause_after_failures: Mapped[int | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # why the schedule paused itself (NULL: it did not; pauseSchedule leaves none)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    # when the last occurrence a backfill recorded fires: the next backfill queues after it
    backfill_until: Mapped[datetime | None]
    # a workflow schedule's run input (migration 0036; NULL: none), checked against the
    # definition's input_schema when saved and at each occurrence
    input: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    # when its next waiting backfilled occurrence may fire (NULL: none, or it is paused):
    # the backfill rate from the last one fired, or the next rate window
    backfill_next_at: Mapped[datetime | None]


class ScheduleFire(Base):
    """One fired occurrence. The unique (schedule, occurrence) pair is the guard that
    makes a double fire impossible even if two engines got past the row lock. A
    backfill records its occurrences at once, each waiting its turn in the schedule's
    queue (``backfill_due_at``) for the engine to create its run at the backfill rate."""

    __tablename__ = "schedule_fires"
    __table_args__ = (
        UniqueConstraint("schedule_id", "fire_at"),
        # a schedule's waiting (backfilled) occurrences in turn: only they are in it
        Index(
            "idx_schedule_fires_waiting",
            "schedule_id",
            "backfill_due_at",
            postgresql_where=text(BACKFILL_PREDICATE),
            sqlite_where=text(BACKFILL_PREDICATE),
        ),
    )
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scheduled_jobs.id", ondelete=CASCADE)
    )
    fire_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    # indexed: deleting a job sets its fires' job_id to NULL, found by this index
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL")
    )
    # a backfilled occurrence not fired yet: when it fires (migration 0031), else NULL
    backfill_due_at: Mapped[datetime | None]


class RateWindow(Base):
    """Jobs a tenant's schedules created per job type in one minute (rate limit)."""

    __tablename__ = "rate_windows"
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE), primary_key=True
    )
    job_type: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class IdempotencyKey(Base):
    """A tenant's key in one scope (``queue:<id>``, ``workflow``, ``schedule:<id>``) and
    what its first use created, until ``expires_at``. The primary key is the guard:
    concurrent first uses race on it (INSERT ... ON CONFLICT DO NOTHING) and the losers
    read the winner's row. No foreign keys to what it created: deleting a job or a
    workflow stays as cheap as before, and a key whose job is gone is free again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("idx_idempotency_keys_expires", "expires_at"),)  # the purge
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 (hex) of the request's inputs: a repeat with other inputs is CONFLICT
    fingerprint: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None]
    workflow_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Event(Base):
    """Outbox row, written in the transaction of the change it describes.

    A row holds ``span`` events of one tenant, topic and type that one transaction
    wrote in a row (a claim of 500 jobs writes one row, not 500): with ``span`` 1 the
    payload is the event's, else the list of their payloads. The relay stamps ``seq``
    in commit order, the first of the ``span`` consecutive public event ids the row's
    events get; those ids are the resume cursor (insertion ids can commit out of order
    on PostgreSQL).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "idx_events_unstamped",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
        Index("idx_events_org_seq", "organization_id", "seq"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigId, unique=True)
    span: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE)
    )
    topic: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(100))
    # JSON text, not JSONB: nothing in the database reads inside a payload, and parsing
    # a packed batch into JSONB (and printing it back for the relay) cost more than the
    # rest of its row's writes; lz4-compressed where the server has it (migration 0018)
    payload: Mapped[Any] = mapped_column(JSON(), default=dict)
    created_at: Mapped[datetime] = _created()


class OutboxCursor(Base):
    """Single row holding the last stamped ``seq``; its row lock elects the relay."""

    __tablename__ = "outbox_cursor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigId, default=0)
    # events up to this seq were pruned: a resume cursor below it must resync
    pruned_through: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    # names this database's broker channel (realtime/broker.events_channel)
    stream_id: Mapped[str | None] = mapped_column(String(36))


class AuditEntry(Base):
    """One administrative change, written in the transaction of the change itself.

    The actor columns carry no foreign key: an entry outlives the user or key it names.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("idx_audit_log_org_created", "organization_id", "created_at", "id"),)
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE)
    )
    created_at: Mapped[datetime] = _created()
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)


class EngineLease(Base):
    """Who runs a one-replica background task (the metrics sampler) until when: a replica
    takes the lease when it is free or expired and renews it while it runs the task."""

    __tablename__ = "engine_leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class Webhook(Base):
    """An organization's endpoint for some event types (domain/webhooks.py). The secret
    signs deliveries, so it is kept (not a hash) and shown once, when created."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("idx_webhooks_org_created", "organization_id", "created_at", "id"),)
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete=CASCADE)
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(PortableJSON)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


class WebhookDelivery(Base):
    """One event for one endpoint, and how sending it went.

    ``ordinal`` orders an endpoint's deliveries (the event's id; a redelivery's is the
    engine's cursor then, after every delivery made so far). Only the first open one of
    an endpoint has ``next_attempt_at`` set (the rest wait behind it, NULL), so the
    engine's claim reads due deliveries off (status, next_attempt_at) alone."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("idx_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("idx_webhook_deliveries_order", "webhook_id", "status", "ordinal"),
        Index("idx_webhook_deliveries_listing", "webhook_id", "created_at", "id"),
        Index("idx_webhook_deliveries_created", "created_at"),  # the log's retention
    )
    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = _org()
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete=CASCADE))
    ordinal: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    redelivery_of: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = _created()


class WebhookCursor(Base):
    """Single row: the last event id the webhook engine turned into deliveries; its row
    lock elects the engine that reads the outbox (SKIP LOCKED on PostgreSQL)."""

    __tablename__ = "webhook_cursor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
