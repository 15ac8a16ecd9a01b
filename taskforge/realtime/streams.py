"""Per-subscription event streams: replay from a cursor, then live, with no gap and no
duplicate at the seam, in ``seq`` order, one tenant only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

from taskforge.domain.errors import ResyncRequired, SlowConsumer
from taskforge.persistence.common import event_log
from taskforge.persistence.database import Database
from taskforge.realtime.relay import events_of
from taskforge.realtime.tail import EventTail, Route
from taskforge.realtime.tail import SlowConsumer as Overflow

REPLAY_PAGE = 500
FAIR_SHARE = 20  # events a stream sends before it lets others run


async def events(
    tail: EventTail,
    db: Database,
    org_id: uuid.UUID,
    event_types: set[str],
    accept: Callable[[dict[str, Any]], bool] = lambda _: True,
    after: int | None = None,
    on_overflow: Callable[[], None] | None = None,
    route: Route | None = None,
    coalesce: Callable[[dict[str, Any]], Hashable] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Yield the tenant's events of the given types that pass ``accept``.

    With ``after``, first the stored events after that id up to the tail's position,
    then the live ones after it: the live feed is attached before the replay starts,
    so whatever commits meanwhile waits in its buffer. ``route`` (a payload field and
    value that every accepted event has) lets the tail offer this stream only the
    events of its own workflow or job. ``coalesce`` (live events only): of the events
    already waiting in the buffer, only the last one per key is sent, for signals where
    a newer one says all an older one did.
    """
    feed, position = tail.attach(org_id, event_types, accept, route)
    feed.on_overflow = on_overflow
    try:
        if after is not None:
            last = after
            async with db.read() as session:
                pruned = await event_log.pruned_through(session)
            if after < pruned:
                raise ResyncRequired(
                    f"events up to {pruned} are no longer kept; reload the state and"
                    " subscribe without `after` (or with a newer event id)",
                    prunedThrough=pruned,
                )
            while last < position:
                async with db.read() as session:
                    rows = await event_log.replay(
                        session, org_id, last, position, event_types, REPLAY_PAGE
                    )
                for row in rows:
                    for event in events_of(row):
                        if last < event["seq"] <= position and accept(event):
                            yield event
                if len(rows) < REPLAY_PAGE:
                    break
                last = rows[-1].seq + rows[-1].span - 1
        sent = 0
        while True:
            try:
                event = await feed.get()  # the feed applied ``accept`` already
            except Overflow as exc:
                raise SlowConsumer(
                    "this subscription fell too far behind (its buffer is full); resubscribe"
                    " with `after` set to the last event id received"
                ) from exc
            batch = [event]
            if coalesce is not None:
                latest = {coalesce(e): e for e in [event, *feed.ready()]}
                batch = sorted(latest.values(), key=lambda e: int(e["seq"]))
            for item in batch:
                yield item
            sent += len(batch)
            if sent >= FAIR_SHARE:
                sent = 0
                # a full buffer is drained without a real suspension otherwise (the
                # queue and often the socket write return at once): let the other
                # connections, and the tail itself, run in between
                await asyncio.sleep(0)
    finally:
        tail.detach(feed)
