"""Schedules: create, update, pause, resume, trigger, delete, read and preview.

A schedule targets one job (queue + job type + payload) or a workflow definition.
Firing belongs to the scheduler engine (services/scheduler.py); ``trigger`` runs the
same firing step once, now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, run_input, transitions, validation
from taskforge.domain.enums import MisfirePolicy, OverlapPolicy, ScheduleKind, ScheduleStatus
from taskforge.domain.errors import InvalidInput, InvalidTransition, QuotaExceeded
from taskforge.domain.events import (
    ScheduleChanged,
    ScheduleCreated,
    ScheduleDeleted,
    SchedulePaused,
    ScheduleResumed,
    ScheduleUpdated,
)
from taskforge.domain.schedule_policies import (
    check_jitter,
    check_pause_after_failures,
    default_overlap,
)
from taskforge.domain.schedules import Recurrence, compile_recurrence
from taskforge.domain.templates import TemplateRef
from taskforge.domain.tenancy import TIER_LIMITS
from taskforge.persistence.common import backfills, outbox, queues, tenancy, workers
from taskforge.persistence.common import schedules as repo
from taskforge.persistence.tables import ScheduledJob
from taskforge.services import audit, templates, workflows
from taskforge.services.base import Principal, Services, found
from taskforge.services.pagination import Cursor, Listing, paginate
from taskforge.services.timetable import (
    after_owed,
    delay_of,
    fires_at,
    occurrence_of,
    recurrence_of,
    set_next,
)

READ, WRITE = "scheduled_job:read", "scheduled_job:write"


@dataclass
class ScheduleSpec:
    """What a caller may set; None leaves a field as it is on update."""

    name: str | None = None
    kind: ScheduleKind | None = None
    expression: str | None = None
    timezone: str | None = None
    queue_id: uuid.UUID | None = None
    job_type: str | None = None
    payload: dict[str, Any] | None = None
    priority: int | None = None
    max_attempts: int | None = None
    max_runs: int | None = None
    misfire_policy: MisfirePolicy | None = None
    workflow_definition: dict[str, Any] | str | None = None
    workflow_template: TemplateRef | None = None  # instead of a definition
    project_id: uuid.UUID | None = None
    metadata: dict[str, Any] | None = None
    rate_limit_per_minute: int | None = None
    overlap_policy: OverlapPolicy | None = None  # on create: by target (default_overlap)
    jitter: int | None = None  # seconds
    pause_after_failures: int | None = None  # None given explicitly: never pause
    input: dict[str, Any] | None = None  # a workflow run's; None given explicitly: none
    changed: set[str] = field(default_factory=set)  # on update: fields given explicitly


async def create(svc: Services, principal: Principal, spec: ScheduleSpec) -> records.Schedule:
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    if spec.kind is None or spec.expression is None or spec.name is None:
        raise InvalidInput("a schedule needs a name, a type and an expression")
    schedule = ScheduledJob(
        id=uuid.uuid4(),
        organization_id=org,
        status=ScheduleStatus.ACTIVE,
        timezone="UTC",
        payload={},
        priority=5,
        misfire_policy=MisfirePolicy.FIRE_ONCE,
        metadata_={},
        runs_count=0,
        deferrals=0,
        jitter_seconds=0,
        skipped_count=0,
        consecutive_failures=0,
        anchor_at=now,
        created_by=str(principal.user_id or principal.api_key_id or ""),
        created_at=now,
        updated_at=now,
    )
    _apply(svc, schedule, spec, set(vars(spec)) - {"changed"})
    _check_target(schedule)
    if spec.overlap_policy is None:
        schedule.overlap_policy = default_overlap(schedule.workflow_definition is not None)
    set_next(schedule, _first_run(recurrence_of(schedule), schedule, now))
    async with svc.write() as session:
        await _resolve_project(session, org, schedule, spec)
        await _check_run(svc, session, org, schedule, check_input=True)
        subscription = await workers.lock_subscription(session, org)
        limit = TIER_LIMITS[subscription.tier].max_schedules if subscription else None
        if limit is not None and await repo.count_live(session, org) >= limit:
            raise QuotaExceeded(f"your subscription allows {limit} schedules")
        session.add(schedule)
        await session.flush()
        await outbox.append(session, [event(schedule, ScheduleCreated)])
    _changed(svc)
    return records.Schedule.of(schedule)


async def update(
    svc: Services, principal: Principal, schedule_id: uuid.UUID, spec: ScheduleSpec
) -> records.Schedule:
    """Change fields; a new type, expression or timezone re-computes the next run."""
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        s = found(await repo.lock(session, org, schedule_id), "schedule", schedule_id)
        _apply(svc, s, spec, spec.changed)
        _check_target(s)
        await _resolve_project(session, org, s, spec)
        # the input is held to the schema when it or the target changes: a template's
        # newer version that no longer takes it fails its occurrences, not other edits
        changes_run = bool(spec.changed & {"input", "workflow_definition", "workflow_template"})
        await _check_run(svc, session, org, s, check_input=changes_run)
        if spec.changed & {"kind", "expression", "timezone"}:
            s.anchor_at, s.pending_fire_at, s.buffered_fire_at = now, None, None
            set_next(s, _first_run(recurrence_of(s), s, now))
        elif "jitter" in spec.changed and s.pending_fire_at is None:
            set_next(s, occurrence_of(s))  # the same occurrence, its new fire time
        if s.max_runs is not None and s.runs_count >= s.max_runs:
            if s.status is not ScheduleStatus.COMPLETED:
                transitions.move(s, ScheduleStatus.COMPLETED)
            set_next(s, None)
        elif s.status is ScheduleStatus.COMPLETED and s.next_run_at is not None:
            transitions.move(s, ScheduleStatus.ACTIVE)  # more runs allowed again
        s.updated_at = now
        await outbox.append(session, [event(s, ScheduleUpdated)])
    _changed(svc)
    return records.Schedule.of(s)


async def pause(svc: Services, principal: Principal, schedule_id: uuid.UUID) -> records.Schedule:
    return await _move(svc, principal, schedule_id, ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED)


async def resume(svc: Services, principal: Principal, schedule_id: uuid.UUID) -> records.Schedule:
    """ACTIVE again. Occurrences missed while paused go through the misfire policy (at
    most one run for FIRE_ONCE, none for SKIP), never as a burst."""
    return await _move(svc, principal, schedule_id, ScheduleStatus.PAUSED, ScheduleStatus.ACTIVE)


async def _move(
    svc: Services,
    principal: Principal,
    schedule_id: uuid.UUID,
    source: ScheduleStatus,
    target: ScheduleStatus,
) -> records.Schedule:
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        s = found(await repo.lock(session, org, schedule_id), "schedule", schedule_id)
        if s.status is not source:  # the table allows more than this mutation does
            raise InvalidTransition("schedule", schedule_id, s.status.value, target.value)
        transitions.move(s, target)
        s.updated_at, s.paused_reason = now, None
        if target is ScheduleStatus.ACTIVE:
            s.consecutive_failures = 0  # resumed: failures count again from none
            _resume(s, now)
            if await backfills.has_waiting(session, s.id):  # its backfill goes on from now
                s.backfill_next_at = now
        else:  # its backfill waits, and no tick walks it meanwhile
            s.backfill_next_at = None
        paused = target is ScheduleStatus.PAUSED
        kind = SchedulePaused if paused else ScheduleResumed
        await outbox.append(session, [event(s, kind)])
    _changed(svc)
    return records.Schedule.of(s)


async def delete(svc: Services, principal: Principal, schedule_id: uuid.UUID) -> uuid.UUID:
    """Soft delete: the row stays for history, never fires and is NOT_FOUND from now on."""
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        s = found(await repo.lock(session, org, schedule_id), "schedule", schedule_id)
        s.deleted_at, s.updated_at, s.buffered_fire_at = now, now, None
        s.backfill_next_at = None
        set_next(s, None)
        await backfills.drop_waiting(session, s.id)  # its backfill ends with it
        await outbox.append(session, [event(s, ScheduleDeleted)])
        await audit.record(session, principal, "schedule.deleted", "schedule", schedule_id)
    _changed(svc)
    return schedule_id


async def get(svc: Services, principal: Principal, schedule_id: uuid.UUID) -> records.Schedule:
    principal.require(READ)
    async with svc.read() as session:
        s = await repo.get(session, principal.organization_id, schedule_id)
    return records.Schedule.of(found(s, "schedule", schedule_id))


async def list_schedules(
    svc: Services,
    principal: Principal,
    *,
    first: int,
    after: Cursor | None,
    statuses: list[ScheduleStatus] | None = None,
    kinds: list[ScheduleKind] | None = None,
) -> Listing[records.Schedule]:
    principal.require(READ)
    stmt = repo.listing(principal.organization_id, statuses, kinds)
    return await paginate(svc, stmt, ScheduledJob, first, after, records.Schedule.all)


@dataclass(frozen=True)
class Summary:
    total: int
    active: int
    paused: int
    completed: int
    failed: int
    due_now: int


async def summary(svc: Services, principal: Principal) -> Summary:
    principal.require(READ)
    async with svc.read() as session:
        counts, due_now = await repo.status_counts(session, principal.organization_id, svc.clock())
    return Summary(
        total=sum(counts.values()),
        active=counts.get(ScheduleStatus.ACTIVE, 0),
        paused=counts.get(ScheduleStatus.PAUSED, 0),
        completed=counts.get(ScheduleStatus.COMPLETED, 0),
        failed=counts.get(ScheduleStatus.FAILED, 0),
        due_now=due_now,
    )


def preview(
    svc: Services, kind: ScheduleKind, expression: str, timezone: str, count: int
) -> list[datetime]:
    """The next ``count`` occurrences of an expression, for forms (nothing is stored)."""
    if not 1 <= count <= 100:
        raise InvalidInput("count must be between 1 and 100", field="count")
    expression = validation.schedule_expression(expression)
    now = svc.clock()
    return compile_recurrence(kind, expression, validation.timezone(timezone), now).upcoming(
        now, count
    )


def upcoming(svc: Services, s: records.Schedule, count: int) -> list[datetime]:
    if not 1 <= count <= 100:
        raise InvalidInput("count must be between 1 and 100", field="count")
    if s.status is not ScheduleStatus.ACTIVE or s.next_run_at is None:
        return []
    rec = recurrence_of(s)
    runs: list[datetime] = []
    if s.pending_fire_at is not None:  # owed first, then the timetable goes on
        runs, first = [s.pending_fire_at], after_owed(s, rec)
    else:
        first = occurrence_of(s)
    if first is not None and len(runs) < count:
        runs += [first, *rec.upcoming(first, count - len(runs) - 1)]
    if s.max_runs is not None:
        runs = runs[: max(0, s.max_runs - s.runs_count)]
    delay = delay_of(s)  # when they fire: with their jitter
    return [at + delay(at) for at in runs] if delay else runs


E = TypeVar("E", bound=ScheduleChanged)


def event(s: ScheduledJob, kind: type[E], *extra: Any) -> E:
    """The schedule's state after a change of this kind; ``extra``: the fields that kind
    adds, in order."""
    return kind(s.organization_id, s.id, ScheduleStatus(s.status), s.next_run_at, *extra)


def _resume(s: ScheduledJob, now: datetime) -> None:
    """Where a resumed schedule picks up. Runs that fell due while it was paused were
    missed however recent (the grace period covers engine lateness, not pauses): SKIP
    drops them, FIRE_ONCE owes one run (the latest), FIRE_ALL owes them all."""
    rec = recurrence_of(s)
    if s.pending_fire_at is not None:  # still owed to the rate limit: as it was
        s.next_run_at = s.next_run_at or rec.next_after(now)
        return
    occurrence = occurrence_of(s)
    if occurrence is None or fires_at(s, occurrence) > now:
        set_next(s, occurrence or rec.next_after(now))
    elif s.misfire_policy is MisfirePolicy.SKIP:
        set_next(s, rec.next_after(now))
    elif s.misfire_policy is MisfirePolicy.FIRE_ONCE:
        set_next(s, rec.latest_until(now) or rec.next_after(now))
    else:
        set_next(s, occurrence)


def _changed(svc: Services) -> None:
    for hook in svc.on_schedule_change:
        hook()


def _first_run(rec: Recurrence, s: ScheduledJob, now: datetime) -> datetime:
    first = rec.next_after(now)
    if first is None:
        raise InvalidInput("the schedule has no run in the future", field="expression")
    return first


def _apply(svc: Services, s: ScheduledJob, spec: ScheduleSpec, given: set[str]) -> None:
    """Validated fields from the spec onto the row (only those given)."""
    limits = svc.settings.limits
    if "name" in given and spec.name is not None:
        s.name = validation.name(spec.name)
    if "kind" in given and spec.kind is not None:
        s.kind = spec.kind
    if "expression" in given and spec.expression is not None:
        s.expression = validation.schedule_expression(spec.expression)
    if "timezone" in given and spec.timezone is not None:
        s.timezone = validation.timezone(spec.timezone)
    if "queue_id" in given and spec.queue_id is not None:
        s.queue_id = spec.queue_id
    if "job_type" in given and spec.job_type is not None:
        s.job_type = validation.job_type(spec.job_type)
    if "payload" in given and spec.payload is not None:
        s.payload = validation.json_payload(spec.payload, limits.payload_bytes)
    if "priority" in given and spec.priority is not None:
        s.priority = validation.priority(spec.priority)
    if "max_attempts" in given:
        _bounded(spec.max_attempts, 1, 100, "maxAttempts")
        s.max_attempts = spec.max_attempts
    if "max_runs" in given:
        _bounded(spec.max_runs, 1, 10**9, "maxRuns")
        s.max_runs = spec.max_runs
    if "misfire_policy" in given and spec.misfire_policy is not None:
        s.misfire_policy = spec.misfire_policy
    if "workflow_definition" in given and spec.workflow_definition is not None:
        workflows.parse(svc, spec.workflow_definition)  # validated now, not at 3 a.m.
        d = spec.workflow_definition
        s.workflow_definition = d if isinstance(d, dict) else {"source": d}
    if "workflow_template" in given and spec.workflow_template is not None:
        if "workflow_definition" in given and spec.workflow_definition is not None:
            raise InvalidInput("give workflowDefinition or workflowTemplate", field="target")
        s.workflow_definition = templates.schedule_target(spec.workflow_template)
    if "metadata" in given and spec.metadata is not None:
        s.metadata_ = validation.json_payload(spec.metadata, limits.payload_bytes, "metadata")
    if "rate_limit_per_minute" in given:
        _bounded(spec.rate_limit_per_minute, 1, 1_000_000, "rateLimitPerMinute")
        s.rate_limit_per_minute = spec.rate_limit_per_minute
    if "overlap_policy" in given and spec.overlap_policy is not None:
        s.overlap_policy = OverlapPolicy(spec.overlap_policy)
    if "jitter" in given and spec.jitter is not None:
        s.jitter_seconds = check_jitter(spec.jitter)
    if "pause_after_failures" in given:
        s.pause_after_failures = check_pause_after_failures(spec.pause_after_failures)
    if "input" in given:
        given_input = spec.input
        s.input = (
            None if given_input is None else run_input.check(given_input, limits.payload_bytes)
        )
    if s.kind is not None and s.expression is not None:
        recurrence_of(s)  # a bad expression or timezone fails here, naming the field


def _bounded(value: int | None, low: int, high: int, name: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)


def _check_target(s: ScheduledJob) -> None:
    if (s.workflow_definition is None) == (s.job_type is None):
        raise InvalidInput(
            "a schedule targets either a job (queueId and jobType) or a workflow definition",
            field="target",
        )
    if s.job_type is not None and s.queue_id is None:
        raise InvalidInput("a job schedule needs a queueId", field="queueId")
    if s.job_type is not None and s.input is not None:
        raise InvalidInput(
            "input is the input of a workflow schedule's runs; a job schedule has a payload",
            field="input",
        )


async def _check_run(
    svc: Services, session: AsyncSession, org: uuid.UUID, s: ScheduledJob, check_input: bool
) -> None:
    """What a workflow schedule runs exists (its template, the templates its workflow
    jobs name) and, if ``check_input``, takes the schedule's input: the definition's
    input_schema, as it is now, holds it (BAD_USER_INPUT at ``input``)."""
    spec = await templates.check_target(svc, session, org, s)
    if spec is not None and check_input:
        run_input.conform(s.input, spec.input_schema)


async def _resolve_project(
    session: AsyncSession, org: uuid.UUID, s: ScheduledJob, spec: ScheduleSpec
) -> None:
    """The project comes from the queue (job targets) or is given (workflows)."""
    # no autoflush: an updated schedule's new queue id must not be written before the
    # queue is found (a missing one would fail the foreign key, not be NOT_FOUND)
    with session.no_autoflush:
        if s.queue_id is not None:
            queue = found(await queues.get(session, org, s.queue_id), "queue", s.queue_id)
            s.project_id = queue.project_id
        elif spec.project_id is not None:
            project = await tenancy.project(session, org, spec.project_id)
            found(project, "project", spec.project_id)
            s.project_id = spec.project_id
        elif s.project_id is None:
            raise InvalidInput("a workflow schedule needs a projectId", field="projectId")
