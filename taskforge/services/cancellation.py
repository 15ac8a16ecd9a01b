"""Cancelling jobs the caller holds locked: what cancelJob does to a job, shared with the
cancelling flow strategies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import transitions
from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.events import Event
from taskforge.persistence.common import jobs as repo
from taskforge.persistence.tables import Job
from taskforge.services.job_events import status_event
from taskforge.services.resolution import Moved, after_changes


async def cancel_locked(
    session: AsyncSession, locked: list[Job], why: str, now: datetime
) -> list[Event]:
    """Cancel these jobs, each locked by the caller and allowed to be cancelled, with
    ``why`` as their reason; returns the events to write. A running job's worker is told
    (its attempt is CANCELLED: the heartbeat and the worker channel say so)."""
    events: list[Event] = []
    for job in locked:
        previous = transitions.move(job, JobStatus.CANCELLED)
        job.status_reason, job.finished_at, job.updated_at = why, now, now
        events.append(status_event(job, previous, why))
    await session.flush()
    # the decision wins over the attempts: a running one or one waiting for its retry
    # is closed, so that nothing brings the job back
    ids = [job.id for job in locked]
    await repo.close_open_attempts(session, ids, ExecutionStatus.CANCELLED, now, why)
    events += await after_changes(session, [Moved.of(job) for job in locked], now)
    return events
