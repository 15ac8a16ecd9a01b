"""Background engines run by every `serve` process; each is safe to run in many."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from taskforge.services import executions, workers
from taskforge.services.base import Services

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``step`` every ``interval`` seconds; stops between steps, never mid-query."""

    def __init__(self, name: str, step: Callable[[], Awaitable[object]], interval: float) -> None:
        self.name, self._step, self._interval = name, step, interval
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._step()
            except Exception:
                log.exception("%s step failed", self.name)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._stopping.wait()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace: float = 5.0) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def reaper(svc: Services) -> Periodic:
    """Fails attempts past their lease or deadline; marks silent workers OFFLINE."""

    async def step() -> None:
        while await executions.reap(svc) > 0:
            pass
        await workers.mark_silent_offline(svc)

    return Periodic("lease-reaper", step, svc.settings.reaper_interval)
