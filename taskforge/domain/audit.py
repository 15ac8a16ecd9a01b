"""The audit log's rules: what an entry holds, how actions are named, what a filter takes.

Actions are dotted and past tense (``queue.deleted``, ``api_key.created``); details are a
small JSON object and never hold a secret (a key's secret, a password, a token): keys
named like one are refused, so a careless caller fails loudly instead of leaking.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from taskforge.domain.errors import InvalidInput
from taskforge.domain.inputs import check_json
from taskforge.domain.records import Record, record

MAX_ACTION = 100
MAX_TARGET_TYPE = 50
MAX_TARGET_ID = 64
MAX_DETAILS_BYTES = 4096
ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
TARGET_TYPE = re.compile(r"[a-z][a-z0-9_]*")
SECRET_WORDS = ("password", "secret", "token", "hash")


@record
class AuditEntry(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    created_at: datetime
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]


def action(value: str, field: str = "action") -> str:
    """A dotted, lowercase action name such as ``queue.deleted``."""
    if len(value) > MAX_ACTION or not ACTION.fullmatch(value):
        raise InvalidInput(
            f"{field} must be a dotted lowercase name of at most {MAX_ACTION} characters, "
            "e.g. queue.deleted",
            field=field,
        )
    return value


def target_type(value: str, field: str = "targetType") -> str:
    if len(value) > MAX_TARGET_TYPE or not TARGET_TYPE.fullmatch(value):
        raise InvalidInput(
            f"{field} must be a lowercase name of at most {MAX_TARGET_TYPE} characters, e.g. queue",
            field=field,
        )
    return value


def target_id(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    if len(text) > MAX_TARGET_ID:
        raise ValueError(f"an audit target id is at most {MAX_TARGET_ID} characters")
    return text


def details(value: dict[str, Any] | None) -> dict[str, Any]:
    """Small JSON without anything named like a secret (a programming error: raises)."""
    if not value:
        return {}
    for key in value:
        if any(word in key.lower() for word in SECRET_WORDS):
            raise ValueError(f"audit details must not hold secrets ({key!r})")
    return dict(check_json(value, "details", MAX_DETAILS_BYTES))
