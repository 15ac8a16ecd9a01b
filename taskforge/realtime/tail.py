"""The event tail: one per process, following the stamped outbox in ``seq`` order.

PostgreSQL (or SQLite) is the truth, the broker only a signal. The relay publishes each
stamped event; when the next expected ``seq`` arrives it is dispatched as is, and when
a message is missing (Redis blinked, a replica restarted) or the broker is down, the
tail reads the gap from the events table. So every local subscription receives every
event of its tenant exactly once and in order, whatever the broker did, and a poll
keeps it going (with more latency) while the broker is away.

Subscriptions attach with the tail's position: what came before is in the table
(replay), what comes after arrives in their bounded buffer (live). Attaching happens
without an await between reading the position and registering, so nothing falls in
between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from taskforge.domain.events import expand
from taskforge.lifecycle import Failures, finish
from taskforge.persistence.common import event_log
from taskforge.persistence.database import Database
from taskforge.realtime.broker import Broker, events_channel
from taskforge.realtime.relay import decode, events_of

log = logging.getLogger(__name__)


EARLY_ROWS = 10_000


def stamped(message: str | bytes) -> int:
    """The ``seq`` of a broker message without decoding it (``relay.encode`` writes it
    first); 0 when it does not start as expected (then it is decoded as usual)."""
    head = message[:32] if isinstance(message, str) else message[:32].decode("ascii", "replace")
    if not head.startswith('{"seq":'):
        return 0
    end = head.find(",", 7)
    try:
        return int(head[7:end]) if end > 0 else 0
    except ValueError:
        return 0


class SlowConsumer(Exception):
    """A subscription's buffer overflowed: its client does not keep up."""


# payload fields a subscription can be routed by: an event reaches the feeds of its
# own workflow or job only, not every feed of the tenant
ROUTES = ("workflowId", "jobId")
Route = tuple[str, str]  # (field, value), e.g. ("workflowId", "...")


class Feed:
    """One subscription's bounded buffer of its tenant's events of some types that its
    filter accepts (applied here, so a buffer holds only what will be sent).

    A plain deque and one future while its stream waits: an idle subscription holds no
    task, and handing it an event costs no more than completing that future. The deque
    exists only while events wait (an empty one is ~700 bytes, on every idle subscriber)."""

    def __init__(
        self,
        org_id: uuid.UUID,
        types: frozenset[str],
        size: int,
        accept: Callable[[dict[str, Any]], bool] | None = None,
        route: Route | None = None,
    ) -> None:
        self.org_id, self.types, self.accept, self.route = org_id, types, accept, route
        self._buffer: deque[dict[str, Any]] | None = None
        self._size = size if size > 0 else None  # as asyncio.Queue: 0 is unbounded
        self._waiter: asyncio.Future[None] | None = None
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None

    def offer(self, event: dict[str, Any]) -> None:
        if self.overflowed or event["type"] not in self.types:
            return
        try:
            if self.accept is not None and not self.accept(event):
                return
        except Exception:  # a filter's bug must not stop the tail for everyone
            log.exception("subscription filter failed on event %s", event.get("seq"))
            return
        buffer = self._buffer
        if buffer is None:
            buffer = self._buffer = deque()
        elif self._size is not None and len(buffer) >= self._size:
            # memory stays bounded: the subscription is dropped
            self.overflowed = True
            self._wake()
            if self.on_overflow is not None:
                self.on_overflow()
            return
        buffer.append(event)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> dict[str, Any]:
        """The next event; what was buffered before an overflow is still handed out,
        then ``SlowConsumer``."""
        while True:
            buffer = self._buffer
            if buffer:
                event = buffer.popleft()
                if not buffer:
                    self._buffer = None
                return event
            if self.overflowed:
                raise SlowConsumer
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def ready(self) -> list[dict[str, Any]]:
        """Everything already buffered, without waiting."""
        out = list(self._buffer or ())
        self._buffer = None
        return out


class EventTail:
    def __init__(
        self, db: Database, broker: Broker, poll_interval: float, buffer: int = 1000
    ) -> None:
        self._db, self._broker = db, broker
        self._poll, self._buffer = poll_interval, buffer
        self._feeds: dict[uuid.UUID, set[Feed]] = defaultdict(set)  # unrouted, by tenant
        self._routed: dict[tuple[uuid.UUID, str, str], set[Feed]] = defaultdict(set)
        # routed feeds by tenant and type: whether a row can reach any of them
        self._routed_types: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.position = 0  # the last seq dispatched
        # broker rows that arrived before the one they follow, by seq (bounded: the
        # table has them too)
        self._early: dict[int, dict[str, Any]] = {}
        self.channel = ""  # known once started
        self._subscribed = False
        self._stopping = False

    @property
    def broker_up(self) -> bool:
        """Subscribed to the broker over a live connection (else the table is polled)."""
        return self._subscribed and self._broker.connected

    @property
    def subscribers(self) -> int:
        return sum(len(f) for f in self._feeds.values()) + sum(
            len(f) for f in self._routed.values()
        )

    def attach(
        self,
        org_id: uuid.UUID,
        types: Iterable[str],
        accept: Callable[[dict[str, Any]], bool] | None = None,
        route: Route | None = None,
    ) -> tuple[Feed, int]:
        """A live feed from the current position, and that position (no await here).
        ``route``: the feed wants only events whose payload has this field value."""
        if route is not None and route[0] not in ROUTES:
            raise ValueError(f"cannot route by {route[0]}")
        feed = Feed(org_id, frozenset(types), self._buffer, accept, route)
        self._index(feed).add(feed)
        if route is not None:
            self._routed_types[org_id].update(feed.types)
        return feed, self.position

    def detach(self, feed: Feed) -> None:
        index = self._routed if feed.route else self._feeds
        key: Any = (feed.org_id, *feed.route) if feed.route else feed.org_id
        feeds = index.get(key)
        if feeds is not None and feed in feeds:
            feeds.discard(feed)
            if not feeds:
                del index[key]
            if feed.route is not None:
                counts = self._routed_types[feed.org_id]
                counts.subtract(feed.types)
                if not +counts:
                    del self._routed_types[feed.org_id]

    def _index(self, feed: Feed) -> set[Feed]:
        if feed.route is None:
            return self._feeds[feed.org_id]
        return self._routed[(feed.org_id, *feed.route)]

    async def start(self) -> None:
        async with self._db.read() as session:
            self.channel = events_channel(await event_log.stream_id(session))
            self.position = await event_log.max_seq(session)
        self._tasks = [
            asyncio.create_task(self._follow(), name="event-tail"),
            asyncio.create_task(self._listen(), name="event-tail-broker"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """The table reader ends its current read (cancelled mid-query, it would strand
        its connection, whose pool then logs a failed reset); the broker listener, which
        holds no database connection, is cancelled."""
        self._stopping = True  # a broker error raised while cancelling is not an outage
        self._wake.set()
        if not self._tasks:
            return
        follow, *others = self._tasks
        for task in others:
            task.cancel()
        for task in others:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await finish(follow, grace)
        self._tasks = []

    def _dispatch(
        self,
        event: dict[str, Any],
        org: uuid.UUID | None = None,
        feeds: Iterable[Feed] | None = None,
    ) -> None:
        """One event to its tenant's feeds (``feeds``: those of them that want its type,
        when the caller found them for its row) and to the routed ones it names."""
        self.position = event["seq"]
        if org is None:
            org = uuid.UUID(event["organizationId"])
        for feed in self._feeds.get(org, ()) if feeds is None else feeds:
            feed.offer(event)
        if self._routed:
            payload = event["payload"]
            for field in ROUTES:
                value = payload.get(field)
                if value:
                    for feed in self._routed.get((org, field, value), ()):
                        feed.offer(event)

    def _deliver(
        self,
        seq: int,
        span: int,
        org: uuid.UUID,
        type_: str,
        events: Callable[[], list[dict[str, Any]]],
    ) -> None:
        """A row's events (``events()`` expands them) to the feeds that may want them.
        A row of a type that no feed of its tenant takes (most rows, for most tenants:
        jobs starting and ending) is passed over whole, without expanding its events or
        parsing its tenant once per event; the position moves past it all the same."""
        feeds = [f for f in self._feeds.get(org, ()) if type_ in f.types]
        routed = self._routed_types.get(org)
        if not feeds and not (routed and routed[type_] > 0):
            self.position = seq + span - 1
            return
        for event in events():
            self._dispatch(event, org, feeds)

    def _deliver_message(self, row: dict[str, Any]) -> None:
        """A decoded broker message (``expand`` gives its events)."""
        self._deliver(
            row["seq"],
            row.get("span", 1),
            uuid.UUID(row["organizationId"]),
            row["type"],
            partial(expand, row),
        )

    def _on_message(self, row: dict[str, Any]) -> None:
        """A published row: dispatched if it is the next one, with whatever arrived
        early after it. One that arrives early (two relays published out of order, or a
        message was lost) waits for the missing ones, and the table is read for them."""
        seq = row["seq"]
        if seq == self.position + 1:
            self._deliver_message(row)
            self._follow_early()
        elif seq > self.position + 1:
            if len(self._early) < EARLY_ROWS:
                self._early[seq] = row
            self._wake.set()  # something is missing: read it from the table

    def _follow_early(self) -> None:
        """Dispatch the rows that arrived early and are next now; forget those passed."""
        early = self._early
        while early:
            row = early.pop(self.position + 1, None)
            if row is None:
                if min(early) <= self.position:  # read from the table meanwhile
                    for seq in [s for s in early if s <= self.position]:
                        del early[seq]
                    continue
                return
            self._deliver_message(row)

    async def _listen(self) -> None:
        """Broker messages: the fast path. Reconnects, and the poll covers the gaps."""
        delay = 0.5
        while True:
            try:
                async with self._broker.subscribe(self.channel) as messages:
                    self._subscribed, delay = True, 0.5
                    self._wake.set()  # catch up on whatever passed while away
                    received = 0
                    while True:
                        message = await messages.get()
                        if 0 < stamped(message) <= self.position:
                            continue  # read from the table already: not worth decoding
                        row = decode(message)
                        received += row.get("span", 1)
                        self._on_message(row)
                        if received >= 100:
                            received = 0
                            # a burst (the relay catching up) would otherwise be
                            # dispatched in one go while no stream drains its buffer
                            await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker away: the table is polled meanwhile
                if self._stopping:
                    return
                if self._subscribed:
                    log.warning("event broker unavailable (%s); reading the events table", exc)
                self._subscribed = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _follow(self) -> None:
        """Reads the table from the position when woken (a gap), or on each poll."""
        failures = Failures(log, "reading the events table")
        while not self._stopping:
            self._wake.clear()
            try:
                await self._catch_up()
                failures.succeeded()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures.failed(exc)
            # one indexed read per interval: cheap, and it keeps delivering when the
            # broker is away without knowing it yet
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

    async def _catch_up(self) -> None:
        while True:
            async with self._db.read() as session:
                rows = await event_log.after(session, self.position, 1000)
            for row in rows:
                if row.seq == self.position + 1:
                    self._deliver(
                        row.seq, row.span, row.organization_id, row.type, partial(events_of, row)
                    )
                elif row.seq > self.position + 1:  # stamped ids are dense; wait for it
                    break
            self._follow_early()
            if len(rows) < 1000 or rows[-1].seq > self.position:
                return
