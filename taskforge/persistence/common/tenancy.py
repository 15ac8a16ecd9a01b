"""Organizations, users, subscriptions (quota counter), projects and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.events import QuotaNearlyUsed
from taskforge.domain.subscriptions import current_period, legacy_anchor
from taskforge.domain.webhooks import quota_crossed
from taskforge.persistence.common import organizations, outbox
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import ApiKey, Organization, Project, Subscription, User


async def any_organization(session: AsyncSession) -> bool:
    return (await session.scalar(select(Organization.id).limit(1))) is not None


async def organization_ids(session: AsyncSession, limit: int) -> list[uuid.UUID]:
    """Up to ``limit`` organization ids (the CLI's "the only organization")."""
    return list(await session.scalars(select(Organization.id).limit(limit)))


async def serialize_bootstrap(session: AsyncSession) -> None:
    """Make concurrent first starts of several replicas take turns."""
    await store_of(session).xact_lock(session, 7310001)


async def organization(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, org_id)


async def subscription(session: AsyncSession, org_id: uuid.UUID) -> Subscription | None:
    return await session.scalar(select(Subscription).where(Subscription.organization_id == org_id))


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def user(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return await session.scalar(
        select(User).where(User.id == user_id, User.organization_id == org_id)
    )


async def consume_jobs_quota(
    session: AsyncSession, org_id: uuid.UUID, n: int, now: datetime
) -> bool:
    """Atomically add ``n`` to the running period's job count unless it would pass the
    limit. One statement while the period runs; when it has ended (or was never set),
    the period holding ``now`` is started first (domain.subscriptions)."""
    if await _charge(session, org_id, n, now):
        return True
    sub = await subscription(session, org_id)
    if sub is None or (sub.current_period_end is not None and sub.current_period_end > now):
        return False  # no subscription, or the limit is reached within the period
    period = current_period(
        sub.period_anchor, sub.current_period_end, sub.jobs_used, sub.usage_period, now
    )
    anchor = sub.period_anchor or legacy_anchor(now)
    await organizations.roll_period(
        session, org_id, sub.current_period_end, period.end, anchor, period.jobs_used
    )
    return await _charge(session, org_id, n, now)


async def _charge(session: AsyncSession, org_id: uuid.UUID, n: int, now: datetime) -> bool:
    result = await session.execute(
        update(Subscription)
        .where(
            Subscription.organization_id == org_id,
            Subscription.current_period_end > now,
            or_(
                Subscription.max_jobs_per_month.is_(None),
                Subscription.jobs_used + n <= Subscription.max_jobs_per_month,
            ),
        )
        .values(jobs_used=Subscription.jobs_used + n)
        .returning(
            Subscription.jobs_used,
            Subscription.max_jobs_per_month,
            Subscription.current_period_end,
        )
        .execution_options(synchronize_session=False)
    )
    charged = result.first()
    if charged is None:
        return False
    used, limit, period_end = charged
    if limit is not None and quota_crossed(
        used - n, used, limit
    ):  # in the change's transaction (webhooks)
        await outbox.append(session, [QuotaNearlyUsed(org_id, used, limit, period_end)])
    return True


async def project(
    session: AsyncSession, org_id: uuid.UUID, project_id: uuid.UUID
) -> Project | None:
    return await session.scalar(
        select(Project).where(Project.id == project_id, Project.organization_id == org_id)
    )


async def project_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Project | None:
    return await session.scalar(
        select(Project).where(Project.organization_id == org_id, Project.name == name)
    )


async def projects_by_ids(
    session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Project]:
    rows = await session.scalars(
        select(Project).where(Project.organization_id == org_id, Project.id.in_(ids))
    )
    return list(rows)


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


async def api_key(session: AsyncSession, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == org_id)
    )


async def touch_api_key(
    session: AsyncSession, key_id: uuid.UUID, now: datetime, stale_before: datetime
) -> None:
    """Record use, at most once per interval so a busy key is not a write per request."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < stale_before),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def projects_listing(org_id: uuid.UUID) -> Select[Project]:
    return select(Project).where(Project.organization_id == org_id)
