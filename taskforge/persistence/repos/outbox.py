"""The event outbox: write events with a change; stamp and read them for the relay."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence import dialects
from taskforge.persistence.tables import Event, OutboxCursor


async def append(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """rows: organization_id, topic, type, payload."""
    if rows:
        await session.execute(insert(Event), rows)


async def has_unstamped(session: AsyncSession) -> bool:
    """Cheap read (partial index) so an idle relay never opens a write transaction."""
    found = await session.scalar(select(Event.id).where(Event.seq.is_(None)).limit(1))
    return found is not None


async def lock_cursor(session: AsyncSession) -> OutboxCursor | None:
    """Take the relay's cursor row; None while another replica's relay holds it."""
    stmt = dialects.of(session).lock_for_claim(select(OutboxCursor).where(OutboxCursor.id == 1))
    return await session.scalar(stmt)


async def stamp(session: AsyncSession, cursor: OutboxCursor, limit: int) -> list[Event]:
    """Give committed, unstamped events the next ``seq`` values, in insertion order."""
    events = list(
        await session.scalars(
            select(Event).where(Event.seq.is_(None)).order_by(Event.id).limit(limit)
        )
    )
    if not events:
        return []
    for ev in events:
        cursor.last_seq += 1
        ev.seq = cursor.last_seq
    await session.flush()
    return events


async def since(
    session: AsyncSession, org_id: uuid.UUID, after: int, types: set[str], limit: int
) -> list[Event]:
    """Stamped events of one tenant after a cursor (for replay)."""
    rows = await session.scalars(
        select(Event)
        .where(Event.organization_id == org_id, Event.seq > after, Event.type.in_(types))
        .order_by(Event.seq)
        .limit(limit)
    )
    return list(rows)
