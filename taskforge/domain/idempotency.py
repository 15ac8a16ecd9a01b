"""Idempotency keys: the rules of a key, its scopes and the fingerprint of a request.

A key names one request of a tenant within a scope (one queue's enqueues, the tenant's
createWorkflow calls, one schedule's triggers) for TASKFORGE_IDEMPOTENCY_HOURS after its
first use. A repeat within that window gets what the first call created; the request's
fingerprint tells a repeat (the same inputs again) from another request reusing the key
(CONFLICT).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.domain.inputs import check_text

MAX_KEY = 255  # characters (the column's width): room for a UUID, a hash or a compound id
FIELD = "idempotencyKey"
WORKFLOWS = "workflow"  # the one scope of a tenant's createWorkflow calls


def key(value: str | None, field: str = FIELD) -> str | None:
    """A key as given (compared exactly, never trimmed), or None for none; a blank one
    is refused rather than taken as none, since a client sending one meant a key."""
    if value is None:
        return None
    if not value.strip():
        raise InvalidInput(f"{field} cannot be empty", field=field)
    return check_text(value, field, MAX_KEY)


def queue_scope(queue_id: uuid.UUID) -> str:
    return f"queue:{queue_id}"


def schedule_scope(schedule_id: uuid.UUID) -> str:
    return f"schedule:{schedule_id}"


def fingerprint(request: Any) -> str:
    """SHA-256 of a request's canonical JSON: dict keys sorted at every level, dataclasses
    field by field, UUIDs and times as text (callers pass times in UTC). Unknown values
    fall back to their ``str`` so that inputs added later are covered without a change."""
    data = orjson.dumps(request, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(data).hexdigest()


def reused(value: str, hours: float, field: str = FIELD) -> Conflict:
    """The error of a key used again, within its window, for a different request."""
    return Conflict(
        f"{field} {value[:80]!r} was used in the last {hours:g} hours for a different "
        "request; use a new key for a new request",
        field=field,
    )
