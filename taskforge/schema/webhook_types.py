"""GraphQL types of webhooks: endpoints, their inputs and their delivery log."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from taskforge.domain import webhooks as rules
from taskforge.domain.webhooks import DeliveryStatus, WebhookEventType

WebhookEventTypeEnum = strawberry.enum(
    WebhookEventType,
    name="WebhookEventType",
    description="JOB_FAILED: a job failed for good (no attempt left). WORKFLOW_FINISHED: a "
    "workflow ended (SUCCEEDED, FAILED or CANCELLED). SCHEDULE_PAUSED: the system stopped "
    "a schedule: pauseAfterFailures paused it (PAUSED, with its pausedReason), or an "
    "occurrence could not fire (the schedule is FAILED). "
    "QUOTA_NEARLY_USED: the period's job count crossed 80% of its limit.",
)
DeliveryStatusEnum = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")


@strawberry.type(description="An endpoint that receives the organization's events (admins).")
class Webhook:
    id: strawberry.ID
    url: str
    description: str | None
    event_types: list[WebhookEventTypeEnum]  # type: ignore[valid-type]
    active: bool = strawberry.field(description="Inactive: no new deliveries, none sent.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: rules.Webhook) -> Webhook:
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            description=row.description,
            event_types=[WebhookEventType(t) for t in row.event_types],
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook
    secret: str = strawberry.field(
        description="Signs every delivery (X-TaskForge-Signature); shown only this once."
    )


@strawberry.type(description="One event sent (or to be sent) to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Sent as X-TaskForge-Delivery.")
    webhook_id: strawberry.ID
    event_type: WebhookEventTypeEnum  # type: ignore[valid-type]
    event_id: strawberry.ID = strawberry.field(description="The event's id (the body's `id`).")
    status: DeliveryStatusEnum  # type: ignore[valid-type]
    attempts: int
    response_status: int | None = strawberry.field(
        description="HTTP status of the last attempt (none: no response)."
    )
    error: str | None = strawberry.field(description="Why the last attempt failed.")
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    redelivery_of: strawberry.ID | None
    created_at: datetime
    payload: JSON = strawberry.field(description="The JSON body sent.")

    @classmethod
    def of(cls, row: rules.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(row.id)),
            webhook_id=strawberry.ID(str(row.webhook_id)),
            event_type=WebhookEventType(row.event_type),
            event_id=strawberry.ID(str(row.event_id)),
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            response_status=row.response_status,
            error=row.error,
            next_attempt_at=row.next_attempt_at,
            last_attempt_at=row.last_attempt_at,
            delivered_at=row.delivered_at,
            redelivery_of=strawberry.ID(str(row.redelivery_of)) if row.redelivery_of else None,
            created_at=row.created_at,
            payload=json.loads(row.body),
        )


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(description="https (http to localhost if allowed by settings).")
    event_types: list[WebhookEventTypeEnum]  # type: ignore[valid-type]
    description: str | None = None


@strawberry.input
class UpdateWebhookInput:
    url: str | None = None
    event_types: list[WebhookEventTypeEnum] | None = None  # type: ignore[valid-type]
    description: str | None = None
    active: bool | None = None
