"""The background ANALYZEs of the PostgreSQL store: scheduled once a table has doubled,
one at a time per table, waited for by tests, and cancelled at shutdown rather than
holding it up."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from taskforge.persistence.postgres.statistics import BULK, Statistics


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ANALYZEs run (each one slow: a large table), instead of the database's."""
    started: list[str] = []

    async def slow(self: Statistics, engine: Any, table: str) -> None:
        started.append(table)
        try:
            await asyncio.sleep(30)
        finally:
            self._running.pop(table, None)

    monkeypatch.setattr(Statistics, "_analyze", slow)
    return started


async def test_a_doubling_schedules_one_analysis_per_table(analyses: list[str]) -> None:
    stats = Statistics()
    stats.committed(None, {"jobs": BULK - 1})  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert analyses == []
    stats.committed(None, {"jobs": 1, "job_dependencies": BULK, "events": 10 * BULK})  # type: ignore[arg-type]
    stats.committed(None, {"jobs": BULK})  # type: ignore[arg-type]  # one under way already
    await asyncio.sleep(0)
    assert sorted(analyses) == ["job_dependencies", "jobs"]
    await stats.idle(cancel_after=0)


async def test_shutdown_cancels_what_is_still_running(analyses: list[str]) -> None:
    stats = Statistics()
    stats.committed(None, {"jobs": BULK})  # type: ignore[arg-type]
    stats.committed(None, {"job_dependencies": BULK})  # type: ignore[arg-type]
    start = time.monotonic()
    await stats.idle(cancel_after=0.05)  # cancelled before or after they began
    assert time.monotonic() - start < 5
    assert stats._running == {}
