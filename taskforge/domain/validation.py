"""Input validation rules (seed 003 §8.2): the limit of every text field, names,
emails, priorities, JSON values and timestamps.

The limits are never wider than the columns that keep the values (``VARCHAR(200)``
for names, reasons and job types; ``VARCHAR(64)`` for timezones), so SQLite, which
does not enforce a length, and PostgreSQL, which does, accept the same values. The
generic rules (NUL, surrogates, JSON shape, timestamp range) live in ``inputs``; the
API applies them to every argument, and every function here applies them again, so
the CLI and workflow files get the same answer. README.md lists the limits.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

from taskforge.domain.errors import InvalidInput
from taskforge.domain.inputs import MAX_TEXT, check_json, check_text, check_timestamp

# maximum characters per text field (the configurable sizes are in config.Limits)
MAX_NAME = 200  # projects, queues, workers, API keys, schedules, workflows and their jobs
MAX_DESCRIPTION = 2_000  # projects, workflows
MAX_REASON = 200  # cancelJob reason (jobs.status_reason)
MAX_JOB_TYPE = 200
MAX_EMAIL = 320
MIN_PASSWORD, MAX_PASSWORD = 8, 1_000
MAX_SCHEDULE_EXPRESSION = 200  # cron, interval or RFC 3339 time
MAX_TIMEZONE = 64
MAX_ERROR = 10_000  # an attempt's error (failJob): longer text is cut, not refused
# also: dependency expressions 1,000 (expressions.MAX_LENGTH), log messages
# Limits.log_message_bytes, permissions one of tenancy.PERMISSIONS, other text MAX_TEXT

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_JOB_TYPE = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MAX_JOB_TYPE}}}")


def text(value: str, field: str, max_chars: int = MAX_TEXT) -> str:
    """Any stored text: no NUL, no lone surrogate, at most ``max_chars`` characters."""
    return check_text(value, field, max_chars)


def name(value: str, field: str = "name") -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{field} cannot be empty", field=field)
    return check_text(cleaned, field, MAX_NAME)


def description(value: str | None, field: str = "description") -> str | None:
    return None if value is None else check_text(value, field, MAX_DESCRIPTION)


def reason(value: str | None, field: str = "reason") -> str | None:
    return None if value is None else check_text(value, field, MAX_REASON)


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip().lower()
    if len(cleaned) > MAX_EMAIL or not _EMAIL.fullmatch(cleaned):
        raise InvalidInput(f"{field} is not a valid email address", field=field)
    return check_text(cleaned, field, MAX_EMAIL)


def password(value: str, field: str = "password") -> str:
    if len(value) < MIN_PASSWORD:
        raise InvalidInput(f"{field} must be at least {MIN_PASSWORD} characters", field=field)
    return check_text(value, field, MAX_PASSWORD)


def priority(value: int, field: str = "priority") -> int:
    if not 0 <= value <= 9:
        raise InvalidInput(f"{field} must be between 0 and 9, got {value}", field=field)
    return value


def job_type(value: str, field: str = "jobType") -> str:
    if not _JOB_TYPE.fullmatch(value):
        raise InvalidInput(
            f"{field} must be 1-{MAX_JOB_TYPE} characters of letters, digits, '_', '.', ':' or '-'",
            field=field,
        )
    return value


def schedule_expression(value: str, field: str = "expression") -> str:
    return check_text(value.strip(), field, MAX_SCHEDULE_EXPRESSION)


def timezone(value: str, field: str = "timezone") -> str:
    return check_text(value, field, MAX_TIMEZONE)


def json_payload(value: Any, max_bytes: int, field: str = "payload") -> Any:
    """A JSON value (see ``inputs.check_json``) of at most ``max_bytes`` encoded as
    compact UTF-8 JSON."""
    check_json(value, field, max_bytes)
    size = len(orjson.dumps(value))  # cannot fail: check_json admits only what it encodes
    if size > max_bytes:
        raise InvalidInput(
            f"{field} is {size} bytes, over the limit of {max_bytes}",
            field=field,
            rule="size",
            size=size,
            limit=max_bytes,
        )
    return value


def timestamp(value: datetime | None, field: str) -> datetime | None:
    return None if value is None else check_timestamp(value, field)


def page_size(first: int, limit: int) -> int:
    if first < 0 or first > limit:
        raise InvalidInput(f"first must be between 0 and {limit}", field="first")
    return first


def log_message(value: str, max_bytes: int, field: str = "message") -> str:
    check_text(value, field, max_bytes)  # a character is at least a byte
    if len(value.encode()) > max_bytes:
        raise InvalidInput(f"a log message is over {max_bytes} bytes", field=field, rule="size")
    return value
