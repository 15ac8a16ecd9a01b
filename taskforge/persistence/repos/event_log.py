"""Reading the stamped outbox: the tail, replays from a cursor, retention."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]


async def stream_id(session: AsyncSession) -> str:
    """The database's event stream id (made by the migration that added it)."""
    found = await session.scalar(select(CURSOR.c.stream_id).where(CURSOR.c.id == 1))
    if not found:
        raise RuntimeError("the events stream has no id: is the database migrated?")
    return str(found)


async def max_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(EVENTS.c.seq))) or 0)


async def after(session: AsyncSession, position: int, limit: int) -> list[Any]:
    """Stamped events after ``position``, in ``seq`` order (the unique seq index)."""
    stmt = select(EVENTS).where(EVENTS.c.seq > position).order_by(EVENTS.c.seq).limit(limit)
    return list((await session.execute(stmt)).all())


async def replay(
    session: AsyncSession,
    org_id: uuid.UUID,
    after_seq: int,
    upto: int,
    types: Iterable[str],
    limit: int,
) -> list[Any]:
    """One tenant's events of some types in (after_seq, upto], by (organization, seq)."""
    stmt = (
        select(EVENTS)
        .where(
            EVENTS.c.organization_id == org_id,
            EVENTS.c.seq > after_seq,
            EVENTS.c.seq <= upto,
            EVENTS.c.type.in_(list(types)),
        )
        .order_by(EVENTS.c.seq)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def pruned_through(session: AsyncSession) -> int:
    return int(await session.scalar(select(CURSOR.c.pruned_through).where(CURSOR.c.id == 1)) or 0)


async def prune(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` stamped events older than ``before``; remember how far."""
    oldest = (
        select(EVENTS.c.seq)
        .where(EVENTS.c.seq.is_not(None), EVENTS.c.created_at < before)
        .order_by(EVENTS.c.seq)
        .limit(limit)
    )
    seqs = list(await session.scalars(oldest))
    if not seqs:
        return 0
    through = max(seqs)
    await session.execute(delete(EVENTS).where(EVENTS.c.seq <= through))
    await session.execute(
        update(CURSOR)
        .where(CURSOR.c.id == 1, CURSOR.c.pruned_through < through)
        .values(pruned_through=through)
    )
    return len(seqs)
