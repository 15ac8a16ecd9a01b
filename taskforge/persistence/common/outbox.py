"""The event outbox: write events with a change; stamp and read them for the relay."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Table, Text, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import events
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]

MAX_SPAN = events.MAX_SPAN  # the most events one row holds (event_log.replay)


async def append(
    session: AsyncSession,
    new: Sequence[events.Event],
    workflows: Mapping[uuid.UUID, events.WorkflowState] | None = None,
) -> None:
    """Typed events, in order: one multi-row INSERT of their rows (``events.encode``;
    ``workflows``: the state of job events' workflows, for those that carry none).
    Marks the session as having written events."""
    return await store_of(session).outbox.append(session, new, workflows)


async def has_unstamped(session: AsyncSession) -> bool:
    """Cheap read (partial index) so an idle relay never opens a write transaction."""
    found = await session.scalar(select(EVENTS.c.id).where(EVENTS.c.seq.is_(None)).limit(1))
    return found is not None


async def oldest_unstamped(session: AsyncSession) -> int | None:
    """The insertion id of the oldest unstamped row, if any (the partial index)."""
    found: int | None = await session.scalar(
        select(EVENTS.c.id).where(EVENTS.c.seq.is_(None)).order_by(EVENTS.c.id).limit(1)
    )
    return found


async def lock_cursor(session: AsyncSession) -> int | None:
    """Take the relay's cursor row and return its last seq; None while another
    replica's relay holds it (never on SQLite, whose writers are serialized)."""
    return await store_of(session).outbox.lock_cursor(session)


async def stamp_next(session: AsyncSession, limit: int) -> list[Any] | None:
    """Take the cursor and stamp the oldest ``limit`` unstamped rows with the next
    ``seq`` values, in insertion order, each row as many as its span; returns them in
    ``seq`` order (seq, span, organization_id, topic, type, payload as JSON text,
    created_at). None while another replica's relay holds the cursor."""
    return await store_of(session).outbox.stamp_next(session, limit)


async def stamp(session: AsyncSession, last_seq: int, limit: int) -> list[Row[Any]]:
    """Give committed, unstamped rows the next ``seq`` values, in insertion order.

    One set-based UPDATE: the oldest ``limit`` unstamped rows, each numbered after the
    spans before it.
    """
    oldest = (
        select(EVENTS.c.id, EVENTS.c.span)
        .where(EVENTS.c.seq.is_(None))
        .order_by(EVENTS.c.id)
        .limit(limit)
    ).subquery()
    numbered = select(
        oldest.c.id,
        (func.sum(oldest.c.span).over(order_by=oldest.c.id) - oldest.c.span).label("before"),
    ).subquery()
    stmt = (
        update(EVENTS)
        .where(EVENTS.c.id == numbered.c.id)
        .values(seq=last_seq + numbered.c.before + 1)
        .returning(
            EVENTS.c.seq,
            EVENTS.c.span,
            EVENTS.c.organization_id,
            EVENTS.c.topic,
            EVENTS.c.type,
            type_coerce(EVENTS.c.payload, Text).label("payload"),  # stored JSON text
            EVENTS.c.created_at,
        )
    )
    events = sorted(await session.execute(stmt), key=lambda e: e.seq)  # RETURNING has no order
    if events:
        last = events[-1]
        await session.execute(
            update(CURSOR).where(CURSOR.c.id == 1).values(last_seq=last.seq + last.span - 1)
        )
    return events
