"""``Store.minutes_since`` on every store: the minute of a span a time falls in, exact
at the minutes' boundaries and across hours, days and years (Queue.stats counts its
throughput per minute with it, in the database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import literal, select

from taskforge.persistence.store import store_of
from taskforge.persistence.types import UTCDateTime

START = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("since", "minute"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=59) + timedelta(microseconds=999_999), 0),
        (timedelta(minutes=1), 1),
        (timedelta(minutes=1) - MICRO, 0),
        (timedelta(minutes=1, microseconds=1), 1),
        (timedelta(minutes=29, seconds=59, microseconds=999_999), 29),  # the year's end
        (timedelta(minutes=30), 30),  # the next year's first minute
        (timedelta(minutes=59, seconds=30, microseconds=500_000), 59),
        (timedelta(hours=25, minutes=3, seconds=1), 25 * 60 + 3),
    ],
)
async def test_the_minute_a_time_falls_in(svc: Any, since: timedelta, minute: int) -> None:
    async with svc.read() as session:
        at = literal(START + since, UTCDateTime())
        got = await session.scalar(select(store_of(session).minutes_since(at, START)))
    assert got == minute
