"""Queue.stats: a queue's live figures, each counted through an index up to a limit.

Every figure stops at ``TASKFORGE_QUEUE_STATS_LIMIT`` (a figure equal to it means at
least that many): what a figure costs is bounded by the limit, never by the queue's
history (persistence/common/queue_stats). Queues come in batches (a page of them is one
statement) and only the caller's are counted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from taskforge.domain.enums import JobStatus
from taskforge.domain.errors import InvalidInput
from taskforge.persistence.common import queue_stats as repo
from taskforge.services.base import Principal, Services

READ = "jobs:read"
MAX_MINUTES = 60


@dataclass(frozen=True)
class Figures:
    queue_id: uuid.UUID
    waiting: int
    running: int
    scheduled: int
    succeeded_last_hour: int
    failed_last_hour: int
    oldest_waiting_age: float | None  # seconds; None: none waits
    count_limit: int


@dataclass(frozen=True)
class Point:
    """Jobs of a queue that ended in one minute (its start, UTC, seconds zero)."""

    minute: datetime
    succeeded: int
    failed: int


def minutes_of(minutes: int) -> int:
    """The throughput's span, checked: 1 to 60 minutes."""
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"minutes must be between 1 and {MAX_MINUTES}", field="minutes")
    return minutes


async def figures(
    svc: Services, principal: Principal, queue_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Figures]:
    """The figures of the caller's queues among ``queue_ids`` (others are left out)."""
    principal.require(READ)
    cap, now = svc.settings.queue_stats_limit, svc.clock()
    async with svc.read() as session:
        rows = await repo.figures(session, principal.organization_id, queue_ids, cap, now)

    def age(since: datetime | None) -> float | None:
        return None if since is None else max(0.0, (now - since).total_seconds())

    return {
        row.id: Figures(
            queue_id=row.id,
            # ready now: PENDING ones, and SCHEDULED ones due (a claim promotes them)
            waiting=min(cap, row.ready + row.due),
            running=row.running,
            scheduled=row.scheduled,
            succeeded_last_hour=row.succeeded,
            failed_last_hour=row.failed,
            # a ready job waits since it was created, a due one since it fell due
            oldest_waiting_age=age(min(_times(row.oldest_ready, row.oldest_due), default=None)),
            count_limit=cap,
        )
        for row in rows
    }


def _times(*found: datetime | None) -> list[datetime]:
    return [at for at in found if at is not None]


async def throughput(
    svc: Services, principal: Principal, queue_ids: list[uuid.UUID], minutes: int
) -> dict[uuid.UUID, list[Point]]:
    """Jobs of each of the caller's queues that ended per minute over the last
    ``minutes`` minutes (the current one last), oldest first, zeros included. Of each
    outcome the latest ``countLimit`` in the span are counted: past that many, the
    earliest minutes fall short (one bounded probe per queue and outcome, whatever the
    span)."""
    principal.require(READ)
    minutes = minutes_of(minutes)
    cap, now = svc.settings.queue_stats_limit, svc.clock()
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    span = (first, first + timedelta(minutes=minutes))
    async with svc.read() as session:
        found = await repo.outcomes(session, principal.organization_id, queue_ids, cap, span)
    starts = [first + timedelta(minutes=i) for i in range(minutes)]
    return {
        queue_id: [
            Point(at, ended[JobStatus.SUCCEEDED].get(i, 0), ended[JobStatus.FAILED].get(i, 0))
            for i, at in enumerate(starts)
        ]
        for queue_id, ended in found.items()
    }
