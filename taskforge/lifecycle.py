"""Stopping background loops without cutting a query in half."""

from __future__ import annotations

import asyncio
import contextlib


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
