"""Windowed request counters, shared by every replica through Redis or kept in process.

With Redis (``TASKFORGE_REDIS_URL``) each call is one pipelined round trip: INCR and
EXPIRE of the current window's key and GET of the previous one's, for every key
counted. Keys are named by the database's stream id, so deployments (and test runs)
sharing one Redis never count together. Without Redis the same windows live in a dict
of this process.

When Redis cannot be reached the counters fail open towards this process: they count
in process (each replica on its own) for a second, log once per outage, and try Redis
again; a request is never refused or delayed because Redis is down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import redis.asyncio as aioredis

from taskforge.domain.rates import Window

log = logging.getLogger("taskforge.counters")

RETRY_REDIS_AFTER = 1.0  # seconds of counting in process after a Redis failure
REDIS_TIMEOUT = 0.5  # a counter is not worth waiting longer for


class Counters(Protocol):
    async def add(self, names: Sequence[str], length: int) -> list[Window]:
        """Count one request under each name; their windows after counting."""
        ...

    async def peek(self, names: Sequence[str], length: int) -> list[Window]:
        """The windows of these names without counting."""
        ...

    async def close(self) -> None: ...


def _position(length: int, now: float) -> tuple[int, float]:
    index = int(now // length)
    return index, now - index * length


class InProcessCounters:
    """Counts of this process: {(name, window index): count}, older windows dropped."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._counts: dict[tuple[str, int, int], int] = {}
        self._oldest: dict[int, int] = {}  # window length -> oldest index kept

    def _prune(self, length: int, index: int) -> None:
        if self._oldest.get(length, index - 1) < index - 1:
            self._counts = {
                k: v for k, v in self._counts.items() if k[1] != length or k[2] >= index - 1
            }
        self._oldest[length] = index - 1

    def _windows(self, names: Sequence[str], length: int, step: int) -> list[Window]:
        index, elapsed = _position(length, self.clock())
        self._prune(length, index)
        out = []
        for name in names:
            key = (name, length, index)
            current = self._counts.get(key, 0) + step
            if step:
                self._counts[key] = current
            previous = self._counts.get((name, length, index - 1), 0)
            out.append(Window(current, previous, elapsed, length))
        return out

    async def add(self, names: Sequence[str], length: int) -> list[Window]:
        return self._windows(names, length, 1)

    async def peek(self, names: Sequence[str], length: int) -> list[Window]:
        return self._windows(names, length, 0)

    async def close(self) -> None:
        return None


class RedisCounters:
    """The same windows in Redis; ``namespace`` names this deployment's keys (read once,
    on first use)."""

    def __init__(
        self,
        url: str,
        namespace: Callable[[], Awaitable[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self._redis = aioredis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._namespace_of = namespace
        self._prefix: str | None = None
        self._fallback = InProcessCounters(clock)
        self._down_until = 0.0

    async def _windows(self, names: Sequence[str], length: int, step: int) -> list[Window]:
        if time.monotonic() < self._down_until:
            return await self._local(names, length, step)
        if self._prefix is None:
            self._prefix = f"taskforge:{await self._namespace_of()}:rate:"
        index, elapsed = _position(length, self.clock())
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    key = f"{self._prefix}{name}:{length}:"
                    if step:
                        pipe.incr(key + str(index))
                        pipe.expire(key + str(index), 2 * length + 1)
                    else:
                        pipe.get(key + str(index))
                    pipe.get(key + str(index - 1))
                replies = await pipe.execute()
        except (aioredis.RedisError, OSError) as exc:
            if self._down_until == 0.0:
                log.warning("rate counters: redis unreachable (%s); counting in process", exc)
            self._down_until = time.monotonic() + RETRY_REDIS_AFTER
            return await self._local(names, length, step)
        if self._down_until:
            log.warning("rate counters: redis is back")
            self._down_until = 0.0
        per = 3 if step else 2
        return [
            Window(
                int(replies[i * per] or 0), int(replies[i * per + per - 1] or 0), elapsed, length
            )
            for i in range(len(names))
        ]

    async def _local(self, names: Sequence[str], length: int, step: int) -> list[Window]:
        if step:
            return await self._fallback.add(names, length)
        return await self._fallback.peek(names, length)

    async def add(self, names: Sequence[str], length: int) -> list[Window]:
        return await self._windows(names, length, 1)

    async def peek(self, names: Sequence[str], length: int) -> list[Window]:
        return await self._windows(names, length, 0)

    async def close(self) -> None:
        await self._redis.aclose()
