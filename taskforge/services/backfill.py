"""backfillSchedule: fire each past occurrence of a range once, at a bounded rate.

A call records the range's occurrences at once in ``schedule_fires``, under their unique
(schedule, occurrence) key (INSERT ... ON CONFLICT DO NOTHING): an occurrence fired
before, by the timetable or an earlier backfill, is not recorded again, so a repeated or
concurrent backfill creates each run once. At most ``MAX_BACKFILL`` occurrences a call.

Occurrences the timetable still owes are left to it: an ACTIVE schedule's next
occurrence and those after it (the next one may be due and not fired yet, inside its
jitter), and one the rate limit deferred or BUFFER_ONE holds.

Each new occurrence waits in the schedule's queue (``backfill_due_at``: its turn, the
next one 1/TASKFORGE_SCHEDULE_BACKFILL_PER_SECOND later, after the schedule's earlier
backfills). The schedule's ``backfill_next_at`` says when its next one may fire; the
scheduler engine walks the schedules whose time has come and creates their runs
(``fire_waiting``) at most that many a second from the last backfilled fire (a backlog
after downtime or a pause does not fire in a burst), within the rate limit per minute,
while the schedule is ACTIVE or COMPLETED (pausing clears ``backfill_next_at`` and
resuming sets it: a paused one's backfill waits, walked by no tick; a FAILED or deleted
one's is dropped). The job quota is checked for the whole backfill when it is asked
for, and taken as each run is created, as for any run; a run that cannot be created
then is dropped and says why.

Backfilled runs are outside the timetable: no overlap policy applies to them (they are
past occurrences, asked for), they are not counted in runsCount or maxRuns, and they do
not become the last run the overlap policy waits for. Their ends count towards
pauseAfterFailures like any run of the schedule.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records
from taskforge.domain.enums import ScheduleStatus
from taskforge.domain.errors import Conflict, InvalidInput, QuotaExceeded
from taskforge.domain.events import ScheduleChanged, ScheduleUpdated
from taskforge.domain.schedule_policies import MAX_BACKFILL, backfill_range
from taskforge.domain.schedules import COUNT_LIMIT
from taskforge.persistence.common import backfills, outbox, tenancy
from taskforge.persistence.common import schedules as repo
from taskforge.persistence.tables import ScheduledJob
from taskforge.services import audit, fires, templates
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.schedules import WRITE, event
from taskforge.services.timetable import occurrence_of, recurrence_of

BACKFILLABLE = (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED, ScheduleStatus.COMPLETED)


@dataclass(frozen=True)
class Report:
    """What one backfillSchedule call found and recorded."""

    schedule: records.Schedule
    occurrences: int  # in the range
    created: int  # recorded by this call: each gets its run
    already_fired: int  # fired (or recorded by a backfill) before
    first_run_at: datetime | None  # when the first of those created runs
    last_run_at: datetime | None  # and the last


@retried
async def backfill(
    svc: Services, principal: Principal, schedule_id: uuid.UUID, start: datetime, end: datetime
) -> Report:
    """Record every occurrence of [start, end] not fired yet; their runs follow at the
    backfill rate. ``end`` in the future is BAD_USER_INPUT (the timetable fires those)."""
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    start, end = backfill_range(start, end, now)
    async with svc.write() as session:
        # a repeat (everything recorded already) locks nothing: the schedule's engine
        # tick, which skips a locked schedule, goes on meanwhile. Otherwise the schedule
        # is locked: two backfills of it queue one after the other, and its tick fires
        # none of its queue meanwhile
        s = found(await repo.get(session, org, schedule_id), "schedule", schedule_id)
        occurrences = _occurrences(s, start, end)
        fresh: list[tuple[datetime, datetime]] = []
        if set(occurrences) - await backfills.fired_among(session, s.id, occurrences):
            s = found(await repo.lock(session, org, schedule_id), "schedule", schedule_id)
            occurrences = _occurrences(s, start, end)
            step = timedelta(seconds=1 / svc.settings.schedule_backfill_per_second)
            fresh = await _record(session, s, occurrences, now, step)
            await _check_quota(svc, session, s, len(fresh), now)
        if fresh:
            s.backfill_until, s.updated_at = fresh[-1][1], now
            if s.backfill_next_at is None and s.status is not ScheduleStatus.PAUSED:
                s.backfill_next_at = fresh[0][1]  # the engine starts it (resume, if paused)
            await outbox.append(session, [event(s, ScheduleUpdated)])
        await audit.record(
            session,
            principal,
            "schedule.backfilled",
            "schedule",
            schedule_id,
            details={"from": start.isoformat(), "to": end.isoformat(), "created": len(fresh)},
        )
    return Report(
        records.Schedule.of(s),
        occurrences=len(occurrences),
        created=len(fresh),
        already_fired=len(occurrences) - len(fresh),
        first_run_at=fresh[0][1] if fresh else None,
        last_run_at=fresh[-1][1] if fresh else None,
    )


def _occurrences(s: ScheduledJob, start: datetime, end: datetime) -> list[datetime]:
    """The occurrences of [start, end] a backfill of ``s`` may record: CONFLICT if it
    cannot fire, BAD_USER_INPUT beyond MAX_BACKFILL; the timetable's own left out."""
    if s.status not in BACKFILLABLE:
        raise Conflict(
            f"schedule {s.id} is {s.status.value}: it cannot fire, so it cannot be backfilled",
            current=s.status.value,
        )
    rec, until = recurrence_of(s), _before_timetable(s, end)
    occurrences = rec.between(start, until, MAX_BACKFILL + 1)
    if len(occurrences) > MAX_BACKFILL:
        n = rec.count_between(start, until)
        held = f"{n}" if n < COUNT_LIMIT else f"more than {COUNT_LIMIT}"
        raise InvalidInput(
            f"the range holds {held} occurrences, over the {MAX_BACKFILL} one backfill "
            "takes: split it",
            field="to",
        )
    owed = (s.pending_fire_at, s.buffered_fire_at)  # the timetable's too
    return [at for at in occurrences if at not in owed]


def _before_timetable(s: ScheduledJob, end: datetime) -> datetime:
    """``end``, or just before the next occurrence of an ACTIVE schedule's timetable: that
    one (not fired yet, perhaps inside its jitter) and those after it are the
    timetable's to fire, under its policies."""
    following = occurrence_of(s) if s.status is ScheduleStatus.ACTIVE else None
    if following is not None and following <= end:
        return following - timedelta(microseconds=1)
    return end


async def _record(
    session: AsyncSession,
    s: ScheduledJob,
    occurrences: list[datetime],
    now: datetime,
    step: timedelta,
) -> list[tuple[datetime, datetime]]:
    """Insert the occurrences not fired yet, each waiting its turn; returns (occurrence,
    when it fires) of those this call recorded."""
    if not occurrences:
        return []
    fired = await backfills.fired_among(session, s.id, occurrences)
    new = [at for at in occurrences if at not in fired]
    begin = max(now, s.backfill_until + step) if s.backfill_until else now
    planned = [(uuid.uuid4(), at, begin + i * step) for i, at in enumerate(new)]
    rows: list[dict[str, Any]] = [
        {
            "id": fire_id,
            "organization_id": s.organization_id,
            "schedule_id": s.id,
            "fire_at": at,
            "fired_at": now,
            "backfill_due_at": due,
        }
        for fire_id, at, due in planned
    ]
    # the guard, still (on the unique key): a duplicate is dropped, never an error
    inserted = await repo.record_fires(session, rows)
    return [(at, due) for fire_id, at, due in planned if fire_id in inserted]


async def _check_quota(
    svc: Services, session: AsyncSession, s: ScheduledJob, runs: int, now: datetime
) -> None:
    """QUOTA_EXCEEDED when the period's job quota cannot hold these runs' jobs (each run
    takes its jobs when it is created; this refuses a backfill bound to fail midway)."""
    if not runs:
        return
    sub = await tenancy.subscription(session, s.organization_id)
    if sub is None or sub.max_jobs_per_month is None:
        return
    per_run = 1
    if s.workflow_definition is not None:  # inline, or its template's definition now
        _, spec, _ = await templates.scheduled_run(svc, session, s)
        per_run = len(spec.jobs)
    period_running = sub.current_period_end is not None and sub.current_period_end > now
    used = sub.jobs_used if period_running else 0
    left, needed = max(0, sub.max_jobs_per_month - used), runs * per_run
    if needed > left:
        raise QuotaExceeded(
            f"backfilling {runs} occurrences takes {needed} jobs; {left} of this period's "
            f"{sub.max_jobs_per_month} are left"
        )


async def fire_waiting(
    svc: Services, session: AsyncSession, due: list[ScheduledJob], now: datetime
) -> list[ScheduleChanged]:
    """Engine step (in the tick's transaction): for each schedule whose next backfilled
    run may fire (locked), create the runs of its first waiting occurrences: at most
    TASKFORGE_SCHEDULE_BACKFILL_PER_SECOND a second, counted from its last backfilled
    fire (after downtime or a pause: one second's worth, then the rate), and within
    each tenant's rate limit per minute and job type. Then the schedule's next backfill
    time moves on: the rate's next step, the next rate window when the limit held runs
    back, or none once its queue is empty; so a throttled schedule leaves the due set
    instead of filling the next tick's batch."""
    rate = svc.settings.schedule_backfill_per_second
    step = timedelta(seconds=1 / rate)
    due = [s for s in due if s.status is not ScheduleStatus.FAILED and s.deleted_at is None]
    allowed = {s.id: _allowed(s, now, rate) for s in due}
    if not due:
        return []
    # one more than allowed: whether any wait after them
    waiting: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for w in await backfills.waiting_of(session, {sid: n + 1 for sid, n in allowed.items()}):
        waiting[w.schedule_id].append(w)
    groups: dict[tuple[uuid.UUID, str], list[ScheduledJob]] = defaultdict(list)
    for s in due:
        groups[(s.organization_id, fires.rate_key(s))].append(s)
    default = svc.settings.schedule_rate_limit_per_minute
    granted: dict[uuid.UUID, int] = {}
    for (org, key), members in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        wanted = {s.id: min(allowed[s.id], len(waiting[s.id])) for s in members}
        if not sum(wanted.values()):
            continue
        limit = min(s.rate_limit_per_minute or default for s in members)
        left = await repo.take_rate_upto(
            session, org, key, fires.window(now), sum(wanted.values()), limit
        )
        for s in members:
            granted[s.id] = min(wanted[s.id], left)
            left -= granted[s.id]
    runs = [(w.id, s, w.fire_at) for s in due for w in waiting[s.id][: granted.get(s.id, 0)]]
    events = await fires.fire_recorded(svc, session, runs, now)
    for s in due:
        if s.status is ScheduleStatus.FAILED:
            continue  # failed meanwhile: its waiting occurrences are dropped
        took, had = granted.get(s.id, 0), len(waiting[s.id])
        if took == had:
            s.backfill_next_at = None  # the queue is empty
        elif took < min(allowed[s.id], had):  # the rate limit held them back
            s.backfill_next_at = fires.window(now) + fires.MINUTE
        else:
            s.backfill_next_at = now + step
    return events


def _allowed(s: ScheduledJob, now: datetime, rate: float) -> int:
    """How many backfilled runs of the schedule may fire now: one per 1/rate seconds
    since the last one fired (``backfill_next_at`` is one step after it), at most one
    second's worth."""
    assert s.backfill_next_at is not None
    elapsed = (now - s.backfill_next_at) // timedelta(microseconds=1)
    return max(1, min(int(rate), 1 + int(elapsed * rate) // 1_000_000))
