"""SQLite outbox: the SQLAlchemy Core versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.common.outbox import spans, stamp
from taskforge.persistence.store import EVENTS_WRITTEN, store_of
from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]


CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]


async def append(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """events: organization_id, topic, type, payload, in order (one multi-row INSERT
    of their spans)."""
    if not events:
        return
    session.info[EVENTS_WRITTEN] = True
    rows = spans(events)
    await session.execute(insert(EVENTS), rows)
    return


async def lock_cursor(session: AsyncSession) -> int | None:
    """Take the relay's cursor row and return its last seq; None while another replica's
    relay holds it."""
    stmt = select(CURSOR.c.last_seq).where(CURSOR.c.id == 1)
    return await session.scalar(store_of(session).lock_for_claim(stmt))


async def stamp_next(session: AsyncSession, limit: int) -> list[Any] | None:
    """Take the cursor and stamp the oldest ``limit`` unstamped rows with the next
    ``seq`` values, in insertion order, each row as many as its span; returns them in
    ``seq`` order with the payload as JSON text (seq, span, organization_id, topic,
    type, payload, created_at). None while another replica's relay holds the cursor.

    The cursor is locked in its own statement first: the stamping statement must take
    its snapshot after the lock, or it would still see as unstamped the events another
    relay stamped and committed while this one waited (and stamp them twice)."""
    last_seq = await lock_cursor(session)
    if last_seq is None:
        return None
    return await stamp(session, last_seq, limit)
