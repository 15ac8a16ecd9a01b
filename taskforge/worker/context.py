"""What a handler receives besides its payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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


@dataclass
class JobContext:
    job_id: str
    execution_id: str
    job_type: str
    attempt: int
    _logs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _heartbeat: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)
    # the job's W3C traceparent (server tracing on), and this attempt's span (tracing.py)
    trace_context: str | None = field(default=None, repr=False)
    _span: Any = field(default=None, repr=False)

    def log(self, message: str, level: str = "INFO", **metadata: Any) -> None:
        """Buffered; sent with the job's acknowledgement."""
        entry = {"level": level, "message": printable(message), "metadata": metadata or None}
        self._logs.append(entry)
        if self._span is not None:  # also an event of the attempt's span
            tracing.log_event(self._span, level, message, metadata)

    async def heartbeat(self) -> None:
        """Extend the lease now (long handlers; the runner also heartbeats on its own)."""
        if self._heartbeat is not None:
            await self._heartbeat()
