"""What a handler receives besides its payload."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from taskforge import tracing


class PermanentError(Exception):
    """Raise from a handler to fail the job without retrying."""


def printable(text: str) -> str:
    """Text the server stores: it refuses NUL characters and lone surrogates, which
    exception messages and logs of binary data may carry, so they are replaced."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode()
    return text


_NO_PARENTS: Mapping[str, Any] = MappingProxyType({})


def parents_of(outputs: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The read-only ``ctx.parents`` of the outputs the server sent (None: none)."""
    return MappingProxyType(dict(outputs)) if outputs else _NO_PARENTS


@dataclass
class JobContext:
    """Handlers may run in threads (sync ones): ``log`` and ``progress`` are safe there
    without a lock (a deque's appends and pops, and an attribute's assignment, are
    atomic); the runner takes what they buffered from its own loop (``take``). A context
    is made per job: it holds nothing costly to create."""

    job_id: str
    execution_id: str
    job_type: str
    attempt: int
    # a workflow job's direct parents' outputs by job name (None: a parent without
    # output), read-only; empty for a job outside a workflow
    parents: Mapping[str, Any] = field(default_factory=lambda: _NO_PARENTS, repr=False)
    _logs: deque[dict[str, Any]] = field(default_factory=deque, repr=False)
    _heartbeat: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)
    # the latest report, and the one last taken (sent): compared by identity
    _progress: tuple[float, str | None] | None = field(default=None, repr=False)
    _taken: tuple[float, str | None] | None = field(default=None, repr=False)
    _cancelled: bool = field(default=False, repr=False)
    # the job's W3C traceparent (server tracing on), and this attempt's span (tracing.py)
    trace_context: str | None = field(default=None, repr=False)
    _span: Any = field(default=None, repr=False)
    # sends spawnJobs for this attempt (set by the runner): the new jobs' ids
    _spawn: Callable[[list[dict[str, Any]]], Awaitable[list[str]]] | None = field(
        default=None, repr=False
    )

    def log(self, message: str, level: str = "INFO", **metadata: Any) -> None:
        """Buffered; the runner sends the buffer while the job runs (about every
        ``Settings.flush_interval``) and what is left with the job's outcome, in order."""
        entry = {"level": level, "message": printable(message), "metadata": metadata or None}
        self._logs.append(entry)
        if self._span is not None:  # also an event of the attempt's span
            tracing.log_event(self._span, level, message, metadata)

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report how far the job is, from 0 to 1 (with an optional message). Only the
        latest report of each flush is sent, so calling this often costs nothing."""
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise TypeError("progress fraction must be a number")
        if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
            raise ValueError(f"progress fraction must be from 0 to 1, not {fraction!r}")
        text = None if message is None else printable(str(message))[:1000]
        self._progress = (float(fraction), text)

    @property
    def cancelled(self) -> bool:
        """True once the job was cancelled while running: a sync handler (run in a thread)
        checks it and returns early; an async one gets ``asyncio.CancelledError``."""
        return self._cancelled

    def pending(self) -> bool:
        """Whether log entries or a new progress report wait to be sent."""
        return bool(self._logs) or self._progress is not self._taken

    def take(self) -> tuple[list[dict[str, Any]], tuple[float, str | None] | None]:
        """The buffered log entries (removed) and the latest progress report if it is new
        since the last take. Entries logged meanwhile (from a thread) stay for the next."""
        return self.take_logs(), self.take_progress()

    def take_logs(self) -> list[dict[str, Any]]:
        """The buffered log entries, removed (those logged meanwhile stay for the next)."""
        logs = self._logs
        return [logs.popleft() for _ in range(len(logs))]

    def take_progress(self) -> tuple[float, str | None] | None:
        """The latest progress report if it is new since the last take."""
        progress = self._progress
        if progress is self._taken:
            return None
        self._taken = progress
        return progress

    async def spawn(
        self,
        job_type: str,
        payload: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        queue: str | None = None,
    ) -> str:
        """Add a job to this job's workflow now (``spawnJobs``); returns its id. It can
        run at once, and what waits for this job waits for it too. ``queue``: a queue of
        the project by name or id (default: this job's). Raises the server's refusal
        (``ApiError``: a job outside a workflow, the workflow's job limit, a name taken)."""
        if self._spawn is None:
            raise RuntimeError("ctx.spawn needs a job claimed from a server")
        job = {"jobType": job_type, "payload": dict(payload or {}), "name": name, "queue": queue}
        (job_id,) = await self._spawn([job])
        return job_id

    async def heartbeat(self) -> None:
        """Extend the lease now (long handlers; the runner also heartbeats on its own)."""
        if self._heartbeat is not None:
            await self._heartbeat()
