"""SQLite outbox: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import events
from taskforge.persistence.common.outbox import stamp
from taskforge.persistence.store import EVENTS_WRITTEN, store_of
from taskforge.persistence.tables import Event, OutboxCursor

EVENTS: Table = Event.__table__  # type: ignore[assignment]


CURSOR: Table = OutboxCursor.__table__  # type: ignore[assignment]


async def append(
    session: AsyncSession,
    new: Sequence[events.Event],
    workflows: Mapping[uuid.UUID, events.WorkflowState] | None = None,
) -> None:
    if not new:
        return
    session.info[EVENTS_WRITTEN] = True
    rows = events.encode(new, workflows)
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
