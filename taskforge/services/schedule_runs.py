"""What a schedule learns when one of its runs ends: the failures in a row, and the pause
``pauseAfterFailures`` makes of them.

Reported inside the transaction that ends the run, where runs end SUCCEEDED or FAILED: a
job's success (executions.complete), a job's last attempt failing
(executions.fail_attempt), a workflow's end (resolution.set_workflow_status). A run
carries its schedule's id (``jobs.schedule_id``, ``workflows.schedule_id``), so a run
no schedule fired costs nothing here: no query, no lock. A cancelled or skipped run
neither counts as a failure nor ends a streak.

The ends are gathered over the whole transaction and applied once, just before it
commits (``Database.before_commit``), with the schedules locked in id order: an
acknowledgement or a reaper batch failing jobs of several schedules, in whatever order,
never locks them in item order (two such batches could each hold one and wait for the
other). Successes take no lock unless a count is to be reset; failures add to the count
atomically and pause a schedule that reached its limit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import transitions
from taskforge.domain.enums import ScheduleStatus
from taskforge.domain.events import SchedulePaused
from taskforge.domain.schedule_policies import after_ends, ends, pause_reason
from taskforge.persistence.common import outbox
from taskforge.persistence.common import schedule_runs as repo
from taskforge.persistence.common.schedules import by_ids
from taskforge.persistence.database import before_commit

ENDED = "taskforge.schedule_runs"  # the session's gathered ends, and when the last came


async def ended(
    session: AsyncSession, runs: Iterable[tuple[uuid.UUID | None, bool]], now: datetime
) -> None:
    """``runs``: (schedule id or None, whether it succeeded) of runs that just ended, in
    order; counted when the transaction is about to commit."""
    fired = [(sid, ok) for sid, ok in runs if sid is not None]
    if not fired:
        return
    outcomes: defaultdict[uuid.UUID, list[bool]] = session.info.get(ENDED, (None,))[0] or (
        defaultdict(list)
    )
    for schedule_id, succeeded in fired:
        outcomes[schedule_id].append(succeeded)
    session.info[ENDED] = (outcomes, now)
    before_commit(session, ENDED, _apply)


async def _apply(session: AsyncSession) -> None:
    """Each schedule's failures in a row counted; one that reaches its
    ``pauseAfterFailures`` while ACTIVE is PAUSED, saying why, and its
    ``schedule.paused`` event is written."""
    outcomes, now = session.info.pop(ENDED)
    counted = {sid: ends(ok) for sid, ok in outcomes.items()}
    failed = {sid: counted[sid] for sid, ok in outcomes.items() if not all(ok)}
    succeeded = [sid for sid in counted if sid not in failed]  # only successes
    if failed:
        await repo.lock_counted(session, failed, succeeded)
    if succeeded:
        await repo.reset(session, succeeded)
    if not failed:
        return
    reached: dict[uuid.UUID, int] = {}
    rest: dict[uuid.UUID, int] = {}
    for row in await repo.add(session, {sid: e.lead for sid, e in failed.items()}):
        e = failed[row.id]
        final, at = after_ends(e, row.consecutive_failures, row.pause_after_failures)
        if e.rest is not None:
            rest[row.id] = final
        if at is not None and row.status is ScheduleStatus.ACTIVE and row.deleted_at is None:
            reached[row.id] = at
    if rest:
        await repo.set_counts(session, rest)
    events = []
    for s in await by_ids(session, reached):
        transitions.move(s, ScheduleStatus.PAUSED)
        s.paused_reason, s.updated_at = pause_reason(reached[s.id]), now
        s.backfill_next_at = None  # its backfill waits for the resume, walked by no tick
        status = ScheduleStatus(s.status)
        events.append(
            SchedulePaused(s.organization_id, s.id, status, s.next_run_at, s.paused_reason)
        )
    if events:
        await outbox.append(session, events)
