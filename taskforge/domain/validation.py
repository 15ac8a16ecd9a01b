"""Input validation rules (seed 003 §8.2): names, emails, priorities, payloads."""

from __future__ import annotations

import json
import re
from typing import Any

from taskforge.domain.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_JOB_TYPE = re.compile(r"^[A-Za-z0-9_.:\-]{1,200}$")
MAX_NAME = 200


def name(value: str, field: str = "name") -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{field} cannot be empty", field=field)
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"{field} is longer than {MAX_NAME} characters", field=field)
    return cleaned


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise InvalidInput(f"{field} is not a valid email address", field=field)
    return cleaned


def priority(value: int, field: str = "priority") -> int:
    if not 0 <= value <= 9:
        raise InvalidInput(f"{field} must be between 0 and 9, got {value}", field=field)
    return value


def job_type(value: str) -> str:
    if not _JOB_TYPE.match(value):
        raise InvalidInput(
            "jobType must be 1-200 characters of letters, digits, '_', '.', ':' or '-'",
            field="jobType",
        )
    return value


def json_payload(value: Any, max_bytes: int, field: str = "payload") -> Any:
    try:
        size = len(json.dumps(value, separators=(",", ":")).encode())
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} is not JSON-serialisable", field=field) from exc
    if size > max_bytes:
        raise InvalidInput(
            f"{field} is {size} bytes, over the limit of {max_bytes}",
            field=field,
            size=size,
            limit=max_bytes,
        )
    return value


def page_size(first: int, limit: int) -> int:
    if first < 0 or first > limit:
        raise InvalidInput(f"first must be between 0 and {limit}", field="first")
    return first


def password(value: str) -> str:
    if len(value) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    return value
