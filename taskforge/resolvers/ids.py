"""Parsing of GraphQL IDs."""

from __future__ import annotations

import uuid

from taskforge.domain.errors import InvalidInput


def parse(value: str, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{field} is not a valid id: {value!r:.60}", field=field) from exc


def optional(value: str | None, field: str) -> uuid.UUID | None:
    return None if value is None else parse(value, field)
