"""GraphQL input types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from taskforge.domain.enums import DependencyCondition, DependencyType, LogLevel
from taskforge.domain.flow import Debounce
from taskforge.schema.boundary import PER_ITEM
from taskforge.schema.execution_types import LogLevelEnum
from taskforge.schema.flow_types import ConcurrencyInput, RateLimitInput
from taskforge.schema.input_build import quick
from taskforge.schema.template_types import WorkflowTemplateRefInput
from taskforge.schema.workflow_types import DependencyConditionEnum, DependencyTypeEnum


@strawberry.input
class QueueSettingsInput:
    max_attempts: int | None = None
    base_delay_seconds: float | None = None
    multiplier: float | None = None
    max_delay_seconds: float | None = None
    jitter: bool | None = None
    timeout_seconds: int | None = None
    retention_days: int | None = strawberry.field(
        default=None,
        description="Days finished jobs are kept (1-3650); 0 returns to the deployment's "
        "default (TASKFORGE_JOB_RETENTION_DAYS).",
    )
    concurrency: ConcurrencyInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The concurrency limit of the queue's jobs (a job's own replaces it); "
        "null removes it.",
    )
    rate_limit: RateLimitInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The rate limit of the queue's jobs (a job's own replaces it); null "
        "removes it.",
    )

    def changes(self) -> dict[str, Any]:
        names = {
            "max_attempts": "max_attempts",
            "base_delay_seconds": "base_delay",
            "multiplier": "multiplier",
            "max_delay_seconds": "max_delay",
            "jitter": "jitter",
            "timeout_seconds": "timeout_seconds",
            "retention_days": "retention_days",
        }
        out = {
            dst: getattr(self, src) for src, dst in names.items() if getattr(self, src) is not None
        }
        # flow rules, parsed: a rule, or None to remove the queue's
        if self.concurrency is not strawberry.UNSET:
            out["concurrency"] = self.concurrency.rule() if self.concurrency else None
        if self.rate_limit is not strawberry.UNSET:
            out["rate_limit"] = self.rate_limit.rule() if self.rate_limit else None
        return out


@strawberry.input(
    description="Of the jobs enqueued into one queue with one key value, only the last runs: "
    "a job waits until `period` seconds have passed since it was enqueued, and a later "
    "enqueue of its key value within that time cancels it (reason `debounced`)."
)
class DebounceInput:
    key: str | None = strawberry.field(
        default=None,
        description="An expression over the payload, e.g. `payload.customer_id`; a missing "
        "path is null (one group). Omitted: all the queue's debounced jobs form one group.",
    )
    period: int = strawberry.field(description="Seconds, 1 to 604800 (7 days).")

    def rule(self) -> Debounce:
        return Debounce.parse(self.key, self.period)


@quick  # enqueueJobs builds one a job (schema/input_build)
@strawberry.input
class EnqueueJobInput:
    queue_id: strawberry.ID
    job_type: str
    payload: JSON | None = strawberry.field(default=None, description="Defaults to {}.")
    priority: int = 5
    scheduled_for: datetime | None = None
    max_attempts: int | None = None
    # UNSET, not None, when absent: a field with a GraphQL default is filled in and
    # converted for every job of an enqueueJobs call (about 20 us each), one without is not
    concurrency: ConcurrencyInput | None = strawberry.field(
        default=strawberry.UNSET, description="The job's concurrency limit; default: its queue's."
    )
    rate_limit: RateLimitInput | None = strawberry.field(
        default=strawberry.UNSET, description="The job's rate limit; default: its queue's."
    )
    debounce: DebounceInput | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Names this enqueue within its queue (1-255 characters) for "
        "TASKFORGE_IDEMPOTENCY_HOURS (24) after its first use: a repeat with the same "
        "inputs returns the job the first created (deduplicated: true) instead of a new "
        "one; with other inputs it is CONFLICT.",
    )


@strawberry.input
class QueueWeightInput:
    queue_id: strawberry.ID
    weight: int = 1


@strawberry.input
class CompleteJobInput:
    execution_id: strawberry.ID
    # checked by the service per item, by the same rules: in a batch, a bad output
    # refuses its own acknowledgement, not the batch's (the worker fails that attempt)
    output: JSON | None = strawberry.field(default=None, metadata={PER_ITEM: True})


@strawberry.input(description="A job a running workflow job adds to its workflow (spawnJobs).")
class SpawnJobInput:
    job_type: str
    payload: JSON | None = strawberry.field(
        default=None, description="Defaults to {}; stored as given (no references)."
    )
    name: str | None = strawberry.field(
        default=None,
        description="Unique in the workflow; default: the job type and a few characters.",
    )
    queue: str | None = strawberry.field(
        default=None,
        description="A queue of the spawner's project, by name or id; default: the spawner's.",
    )


@strawberry.input
class FailJobInput:
    execution_id: strawberry.ID
    error: str
    retryable: bool = True
    traceback: str | None = strawberry.field(
        default=None, description="The handler's traceback; its last 16 KiB are kept."
    )


@strawberry.input
class LogEntryInput:
    message: str
    level: LogLevelEnum = LogLevel.INFO  # type: ignore[valid-type]
    metadata: JSON | None = None


@strawberry.input
class CreateDependencyInput:
    parent_job_id: strawberry.ID
    child_job_id: strawberry.ID
    type: DependencyTypeEnum = DependencyType.SEQUENTIAL  # type: ignore[valid-type]
    condition: DependencyConditionEnum = DependencyCondition.SUCCEEDED  # type: ignore[valid-type]
    expression: str | None = strawberry.field(
        default=None,
        description='CONDITIONAL edges: e.g. output.validation_status == "valid".',
    )


@strawberry.input
class CreateWorkflowInput:
    project_id: strawberry.ID
    definition: JSON | None = strawberry.field(
        default=None,
        description="The definition: an object, or JSON or YAML text (or give `template`).",
    )
    template: WorkflowTemplateRefInput | None = strawberry.field(
        default=None,
        description="Instead of `definition`: a template of the project, whose definition "
        "the run copies (a later version changes no run made before it).",
    )
    start: bool = False
    input: JSON | None = strawberry.field(
        default=None,
        description="The run's input, a JSON object its jobs' payloads can reference "
        "({{ input.date }}); checked against the definition's input_schema if it has one "
        "(when the workflow starts). Held to the payload limit.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Names this call among the organization's createWorkflow calls "
        "(1-255 characters) for TASKFORGE_IDEMPOTENCY_HOURS (24) after its first use: a "
        "repeat with the same inputs returns the workflow the first created "
        "(deduplicated: true); with other inputs it is CONFLICT.",
    )
