"""Enumerations shared by persistence, services and the schema."""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class Tier(StrEnum):
    STARTER = "STARTER"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


class JobStatus(StrEnum):
    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"


class DependencyStatus(StrEnum):
    NONE = "NONE"
    WAITING = "WAITING"
    SATISFIED = "SATISFIED"
    FAILED = "FAILED"


class WorkerType(StrEnum):
    GENERAL = "GENERAL"
    SPECIALIZED_CPU = "SPECIALIZED_CPU"
    SPECIALIZED_IO = "SPECIALIZED_IO"


class WorkerStatus(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    DRAINING = "DRAINING"


class ExecutionStatus(StrEnum):
    STARTED = "STARTED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RETRYING = "RETRYING"
    CANCELLED = "CANCELLED"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class DependencyType(StrEnum):
    SEQUENTIAL = "SEQUENTIAL"
    PARALLEL = "PARALLEL"
    CONDITIONAL = "CONDITIONAL"
    FAN_IN = "FAN_IN"
    FAN_OUT = "FAN_OUT"


class DependencyCondition(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ALWAYS = "ALWAYS"


class EdgeStatus(StrEnum):
    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class WorkflowStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class FailurePolicy(StrEnum):
    FAIL_FAST = "FAIL_FAST"
    CONTINUE_ON_FAILURE = "CONTINUE_ON_FAILURE"
    MANUAL = "MANUAL"


class TriggerRule(StrEnum):
    """When a job with incoming edges may run, read from its edges' states (a job
    without edges ignores it). See ``domain.dependencies.child_outcome``."""

    ALL_SUCCESS = "ALL_SUCCESS"
    ALL_DONE = "ALL_DONE"
    ALL_FAILED = "ALL_FAILED"
    ONE_SUCCESS = "ONE_SUCCESS"
    ONE_FAILED = "ONE_FAILED"
    NONE_FAILED = "NONE_FAILED"
    NONE_SKIPPED = "NONE_SKIPPED"


class ScheduleKind(StrEnum):
    ONCE = "ONCE"
    RECURRING = "RECURRING"
    CRON = "CRON"


class ScheduleStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class MisfirePolicy(StrEnum):
    """What a schedule does with occurrences missed while no scheduler ran."""

    SKIP = "SKIP"
    FIRE_ONCE = "FIRE_ONCE"
    FIRE_ALL = "FIRE_ALL"


class OverlapPolicy(StrEnum):
    """What a schedule does with an occurrence that falls due while its last run is live."""

    SKIP = "SKIP"  # record it as skipped
    BUFFER_ONE = "BUFFER_ONE"  # hold one, fired when the live run ends; skip the rest
    ALLOW_ALL = "ALLOW_ALL"  # fire it anyway
    CANCEL_PREVIOUS = "CANCEL_PREVIOUS"  # cancel the live run, then fire
