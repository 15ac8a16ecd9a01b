"""PostgreSQL outbox: statements sent on the driver connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import events
from taskforge.persistence.postgres.driver import DriverRow, driver_connection, json_text
from taskforge.persistence.store import EVENTS_WRITTEN
from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]


CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]


# PostgreSQL: one INSERT with one array per column, so the text (and its prepared
# statement) is the same for any number of rows; unnest keeps the given order.
APPEND_PG = """
INSERT INTO events (organization_id, topic, type, payload, span, created_at)
SELECT o, t, y, p::json, n, $6
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
    if not new:
        return
    session.info[EVENTS_WRITTEN] = True
    rows = events.encode(new)
    driver = await driver_connection(session)
    await driver.execute(
        APPEND_PG,
        [r["organization_id"] for r in rows],
        [r["topic"] for r in rows],
        [r["type"] for r in rows],
        [json_text(r["payload"]) for r in rows],
        [r["span"] for r in rows],
        datetime.now(UTC),
    )


async def lock_cursor(session: AsyncSession) -> int | None:
    driver = await driver_connection(session)
    last_seq: int | None = await driver.fetchval(LOCK_CURSOR_PG)
    return last_seq


async def stamp_next(session: AsyncSession, limit: int) -> list[Any] | None:
    # The cursor is locked in its own statement first: the stamping statement must take
    # its snapshot after the lock, or it would still see as unstamped the events another
    # relay stamped and committed while this one waited (and stamp them twice).
    last_seq = await lock_cursor(session)
    if last_seq is None:
        return None
    driver = await driver_connection(session)
    return DriverRow.all(await driver.fetch(STAMP_PG, last_seq, limit))
