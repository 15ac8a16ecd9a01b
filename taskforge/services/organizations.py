"""Organizations: sign-up, the admins' settings, the subscription's period and usage,
the operator's life cycle (create, tier, suspend, delete) and the removal of a deleted
organization's rows.

Removal works in bounded batches, one short transaction each, table by table in the
order of ``persistence.common.organizations.PLAN`` (children first); it starts once
every replica's credential cache has dropped the organization (``auth_cache_seconds``
after the deletion), so no request still authenticated by it writes behind it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, validation
from taskforge.domain.enums import Tier
from taskforge.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from taskforge.domain.subscriptions import (
    OrganizationStatus,
    Period,
    current_period,
    organization_status,
    tier_limits,
)
from taskforge.domain.tenancy import ADMIN, TIER_LIMITS
from taskforge.persistence.common import organizations as repo
from taskforge.persistence.common import tenancy as tenancy_repo
from taskforge.persistence.common import workers as workers_repo
from taskforge.persistence.tables import Organization
from taskforge.services import abuse, audit, auth, tenancy
from taskforge.services.base import Principal, Services

log = logging.getLogger(__name__)

MAX_LIMIT = 2**53 - 1  # an operator's override of a limit (JavaScript's safe integers)


@dataclass(frozen=True)
class Usage:
    jobs_this_period: int
    max_jobs_per_period: int | None
    workers: int
    max_workers: int | None


@dataclass(frozen=True)
class Overview:
    """An organization with its state, subscription, running period and usage."""

    organization: records.Organization
    subscription: records.Subscription
    status: OrganizationStatus
    period: Period
    usage: Usage

    @property
    def max_schedules(self) -> int | None:
        return TIER_LIMITS[self.subscription.tier].max_schedules


def period_of(sub: records.Subscription, now: datetime) -> Period:
    """The running period and its usage at ``now`` (a read; the next charge stores it)."""
    return current_period(
        sub.period_anchor, sub.current_period_end, sub.jobs_used, sub.usage_period, now
    )


async def _overview(svc: Services, org_id: uuid.UUID) -> Overview:
    async with svc.read() as session:
        org = await repo.get(session, org_id)
        sub = await tenancy_repo.subscription(session, org_id)
        workers = await workers_repo.count_live(session, org_id)
    if org is None or sub is None:
        raise NotFound("organization", org_id)
    return _overview_of(svc, org, sub, workers)


def _overview_of(svc: Services, org: object, sub: object, workers: int) -> Overview:
    o, s = records.Organization.of(org), records.Subscription.of(sub)
    period = period_of(s, svc.clock())
    usage = Usage(period.jobs_used, s.max_jobs_per_month, workers, s.max_workers)
    return Overview(o, s, organization_status(o.suspended_at, o.deleted_at), period, usage)


# -- the API ----------------------------------------------------------------------


async def current(svc: Services, principal: Principal) -> Overview:
    """The caller's organization (any authenticated caller of it)."""
    return await _overview(svc, principal.organization_id)


async def sign_up(
    svc: Services, organization_name: str, email: str, password: str, address: str | None = None
) -> tuple[str, datetime, records.User]:
    """A new organization with its first admin, logged in (when sign-up is open).
    Attempts are throttled per email and per client ``address``."""
    if svc.settings.signup != "open":
        raise Forbidden(
            "sign-up is closed on this server: the operator creates organizations "
            "(taskforge org create)"
        )
    validation.name(organization_name, "organizationName")
    await abuse.throttle(svc, "signup", account=email, address=address)
    try:
        created = await tenancy.create_organization(
            svc, organization_name, email, password, with_api_key=False, via="signup"
        )
    except IntegrityError as exc:  # a concurrent sign-up won the unique email
        raise Conflict("a user with this email already exists", field="email") from exc
    assert created is not None
    token, expires = auth.issue_token(svc, created.admin)
    return token, expires, records.User.of(created.admin)


async def update(
    svc: Services, principal: Principal, name: str | None, billing_email: str | None
) -> Overview:
    """Rename the organization or change its billing email (its admins)."""
    principal.require(ADMIN)
    new_name = None if name is None else validation.name(name)
    new_email = None if billing_email is None else validation.email(billing_email, "billingEmail")
    async with svc.write() as session:
        org = await repo.get(session, principal.organization_id)
        if org is None:
            raise NotFound("organization", principal.organization_id)
        if new_name is not None:
            org.name = new_name
        if new_email is not None:
            org.billing_email = new_email
        changed = {"name": new_name, "billingEmail": new_email}
        await audit.record(
            session,
            principal,
            "organization.updated",
            "organization",
            org.id,
            details={k: v for k, v in changed.items() if v is not None},
        )
    return await _overview(svc, principal.organization_id)


# -- the operator (taskforge org ...) --------------------------------------------


async def create(
    svc: Services, name: str, admin_email: str, admin_password: str, tier: Tier
) -> tenancy.NewOrganization:
    try:
        created = await tenancy.create_organization(svc, name, admin_email, admin_password, tier)
    except IntegrityError as exc:
        raise Conflict("a user with this email already exists", field="email") from exc
    assert created is not None
    return created


async def list_all(svc: Services, limit: int = 1000) -> list[Overview]:
    async with svc.read() as session:
        rows = await repo.with_subscriptions(session, limit)
        counts = await repo.live_workers(session, [org.id for org, _ in rows])
    return [
        _overview_of(svc, org, sub, counts.get(org.id, 0)) for org, sub in rows if sub is not None
    ]


async def show(svc: Services, org_id: uuid.UUID) -> Overview:
    return await _overview(svc, org_id)


def _limit(value: int | None, field: str) -> int | None:
    if value is not None and not 0 <= value <= MAX_LIMIT:
        raise InvalidInput(f"{field} must be between 0 and {MAX_LIMIT}", field=field)
    return value


async def set_tier(
    svc: Services,
    org_id: uuid.UUID,
    tier: Tier,
    max_jobs_per_period: int | None = None,
    max_workers: int | None = None,
) -> Overview:
    """Change the tier and its limits (the tier's, or the operator's overrides); the
    running period and its usage stay."""
    limits = tier_limits(
        tier, _limit(max_jobs_per_period, "maxJobsPerPeriod"), _limit(max_workers, "maxWorkers")
    )
    async with svc.write() as session:
        org = await _live(session, org_id)
        sub = await workers_repo.lock_subscription(session, org.id)
        if sub is None:
            raise NotFound("subscription", org_id)
        details = {
            "from": sub.tier.value,
            "to": tier.value,
            "maxJobsPerPeriod": limits.max_jobs_per_month,
            "maxWorkers": limits.max_workers,
        }
        sub.tier = tier
        sub.max_jobs_per_month = limits.max_jobs_per_month
        sub.max_workers = limits.max_workers
        await _operator_did(session, org_id, "organization.tier_changed", details)
    return await _overview(svc, org_id)


async def _operator_did(
    session: AsyncSession, org_id: uuid.UUID, action: str, details: dict[str, Any] | None = None
) -> None:
    """An audit entry of the operator's command (no actor: it works on the database)."""
    await audit.record(
        session, None, action, "organization", org_id, details=details, organization_id=org_id
    )


async def _live(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    org = await repo.get(session, org_id)
    if org is None:
        raise NotFound("organization", org_id)
    if org.deleted_at is not None:
        raise Conflict(f"organization {org_id} is deleted")
    return org


async def suspend(svc: Services, org_id: uuid.UUID) -> Overview:
    """Its keys and tokens are refused, its jobs not claimed, its schedules not fired."""
    async with svc.write() as session:
        org = await _live(session, org_id)
        if org.suspended_at is None:
            org.suspended_at = svc.clock()
            await _operator_did(session, org_id, "organization.suspended")
    auth.forget_organization(svc, org_id)
    return await _overview(svc, org_id)


async def unsuspend(svc: Services, org_id: uuid.UUID) -> Overview:
    async with svc.write() as session:
        org = await _live(session, org_id)
        if org.suspended_at is not None:
            org.suspended_at = None
            await _operator_did(session, org_id, "organization.unsuspended")
    return await _overview(svc, org_id)


async def delete(svc: Services, org_id: uuid.UUID) -> Overview:
    """Mark it deleted (credentials refused); the removal engine deletes its rows."""
    async with svc.write() as session:
        org = await repo.get(session, org_id)
        if org is None:
            raise NotFound("organization", org_id)
        if org.deleted_at is None:
            org.deleted_at = svc.clock()
            # removed with the organization's rows; the operator's log keeps the line
            await _operator_did(session, org_id, "organization.deleted")
    auth.forget_organization(svc, org_id)
    return await _overview(svc, org_id)


# -- the removal engine -----------------------------------------------------------


async def remove_deleted(svc: Services, organizations: int = 10) -> int:
    """Engine step: remove what deleted organizations own, then the organizations;
    returns the rows removed."""
    grace = timedelta(seconds=svc.settings.auth_cache_seconds)
    async with svc.read() as session:
        ids = await repo.deleted_before(session, svc.clock() - grace, organizations)
    return sum([await remove(svc, org_id) for org_id in ids])


async def remove(svc: Services, org_id: uuid.UUID) -> int:
    """Every row of a deleted organization, in batches of ``org_removal_batch`` rows
    (one transaction each), passes over the plan until one finds nothing; then its row."""
    batch = svc.settings.org_removal_batch
    total = 0
    while True:
        removed = 0
        for step in repo.PLAN:
            while True:
                async with svc.write() as session:
                    n = await repo.remove_batch(session, step, org_id, batch)
                removed += n
                if n < batch:
                    break
        total += removed
        if removed == 0:
            break
    async with svc.write() as session:
        await repo.remove_row(session, org_id)
    log.info("organization %s removed (%d rows)", org_id, total)
    return total
