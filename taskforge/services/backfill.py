"""backfillSchedule: fire each past occurrence of a range once, at a bounded rate.

A call records the range's occurrences at once in ``schedule_fires``, under their unique
(schedule, occurrence) key (INSERT ... ON CONFLICT DO NOTHING): an occurrence fired
before, by the timetable or an earlier backfill, is not recorded again, so a repeated or
concurrent backfill creates each run once. At most ``MAX_BACKFILL`` occurrences a call.

Each new occurrence waits (``backfill_due_at``), the next one
1/TASKFORGE_SCHEDULE_BACKFILL_PER_SECOND later, queued after the schedule's earlier
backfills; the scheduler engine creates its run once it is due (``fire_waiting``), also
within the schedule's rate limit per minute, while the schedule is ACTIVE or COMPLETED
(a paused one's backfill waits; a FAILED or deleted one's is dropped). The job quota is
checked for the whole backfill when it is asked for, and taken as each run is created,
as for any run; a run that cannot be created then is dropped and says why.

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
from taskforge.persistence.common import outbox, tenancy
from taskforge.persistence.common import schedules as repo
from taskforge.persistence.tables import ScheduledJob
from taskforge.services import audit, fires, templates
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.schedules import WRITE, event
from taskforge.services.timetable import recurrence_of

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
        # locked: two backfills of one schedule queue one after the other, and its
        # engine tick (SKIP LOCKED) fires none of the range meanwhile
        s = found(await repo.lock(session, org, schedule_id), "schedule", schedule_id)
        if s.status not in BACKFILLABLE:
            raise Conflict(
                f"schedule {schedule_id} is {s.status.value}: it cannot fire, so it "
                "cannot be backfilled",
                current=s.status.value,
            )
        rec = recurrence_of(s)
        occurrences = rec.between(start, end, MAX_BACKFILL + 1)
        if len(occurrences) > MAX_BACKFILL:
            n = rec.count_between(start, end)
            held = f"{n}" if n < COUNT_LIMIT else f"more than {COUNT_LIMIT}"
            raise InvalidInput(
                f"the range holds {held} occurrences, over the {MAX_BACKFILL} one backfill "
                "takes: split it",
                field="to",
            )
        step = timedelta(seconds=1 / svc.settings.schedule_backfill_per_second)
        fresh = await _record(session, s, occurrences, now, step)
        await _check_quota(svc, session, s, len(fresh), now)
        if fresh:
            s.backfill_until, s.updated_at = fresh[-1][1], now
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
    fired = await repo.fired_among(session, s.id, occurrences)
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
    svc: Services, session: AsyncSession, waiting: list[Row[Any]], now: datetime
) -> list[ScheduleChanged]:
    """Engine step (in the tick's transaction): create the runs of the backfilled
    occurrences due, as far as each tenant's rate limit per minute and job type allows
    (the rest wait for the next window)."""
    if not waiting:
        return []
    schedules = {s.id: s for s in await repo.by_ids(session, {w.schedule_id for w in waiting})}
    groups: dict[tuple[uuid.UUID, str], list[Row[Any]]] = defaultdict(list)
    for w in waiting:
        s = schedules[w.schedule_id]
        groups[(s.organization_id, fires.rate_key(s))].append(w)
    default = svc.settings.schedule_rate_limit_per_minute
    granted: list[tuple[uuid.UUID, ScheduledJob, datetime]] = []
    for (org, key), members in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        limit = min(schedules[m.schedule_id].rate_limit_per_minute or default for m in members)
        left = await repo.take_rate_upto(session, org, key, fires.window(now), len(members), limit)
        granted += [(m.id, schedules[m.schedule_id], m.fire_at) for m in members[:left]]
    return await fires.fire_recorded(svc, session, granted, now)
