"""What a handler receives besides its payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


class PermanentError(Exception):
    """Raise from a handler to fail the job without retrying."""


@dataclass
class JobContext:
    job_id: str
    execution_id: str
    job_type: str
    attempt: int
    _logs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _heartbeat: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)

    def log(self, message: str, level: str = "INFO", **metadata: Any) -> None:
        """Buffered; sent with the job's acknowledgement."""
        self._logs.append({"level": level, "message": message, "metadata": metadata or None})

    async def heartbeat(self) -> None:
        """Extend the lease now (long handlers; the runner also heartbeats on its own)."""
        if self._heartbeat is not None:
            await self._heartbeat()
