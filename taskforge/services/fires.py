"""Firing occurrences: the job or workflow each one creates, recorded once.

``fire`` handles one occurrence (workflow targets, manual triggers); ``fire_jobs`` a
whole tick of job occurrences with set-based statements. Both insert the occurrence
under the unique (schedule, occurrence) key first: a duplicate is dropped there.
``fire_recorded`` creates the runs of occurrences a backfill recorded beforehand.
Every run is marked with its schedule (its end counts there: services/schedule_runs),
and the timetable's runs become the schedule's last run (what overlap policies check).
"""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge import tracing
from taskforge.domain import transitions
from taskforge.domain.enums import ScheduleStatus
from taskforge.domain.errors import TaskForgeError
from taskforge.domain.events import ScheduleChanged, ScheduleFailed, ScheduleFired, ScheduleMissed
from taskforge.persistence.common import backfills
from taskforge.persistence.common import schedules as repo
from taskforge.persistence.tables import ScheduledJob
from taskforge.services import jobs, templates, workflows
from taskforge.services.base import Services
from taskforge.services.schedules import event

MINUTE = timedelta(minutes=1)
BACKFILL_FAILED = "backfill_failed"  # a dropped backfilled occurrence's reason


def window(now: datetime) -> datetime:
    """The minute a rate limit counts ``now`` in."""
    return now.replace(second=0, microsecond=0)


def rate_key(s: ScheduledJob) -> str:
    """Rate limits count per tenant and job type; a workflow counts as one start."""
    if s.job_type is not None:
        return s.job_type
    name = (s.workflow_definition or {}).get("name", "workflow")
    return f"workflow:{name}"


def _fired(
    s: ScheduledJob,
    at: datetime,
    now: datetime,
    job_id: uuid.UUID | None,
    workflow_id: uuid.UUID | None,
    manual: bool,
    backfill: bool = False,
    last: bool = True,
) -> ScheduleFired:
    """A backfilled run is outside the timetable: not counted in runsCount (maxRuns),
    nor the last run an overlap policy waits for. ``last``: the run becomes the last
    run (a trigger's does not while the one before is live)."""
    if not backfill:
        s.runs_count += 1
        s.last_run_at = now
        if last:
            s.last_job_id, s.last_workflow_id = job_id, workflow_id
    return event(s, ScheduleFired, at, now, job_id, workflow_id, manual, backfill)


async def _failed(
    session: AsyncSession, s: ScheduledJob, at: datetime, now: datetime, exc: TaskForgeError
) -> ScheduleFailed:
    """The schedule cannot fire (FAILED, for good): its held and backfilled occurrences
    are dropped with it."""
    transitions.move(s, ScheduleStatus.FAILED)
    s.last_error, s.next_run_at, s.next_occurrence_at = exc.message, None, None
    s.updated_at, s.buffered_fire_at, s.backfill_next_at = now, None, None
    await backfills.drop_waiting(session, s.id)
    return event(s, ScheduleFailed, at, exc.message)


def _job_row(svc: Services, s: ScheduledJob, now: datetime) -> dict[str, Any]:
    assert s.queue_id is not None and s.job_type is not None
    spec = jobs.NewJob(
        queue_id=s.queue_id,
        job_type=s.job_type,
        # any JSON value, as enqueueJob takes it; a copy, so the job never shares it
        payload=copy.deepcopy(s.payload),
        priority=s.priority,
        max_attempts=s.max_attempts,
    )
    # fired by a request (a traced one): the job continues its trace
    row = jobs.job_row(svc, s.organization_id, spec, now, trace_context=tracing.traceparent())
    row["schedule_id"] = s.id  # its end counts there (services/schedule_runs)
    return row


def _fire_row(s: ScheduledJob, at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "organization_id": s.organization_id,
        "schedule_id": s.id,
        "fire_at": at,
        "fired_at": now,
    }


async def fire(
    svc: Services,
    session: AsyncSession,
    s: ScheduledJob,
    at: datetime,
    now: datetime,
    manual: bool = False,
) -> list[ScheduleChanged]:
    """Create the occurrence's job or workflow (in the caller's transaction). A manual
    run (triggerSchedule) becomes the last run only when the one before has ended: the
    overlap policy keeps waiting for (SKIP, BUFFER_ONE) or cancelling (CANCEL_PREVIOUS)
    a live run of the timetable, never losing sight of it for the trigger's."""
    row = _fire_row(s, at, now)
    fire_id = row["id"]
    if not await repo.record_fire(session, row):
        return []  # this occurrence already fired (another engine): the guard held
    last = not manual or not await _last_live(session, s)
    try:
        job_id, workflow_id = await _create_run(svc, session, s, now)
    except TaskForgeError as exc:  # e.g. quota used up, queue deleted
        if manual:
            raise  # the caller sees why; nothing of this trigger is kept
        return [await _failed(session, s, at, now, exc)]
    await repo.set_fire_target(session, fire_id, job_id, workflow_id)
    return [_fired(s, at, now, job_id, workflow_id, manual, last=last)]


async def _last_live(session: AsyncSession, s: ScheduledJob) -> bool:
    """Whether the schedule's last run has not ended (a primary-key probe)."""
    jobs, flows = [s.last_job_id], [s.last_workflow_id]
    live = await repo.live_runs(session, [j for j in jobs if j], [w for w in flows if w])
    return bool(live)


async def _create_run(
    svc: Services, session: AsyncSession, s: ScheduledJob, now: datetime
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """One run of the schedule: (job id, None) or (None, workflow id). A failure undoes
    only this run (a savepoint)."""
    async with session.begin_nested():
        if s.workflow_definition is not None:
            # inline, or its template's definition as it is now
            source, spec, origin = await templates.scheduled_run(svc, session, s)
            wf = await workflows.create_in(
                session,
                s.organization_id,
                s.project_id,
                spec,
                source,
                True,
                now,
                origin=origin,
                input=copy.deepcopy(s.input),  # never shared with the schedule's row
            )
            wf.schedule_id = s.id
            return None, wf.id
        rows = [_job_row(svc, s, now)]
        [created] = await jobs.insert_jobs(session, s.organization_id, rows, now)
        return created.id, None


async def fire_recorded(
    svc: Services,
    session: AsyncSession,
    waiting: list[tuple[uuid.UUID, ScheduledJob, datetime]],
    now: datetime,
) -> list[ScheduleChanged]:
    """Create the runs of occurrences recorded beforehand (a backfill's: fire id,
    schedule, occurrence), each as a backfilled run. One that cannot be created (the
    quota used up meanwhile, the queue deleted) is dropped, which a later backfill may
    record again, and says why (``last_error``, a ``schedule.missed`` event): the
    schedule's timetable goes on."""
    events: list[ScheduleChanged] = []
    done: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]] = []
    for fire_id, s, at in waiting:
        if s.status is ScheduleStatus.FAILED:
            continue  # failed in this tick: its waiting occurrences are dropped
        try:
            job_id, workflow_id = await _create_run(svc, session, s, now)
        except TaskForgeError as exc:
            await backfills.drop_fire(session, fire_id)
            s.last_error = f"the backfilled occurrence {at.isoformat()} did not run: {exc.message}"
            events.append(event(s, ScheduleMissed, 1, BACKFILL_FAILED, at))
            continue
        done.append((fire_id, job_id, workflow_id))
        events.append(_fired(s, at, now, job_id, workflow_id, manual=False, backfill=True))
    await backfills.fired_backfills(session, done, now)
    return events


async def fire_jobs(
    svc: Services,
    session: AsyncSession,
    occurrences: list[tuple[ScheduledJob, datetime]],
    now: datetime,
) -> list[ScheduleChanged]:
    """A tick's job occurrences, per tenant: record them (duplicates dropped), take the
    quota and insert the jobs at once, link each occurrence to its job."""
    by_org: dict[uuid.UUID, list[tuple[ScheduledJob, datetime]]] = defaultdict(list)
    for s, at in occurrences:
        by_org[s.organization_id].append((s, at))
    events: list[ScheduleChanged] = []
    for org, batch in by_org.items():
        try:
            async with session.begin_nested():  # a tenant's failure undoes only its part
                events += await _fire_batch(svc, session, org, batch, now)
        except TaskForgeError as exc:  # e.g. the monthly quota is used up
            failed = {s.id: (s, at) for s, at in batch}
            events += [await _failed(session, s, at, now, exc) for s, at in failed.values()]
    return events


async def _fire_batch(
    svc: Services,
    session: AsyncSession,
    org: uuid.UUID,
    batch: list[tuple[ScheduledJob, datetime]],
    now: datetime,
) -> list[ScheduleChanged]:
    fires = [(_fire_row(s, at, now), s, at) for s, at in batch]
    fresh = await repo.record_fires(session, [row for row, _, _ in fires])
    fires = [f for f in fires if f[0]["id"] in fresh]
    if not fires:
        return []
    rows = [_job_row(svc, s, now) for _, s, _ in fires]
    created = await jobs.insert_jobs(session, org, rows, now)
    await repo.link_fires(
        session, [(f[0]["id"], j.id) for f, j in zip(fires, created, strict=True)]
    )
    return [
        _fired(s, at, now, job_id=j.id, workflow_id=None, manual=False)
        for (_, s, at), j in zip(fires, created, strict=True)
    ]
