"""The event outbox: write events with a change; stamp and read them for the relay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table, Text, func, insert, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import events
from taskforge.persistence import dialects
from taskforge.persistence.database import EVENTS_WRITTEN, DriverRow, driver_connection, json_text
from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]

MAX_SPAN = events.MAX_SPAN  # the most events one row holds (event_log.replay)

# PostgreSQL: one INSERT with one array per column, so the text (and its prepared
# statement) is the same for any number of rows; unnest keeps the given order.
APPEND_PG = """
INSERT INTO events (organization_id, topic, type, payload, span, created_at)
SELECT o, t, y, p::jsonb, n, $6
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[]) AS e(o, t, y, p, n)
"""

LOCK_CURSOR_PG = "SELECT last_seq FROM outbox_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED"
# PostgreSQL, once the cursor is locked by a statement of its own (see stamp_next): the
# oldest $2 unstamped events numbered after $1, and the cursor moved, in one statement;
# payloads come back as JSON text, ready to publish without a decode and re-encode.
STAMP_PG = """
WITH numbered AS (
    SELECT u.id, $1 + sum(u.span) OVER (ORDER BY u.id) - u.span + 1 AS seq
    FROM (SELECT id, span FROM events WHERE seq IS NULL ORDER BY id LIMIT $2) AS u
), stamped AS (
    UPDATE events SET seq = numbered.seq FROM numbered WHERE events.id = numbered.id
    RETURNING events.seq, events.span, events.organization_id, events.topic, events.type,
              events.payload::text AS payload, events.created_at
), advanced AS (
    UPDATE outbox_cursor SET last_seq = (SELECT max(seq + span - 1) FROM stamped)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM stamped)
)
SELECT * FROM stamped ORDER BY seq
"""


async def append(session: AsyncSession, new: Sequence[events.Event]) -> None:
    """Typed events, in order: one multi-row INSERT of their rows (``events.encode``)."""
    if not new:
        return
    session.info[EVENTS_WRITTEN] = True
    rows = events.encode(new)
    driver = await driver_connection(session)
    if driver is None:
        await session.execute(insert(EVENTS), rows)
        return
    await driver.execute(
        APPEND_PG,
        [r["organization_id"] for r in rows],
        [r["topic"] for r in rows],
        [r["type"] for r in rows],
        [json_text(r["payload"]) for r in rows],
        [r["span"] for r in rows],
        datetime.now(UTC),
    )


async def has_unstamped(session: AsyncSession) -> bool:
    """Cheap read (partial index) so an idle relay never opens a write transaction."""
    found = await session.scalar(select(EVENTS.c.id).where(EVENTS.c.seq.is_(None)).limit(1))
    return found is not None


async def lock_cursor(session: AsyncSession) -> int | None:
    """Take the relay's cursor row and return its last seq; None while another replica's
    relay holds it."""
    driver = await driver_connection(session)
    if driver is not None:
        last_seq: int | None = await driver.fetchval(LOCK_CURSOR_PG)
        return last_seq
    stmt = select(CURSOR.c.last_seq).where(CURSOR.c.id == 1)
    return await session.scalar(dialects.of(session).lock_for_claim(stmt))


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
    driver = await driver_connection(session)
    if driver is None:
        return await stamp(session, last_seq, limit)
    return DriverRow.all(await driver.fetch(STAMP_PG, last_seq, limit))


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
