"""The outbox relay: stamps committed events with a commit-ordered ``seq`` and publishes them.

Every replica runs one. The cursor row's lock (SKIP LOCKED on PostgreSQL) makes
exactly one of them stamp at a time, so ``seq`` is dense and in commit order. Events
are published after the commit, to one channel for all tenants; order and delivery
are the event tail's job (realtime/tail.py), which fills any gap from the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import orjson
from sqlalchemy import Row

from taskforge.domain.events import expand
from taskforge.lifecycle import Failures, finish
from taskforge.metrics.server import ServerMetrics
from taskforge.persistence.common import event_log, outbox
from taskforge.persistence.database import Database
from taskforge.persistence.tables import Event
from taskforge.persistence.types import utcnow
from taskforge.realtime.broker import Broker, events_channel

log = logging.getLogger(__name__)
BATCH = 500
BUSY_RETRY = 0.01  # seconds before trying again when another relay holds the cursor


def encode(row: Event | Row[Any]) -> str:
    """The broker message of a stamped outbox row (``span`` events). A payload given as
    text is the stored JSON (what the relay reads back), embedded as is rather than
    decoded and re-encoded."""
    payload = row.payload
    raw = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return (
        f'{{"seq":{json.dumps(row.seq)},"span":{int(row.span)},'
        f'"organizationId":"{row.organization_id}",'
        f'"topic":{json.dumps(row.topic)},"type":{json.dumps(row.type)},'
        f'"payload":{raw},"createdAt":"{row.created_at.isoformat()}"}}'
    )


def decode(message: str | bytes) -> dict[str, Any]:
    """A broker message back into its row (``events.expand`` gives its events)."""
    # orjson: every process decodes every message; event payloads carry no integers
    # over 64 bits (orjson would read those as floats)
    data: dict[str, Any] = orjson.loads(message)
    return data


def events_of(row: Event | Row[Any]) -> list[dict[str, Any]]:
    """The events of a stored row, as subscriptions see them."""
    return expand(decode(encode(row)))


class Relay:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        interval: float,
        metrics: ServerMetrics | None = None,
    ) -> None:
        self._db, self._broker, self._interval = db, broker, interval
        self._metrics = metrics
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self._stopping = False
        self._event_commits = db.event_commits
        self.channel = ""  # read from the database on the first tick
        self.busy = False  # the last tick found the cursor held by another relay
        self._waiting: int | None = None  # the oldest unstamped row at the last poll

    def notify(self) -> None:
        """Called after a local commit so its events go out without waiting a poll. A
        commit that wrote no events (a claim that found nothing, a heartbeat) needs no
        tick, which would cost a round trip."""
        if self._db.event_commits != self._event_commits:
            self._event_commits = self._db.event_commits
            self._wake.set()

    async def tick(self, woken: bool = False) -> int:
        """Stamp and publish one batch; returns how many events went out.

        A wake-up after a local commit knows there is work. Polls first check with a
        cheap read, so an idle relay never opens a write transaction, and leave events
        committed since the previous poll to the relay of the process that committed
        them (woken by its commit, it is already on its way): racing it for the cursor
        would only make it wait, and publish out of order. A poll stamps what is still
        waiting from the previous one (that process died, or its relay is stuck).
        """
        self.busy = False
        if not woken:
            async with self._db.read() as session:
                oldest = await outbox.oldest_unstamped(session)
            waiting, self._waiting = self._waiting, oldest
            if oldest is None or waiting is None or oldest > waiting:
                return 0
        if not self.channel:
            async with self._db.read() as session:
                self.channel = events_channel(await event_log.stream_id(session))
        async with self._db.write() as session:
            stamped = await outbox.stamp_next(session, BATCH)
        # another replica's relay holds the cursor: it may have taken its snapshot before
        # our commit, so look again soon rather than after a whole poll interval
        self.busy = stamped is None
        events = stamped or []
        # After the commit, best effort: the broker is a signal; every process's event
        # tail reads what a lost or failed publish missed from the table.
        if events:
            try:
                await self._broker.publish([(self.channel, encode(ev)) for ev in events])
            except Exception as exc:
                log.warning(
                    "publishing %d events failed (%s); tails read the table", len(events), exc
                )
        spans = sum(ev.span for ev in events)
        self.published += spans
        if self._metrics is not None and events:
            self._observe(events, spans)
        return len(events)

    def _observe(self, events: list[Any], spans: int) -> None:
        """Published events and each row's lag since its commit (its insert, to the
        clock's precision: the row is written in the transaction that commits it)."""
        assert self._metrics is not None
        self._metrics.events_published.inc(spans)
        now, lag = utcnow(), self._metrics.relay_lag
        for ev in events:
            lag.observe(max((now - ev.created_at).total_seconds(), 0.0))

    async def run(self) -> None:
        woken = True  # events may be waiting from before the start
        backoff = BUSY_RETRY
        failures = Failures(log, "outbox relay tick")
        while not self._stopping:
            self._wake.clear()
            try:
                sent = await self.tick(woken)
                failures.succeeded()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures.failed(exc)
                sent = 0
            woken = sent == BATCH  # a full batch: there may be more
            if not woken:
                # a busy cursor: retry soon, backing off towards the poll interval (under
                # steady load the other relay is busy most of the time, and it stamps
                # our events too)
                wait = min(self._interval, backoff) if self.busy else self._interval
                backoff = backoff * 2 if self.busy else BUSY_RETRY
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                # a retry after a busy cursor still has this process's events to stamp
                woken = self._wake.is_set() or self.busy

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self, grace: float = 5.0) -> None:
        """Let the current tick finish (cancelling mid-query strands the connection)."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        await finish(task, grace)
