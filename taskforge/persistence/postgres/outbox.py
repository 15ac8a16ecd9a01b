"""PostgreSQL outbox: statements sent on the driver connection."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
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


# PostgreSQL: take the cursor, stamp the oldest $1 unstamped events after it and move it,
# in one statement committed on its own: one round trip, where BEGIN, lock, stamp and
# COMMIT were four, each a wait behind whatever else a busy event loop runs. The
# statement's snapshot is taken before the lock: had another relay stamped and committed
# in between, the events it stamped would still look unstamped here. The lock (FOR
# UPDATE follows the row to its newest version) then sees a cursor moved since the
# snapshot (``seen``): nothing is stamped, and a first row with a NULL seq says the
# cursor was busy, as when another relay holds it (SKIP LOCKED). The cursor moves only
# when it stamps, so an unchanged one means nothing was stamped since the snapshot.
# Payloads come back as JSON text, ready to publish without a decode and re-encode.
STAMP_PG = """
WITH locked AS MATERIALIZED (
    SELECT last_seq FROM outbox_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED
), seen AS MATERIALIZED (
    SELECT last_seq FROM outbox_cursor WHERE id = 1
), start AS MATERIALIZED (
    SELECT locked.last_seq FROM locked JOIN seen ON seen.last_seq = locked.last_seq
), numbered AS (
    SELECT u.id, start.last_seq + sum(u.span) OVER (ORDER BY u.id) - u.span + 1 AS seq
    FROM start,
         (SELECT id, span FROM events WHERE seq IS NULL ORDER BY id LIMIT $1) AS u
), stamped AS (
    UPDATE events SET seq = numbered.seq FROM numbered WHERE events.id = numbered.id
    RETURNING events.seq, events.span, events.organization_id, events.topic, events.type,
              events.payload::text AS payload, events.created_at
), advanced AS (
    UPDATE outbox_cursor SET last_seq = (SELECT max(seq + span - 1) FROM stamped)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM stamped)
)
SELECT * FROM stamped
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM start)
ORDER BY 1 NULLS FIRST
"""


async def append(
    session: AsyncSession,
    new: Sequence[events.Event],
    workflows: Mapping[uuid.UUID, events.WorkflowState] | None = None,
) -> None:
    if not new:
        return
    session.info[EVENTS_WRITTEN] = True
    rows = events.encode(new, workflows)
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
    # all the relay's unit of work does: no BEGIN and COMMIT round trips around it
    driver = await driver_connection(session, standalone=True)
    rows = await driver.fetch(STAMP_PG, limit)
    if rows and rows[0]["seq"] is None:  # the cursor is busy (see STAMP_PG)
        return None
    return DriverRow.all(rows)
