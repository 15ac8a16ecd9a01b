"""Built-in handlers, so a newcomer sees jobs run: noop, sleep, echo, fail."""

from __future__ import annotations

import asyncio
from typing import Any

from taskforge.worker.context import JobContext, PermanentError


async def noop(payload: dict[str, Any], ctx: JobContext) -> None:
    return None


async def sleep(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    seconds = float(payload.get("seconds", 1))
    ctx.log(f"sleeping {seconds}s")
    await asyncio.sleep(seconds)
    return {"slept": seconds}


async def echo(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    return payload


async def fail(payload: dict[str, Any], ctx: JobContext) -> None:
    """Fails. ``{"retryable": false}``: permanently; ``{"times": n}``: only the first n tries."""
    times = payload.get("times")
    if times is not None and ctx.attempt > int(times):
        return None
    message = str(payload.get("message", "asked to fail"))
    if payload.get("retryable", True):
        raise RuntimeError(message)
    raise PermanentError(message)


BUILTIN = {"noop": noop, "sleep": sleep, "echo": echo, "fail": fail}
