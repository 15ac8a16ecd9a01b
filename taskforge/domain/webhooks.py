"""Webhooks' rules: which events an endpoint can ask for, what a URL may be, how a
delivery is signed and when a failed one is tried again.

An organization's admins register endpoints; the webhook engine (services/webhooks.py)
turns matching events of the outbox into deliveries, one per endpoint, and sends them in
order per endpoint. A receiver checks ``X-TaskForge-Signature``: ``sha256=`` and the hex
HMAC-SHA256, keyed by the endpoint's secret, of ``X-TaskForge-Timestamp + "." + body``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from taskforge.domain import events
from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.domain.errors import InvalidInput
from taskforge.domain.records import Record, record

MAX_URL = 2000
MAX_DESCRIPTION = 500
# the share of a period's job limit whose crossing is QUOTA_NEARLY_USED
QUOTA_WARNING = 0.8
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WORKFLOW_ENDS = frozenset(
    {WorkflowStatus.SUCCEEDED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED}
)


class WebhookEventType(StrEnum):
    JOB_FAILED = "JOB_FAILED"
    WORKFLOW_FINISHED = "WORKFLOW_FINISHED"
    SCHEDULE_PAUSED = "SCHEDULE_PAUSED"
    QUOTA_NEARLY_USED = "QUOTA_NEARLY_USED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # not tried yet (or waiting behind an earlier delivery)
    RETRYING = "RETRYING"  # tried, failed, tried again at next_attempt_at
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # every attempt failed


OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)

# the outbox event types a webhook event comes from (the engine reads only these)
SOURCE_TYPES: tuple[str, ...] = (
    events.JobStatusChanged.type,
    events.WorkflowStatusChanged.type,
    events.ScheduleFailed.type,
    events.SchedulePaused.type,
    events.QuotaNearlyUsed.type,
)


def event_type_of(event: events.Event) -> WebhookEventType | None:
    """The webhook event an outbox event is, if any.

    SCHEDULE_PAUSED: the system stopped a schedule: its ``pauseAfterFailures`` paused
    it (``schedule.paused`` with a reason), or a due occurrence could not fire (quota
    used up, queue deleted), which moves it to FAILED (``schedule.failed``). A pause by
    an operator (no reason) is no webhook event.
    """
    if type(event) is events.JobStatusChanged:
        return WebhookEventType.JOB_FAILED if event.status is JobStatus.FAILED else None
    if type(event) is events.WorkflowStatusChanged:
        return WebhookEventType.WORKFLOW_FINISHED if event.status in WORKFLOW_ENDS else None
    if type(event) is events.ScheduleFailed:
        return WebhookEventType.SCHEDULE_PAUSED
    if type(event) is events.SchedulePaused:
        return WebhookEventType.SCHEDULE_PAUSED if event.reason else None
    if type(event) is events.QuotaNearlyUsed:
        return WebhookEventType.QUOTA_NEARLY_USED
    return None


_JOB_FAILED = JobStatus.FAILED.value
_WORKFLOW_ENDS = frozenset(s.value for s in WORKFLOW_ENDS)


def may_match(type_: str, payload: dict[str, Any]) -> bool:
    """A cheap look at an undecoded event: False when ``event_type_of`` would surely
    say None (a job or workflow event of another status), so that it is not decoded."""
    if type_ == events.JobStatusChanged.type:
        return payload.get("status") == _JOB_FAILED
    if type_ == events.WorkflowStatusChanged.type:
        return payload.get("status") in _WORKFLOW_ENDS
    if type_ == events.SchedulePaused.type:
        return payload.get("reason") is not None
    return True


def quota_crossed(used_before: int, used_after: int, limit: int | None) -> bool:
    """Whether taking jobs moved the count over the warning share of the limit."""
    if not limit:
        return False
    line = limit * QUOTA_WARNING
    return used_before < line <= used_after


def body(
    event_id: int,
    kind: WebhookEventType,
    organization_id: uuid.UUID,
    created_at: datetime,
    payload: dict[str, Any],
) -> str:
    """The JSON a delivery POSTs, fixed when the delivery is made (a retry and a
    redelivery send the same bytes; ``id``, the event's, lets a receiver drop repeats)."""
    return json.dumps(
        {
            "id": str(event_id),
            "type": kind.value,
            "organizationId": str(organization_id),
            "createdAt": created_at.isoformat(),
            "data": payload,
        },
        separators=(",", ":"),
    )


def signature(secret: str, timestamp: str, content: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{content}".encode(), hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: exponential, capped,
    with full jitter over its upper half (endpoints that failed together spread out)."""
    delay = min(cap, base * float(2 ** max(attempts - 1, 0)))
    jitter: float = (rng or random).random()
    return delay / 2 + jitter * delay / 2


def url(value: str, allow_http: bool, field: str = "url") -> str:
    """An https URL with a host; http only to this machine when ``allow_http``."""
    value = value.strip()
    if len(value) > MAX_URL:
        raise InvalidInput(f"{field} is longer than {MAX_URL} characters", field=field)
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise InvalidInput(f"{field} is not a valid URL", field=field) from exc
    if not host or parts.username or parts.password:
        raise InvalidInput(f"{field} must be an absolute URL with a host", field=field)
    if any(c <= " " or c == "\x7f" for c in value):
        raise InvalidInput(f"{field} must not hold spaces or control characters", field=field)
    if not allow_http and _internal(host):
        raise InvalidInput(f"{field} must not name a private or local address", field=field)
    if parts.scheme == "https":
        return value
    if parts.scheme == "http" and allow_http and host in LOCAL_HOSTS:
        return value
    local = " (http is allowed to 127.0.0.1 or localhost)" if allow_http else ""
    raise InvalidInput(f"{field} must be an https URL{local}", field=field)


def _internal(host: str) -> bool:
    """A loopback, private, link-local or otherwise non-public address written as such
    (names are not resolved here)."""
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def event_types(values: Sequence[WebhookEventType], field: str = "eventTypes") -> list[str]:
    if not values:
        raise InvalidInput("a webhook needs at least one event type", field=field)
    return sorted({WebhookEventType(v).value for v in values})


def description(value: str | None, field: str = "description") -> str | None:
    if value is not None and len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"{field} is longer than {MAX_DESCRIPTION} characters", field=field)
    return value


@record
class Webhook(Record):
    """An endpoint, without its secret (shown once, when created)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    url: str
    description: str | None
    event_types: Sequence[str]
    active: bool
    created_at: datetime
    updated_at: datetime


@record
class WebhookDelivery(Record):
    id: uuid.UUID
    organization_id: uuid.UUID
    webhook_id: uuid.UUID
    event_type: str
    event_id: int
    body: str
    status: str
    attempts: int
    response_status: int | None
    error: str | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    redelivery_of: uuid.UUID | None
    created_at: datetime
