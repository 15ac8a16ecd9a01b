"""Abuse limits: request rates per organization and per caller, by tier, and throttles
on credential-guessing operations per account and per client address.

Both count in ``Services.counters`` (Redis when configured, so every replica counts
together; else in process). A refusal is RATE_LIMITED with ``retryAfter`` seconds.

Request rates: one counted request per authenticated HTTP request (and per WebSocket
connection), against the organization's per-minute limit of its tier and the caller's
(an API key or a user) share of it; both keys go in one round trip. An organization's
tier is read at most every ``TIER_CACHE_SECONDS``; unlimited tiers cost nothing.

Throttles: ``login`` counts failed attempts only, so a right password is never slowed
by one's own successes; other operations (``signUp``, ``acceptInvitation``,
``changePassword``) count every attempt with ``throttle``::

    await abuse.throttle(svc, "signup", account=email, address=address)
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from taskforge.domain.errors import RateLimited
from taskforge.domain.rates import Window
from taskforge.domain.tenancy import TIER_LIMITS
from taskforge.persistence.common import tenancy as repo
from taskforge.services.base import Principal, Services

MINUTE = 60
TIER_CACHE_SECONDS = 30


async def admit(svc: Services, principal: Principal) -> None:
    """Count one request of this caller; RATE_LIMITED when over a limit."""
    if not svc.settings.rate_limits:
        return
    org_limit = await _org_limit(svc, principal.organization_id)
    if org_limit is None:
        return
    names, limits = [f"org:{principal.organization_id}"], [org_limit]
    caller = principal.api_key_id or principal.user_id
    if caller is not None:
        names.append(f"caller:{caller}")
        limits.append(max(1, int(org_limit * svc.settings.rate_limit_key_share)))
    windows = await svc.counters.add(names, MINUTE)
    _refuse_over(windows, limits, "too many requests for this {}: at most {} per minute")


async def _org_limit(svc: Services, org_id: uuid.UUID) -> int | None:
    now = svc.clock()
    cached = svc.rate_tiers.get(org_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    async with svc.read() as session:
        sub = await repo.subscription(session, org_id)
    limit = None
    if sub is not None:
        overrides = svc.settings.rate_limit_per_minute
        limit = (
            overrides[sub.tier]
            if sub.tier in overrides
            else TIER_LIMITS[sub.tier].requests_per_minute
        )
    if len(svc.rate_tiers) > 10_000:
        svc.rate_tiers.clear()
    svc.rate_tiers[org_id] = (limit, now + timedelta(seconds=TIER_CACHE_SECONDS))
    return limit


def forget_tier(svc: Services, org_id: uuid.UUID) -> None:
    """Read the organization's tier again on its next request (after a tier change)."""
    svc.rate_tiers.pop(org_id, None)


def _refuse_over(windows: list[Window], limits: list[int], message: str) -> None:
    waits = [
        (w.retry_after(limit), kind, limit)
        for w, limit, kind in zip(windows, limits, ("organization", "caller"), strict=False)
    ]
    wait, kind, limit = max(waits)
    if wait:
        raise RateLimited(message.format(kind, limit) + f"; retry after {wait}s", retry_after=wait)


def _names(action: str, account: str | None, address: str | None) -> list[tuple[str, str]]:
    """(counter name, what it limits) for each given key; accounts are hashed, so
    neither Redis nor a dump of it holds an email."""
    out = []
    if account:
        digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
        out.append((f"{action}:account:{digest}", "account"))
    if address:
        out.append((f"{action}:address:{address}", "address"))
    return out


def _throttle_limits(svc: Services, names: list[tuple[str, str]]) -> list[tuple[str, int]]:
    per = {
        "account": svc.settings.throttle_per_account,
        "address": svc.settings.throttle_per_address,
    }
    return [(name, per[kind]) for name, kind in names if per[kind] > 0]


async def _throttled(
    svc: Services, action: str, account: str | None, address: str | None, count: bool
) -> None:
    keyed = _throttle_limits(svc, _names(action, account, address))
    if not keyed:
        return
    length = svc.settings.throttle_window_seconds
    names = [name for name, _ in keyed]
    windows = await (svc.counters.add if count else svc.counters.peek)(names, length)
    limits = [limit for _, limit in keyed]
    # counting: this attempt is allowed up to the limit; checking: one more must fit
    for w, limit, (name, _) in zip(windows, limits, keyed, strict=True):
        over = w.over(limit) if count else w.estimate >= limit
        if over:
            wait = Window(w.current + (0 if count else 1), w.previous, w.elapsed, w.length)
            raise RateLimited(
                f"too many attempts; retry after {wait.retry_after(limit)}s",
                retry_after=wait.retry_after(limit),
                limit=name.split(":")[1],
            )


async def check(svc: Services, action: str, *, account: str | None, address: str | None) -> None:
    """RATE_LIMITED if the account or the address used up its failed attempts."""
    await _throttled(svc, action, account, address, count=False)


async def failed(svc: Services, action: str, *, account: str | None, address: str | None) -> None:
    """Count one failed attempt for the account and the address."""
    keyed = _throttle_limits(svc, _names(action, account, address))
    if keyed:
        await svc.counters.add([name for name, _ in keyed], svc.settings.throttle_window_seconds)


async def throttle(svc: Services, action: str, *, account: str | None, address: str | None) -> None:
    """Count this attempt; RATE_LIMITED when the account or address made too many."""
    await _throttled(svc, action, account, address, count=True)
