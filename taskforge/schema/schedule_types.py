"""GraphQL types of schedules: the schedule, its summary, and its inputs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.scalars import JSON

from taskforge.domain import records
from taskforge.domain.enums import MisfirePolicy, OverlapPolicy, ScheduleKind, ScheduleStatus
from taskforge.schema.boundary import InputBoundary
from taskforge.schema.schedule_run_types import ScheduleRunConnection
from taskforge.schema.template_types import WorkflowTemplateRefInput, WorkflowTemplateTarget
from taskforge.schema.types import Job
from taskforge.schema.workflow_types import Workflow
from taskforge.services import pagination, schedule_history, timetable
from taskforge.services import schedules as service
from taskforge.services.backfill import Report
from taskforge.services.scheduler import Triggered
from taskforge.services.schedules import ScheduleSpec, Summary
from taskforge.services.templates import ref_of, target_of

if TYPE_CHECKING:
    from taskforge.resolvers.context import Context

ScheduleKindEnum = strawberry.enum(ScheduleKind, name="ScheduleType")
ScheduleStatusEnum = strawberry.enum(ScheduleStatus, name="ScheduleStatus")
MisfirePolicyEnum = strawberry.enum(MisfirePolicy, name="MisfirePolicy")
OverlapPolicyEnum = strawberry.enum(
    OverlapPolicy,
    name="OverlapPolicy",
    description="What an occurrence does while the schedule's last run (its job or "
    "workflow) has not ended. SKIP: it is skipped (counted in skippedCount). BUFFER_ONE: "
    "one waits and fires as soon as that run ends; more are skipped. ALLOW_ALL: it fires "
    "anyway. CANCEL_PREVIOUS: the live run is cancelled (reason schedule_overlap), then "
    "it fires.",
)

CRON_HELP = (
    "ONCE: an RFC 3339 time. RECURRING: an interval such as 30s, 15m, 2h, 1d or 1h30m. "
    "CRON: 5 fields (minute hour day-of-month month day-of-week), 6 with SECONDS FIRST, "
    "or a macro: @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly."
)
OVERLAP_HELP = "Default: SKIP for a workflow target, ALLOW_ALL for a job target."
JITTER_HELP = (
    "Seconds (0-86400, default 0): each occurrence fires up to this much later (and "
    "before the next occurrence), by a delay derived from the schedule and the occurrence "
    "(the same in every replica)."
)
INPUT_HELP = (
    "A workflow schedule's run input: the JSON object each run starts with (its payloads' "
    "{{ input.x }}), held to the definition's input_schema when saved and at each run."
)
PAUSE_HELP = (
    "Pause the schedule (status PAUSED, pausedReason says why) once this many of its runs "
    "in a row failed (1-1000); a success starts the count again; null: never."
)


@strawberry.type
class Schedule:
    id: strawberry.ID
    name: str
    type: ScheduleKindEnum  # type: ignore[valid-type]
    expression: str = strawberry.field(description=CRON_HELP)
    timezone: str
    status: ScheduleStatusEnum  # type: ignore[valid-type]
    project_id: strawberry.ID
    queue_id: strawberry.ID | None
    job_type: str | None
    payload: JSON
    priority: int
    max_attempts: int | None
    workflow_definition: JSON | None
    misfire_policy: MisfirePolicyEnum  # type: ignore[valid-type]
    max_runs: int | None
    runs_count: int
    next_run_at: datetime | None
    last_run_at: datetime | None
    rate_limit_per_minute: int | None
    deferrals: int = strawberry.field(description="Runs the rate limit has deferred so far.")
    last_deferred_at: datetime | None
    deferred_occurrence: datetime | None = strawberry.field(
        description="An occurrence waiting for rate-limit capacity (fires first)."
    )
    last_error: str | None
    metadata: JSON
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    next_occurrence_at: datetime | None = strawberry.field(
        description="The next occurrence in the timetable; nextRunAt is when it fires "
        "(later by its jitter)."
    )
    overlap_policy: OverlapPolicyEnum = strawberry.field(  # type: ignore[valid-type]
        description=OVERLAP_HELP
    )
    jitter: int = strawberry.field(description=JITTER_HELP)
    buffered_occurrence: datetime | None = strawberry.field(
        description="BUFFER_ONE: the occurrence waiting for the live run to end."
    )
    skipped_count: int = strawberry.field(
        description="Occurrences the overlap policy skipped because the last run was live."
    )
    pause_after_failures: int | None = strawberry.field(description=PAUSE_HELP)
    consecutive_failures: int = strawberry.field(
        description="Runs that failed in a row, up to now (a success, or resuming, resets it)."
    )
    paused_reason: str | None = strawberry.field(
        description="Why the schedule paused itself, e.g. 'paused after 3 consecutive failed "
        "runs' (null when it did not: pauseSchedule gives none)."
    )
    input: JSON | None = strawberry.field(description=INPUT_HELP)
    _row: strawberry.Private[records.Schedule]
    triggered: TriggerResult | None = strawberry.field(
        default=None,
        description="What this triggerSchedule call created (null in any other response).",
    )

    @strawberry.field(description="The workflow template it runs (its workflowDefinition says so).")
    def workflow_template(self) -> WorkflowTemplateTarget | None:
        ref = target_of(self._row.workflow_definition)
        return None if ref is None else WorkflowTemplateTarget(name=ref.name, version=ref.version)

    @strawberry.field(
        description="When the next runs fire (at most 100), jitter included, honouring maxRuns."
    )
    def upcoming_runs(self, info: strawberry.Info[Context, None], count: int = 5) -> list[datetime]:
        return service.upcoming(info.context.svc, self._row, count)

    @strawberry.field(
        description="Its fired and backfilled occurrences, newest occurrence first (keyset "
        "paging on (schedule, occurrence)).",
        extensions=[InputBoundary()],  # a nested field's text argument: the root's rules
    )
    async def runs(
        self, info: strawberry.Info[Context, None], first: int = 20, after: str | None = None
    ) -> ScheduleRunConnection:
        svc = info.context.svc
        key = schedule_history.page_key(svc, self._row.id, first, pagination.decode(after))
        return ScheduleRunConnection.of(await info.context.loaders.schedule_runs.load(key))

    @classmethod
    def of(cls, s: records.Schedule, triggered: TriggerResult | None = None) -> Schedule:
        def js(value: Any) -> Any:
            return json.loads(json.dumps(value)) if value is not None else None

        return cls(
            id=strawberry.ID(str(s.id)),
            name=s.name,
            type=s.kind,
            expression=s.expression,
            timezone=s.timezone,
            status=s.status,
            project_id=strawberry.ID(str(s.project_id)),
            queue_id=strawberry.ID(str(s.queue_id)) if s.queue_id else None,
            job_type=s.job_type,
            payload=js(s.payload),
            priority=s.priority,
            max_attempts=s.max_attempts,
            workflow_definition=js(s.workflow_definition),
            misfire_policy=s.misfire_policy,
            max_runs=s.max_runs,
            runs_count=s.runs_count,
            next_run_at=s.next_run_at,
            last_run_at=s.last_run_at,
            rate_limit_per_minute=s.rate_limit_per_minute,
            deferrals=s.deferrals,
            last_deferred_at=s.last_deferred_at,
            deferred_occurrence=s.pending_fire_at,
            last_error=s.last_error,
            metadata=js(s.metadata_),
            created_by=s.created_by,
            created_at=s.created_at,
            updated_at=s.updated_at,
            next_occurrence_at=timetable.occurrence_of(s),
            overlap_policy=s.overlap_policy,
            jitter=s.jitter_seconds,
            buffered_occurrence=s.buffered_fire_at,
            skipped_count=s.skipped_count,
            pause_after_failures=s.pause_after_failures,
            consecutive_failures=s.consecutive_failures,
            paused_reason=s.paused_reason,
            input=js(s.input),
            _row=s,
            triggered=triggered,
        )


@strawberry.type(
    description="The job or workflow a triggerSchedule call created, or, with "
    "deduplicated, the one an earlier call with its idempotencyKey created."
)
class TriggerResult:
    job: Job | None = strawberry.field(description="The job (a schedule targeting a job).")
    workflow: Workflow | None = strawberry.field(
        description="The workflow (a schedule targeting a workflow definition)."
    )
    deduplicated: bool = strawberry.field(
        description="True when an earlier call with this idempotencyKey created them: "
        "this call created nothing and took no rate."
    )

    @classmethod
    def of(cls, run: Triggered) -> TriggerResult:
        return cls(
            job=Job.of(run.job) if run.job else None,
            workflow=Workflow.of(run.workflow) if run.workflow else None,
            deduplicated=run.deduplicated,
        )


@strawberry.type(
    description="What a backfillSchedule call found in its range and recorded. Each "
    "occurrence created gets its run (a job or workflow) in turn, at most "
    "TASKFORGE_SCHEDULE_BACKFILL_PER_SECOND (10) a second, within the schedule's rate "
    "limit, while the schedule is ACTIVE (or COMPLETED)."
)
class BackfillResult:
    schedule: Schedule
    occurrences: int = strawberry.field(
        description="Occurrences in [from, to], but for those the schedule's timetable "
        "still owes (an ACTIVE schedule's next occurrence and later ones, one deferred "
        "by the rate limit or held by BUFFER_ONE): the timetable fires those."
    )
    created: int = strawberry.field(description="Occurrences this call recorded to fire.")
    already_fired: int = strawberry.field(
        description="Occurrences fired, or recorded by a backfill, before this call."
    )
    first_run_at: datetime | None = strawberry.field(
        description="When the run of the first occurrence created starts, at the "
        "earliest (null: none)."
    )
    last_run_at: datetime | None = strawberry.field(
        description="When the run of the last occurrence created starts, at the earliest "
        "(a pause or the rate limit delays it; null: none)."
    )

    @classmethod
    def of(cls, r: Report) -> BackfillResult:
        return cls(
            schedule=Schedule.of(r.schedule),
            occurrences=r.occurrences,
            created=r.created,
            already_fired=r.already_fired,
            first_run_at=r.first_run_at,
            last_run_at=r.last_run_at,
        )


@strawberry.type
class ScheduleSummary:
    total: int
    active: int
    paused: int
    completed: int
    failed: int
    due_now: int

    @classmethod
    def of(cls, s: Summary) -> ScheduleSummary:
        return cls(
            total=s.total,
            active=s.active,
            paused=s.paused,
            completed=s.completed,
            failed=s.failed,
            due_now=s.due_now,
        )


@strawberry.input
class ScheduleInput:
    """createSchedule takes name, type and expression; updateSchedule any subset."""

    name: str | None = None
    type: ScheduleKindEnum | None = None  # type: ignore[valid-type]
    expression: str | None = strawberry.field(default=None, description=CRON_HELP)
    timezone: str | None = strawberry.field(default=None, description="IANA name; UTC.")
    queue_id: strawberry.ID | None = None
    job_type: str | None = None
    payload: JSON | None = None
    priority: int | None = None
    max_attempts: int | None = None
    max_runs: int | None = None
    misfire_policy: MisfirePolicyEnum | None = None  # type: ignore[valid-type]
    workflow_definition: JSON | None = strawberry.field(
        default=None, description="Target a workflow: an object, or JSON or YAML text."
    )
    workflow_template: WorkflowTemplateRefInput | None = strawberry.field(
        default=None,
        description="Target a workflow template of the project instead: each occurrence runs "
        "the version given, or the latest at that moment.",
    )
    project_id: strawberry.ID | None = None
    metadata: JSON | None = None
    rate_limit_per_minute: int | None = None
    overlap_policy: OverlapPolicyEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=OVERLAP_HELP
    )
    jitter: int | None = strawberry.field(default=None, description=JITTER_HELP)
    pause_after_failures: int | None = strawberry.field(
        default=strawberry.UNSET,
        description=PAUSE_HELP + " On updateSchedule, null turns it off; absent keeps it.",
    )
    input: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description=INPUT_HELP + " On updateSchedule, null removes it; absent keeps it.",
    )

    def spec(self, parse_id: Any) -> ScheduleSpec:
        given = {
            name
            for name in vars(ScheduleSpec())
            if name != "changed"
            and getattr(self, _field(name), None) not in (None, strawberry.UNSET)
        }
        pause = self.pause_after_failures
        if pause is not strawberry.UNSET:
            given.add("pause_after_failures")  # null given: turned off
        run_input = self.input
        if run_input is not strawberry.UNSET:
            given.add("input")  # null given: none
        return ScheduleSpec(
            name=self.name,
            kind=ScheduleKind(self.type) if self.type else None,
            expression=self.expression,
            timezone=self.timezone,
            queue_id=parse_id(self.queue_id, "queueId") if self.queue_id else None,
            job_type=self.job_type,
            payload=self.payload,  # type: ignore[arg-type]
            priority=self.priority,
            max_attempts=self.max_attempts,
            max_runs=self.max_runs,
            misfire_policy=MisfirePolicy(self.misfire_policy) if self.misfire_policy else None,
            workflow_definition=self.workflow_definition,  # type: ignore[arg-type]
            workflow_template=(
                ref_of(t.name, t.version, "workflowTemplate")
                if (t := self.workflow_template) is not None
                else None
            ),
            project_id=parse_id(self.project_id, "projectId") if self.project_id else None,
            metadata=self.metadata,  # type: ignore[arg-type]
            rate_limit_per_minute=self.rate_limit_per_minute,
            overlap_policy=OverlapPolicy(self.overlap_policy) if self.overlap_policy else None,
            jitter=self.jitter,
            pause_after_failures=None if pause is strawberry.UNSET else pause,
            input=None if run_input is strawberry.UNSET else run_input,  # type: ignore[arg-type]
            changed=given,
        )


def _field(spec_name: str) -> str:
    return {"kind": "type"}.get(spec_name, spec_name)
