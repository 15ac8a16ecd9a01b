"""SQLite idempotency keys: the SQLAlchemy Core version of the guard insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.tables import IdempotencyKey

KEYS: Table = IdempotencyKey.__table__  # type: ignore[assignment]

# rows as parameters, not .values(rows): one statement text, compiled once and cached
# (a multi-row VALUES clause was compiled anew on every call), sent as multi-row
# VALUES batches by SQLAlchemy's "insertmanyvalues"
INSERT_NEW = sqlite.insert(KEYS).on_conflict_do_nothing().returning(KEYS.c.scope, KEYS.c.key)


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    if not rows:
        return set()
    return {(scope, key) for scope, key in await session.execute(INSERT_NEW, list(rows))}
