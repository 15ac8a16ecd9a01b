"""Idempotency keys: the guard insert, the locked read of keys taken before, their
replacement, and the purge of expired ones. Portable: the same statements on both
databases (``insert_ignore`` is the store's ON CONFLICT DO NOTHING)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.store import store_of
from taskforge.persistence.tables import IdempotencyKey

KEYS: Table = IdempotencyKey.__table__  # type: ignore[assignment]
CHUNK = 500  # rows a statement (8 parameters each): far below either database's limit


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    """Insert key rows (every column), skipping keys the tenant holds already; returns
    the (scope, key) pairs inserted (``Keys.insert_new``: on the enqueue path)."""
    return await store_of(session).keys.insert_new(session, rows)


async def lock(
    session: AsyncSession, org_id: uuid.UUID, pairs: Sequence[tuple[str, str]]
) -> list[Row[Any]]:
    """The tenant's rows of these (scope, key) pairs, locked (FOR UPDATE on PostgreSQL)
    in key order: a replacement by the holder is waited for, and read as committed."""
    found: list[Row[Any]] = []
    for i in range(0, len(pairs), CHUNK):
        stmt = (
            select(KEYS)
            .where(
                KEYS.c.organization_id == org_id,
                tuple_(KEYS.c.scope, KEYS.c.key).in_(list(pairs[i : i + CHUNK])),
            )
            .order_by(KEYS.c.scope, KEYS.c.key)
        )
        found += list(await session.execute(store_of(session).lock_row(stmt)))
    return found


async def replace(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Rows the caller holds locked (expired, or whose target is gone) become these
    (every column; matched by organization, scope and key): one batched UPDATE."""
    if not rows:
        return
    stmt = (
        update(KEYS)
        .where(
            KEYS.c.organization_id == bindparam("k_org"),
            KEYS.c.scope == bindparam("k_scope"),
            KEYS.c.key == bindparam("k_key"),
        )
        .values(
            fingerprint=bindparam("k_fingerprint"),
            job_id=bindparam("k_job"),
            workflow_id=bindparam("k_workflow"),
            created_at=bindparam("k_created"),
            expires_at=bindparam("k_expires"),
        )
    )
    await session.execute(
        stmt,
        [
            {
                "k_org": r["organization_id"],
                "k_scope": r["scope"],
                "k_key": r["key"],
                "k_fingerprint": r["fingerprint"],
                "k_job": r["job_id"],
                "k_workflow": r["workflow_id"],
                "k_created": r["created_at"],
                "k_expires": r["expires_at"],
            }
            for r in rows
        ],
    )


async def set_target(
    session: AsyncSession,
    org_id: uuid.UUID,
    scope: str,
    key: str,
    job_id: uuid.UUID | None,
    workflow_id: uuid.UUID | None,
) -> None:
    """Record what the use holding the key created (known only once it is made)."""
    await session.execute(
        update(KEYS)
        .where(KEYS.c.organization_id == org_id, KEYS.c.scope == scope, KEYS.c.key == key)
        .values(job_id=job_id, workflow_id=workflow_id)
    )


async def purge(session: AsyncSession, now: datetime, limit: int) -> int:
    """Delete up to ``limit`` expired keys (by the expiry index); returns how many. The
    outer ``expires_at`` test is checked again on a row a replacement changed meanwhile
    (PostgreSQL re-reads a row it waited for): a key taken again is kept."""
    picked = (
        select(KEYS.c.organization_id, KEYS.c.scope, KEYS.c.key)
        .where(KEYS.c.expires_at <= now)
        .order_by(KEYS.c.expires_at)
        .limit(limit)
    )
    result = await session.execute(
        delete(KEYS)
        .where(
            tuple_(KEYS.c.organization_id, KEYS.c.scope, KEYS.c.key).in_(picked),
            KEYS.c.expires_at <= now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
