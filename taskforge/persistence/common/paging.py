"""Keyset pagination, newest first, on (created_at, id)."""

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


async def fetch_page(
    session: AsyncSession,
    stmt: Select[T],
    created: InstrumentedAttribute[datetime],
    ident: InstrumentedAttribute[uuid.UUID],
    first: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Page[T]:
    if after is not None:
        at, aid = after
        stmt = stmt.where(or_(created < at, and_(created == at, ident < aid)))
    rows = list(
        (await session.scalars(stmt.order_by(created.desc(), ident.desc()).limit(first + 1))).all()
    )
    return Page(items=rows[:first], has_next=len(rows) > first)


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)
