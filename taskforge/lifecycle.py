"""Background loops: stopping them without cutting a query in half, reporting their
failures without flooding the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from taskforge.domain.errors import Unavailable


async def finish(task: asyncio.Task[None] | None, grace: float) -> None:
    """Let a loop that was asked to stop end its current step; cancel it after ``grace``
    seconds (cancelling mid-query would strand the connection)."""
    if task is None:
        return
    done, _ = await asyncio.wait({task}, timeout=grace)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Failures:
    """How a background loop reports a failed step: a database outage once when it
    begins and once when it ends (a loop polling every 50 ms would otherwise write a
    traceback each time), anything else with its traceback, every time."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log, self._what = log, what
        self.outage = False

    def failed(self, exc: Exception) -> None:
        """Call from the ``except`` block."""
        if isinstance(exc, Unavailable):
            if not self.outage:
                self.outage = True
                cause = exc.details.get("cause", exc.message)
                self._log.warning("%s: database unavailable (%s); retrying", self._what, cause)
            return
        self._log.exception("%s failed", self._what)

    def succeeded(self) -> None:
        if self.outage:
            self.outage = False
            self._log.warning("%s: database available again", self._what)
