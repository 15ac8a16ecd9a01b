"""GraphQL types of Queue.stats: a queue's live figures and its throughput per minute."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from taskforge.services import queue_stats

if TYPE_CHECKING:
    from taskforge.resolvers.context import Context


@strawberry.type(description="The jobs of a queue that ended in one minute.")
class ThroughputPoint:
    minute: datetime = strawberry.field(description="The start of the minute (UTC, seconds zero).")
    succeeded: int
    failed: int

    @classmethod
    def of(cls, p: queue_stats.Point) -> ThroughputPoint:
        return cls(minute=p.minute, succeeded=p.succeeded, failed=p.failed)


@strawberry.type(
    description="Live figures of a queue, each read through an index and counted up to "
    "countLimit: never a scan of its jobs."
)
class QueueStats:
    waiting: int = strawberry.field(
        description="Jobs ready to be claimed now: PENDING with their dependencies met, and "
        "SCHEDULED ones whose time has come (a delayed start or retry backoff now due: a "
        "claim promotes it), up to countLimit. A paused queue's ready jobs still "
        "count here. PENDING jobs waiting on their dependencies are in no figure."
    )
    running: int = strawberry.field(description="Jobs PROCESSING, up to countLimit.")
    scheduled: int = strawberry.field(
        description="Jobs SCHEDULED for a time still to come (delayed start, retry backoff, "
        "debounce), up to countLimit; once due they count as waiting."
    )
    succeeded_last_hour: int = strawberry.field(
        description="Jobs of the queue that ended SUCCEEDED in the last hour, up to countLimit."
    )
    failed_last_hour: int = strawberry.field(
        description="Jobs of the queue that ended FAILED in the last hour, up to countLimit."
    )
    oldest_waiting_age: float | None = strawberry.field(
        description="Seconds the longest-waiting job has waited: a ready job since it was "
        "created (among the next countLimit to be claimed), a due SCHEDULED one since its "
        "scheduled time; null when none waits."
    )
    count_limit: int = strawberry.field(
        description="Each count above stops at this value: a figure equal to it means 'at "
        "least' (TASKFORGE_QUEUE_STATS_LIMIT, default 10000)."
    )
    _queue_id: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="Jobs finished per minute over the last `minutes` minutes (1-60), oldest "
        "first, one point per minute (zeros included); the last is the current minute. Of "
        "each outcome the latest countLimit in the span are counted: past that many, the "
        "earliest minutes fall short."
    )
    async def throughput(
        self, info: strawberry.Info[Context, None], minutes: int = 15
    ) -> list[ThroughputPoint]:
        # checked here: a bad span fails this field alone, not the batch it would join
        key = (self._queue_id, queue_stats.minutes_of(minutes))
        points = await info.context.loaders.throughput.load(key)
        return [ThroughputPoint.of(p) for p in points or []]

    @classmethod
    def of(cls, f: queue_stats.Figures) -> QueueStats:
        return cls(
            waiting=f.waiting,
            running=f.running,
            scheduled=f.scheduled,
            succeeded_last_hour=f.succeeded_last_hour,
            failed_last_hour=f.failed_last_hour,
            oldest_waiting_age=f.oldest_waiting_age,
            count_limit=f.count_limit,
            _queue_id=f.queue_id,
        )
