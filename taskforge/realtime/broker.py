"""Fan-out of committed events to this process's subscribers.

The in-process broker serves the embedded default. The Redis broker publishes to
Redis pub/sub and keeps a single Redis subscription per process, dispatching to
local subscribers, so N WebSocket clients cost one Redis connection, not N.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import redis.asyncio as aioredis

log = logging.getLogger(__name__)


def events_channel(stream_id: str) -> str:
    """Every stamped event of one database, all tenants: each process's event tail
    listens here. Named by the database's stream id, so deployments (or test runs)
    sharing one Redis never read each other's sequence numbers as their own."""
    return f"taskforge:{stream_id}:events"


class Broker(Protocol):
    async def publish(self, messages: list[tuple[str, str]]) -> None:
        """Publish (channel, message) pairs, in order."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[asyncio.Queue[str]]:
        """Context manager yielding a queue of the channel's messages."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...

    @property
    def connected(self) -> bool:
        """Whether messages can arrive now (False while Redis is unreachable)."""
        ...

    @property
    def subscribers(self) -> int:
        """Live local subscriptions (a gauge for /metrics)."""
        ...


class LocalFanout:
    """Channel -> local subscriber queues."""

    def __init__(self) -> None:
        self._subs: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    @property
    def count(self) -> int:
        return sum(len(subs) for subs in self._subs.values())

    def deliver(self, channel: str, message: str) -> None:
        for queue in self._subs.get(channel, ()):
            queue.put_nowait(message)

    def add(self, channel: str) -> tuple[asyncio.Queue[str], bool]:
        """Returns the queue and whether it is the channel's first subscriber."""
        queue: asyncio.Queue[str] = asyncio.Queue()
        first = not self._subs[channel]
        self._subs[channel].add(queue)
        return queue, first

    def remove(self, channel: str, queue: asyncio.Queue[str]) -> bool:
        """Returns whether the channel has no subscribers left."""
        subs = self._subs.get(channel)
        if subs is None:
            return True
        subs.discard(queue)
        if not subs:
            del self._subs[channel]
            return True
        return False


class InProcessBroker:
    def __init__(self) -> None:
        self._fanout = LocalFanout()

    @property
    def subscribers(self) -> int:
        return self._fanout.count

    async def publish(self, messages: list[tuple[str, str]]) -> None:
        for channel, message in messages:
            self._fanout.deliver(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[str]]:
        queue, _ = self._fanout.add(channel)
        try:
            yield queue
        finally:
            self._fanout.remove(channel, queue)

    @property
    def connected(self) -> bool:
        return True

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBroker:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._fanout = LocalFanout()
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._connected = True

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def subscribers(self) -> int:
        return self._fanout.count

    async def publish(self, messages: list[tuple[str, str]]) -> None:
        if not messages:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            await pipe.execute()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[str]]:
        async with self._lock:
            queue, first = self._fanout.add(channel)
            if first:
                confirmed = self._confirmed[channel] = asyncio.Event()
                await self._pubsub.subscribe(channel)
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.create_task(self._read())
                # events published before Redis confirms would not reach us
                try:
                    async with asyncio.timeout(5):
                        await confirmed.wait()
                except BaseException:
                    self._fanout.remove(channel, queue)
                    raise
        try:
            yield queue
        finally:
            async with self._lock:
                if self._fanout.remove(channel, queue):
                    # Redis may be gone; leaving must still work (and let a cancel through)
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection trouble: redis-py reconnects on next call
                if self._connected:  # once per outage, not every retry
                    log.warning("redis pub/sub connection lost (%s); reconnecting", exc)
                self._connected = False
                await asyncio.sleep(0.5)
                continue
            if not self._connected:  # redis-py reconnected and resubscribed
                log.warning("redis pub/sub connection is back")
                self._connected = True
            if message is None:
                continue
            if message["type"] == "message":
                self._fanout.deliver(message["channel"], message["data"])
            elif message["type"] == "subscribe" and message["channel"] in self._confirmed:
                self._confirmed.pop(message["channel"]).set()

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()


def make_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
