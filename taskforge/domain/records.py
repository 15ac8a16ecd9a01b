"""Records: the frozen rows services hand up to the GraphQL layer.

A record is built from any row shape a store returns (an ORM object, a SQLAlchemy
``Row``, a driver row, a namespace) by attribute access, or from a mapping. Field names
are the column attributes' names, so a record reads like the row it came from.

These sit on hot read paths (a claim hands up hundreds of jobs): ``of`` reads the fields
with one ``operator.attrgetter`` built when the class is defined, never by introspection
per call. The graph's rows are named tuples rather than dataclasses, because a graph of
10,000 jobs builds 10,000 of them and ``tuple.__new__`` costs a fraction of a frozen
dataclass's field-by-field ``__init__``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, Self, TypeVar, cast

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

# graphs are handed up in the stores' own shape (domain/rows.py)
from taskforge.domain.rows import GraphEdge as GraphEdge
from taskforge.domain.rows import GraphJob as GraphJob

R = TypeVar("R", bound="Record")


class Paged(Protocol):
    """What a connection's cursor is made of (every listed record has both)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def created_at(self) -> datetime: ...


class Record:
    """Base of the frozen records: construction from a row or a mapping."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()
    _read: ClassVar[Callable[[Any], tuple[Any, ...]]]

    @classmethod
    def of(cls, row: Any) -> Self:
        """The record of a row read by attribute (ORM object, ``Row``, driver row)."""
        return cls(*cls._read(row))

    @classmethod
    def all(cls, rows: Iterable[Any]) -> list[Self]:
        read = cls._read
        return [cls(*read(row)) for row in rows]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Self:
        """The record of a mapping with (at least) the record's fields as keys."""
        return cls(*[values[name] for name in cls._names])

    def replace(self, **changes: Any) -> Self:
        """A copy with these fields changed (a transient one, such as ``deduplicated``)."""
        return cast(Self, dataclasses.replace(cast(Any, self), **changes))


TRANSIENT = "taskforge.transient"


def transient(default: Any) -> Any:
    """A field no row has: what one response says about its record (``deduplicated``),
    left at ``default`` by ``of``, ``all`` and ``from_mapping`` and set with
    ``dataclasses.replace``. Transient fields come last (construction is positional)."""
    return field(default=default, metadata={TRANSIENT: True})


def record(cls: type[R]) -> type[R]:
    """Make ``cls`` a frozen, slotted dataclass with its precomputed field reader."""
    made = dataclass(frozen=True, slots=True)(cls)
    declared = fields(cast(Any, made))
    names = tuple(f.name for f in declared if not f.metadata.get(TRANSIENT))
    if [f.name for f in declared[: len(names)]] != list(names):
        raise TypeError(f"{cls.__name__}: transient fields must follow every read field")
    made._names = names
    getter = attrgetter(*names)
    # attrgetter of one name returns the value itself, not a 1-tuple
    made._read = getter if len(names) > 1 else lambda row: (getter(row),)  # type: ignore[assignment]
    return made


@record
class Organization(Record):
    id: uuid.UUID
    name: str
    billing_email: str
    created_at: datetime
    suspended_at: datetime | None
    deleted_at: datetime | None


@record
class Subscription(Record):
    organization_id: uuid.UUID
    tier: Tier
    max_jobs_per_month: int | None
    max_workers: int | None
    usage_period: str
    jobs_used: int
    current_period_end: datetime | None
    period_anchor: datetime | None


@record
class User(Record):
    """A user, without the password hash (it never leaves the auth service)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: UserRole
    created_at: datetime
    name: str | None
    deactivated_at: datetime | None


@record
class ApiKey(Record):
    """An API key, without its hash."""

    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID | None
    name: str
    prefix: str
    permissions: Sequence[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: uuid.UUID | None


@record
class Invitation(Record):
    """An invitation, without its token's hash."""

    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: UserRole
    invited_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


@record
class Project(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime


@record
class Queue(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID
    name: str
    priority: int
    settings: Mapping[str, Any]
    created_at: datetime
    paused_at: datetime | None
    retention_days: int | None


@record
class Job(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID
    queue_id: uuid.UUID
    workflow_id: uuid.UUID | None
    name: str | None
    job_type: str
    payload: Mapping[str, Any]
    status: JobStatus
    status_reason: str | None
    dependency_status: DependencyStatus
    priority: int
    scheduled_for: datetime | None
    attempts: int
    max_attempts: int | None
    output: Mapping[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # flow control: its concurrency and rate-limit key values (None: no such rule)
    concurrency_key: str | None
    rate_key: str | None
    # when it may run once it has incoming edges (domain.dependencies.child_outcome)
    trigger_rule: TriggerRule
    # this response returned the job an earlier call with its idempotency key created
    deduplicated: bool = transient(False)


@record
class Execution(Record):
    """One attempt of a job."""

    id: uuid.UUID
    organization_id: uuid.UUID
    job_id: uuid.UUID
    worker_id: uuid.UUID | None
    status: ExecutionStatus
    attempt_number: int
    output: Mapping[str, Any] | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    lease_expires_at: datetime | None
    deadline_at: datetime | None
    created_at: datetime
    progress: float | None
    progress_message: str | None
    traceback: str | None


@record
class ExecutionLog(Record):
    id: int
    execution_id: uuid.UUID
    level: LogLevel
    message: str
    metadata_: Mapping[str, Any]
    logged_at: datetime


@record
class Edge(Record):
    """A dependency edge, parent -> child."""

    id: uuid.UUID
    organization_id: uuid.UUID
    parent_job_id: uuid.UUID
    child_job_id: uuid.UUID
    dependency_type: DependencyType
    condition: DependencyCondition
    expression: str | None
    status: EdgeStatus
    resolved_at: datetime | None
    resolved_by: str | None
    created_at: datetime


@record
class Workflow(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str | None
    definition: Mapping[str, Any]
    status: WorkflowStatus
    failure_policy: FailurePolicy
    timeout_seconds: int | None
    priority: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    deadline_at: datetime | None
    pruned_at: datetime | None
    # the template (name, version) it was copied from; a child run's workflow job, that
    # job's workflow, and how deep it nests (0: a top-level run)
    template_name: str | None
    template_version: int | None
    parent_job_id: uuid.UUID | None
    parent_workflow_id: uuid.UUID | None
    nesting: int
    input: Mapping[str, Any] | None  # the run's input (None: none was given)
    # this response returned the workflow an earlier call with its idempotency key created
    deduplicated: bool = transient(False)

    @classmethod
    def without_definition(cls, row: Any) -> Workflow:
        """The record of a row read without its definition: ``definition`` is UNREAD."""
        return cls(*[UNREAD if n == "definition" else getattr(row, n) for n in cls._names])


@record
class WorkflowTemplate(Record):
    """One version of a named workflow definition of a project."""

    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID
    name: str
    version: int
    description: str | None
    definition: Mapping[str, Any]
    job_count: int
    created_by: str | None
    created_at: datetime


UNREAD: Mapping[str, Any] = MappingProxyType({})
"""A workflow's definition its read left unread (told apart by identity)."""


@record
class Schedule(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID
    queue_id: uuid.UUID | None
    name: str
    kind: ScheduleKind
    expression: str
    timezone: str
    job_type: str | None
    payload: Mapping[str, Any]
    priority: int
    max_attempts: int | None
    workflow_definition: Mapping[str, Any] | None
    status: ScheduleStatus
    misfire_policy: MisfirePolicy
    max_runs: int | None
    runs_count: int
    anchor_at: datetime | None
    next_run_at: datetime | None
    last_run_at: datetime | None
    rate_limit_per_minute: int | None
    pending_fire_at: datetime | None
    deferrals: int
    last_deferred_at: datetime | None
    last_error: str | None
    metadata_: Mapping[str, Any]
    created_by: str | None
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    next_occurrence_at: datetime | None
    jitter_seconds: int
    overlap_policy: OverlapPolicy
    last_job_id: uuid.UUID | None
    last_workflow_id: uuid.UUID | None
    buffered_fire_at: datetime | None
    skipped_count: int
    pause_after_failures: int | None
    consecutive_failures: int
    paused_reason: str | None
    backfill_until: datetime | None
    input: Mapping[str, Any] | None


@record
class ScheduleFire(Record):
    """One fired occurrence of a schedule and what it created."""

    id: uuid.UUID
    organization_id: uuid.UUID
    schedule_id: uuid.UUID
    fire_at: datetime
    fired_at: datetime
    job_id: uuid.UUID | None
    workflow_id: uuid.UUID | None


@record
class Worker(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    project_id: uuid.UUID | None
    name: str
    worker_type: WorkerType
    status: WorkerStatus
    last_heartbeat: datetime | None
    created_at: datetime
    job_types: list[str] | None  # the types it has handlers for (None: any)


@record
class Assignment(Record):
    """A worker's assignment to a queue, with its weight."""

    queue_id: uuid.UUID
    worker_id: uuid.UUID
    weight: int
    is_active: bool
    created_at: datetime
