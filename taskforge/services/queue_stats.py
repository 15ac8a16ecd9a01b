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
    return {
        row.id: Figures(
            queue_id=row.id,
            waiting=row.waiting,
            running=row.running,
            scheduled=row.scheduled,
            succeeded_last_hour=row.succeeded,
            failed_last_hour=row.failed,
            oldest_waiting_age=(
                None
                if row.oldest_waiting is None
                else max(0.0, (now - row.oldest_waiting).total_seconds())
            ),
            count_limit=cap,
        )
        for row in rows
    }


async def throughput(
    svc: Services, principal: Principal, queue_ids: list[uuid.UUID], minutes: int
) -> dict[uuid.UUID, list[Point]]:
    """Jobs of each of the caller's queues that ended per minute over the last
    ``minutes`` minutes (the current one last), oldest first, zeros included."""
    principal.require(READ)
    minutes = minutes_of(minutes)
    cap, now = svc.settings.queue_stats_limit, svc.clock()
    current = now.replace(second=0, microsecond=0)
    starts = [current - timedelta(minutes=minutes - 1 - i) for i in range(minutes)]
    async with svc.read() as session:
        counts = await repo.throughput(session, principal.organization_id, queue_ids, cap, starts)
    return {
        queue_id: [Point(at, s, f) for at, (s, f) in zip(starts, pairs, strict=True)]
        for queue_id, pairs in counts.items()
    }
