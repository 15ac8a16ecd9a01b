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
    if not events:
        return
    session.info[EVENTS_WRITTEN] = True
    rows = spans(events)
    await session.execute(insert(EVENTS), rows)
    return


async def lock_cursor(session: AsyncSession) -> int | None:
    stmt = select(CURSOR.c.last_seq).where(CURSOR.c.id == 1)
    return await session.scalar(store_of(session).lock_for_claim(stmt))


async def stamp_next(session: AsyncSession, limit: int) -> list[Any] | None:
    last_seq = await lock_cursor(session)
    if last_seq is None:
        return None
    return await stamp(session, last_seq, limit)
