"""Connections' pages of records, and their opaque cursors: base64 of (created_at, id)."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select

from taskforge.domain import validation
from taskforge.domain.errors import InvalidInput
from taskforge.domain.inputs import timestamp_problem
from taskforge.domain.records import Paged
from taskforge.persistence.common.paging import count, fetch_page
from taskforge.services.base import Services

Cursor = tuple[datetime, uuid.UUID]
P = TypeVar("P", bound=Paged)


def encode(created_at: datetime, ident: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{ident}".encode()).decode()


def decode(cursor: str | None) -> Cursor | None:
    """The (time, id) of ``after``; a cursor this server could not have made is
    BAD_USER_INPUT, its time included: a forged one outside the timestamps the
    database columns take (e.g. year 1 at +14:00) would fail binding, not the client."""
    if cursor is None:
        return None
    try:
        at, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        parsed = datetime.fromisoformat(at)
        if timestamp_problem(parsed) is not None:
            raise ValueError("naive or out of range")
        return parsed.astimezone(UTC), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("after is not a valid cursor", field="after") from exc


@dataclass(frozen=True)
class Listing(Generic[P]):
    """One page of a connection's records; ``total`` runs its count only when asked for."""

    items: list[P]
    has_next: bool
    total: Callable[[], Awaitable[int]]


async def paginate(
    svc: Services,
    stmt: Select[Any],
    model: Any,
    first: int,
    after: Cursor | None,
    records: Callable[[Iterable[Any]], list[P]],
) -> Listing[P]:
    """One page of ``stmt`` (keyset on the model's (created_at, id)), as records (e.g.
    ``records.Job.all``)."""
    first = validation.page_size(first, svc.settings.limits.page_size)
    async with svc.read() as session:
        page = await fetch_page(session, stmt, model.created_at, model.id, first, after)

    async def total() -> int:
        async with svc.read() as session:
            return await count(session, stmt)

    return Listing(records(page.items), page.has_next, total)
