"""The outbox relay: stamps committed events with a commit-ordered ``seq`` and publishes them.

Every replica runs one. The cursor row's lock (SKIP LOCKED on PostgreSQL) makes
exactly one of them relay at a time, and publishing happens while the lock is
held, so subscribers receive each tenant's events in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from taskforge.persistence.database import Database
from taskforge.persistence.repos import outbox
from taskforge.persistence.tables import Event
from taskforge.realtime.broker import Broker, channel_for

log = logging.getLogger(__name__)
BATCH = 500


def encode(event: Event) -> str:
    return json.dumps(
        {
            "seq": event.seq,
            "organizationId": str(event.organization_id),
            "topic": event.topic,
            "type": event.type,
            "payload": event.payload,
            "createdAt": event.created_at.isoformat(),
        },
        separators=(",", ":"),
    )


def decode(message: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(message)
    return data


class Relay:
    def __init__(self, db: Database, broker: Broker, interval: float) -> None:
        self._db, self._broker, self._interval = db, broker, interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self._stopping = False

    def notify(self) -> None:
        """Called after a local commit so its events go out without waiting a poll."""
        self._wake.set()

    async def tick(self) -> int:
        """Stamp and publish one batch; returns how many events went out."""
        async with self._db.read() as session:
            if not await outbox.has_unstamped(session):
                return 0
        async with self._db.write() as session:
            cursor = await outbox.lock_cursor(session)
            if cursor is None:
                return 0
            events = await outbox.stamp(session, cursor, BATCH)
            if events:
                await self._broker.publish(
                    [(channel_for(ev.organization_id), encode(ev)) for ev in events]
                )
        self.published += len(events)
        return len(events)

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                sent = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay tick failed")
                sent = 0
            if sent < BATCH:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval):
                        await self._wake.wait()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self, grace: float = 5.0) -> None:
        """Let the current tick finish (cancelling mid-query strands the connection)."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
