"""The scheduler engine: fires due schedules exactly once across any number of replicas.

Each tick claims due ACTIVE schedules with row locks (SKIP LOCKED on PostgreSQL, so
replicas split the work) and, in one transaction per batch, creates each occurrence's
job or workflow, records the occurrence in ``schedule_fires`` (unique per schedule and
occurrence: the guard behind the locks), advances ``next_run_at`` along the
occurrence sequence (never from "now", so nothing drifts), and writes a tick event.
The schedules' policies apply on the way (services/overlap: the last run still live;
jitter: ``next_run_at`` is the occurrence plus its delay); each tick also takes the
schedules whose held occurrence (BUFFER_ONE) may fire now, and those whose next
backfilled run may (services/backfill). Between ticks the loop sleeps until the
earliest next run (one index probe), bounded, and wakes early when a schedule of this
process changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, transitions
from taskforge.domain.enums import ScheduleKind, ScheduleStatus
from taskforge.domain.errors import RateLimited
from taskforge.domain.events import (
    Event,
    ScheduleChanged,
    ScheduleCompleted,
    ScheduleDeferred,
    ScheduleFired,
    ScheduleMissed,
)
from taskforge.domain.schedules import plan
from taskforge.lifecycle import Failures, finish
from taskforge.metrics.server import pending
from taskforge.persistence.common import backfills
from taskforge.persistence.common import schedules as repo
from taskforge.persistence.tables import ScheduledJob
from taskforge.services import backfill, idempotency, overlap
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.fires import MINUTE, fire, fire_jobs, rate_key, window
from taskforge.services.job_events import record
from taskforge.services.schedules import WRITE, event
from taskforge.services.timetable import (
    after_owed,
    delay_of,
    fires_at,
    occurrence_of,
    recurrence_of,
    set_next,
)

log = logging.getLogger(__name__)
ZERO = timedelta(0)


@dataclass
class Plan:
    """One due schedule's part of a tick."""

    s: ScheduledJob
    fire: list[datetime]
    following: datetime | None
    skipped: int
    granted: int = 0
    postponed: bool = False  # left as it was, for the next tick (services/overlap)


@retried  # a deadlock with an acknowledgement (CANCEL_PREVIOUS) aborts the whole batch
async def tick(svc: Services) -> int:
    """Fire what is due now, batched; returns how many schedules were handled and
    backfilled runs created.

    One transaction for the batch: the occurrences of all job schedules are recorded,
    counted against the rate limits and quotas, and created with a few set-based
    statements, not a round trip each. Besides the due schedules: those holding an
    occurrence (BUFFER_ONE) whose live run has ended, and those whose next backfilled
    run may fire.
    """
    now = svc.clock()
    limit = svc.settings.scheduler_batch
    async with svc.write() as session:
        due = await repo.due(session, now, limit)
        ready = await repo.buffered_ready(session, limit, [s.id for s in due])
        backfilling = await backfills.due(session, now, limit)
        if not (due or ready or backfilling):
            return 0
        plans = [_plan(svc, s, now) for s in due]
        plans += [Plan(s, [], occurrence_of(s), 0) for s in ready]
        events: list[Event] = list(await overlap.apply(session, plans, now))
        plans = [p for p in plans if not p.postponed]
        await _grant(svc, session, plans, now)
        events += await fire_jobs(
            svc,
            session,
            [
                (p.s, at)
                for p in plans
                if p.s.workflow_definition is None
                for at in p.fire[: p.granted]
            ],
            now,
        )
        for p in plans:
            if p.s.workflow_definition is not None:
                for at in p.fire[: p.granted]:
                    events += await fire(svc, session, p.s, at, now)
            events += _settle(p, now)
        backfilled = await backfill.fire_waiting(svc, session, backfilling, now)
        events += backfilled
        if (notes := pending(session)) is not None:
            late = [
                (now - fires_at(p.s, at)).total_seconds()
                for p in plans
                for at in p.fire[: p.granted]
            ]
            notes.later.append(functools.partial(_fired, svc, late))
        # ticks report the next run as it now stands
        next_of = {p.s.id: p.s.next_run_at for p in plans}
        await record(
            session,
            [
                replace(e, next_run_at=next_of[e.schedule_id])
                if isinstance(e, ScheduleChanged) and e.schedule_id in next_of
                else e
                for e in events
            ],
        )
    # backfilling schedules count by the runs they created: those the rate limit held
    # back wait for its next window, and a full batch of them would only have the loop
    # tick again at once for nothing
    return len(due) + len(ready) + sum(isinstance(e, ScheduleFired) for e in backfilled)


def _fired(svc: Services, lateness: list[float]) -> None:
    """Count a committed tick's fires (metrics/server.py)."""
    assert svc.metrics is not None
    svc.metrics.schedule_fires.inc(len(lateness))
    for seconds in lateness:
        svc.metrics.schedule_lateness.observe(max(seconds, 0.0))


def _plan(svc: Services, s: ScheduledJob, now: datetime) -> Plan:
    rec = recurrence_of(s)
    cap = svc.settings.schedule_misfire_cap
    delay = delay_of(s)
    if s.pending_fire_at is not None:  # deferred by the rate limit: owed, not missed
        # the owed occurrence, then the timetable from where the throttled tick left it:
        # what that tick skipped or held in between is not decided (or counted) again
        fire: list[datetime] = [s.pending_fire_at]
        following = None
        start = after_owed(s, rec)
        for at in [start, *rec.upcoming(start, cap)] if start else []:
            if at + (delay(at) if delay else ZERO) > now:
                following = at  # the first not due yet: the next run
                break
            if len(fire) < cap:
                fire.append(at)
        p = Plan(s, fire, following or rec.next_after(now), 0)
    else:
        due_at = occurrence_of(s)
        assert due_at is not None
        grace = timedelta(seconds=svc.settings.schedule_misfire_grace_seconds)
        fp = plan(rec, due_at, now, s.misfire_policy, grace, cap, delay)
        p = Plan(s, fp.fire, fp.next_run_at, fp.skipped)
    if s.max_runs is not None:
        p.fire = p.fire[: max(0, s.max_runs - s.runs_count)]
    return p


async def _grant(svc: Services, session: AsyncSession, plans: list[Plan], now: datetime) -> None:
    """Rate limits, one counter per tenant and job type shared by every replica: each
    plan is granted a prefix of its occurrences, in order, while capacity lasts."""
    groups: dict[tuple[uuid.UUID, str], list[Plan]] = {}
    for p in plans:
        if p.fire:
            groups.setdefault((p.s.organization_id, rate_key(p.s)), []).append(p)
    default = svc.settings.schedule_rate_limit_per_minute
    for (org, key), members in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        limit = min(m.s.rate_limit_per_minute or default for m in members)
        wanted = sum(len(m.fire) for m in members)
        left = await repo.take_rate_upto(session, org, key, window(now), wanted, limit)
        for m in members:
            m.granted = min(len(m.fire), left)
            left -= m.granted


def _settle(p: Plan, now: datetime) -> list[ScheduleChanged]:
    """Move the schedule on: deferred, failed, completed, or to its next run."""
    s = p.s
    s.updated_at = now
    if s.status is ScheduleStatus.FAILED:
        return []
    events: list[ScheduleChanged] = []
    if p.granted < len(p.fire):  # throttled: the rest is owed from the next window
        owed = p.fire[p.granted :]
        # the first owed occurrence waits; the timetable goes on from the second (the
        # owed ones after it are consecutive: only ALLOW_ALL fires more than one) or
        # from the next occurrence: those skipped or held in between stay decided
        s.pending_fire_at, s.next_run_at = owed[0], window(now) + MINUTE
        s.next_occurrence_at = owed[1] if len(owed) > 1 else p.following
        s.deferrals, s.last_deferred_at = s.deferrals + 1, now
        if p.skipped:
            events.append(event(s, ScheduleMissed, p.skipped))
        events.append(event(s, ScheduleDeferred, owed[0]))
        return events
    s.pending_fire_at = None
    set_next(s, p.following)
    if p.skipped:
        events.append(event(s, ScheduleMissed, p.skipped))
    exhausted = s.max_runs is not None and s.runs_count >= s.max_runs
    if p.following is None or exhausted or (s.kind is ScheduleKind.ONCE and s.runs_count):
        transitions.move(s, ScheduleStatus.COMPLETED)
        set_next(s, None)
        s.buffered_fire_at = None
        events.append(event(s, ScheduleCompleted))
    return events


@dataclass(frozen=True)
class Triggered:
    """What a manual run created (neither: that occurrence had fired already), or, with
    ``deduplicated``, what the earlier trigger with the same idempotency key created."""

    schedule: records.Schedule
    job: records.Job | None = None
    workflow: records.Workflow | None = None
    deduplicated: bool = False


async def trigger(svc: Services, principal: Principal, schedule_id: uuid.UUID) -> records.Schedule:
    """Run a schedule once, now, outside its timetable (rate limit applies)."""
    return (await trigger_run(svc, principal, schedule_id)).schedule


async def trigger_run(
    svc: Services,
    principal: Principal,
    schedule_id: uuid.UUID,
    idempotency_key: str | None = None,
) -> Triggered:
    """``trigger``, with what it created. With ``idempotency_key`` (scoped to the
    schedule), a repeat within the window creates nothing and takes no rate: it returns
    the first trigger's job or workflow."""
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    use = idempotency.trigger_use(schedule_id, idempotency_key)
    async with svc.write() as session:
        s = found(await repo.lock(session, org, schedule_id), "schedule", schedule_id)
        if use is not None and (
            made := await idempotency.earlier_target(svc, session, org, use, now)
        ):
            job, wf = made
            return Triggered(
                records.Schedule.of(s),
                job.replace(deduplicated=True) if job else None,
                wf.replace(deduplicated=True) if wf else None,
                deduplicated=True,
            )
        limit = s.rate_limit_per_minute or svc.settings.schedule_rate_limit_per_minute
        if not await repo.take_rate(session, org, rate_key(s), window(now), 1, limit):
            raise RateLimited(
                f"schedules of this job type may create {limit} jobs per minute",
                retryAfterSeconds=int((window(now) + MINUTE - now).total_seconds()) + 1,
            )
        events = await fire(svc, session, s, now, now, manual=True)
        await record(session, events)
        fired = next((e for e in events if isinstance(e, ScheduleFired)), None)
        job_id, workflow_id = (fired.job_id, fired.workflow_id) if fired else (None, None)
        if use is not None:
            await idempotency.set_target(session, org, use, job_id, workflow_id)
        job, wf = await idempotency.targets(session, org, job_id, workflow_id)
    return Triggered(records.Schedule.of(s), job, wf)


class Scheduler:
    """The loop: tick, then sleep until the next due time (bounded) or a change."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        svc.on_schedule_change.append(self._wake.set)

    async def run(self) -> None:
        svc = self._svc
        pruned = svc.clock()
        failures = Failures(log, "scheduler tick")
        while not self._stopping:
            self._wake.clear()
            handled = 0
            try:
                handled = await tick(svc)
                self.ticks += 1
                if svc.clock() - pruned > MINUTE:
                    pruned = svc.clock()
                    async with svc.write() as session:
                        await repo.prune_windows(session, window(pruned) - 2 * MINUTE)
                failures.succeeded()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures.failed(exc)
            if handled >= svc.settings.scheduler_batch:
                continue  # more are due right now
            await self._sleep()

    async def _sleep(self) -> None:
        svc = self._svc
        delay = svc.settings.scheduler_max_sleep
        with contextlib.suppress(Exception):
            async with svc.read() as session:
                next_at = await repo.next_due_at(session)
            if next_at is not None:
                delay = min(delay, max(0.0, (next_at - svc.clock()).total_seconds()))
        if delay <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="scheduler")

    async def stop(self, grace: float = 5.0) -> None:
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        await finish(task, grace)
