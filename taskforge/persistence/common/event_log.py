"""Reading the stamped outbox: the tail, replays from a cursor, retention."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.common.outbox import MAX_SPAN
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
    """The last stamped event id: the end of the row with the highest ``seq``."""
    last = (
        await session.execute(
            select(EVENTS.c.seq + EVENTS.c.span - 1)
            .where(EVENTS.c.seq.is_not(None))
            .order_by(EVENTS.c.seq.desc())
            .limit(1)
        )
    ).scalar()
    return int(last or 0)


async def after(session: AsyncSession, position: int, limit: int) -> list[Any]:
    """Stamped rows starting after ``position``, in ``seq`` order (the unique seq index).
    For the tail, whose position is always the end of a row."""
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
    """One tenant's rows of some types holding events in (after_seq, upto], by
    (organization, seq). The first may start before ``after_seq`` (a cursor can point
    into a row): it starts at most ``MAX_SPAN`` ids before, which bounds the index range."""
    stmt = (
        select(EVENTS)
        .where(
            EVENTS.c.organization_id == org_id,
            EVENTS.c.seq > after_seq - MAX_SPAN,
            EVENTS.c.seq + EVENTS.c.span - 1 > after_seq,
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
    """Delete up to ``limit`` stamped rows older than ``before``; remember through which
    event id."""
    oldest = (
        select(EVENTS.c.seq, EVENTS.c.span)
        .where(EVENTS.c.seq.is_not(None), EVENTS.c.created_at < before)
        .order_by(EVENTS.c.seq)
        .limit(limit)
    )
    rows = list(await session.execute(oldest))
    if not rows:
        return 0
    last = rows[-1]  # in seq order
    through = last.seq + last.span - 1
    await session.execute(delete(EVENTS).where(EVENTS.c.seq <= last.seq))
    await session.execute(
        update(CURSOR)
        .where(CURSOR.c.id == 1, CURSOR.c.pruned_through < through)
        .values(pruned_through=through)
    )
    return len(rows)
