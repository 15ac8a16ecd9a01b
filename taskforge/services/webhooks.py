"""Webhooks: an organization's admins register endpoints for event types, read their
delivery log and redeliver. Sending is the webhook engine's (services/webhook_engine.py).

Admins only (the ``admin`` permission); another organization's endpoint or delivery is
NOT_FOUND. The secret is shown once, when the endpoint is created.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from taskforge.domain import webhooks as rules
from taskforge.domain.errors import NotFound
from taskforge.domain.tenancy import ADMIN
from taskforge.domain.webhooks import DeliveryStatus, Webhook, WebhookDelivery, WebhookEventType
from taskforge.persistence.common import webhooks as repo
from taskforge.persistence.tables import Webhook as WebhookRow
from taskforge.persistence.tables import WebhookDelivery as DeliveryRow
from taskforge.services import audit
from taskforge.services.base import Principal, Services, found
from taskforge.services.pagination import Cursor, Listing, paginate


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    secret: str


async def create(
    svc: Services,
    principal: Principal,
    url: str,
    event_types: Sequence[WebhookEventType],
    description: str | None = None,
) -> NewWebhook:
    principal.require(ADMIN)
    row = WebhookRow(
        id=uuid.uuid4(),
        organization_id=principal.organization_id,
        url=rules.url(url, svc.settings.webhooks_allow_http),
        description=rules.description(description),
        event_types=rules.event_types(event_types),
        secret=rules.new_secret(),
        active=True,
        created_at=svc.clock(),
        updated_at=svc.clock(),
    )
    async with svc.write() as session:
        session.add(row)
        await session.flush()
        await audit.record(
            session, principal, "webhook.created", "webhook", row.id, details=_details(row)
        )
    return NewWebhook(Webhook.of(row), row.secret)


async def update(
    svc: Services,
    principal: Principal,
    webhook_id: uuid.UUID,
    *,
    url: str | None = None,
    event_types: Sequence[WebhookEventType] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Webhook:
    principal.require(ADMIN)
    new_url = None if url is None else rules.url(url, svc.settings.webhooks_allow_http)
    types = None if event_types is None else rules.event_types(event_types)
    async with svc.write() as session:
        row = found(
            await repo.webhook(session, principal.organization_id, webhook_id, lock=True),
            "webhook",
            webhook_id,
        )
        if new_url is not None:
            row.url = new_url
        if types is not None:
            row.event_types = types
        if description is not None:
            row.description = rules.description(description)
        if active is not None:
            row.active = active
        row.updated_at = svc.clock()
        await session.flush()
        await audit.record(
            session, principal, "webhook.updated", "webhook", row.id, details=_details(row)
        )
    return Webhook.of(row)


async def delete(svc: Services, principal: Principal, webhook_id: uuid.UUID) -> None:
    """The endpoint and its delivery log; what it had not sent is never sent."""
    principal.require(ADMIN)
    async with svc.write() as session:
        row = found(
            await repo.webhook(session, principal.organization_id, webhook_id, lock=True),
            "webhook",
            webhook_id,
        )
        await repo.delete_webhook(session, row.id)
        await audit.record(
            session, principal, "webhook.deleted", "webhook", webhook_id, details=_details(row)
        )


async def webhooks(
    svc: Services, principal: Principal, first: int, after: Cursor | None
) -> Listing[Webhook]:
    principal.require(ADMIN)
    stmt = repo.listing(principal.organization_id)
    return await paginate(svc, stmt, WebhookRow, first, after, Webhook.all)


async def deliveries(
    svc: Services, principal: Principal, webhook_id: uuid.UUID, first: int, after: Cursor | None
) -> Listing[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    principal.require(ADMIN)
    async with svc.read() as session:
        found(
            await repo.webhook(session, principal.organization_id, webhook_id),
            "webhook",
            webhook_id,
        )
    stmt = repo.delivery_listing(principal.organization_id, webhook_id)
    return await paginate(svc, stmt, DeliveryRow, first, after, WebhookDelivery.all)


async def redeliver(svc: Services, principal: Principal, delivery_id: uuid.UUID) -> WebhookDelivery:
    """A new delivery of the same body to the same endpoint, after the deliveries made
    so far (in order with them); the original stays in the log as it was."""
    principal.require(ADMIN)
    now = svc.clock()
    async with svc.write() as session:
        original = found(
            await repo.delivery(session, principal.organization_id, delivery_id),
            "webhook delivery",
            delivery_id,
        )
        if not await repo.lock_webhooks(session, [original.webhook_id]):
            raise NotFound("webhook delivery", delivery_id)  # its endpoint just went
        waiting = original.webhook_id in await repo.with_open(session, [original.webhook_id])
        row = DeliveryRow(
            id=uuid.uuid4(),
            organization_id=original.organization_id,
            webhook_id=original.webhook_id,
            ordinal=await repo.position(session),
            event_type=original.event_type,
            event_id=original.event_id,
            body=original.body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=None if waiting else now,
            redelivery_of=original.id,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        await audit.record(
            session,
            principal,
            "webhook.redelivered",
            "webhook_delivery",
            original.id,
            details={"delivery": str(row.id), "webhook": str(row.webhook_id)},
        )
    return WebhookDelivery.of(row)


def _details(row: WebhookRow) -> dict[str, object]:
    return {"url": row.url, "eventTypes": list(row.event_types), "active": row.active}
