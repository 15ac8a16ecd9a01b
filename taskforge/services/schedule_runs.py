"""What a schedule learns when one of its runs ends: the failures in a row, and the pause
``pauseAfterFailures`` makes of them.

Called inside the transaction that ends the run, where runs end SUCCEEDED or FAILED: a
job's success (executions.complete), a job's last attempt failing
(executions.fail_attempt), a workflow's end (resolution.set_workflow_status). A run
carries its schedule's id (``jobs.schedule_id``, ``workflows.schedule_id``), so a run
no schedule fired costs nothing here: no query, no lock. A cancelled or skipped run
neither counts as a failure nor ends a streak.
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
from taskforge.domain.schedule_policies import after_runs, pause_reason
from taskforge.persistence.common import outbox
from taskforge.persistence.common import schedules as repo


async def ended(
    session: AsyncSession, runs: Iterable[tuple[uuid.UUID | None, bool]], now: datetime
) -> None:
    """``runs``: (schedule id or None, whether it succeeded) of runs that just ended, in
    order. Each schedule's failures in a row are counted (the schedules locked in id
    order); one that reaches its ``pauseAfterFailures`` while ACTIVE is PAUSED, saying
    why, and its ``schedule.paused`` event is written."""
    outcomes: dict[uuid.UUID, list[bool]] = defaultdict(list)
    for schedule_id, succeeded in runs:
        if schedule_id is not None:
            outcomes[schedule_id].append(succeeded)
    if not outcomes:
        return
    events = []
    for s in await repo.lock_many(session, outcomes):
        limit = s.pause_after_failures
        s.consecutive_failures, reached = after_runs(s.consecutive_failures, outcomes[s.id], limit)
        if reached is None or s.status is not ScheduleStatus.ACTIVE or s.deleted_at is not None:
            continue
        transitions.move(s, ScheduleStatus.PAUSED)
        s.paused_reason, s.updated_at = pause_reason(reached), now
        status = ScheduleStatus(s.status)
        events.append(
            SchedulePaused(s.organization_id, s.id, status, s.next_run_at, s.paused_reason)
        )
    if events:
        await outbox.append(session, events)
