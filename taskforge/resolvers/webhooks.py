"""Resolvers of webhooks (admins only)."""

from __future__ import annotations

import strawberry

from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.schema import webhook_types as wh
from taskforge.services import pagination, webhooks

Info = strawberry.Info[Context, None]


async def webhooks_(
    info: Info, first: int = 50, after: str | None = None
) -> t.Connection[wh.Webhook]:
    """The organization's webhook endpoints, newest first."""
    principal = await info.context.principal()
    listing = await webhooks.webhooks(info.context.svc, principal, first, pagination.decode(after))
    return t.Connection.build(listing, wh.Webhook.of)  # type: ignore[arg-type]


async def webhook_deliveries(
    info: Info, webhook_id: strawberry.ID, first: int = 50, after: str | None = None
) -> t.Connection[wh.WebhookDelivery]:
    """An endpoint's delivery log, newest first."""
    principal = await info.context.principal()
    listing = await webhooks.deliveries(
        info.context.svc,
        principal,
        ids.parse(webhook_id, "webhookId"),
        first,
        pagination.decode(after),
    )
    return t.Connection.build(listing, wh.WebhookDelivery.of)  # type: ignore[arg-type]


async def create_webhook(info: Info, input: wh.CreateWebhookInput) -> wh.CreateWebhookPayload:
    principal = await info.context.principal()
    made = await webhooks.create(
        info.context.svc, principal, input.url, input.event_types, input.description
    )
    return wh.CreateWebhookPayload(webhook=wh.Webhook.of(made.webhook), secret=made.secret)


async def update_webhook(info: Info, id: strawberry.ID, input: wh.UpdateWebhookInput) -> wh.Webhook:
    principal = await info.context.principal()
    row = await webhooks.update(
        info.context.svc,
        principal,
        ids.parse(id),
        url=input.url,
        event_types=input.event_types,
        description=input.description,
        active=input.active,
    )
    return wh.Webhook.of(row)


async def delete_webhook(info: Info, id: strawberry.ID) -> strawberry.ID:
    principal = await info.context.principal()
    await webhooks.delete(info.context.svc, principal, ids.parse(id))
    return id


async def redeliver_webhook_delivery(info: Info, delivery_id: strawberry.ID) -> wh.WebhookDelivery:
    principal = await info.context.principal()
    row = await webhooks.redeliver(
        info.context.svc, principal, ids.parse(delivery_id, "deliveryId")
    )
    return wh.WebhookDelivery.of(row)
