"""Connections' pages of records, and their opaque cursors: base64 of (time, id), the
time being what the listing is ordered by (created_at, or a job's finished_at)."""

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


def encode(at: datetime, ident: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{ident}".encode()).decode()


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
    """One page of a connection's records; ``total`` runs its count only when asked for;
    ``key``: the records' time attribute the page is ordered by (their cursors' time)."""

    items: list[P]
    has_next: bool
    total: Callable[[], Awaitable[int]]
    key: str = "created_at"

    def cursor(self, item: P) -> str:
        return encode(getattr(item, self.key), item.id)


async def paginate(
    svc: Services,
    stmt: Select[Any],
    model: Any,
    first: int,
    after: Cursor | None,
    records: Callable[[Iterable[Any]], list[P]],
    key: Any = None,
) -> Listing[P]:
    """One page of ``stmt`` (keyset on the model's (``key``, id), newest first; ``key``
    is its created_at unless given), as records (e.g. ``records.Job.all``)."""
    first = validation.page_size(first, svc.settings.limits.page_size)
    key = model.created_at if key is None else key
    async with svc.read() as session:
        page = await fetch_page(session, stmt, key, model.id, first, after)

    async def total() -> int:
        async with svc.read() as session:
            return await count(session, stmt)

    return Listing(records(page.items), page.has_next, total, key.key)
