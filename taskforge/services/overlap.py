"""Overlap policies in a scheduler tick: is each schedule's last run live, what its due
occurrences do about it (domain/schedule_policies.overlap), and CANCEL_PREVIOUS's cancels.

"Live" is the last run the timetable fired (``last_job_id`` / ``last_workflow_id`` on
the schedule row, read with the row locked, so replicas serialize on it) not having
ended: one primary-key probe per tick for all the schedules concerned, none for
ALLOW_ALL ones. A cancel takes the run's rows with SKIP LOCKED: the job, or the workflow
with its live jobs and their open attempts. A run another transaction holds any of (an
acknowledgement in flight holds its job and attempt, then waits for the workflow) is
never waited for; that schedule is postponed to the next tick, untouched. One limit: a
workflow's running sub-workflows are cancelled with it as ``cancelWorkflow`` does,
waiting for their rows; a lock cycle with an acknowledgement inside one is broken by
the database and the tick runs again (``retried``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import OverlapPolicy, ScheduleStatus, WorkflowStatus
from taskforge.domain.events import Event, ScheduleMissed
from taskforge.domain.schedule_policies import Overlap, overlap
from taskforge.persistence.common import schedules as repo
from taskforge.persistence.tables import ScheduledJob
from taskforge.services.cancellation import cancel_locked
from taskforge.services.resolution import set_workflow_status
from taskforge.services.workflows import end_all

REASON = "schedule_overlap"  # a cancelled run's status reason; a skip's event reason


class Due(Protocol):
    """A schedule's part of a tick, as the policies see it."""

    s: ScheduledJob
    fire: list[datetime]
    postponed: bool


def concerned(s: ScheduledJob, fire: list[datetime]) -> bool:
    # a held occurrence is released even after the policy changed to ALLOW_ALL
    return (s.overlap_policy is not OverlapPolicy.ALLOW_ALL and bool(fire)) or (
        s.buffered_fire_at is not None
    )


async def apply(session: AsyncSession, plans: Sequence[Due], now: datetime) -> list[Event]:
    """Narrow each plan's occurrences to what its overlap policy fires now; hold, skip
    (counted, with a ``schedule.missed`` event giving the reason) and cancel as it says. Returns the
    events (the cancelled runs' and the skips')."""
    involved = [p for p in plans if concerned(p.s, p.fire)]
    if not involved:
        return []
    live = await repo.live_runs(
        session,
        {p.s.last_job_id for p in involved if p.s.last_job_id},
        {p.s.last_workflow_id for p in involved if p.s.last_workflow_id},
    )
    decided: list[tuple[Due, Overlap]] = []
    for p in involved:
        s = p.s
        running = s.last_job_id in live or s.last_workflow_id in live
        decided.append((p, overlap(s.overlap_policy, running, s.buffered_fire_at, p.fire)))
    events, held = await _cancel([p.s for p, o in decided if o.cancel_live], session, now)
    for p, o in decided:
        s = p.s
        if s.id in held:  # its run is another transaction's: next tick
            p.fire, p.postponed = [], True
            continue
        p.fire, s.buffered_fire_at = o.fire, o.buffered
        if o.skipped:
            s.skipped_count += len(o.skipped)
            status = ScheduleStatus(s.status)
            events.append(
                ScheduleMissed(
                    s.organization_id,
                    s.id,
                    status,
                    s.next_run_at,
                    len(o.skipped),
                    REASON,
                    o.skipped[-1],
                )
            )
    return events


async def _cancel(
    schedules: list[ScheduledJob], session: AsyncSession, now: datetime
) -> tuple[list[Event], set[uuid.UUID]]:
    """Cancel these schedules' live runs; returns the events and the ids of the
    schedules whose run could not be taken (locked elsewhere, or ended meanwhile)."""
    if not schedules:
        return [], set()
    jobs = await repo.take_live_jobs(session, [s.last_job_id for s in schedules if s.last_job_id])
    workflows = await repo.take_live_workflows(
        session, [s.last_workflow_id for s in schedules if s.last_workflow_id]
    )
    # a workflow is cancelled with its jobs and their attempts: all taken without waiting
    whole = await repo.take_workflow_runs(session, [w.id for w in workflows])
    workflows = [w for w in workflows if w.id in whole]
    taken = {j.id for j in jobs} | {w.id for w in workflows}
    held = {s.id for s in schedules if (s.last_job_id or s.last_workflow_id) not in taken}
    events: list[Event] = await cancel_locked(session, jobs, REASON, now) if jobs else []
    for wf in workflows:
        events += await end_all(session, wf, REASON, now)
        events.append(await set_workflow_status(session, wf, WorkflowStatus.CANCELLED, now))
    return events, held
