"""executionLogs: an execution's log entries after a cursor, then live.

Entries are read from the log table, never carried by events: an ``execution.logged``
event only wakes the stream, which then reads what is past the last entry it sent. So
the replay and the live part cannot leave a gap or send an entry twice (the wake-up
feed is attached before the first read), and a burst of appends costs one read.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from taskforge.domain.errors import SlowConsumer
from taskforge.domain.records import ExecutionLog
from taskforge.realtime import filters
from taskforge.realtime.tail import EventTail
from taskforge.realtime.tail import SlowConsumer as Overflow

PAGE = 500

Reader = Callable[[int, int], Awaitable[list[ExecutionLog]]]


async def entries(
    tail: EventTail,
    org_id: uuid.UUID,
    execution_id: uuid.UUID,
    job_id: uuid.UUID,
    after: int,
    read: Reader,
    on_overflow: Callable[[], None] | None = None,
) -> AsyncIterator[ExecutionLog]:
    """The execution's entries with ids above ``after``, oldest first, then each new one
    as it is appended. ``read(after, limit)``: the stored entries after an id."""
    accept = filters.accepting(filters.execution_logs(execution_id))
    feed, _ = tail.attach(org_id, filters.EXECUTION_LOGS, accept, ("jobId", str(job_id)))
    feed.on_overflow = on_overflow
    try:
        last = after
        while True:
            rows = await read(last, PAGE)
            for row in rows:
                yield row
                last = row.id
            if len(rows) == PAGE:
                continue  # more stored: no need to wait
            try:
                await feed.get()
            except Overflow as exc:
                raise SlowConsumer(
                    "this subscription fell too far behind; resubscribe with `after` set to"
                    " the last cursor received"
                ) from exc
            feed.ready()  # one read covers every wake-up already waiting
    finally:
        tail.detach(feed)
