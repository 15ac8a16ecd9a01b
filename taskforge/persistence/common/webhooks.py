"""Webhooks: endpoints, deliveries, and the engine's cursor in the event log.

Portable statements; the store's ``lock_for_claim`` (SKIP LOCKED on PostgreSQL) and
``lock_row`` (FOR UPDATE) are the only differences between the databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.webhooks import OPEN, DeliveryStatus
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    Event,
    Webhook,
    WebhookCursor,
    WebhookDelivery,
    status_in,
)

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CURSOR: Table = WebhookCursor.__table__  # type: ignore[assignment]
DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
OPEN_VALUES = [s.value for s in OPEN]
OPEN_LITERAL = text(status_in(OPEN, "webhook_deliveries.status"))


# -- endpoints ---------------------------------------------------------------------


async def webhook(
    session: AsyncSession, org_id: uuid.UUID, webhook_id: uuid.UUID, lock: bool = False
) -> Webhook | None:
    stmt = select(Webhook).where(Webhook.id == webhook_id, Webhook.organization_id == org_id)
    if lock:
        stmt = store_of(session).lock_row(stmt)
    return await session.scalar(stmt)


def listing(org_id: uuid.UUID) -> Select[Any]:
    """One organization's endpoints (the index on (organization, created_at, id))."""
    return select(Webhook).where(Webhook.organization_id == org_id)


async def active(session: AsyncSession) -> list[Any]:
    """Every active endpoint (id, organization_id, event_types): what the engine matches
    events against, read once a step."""
    stmt = select(Webhook.id, Webhook.organization_id, Webhook.event_types).where(
        Webhook.active.is_(True)
    )
    return list(await session.execute(stmt))


async def lock_webhooks(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Serialize the making and finishing of deliveries per endpoint (in id order, so two
    transactions never wait on each other in a cycle): whether a new delivery is its
    endpoint's first open one is decided with the endpoint held. Returns those that
    still exist (one may have been deleted since it was read)."""
    ordered = sorted(set(ids))
    if not ordered:
        return set()
    stmt = select(Webhook.id).where(Webhook.id.in_(ordered)).order_by(Webhook.id)
    return set(await session.scalars(store_of(session).lock_row(stmt)))


async def delete_webhook(session: AsyncSession, webhook_id: uuid.UUID) -> None:
    # deliveries first: SQLite enforces no foreign keys unless asked to
    await session.execute(delete(DELIVERIES).where(DELIVERIES.c.webhook_id == webhook_id))
    await session.execute(delete(Webhook).where(Webhook.id == webhook_id))


# -- deliveries --------------------------------------------------------------------


async def delivery(
    session: AsyncSession, org_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.organization_id == org_id
        )
    )


def delivery_listing(org_id: uuid.UUID, webhook_id: uuid.UUID) -> Select[Any]:
    """One endpoint's deliveries (the index on (webhook, created_at, id))."""
    return select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.organization_id == org_id
    )


async def with_open(session: AsyncSession, webhook_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the endpoints that have an open delivery (the order index)."""
    ids = list(set(webhook_ids))
    if not ids:
        return set()
    stmt = (
        select(DELIVERIES.c.webhook_id)
        .where(DELIVERIES.c.webhook_id.in_(ids), DELIVERIES.c.status.in_(OPEN_VALUES))
        .distinct()
    )
    return set(await session.scalars(stmt))


async def insert_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(DELIVERIES), rows)


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """Cheap read (the due index) so an idle engine never opens a write transaction."""
    stmt = (
        select(DELIVERIES.c.id)
        .join(Webhook, Webhook.id == DELIVERIES.c.webhook_id)
        .where(
            DELIVERIES.c.status.in_(OPEN_VALUES),
            DELIVERIES.c.next_attempt_at <= now,
            Webhook.active.is_(True),  # as claim_due: a paused endpoint's are not due
        )
        .limit(1)
    )
    return (await session.scalar(stmt)) is not None


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, lease_until: datetime
) -> list[Any]:
    """Take up to ``limit`` due deliveries of active endpoints, oldest due first, for
    one attempt each: counted, and leased (next_attempt_at moved to ``lease_until``, so
    a crashed sender's attempt is made again then). Returns them with their endpoint's
    url and secret. Only an endpoint's first open delivery is ever due (see
    WebhookDelivery); the guard below keeps the order should two be. Two engines never
    take the same one: SKIP LOCKED on PostgreSQL, one writer at a time on SQLite."""
    earlier = DELIVERIES.alias("earlier")
    stmt = (
        select(
            DELIVERIES.c.id,
            DELIVERIES.c.webhook_id,
            DELIVERIES.c.event_type,
            DELIVERIES.c.body,
            DELIVERIES.c.attempts,
            Webhook.url,
            Webhook.secret,
        )
        .join(Webhook, Webhook.id == DELIVERIES.c.webhook_id)
        .where(
            DELIVERIES.c.status.in_(OPEN_VALUES),
            DELIVERIES.c.next_attempt_at <= now,
            Webhook.active.is_(True),
            ~select(earlier.c.id)
            .where(
                earlier.c.webhook_id == DELIVERIES.c.webhook_id,
                earlier.c.status.in_(OPEN_VALUES),
                earlier.c.ordinal < DELIVERIES.c.ordinal,
            )
            .exists(),
        )
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
    )
    rows = list(await session.execute(store_of(session).lock_for_claim(stmt, of=DELIVERIES)))
    if rows:
        await session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_([r.id for r in rows]))
            .values(
                attempts=DELIVERIES.c.attempts + 1,
                last_attempt_at=now,
                next_attempt_at=lease_until,
            )
        )
    return rows


async def record_attempts(session: AsyncSession, outcomes: list[dict[str, Any]]) -> None:
    """Write attempts' outcomes (one executemany): each dict has the delivery's ``id``,
    the ``attempts`` count its attempt made, and the new status, response_status, error,
    next_attempt_at and delivered_at. An outcome is dropped when another attempt was
    made since (the lease ran out and another engine took the delivery)."""
    if not outcomes:
        return
    stmt = (
        update(DELIVERIES)
        .where(
            DELIVERIES.c.id == bindparam("b_id"),
            DELIVERIES.c.attempts == bindparam("b_attempts"),
            OPEN_LITERAL,  # an executemany takes no expanding IN
        )
        .values(
            status=bindparam("b_status"),
            response_status=bindparam("b_response_status"),
            error=bindparam("b_error"),
            next_attempt_at=bindparam("b_next_attempt_at"),
            delivered_at=bindparam("b_delivered_at"),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt, [{f"b_{k}": v for k, v in o.items()} for o in outcomes])


async def promote_next(
    session: AsyncSession, webhook_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Make each endpoint's first waiting delivery due (one statement, one probe of the
    order index per endpoint). An endpoint's open delivery that is not PENDING is its
    head, being retried: what waits behind it is PENDING, first by ordinal. Should one
    still be in flight elsewhere, the claim's order guard holds the promoted one back."""
    ids = sorted(set(webhook_ids))
    if not ids:
        return
    waiting = DELIVERIES.alias("waiting")
    first = (
        select(waiting.c.id)
        .where(
            waiting.c.webhook_id == Webhook.id,
            waiting.c.status == DeliveryStatus.PENDING.value,
        )
        .order_by(waiting.c.ordinal, waiting.c.created_at, waiting.c.id)
        .limit(1)
        .correlate(Webhook)
        .scalar_subquery()
    )
    heads = select(first).where(Webhook.id.in_(ids))
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(heads), DELIVERIES.c.next_attempt_at.is_(None))
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


async def prune(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` finished deliveries made before ``before`` (the created_at
    index); open ones stay, however old."""
    oldest = (
        select(DELIVERIES.c.id)
        .where(
            DELIVERIES.c.created_at < before,
            DELIVERIES.c.status.in_([DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value]),
        )
        .order_by(DELIVERIES.c.created_at)
        .limit(limit)
    )
    ids = list(await session.scalars(oldest))
    if ids:
        await session.execute(delete(DELIVERIES).where(DELIVERIES.c.id.in_(ids)))
    return len(ids)


# -- the engine's cursor in the event log -----------------------------------------


async def lock_cursor(session: AsyncSession) -> int | None:
    """Take the cursor row and return its position; None while another replica's engine
    holds it. Made at 0 when missing (the migration makes it at the last event)."""
    stmt = select(CURSOR.c.position).where(CURSOR.c.id == 1)
    found = await session.scalar(store_of(session).lock_for_claim(stmt))
    if found is not None:
        return int(found)
    made = await session.execute(store_of(session).insert_ignore(CURSOR).values(id=1, position=0))
    return 0 if made.rowcount else None  # type: ignore[attr-defined]


async def position(session: AsyncSession) -> int:
    return int(await session.scalar(select(CURSOR.c.position).where(CURSOR.c.id == 1)) or 0)


async def move_cursor(session: AsyncSession, to: int) -> None:
    await session.execute(update(CURSOR).where(CURSOR.c.id == 1).values(position=to))


async def end_through(session: AsyncSession, upto: int) -> int:
    """The last event id of the stamped rows starting at or before ``upto`` (one
    lookup on the unique seq index); 0 when there is none."""
    found = await session.scalar(
        select(EVENTS.c.seq + EVENTS.c.span - 1)
        .where(EVENTS.c.seq.is_not(None), EVENTS.c.seq <= upto)
        .order_by(EVENTS.c.seq.desc())
        .limit(1)
    )
    return int(found or 0)


async def first_seq_after(session: AsyncSession, after: int) -> int | None:
    """The first stamped row's seq after ``after`` (one probe of the seq index)."""
    found = await session.scalar(
        select(EVENTS.c.seq).where(EVENTS.c.seq > after).order_by(EVENTS.c.seq).limit(1)
    )
    return None if found is None else int(found)


async def events_after(
    session: AsyncSession,
    after: int,
    upto: int,
    org_ids: Sequence[uuid.UUID],
    types: Sequence[str],
    limit: int,
) -> list[Any]:
    """Stamped rows starting in (after, upto] of these tenants and types, in seq order
    (a range of the unique seq index, at most ``upto - after`` ids wide)."""
    stmt = (
        select(EVENTS)
        .where(
            EVENTS.c.seq > after,
            EVENTS.c.seq <= upto,
            EVENTS.c.organization_id.in_(list(org_ids)),
            EVENTS.c.type.in_(list(types)),
        )
        .order_by(EVENTS.c.seq)
        .limit(limit)
    )
    return list(await session.execute(stmt))
