"""Keyset pagination, newest first, on (a time, id): created_at, or another time a
listing is ordered by (a job's finished_at)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool


def page_statement(
    stmt: Select[T],
    key: InstrumentedAttribute[datetime],
    ident: InstrumentedAttribute[uuid.UUID],
    first: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Select[T]:
    """``stmt``'s rows after the cursor, newest first on (``key``, ``ident``), one more
    than ``first`` (whether a next page exists)."""
    if after is not None:
        at, aid = after
        # ``key <= at`` is implied by the rest, but stated: an index on the time then
        # starts at the cursor, where the OR alone is a filter on every row before it
        stmt = stmt.where(key <= at, or_(key < at, and_(key == at, ident < aid)))
    return stmt.order_by(key.desc(), ident.desc()).limit(first + 1)


async def fetch_page(
    session: AsyncSession,
    stmt: Select[T],
    key: InstrumentedAttribute[datetime],
    ident: InstrumentedAttribute[uuid.UUID],
    first: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Page[T]:
    page = page_statement(stmt, key, ident, first, after)
    rows = list((await session.scalars(page)).all())
    return Page(items=rows[:first], has_next=len(rows) > first)


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)
