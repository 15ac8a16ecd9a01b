"""The event outbox: write events with a change; stamp and read them for the relay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table, Text, func, insert, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence import dialects
from taskforge.persistence.database import EVENTS_WRITTEN, DriverRow, driver_connection, json_text
from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]

# PostgreSQL: one INSERT with one array per column, so the text (and its prepared
# statement) is the same for any number of events; unnest keeps the given order.
APPEND_PG = """
INSERT INTO events (organization_id, topic, type, payload, created_at)
SELECT o, t, y, p::jsonb, $5
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS e(o, t, y, p)
"""

LOCK_CURSOR_PG = "SELECT last_seq FROM outbox_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED"
# PostgreSQL, once the cursor is locked by a statement of its own (see stamp_next): the
# oldest $2 unstamped events numbered after $1, and the cursor moved, in one statement;
# payloads come back as JSON text, ready to publish without a decode and re-encode.
STAMP_PG = """
WITH numbered AS (
    SELECT u.id, $1 + row_number() OVER (ORDER BY u.id) AS seq
    FROM (SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT $2) AS u
), stamped AS (
    UPDATE events SET seq = numbered.seq FROM numbered WHERE events.id = numbered.id
    RETURNING events.seq, events.organization_id, events.topic, events.type,
              events.payload::text AS payload, events.created_at
), advanced AS (
    UPDATE outbox_cursor SET last_seq = (SELECT max(seq) FROM stamped)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM stamped)
)
SELECT * FROM stamped ORDER BY seq
"""


async def append(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """rows: organization_id, topic, type, payload (one multi-row INSERT)."""
    if not rows:
        return
    session.info[EVENTS_WRITTEN] = True
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
    """Take the cursor and stamp the oldest ``limit`` unstamped events with the next
    ``seq`` values, in insertion order; returns them in ``seq`` order with the payload
    as JSON text (seq, organization_id, topic, type, payload, created_at). None while
    another replica's relay holds the cursor.

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
    """Give committed, unstamped events the next ``seq`` values, in insertion order.

    One set-based UPDATE: the oldest ``limit`` unstamped ids, numbered after the cursor.
    """
    oldest = (
        select(EVENTS.c.id).where(EVENTS.c.seq.is_(None)).order_by(EVENTS.c.id).limit(limit)
    ).subquery()
    numbered = select(
        oldest.c.id, func.row_number().over(order_by=oldest.c.id).label("n")
    ).subquery()
    stmt = (
        update(EVENTS)
        .where(EVENTS.c.id == numbered.c.id)
        .values(seq=last_seq + numbered.c.n)
        .returning(
            EVENTS.c.seq,
            EVENTS.c.organization_id,
            EVENTS.c.topic,
            EVENTS.c.type,
            type_coerce(EVENTS.c.payload, Text).label("payload"),  # stored JSON text
            EVENTS.c.created_at,
        )
    )
    events = sorted(await session.execute(stmt), key=lambda e: e.seq)  # RETURNING has no order
    if events:
        await session.execute(
            update(CURSOR).where(CURSOR.c.id == 1).values(last_seq=events[-1].seq)
        )
    return events
