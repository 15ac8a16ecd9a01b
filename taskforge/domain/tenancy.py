"""Subscription tiers, their limits, and API permissions."""

from __future__ import annotations

from dataclasses import dataclass

from taskforge.domain.enums import Tier, UserRole
from taskforge.domain.errors import InvalidInput


@dataclass(frozen=True)
class TierLimits:
    max_jobs_per_month: int | None
    max_workers: int | None
    max_schedules: int | None = None
    # API requests per minute for the whole organization (None: unlimited); one key
    # or user may use Settings.rate_limit_key_share of it
    requests_per_minute: int | None = None


TIER_LIMITS: dict[Tier, TierLimits] = {
    Tier.STARTER: TierLimits(
        max_jobs_per_month=10_000, max_workers=5, max_schedules=100, requests_per_minute=6_000
    ),
    Tier.PRO: TierLimits(
        max_jobs_per_month=1_000_000,
        max_workers=50,
        max_schedules=10_000,
        requests_per_minute=60_000,
    ),
    Tier.ENTERPRISE: TierLimits(max_jobs_per_month=None, max_workers=None, max_schedules=None),
}

ADMIN = "admin"
PERMISSIONS: frozenset[str] = frozenset(
    {
        "jobs:read",
        "jobs:write",
        "job_dependency:read",
        "job_dependency:write",
        "scheduled_job:read",
        "scheduled_job:write",
        "workflows:read",
        "workflows:write",
        "workers",
        ADMIN,
    }
)
MEMBER_PERMISSIONS: frozenset[str] = PERMISSIONS - {ADMIN}


def permissions_for_role(role: UserRole) -> frozenset[str]:
    return PERMISSIONS if role is UserRole.ADMIN else MEMBER_PERMISSIONS


def validate_permissions(requested: list[str]) -> list[str]:
    unknown = sorted(set(requested) - PERMISSIONS)
    if unknown:
        raise InvalidInput(
            f"unknown permissions: {', '.join(unknown)}; known: {', '.join(sorted(PERMISSIONS))}",
            field="permissions",
        )
    if not requested:
        raise InvalidInput("an API key needs at least one permission", field="permissions")
    return sorted(set(requested))


def grants(held: frozenset[str], needed: str) -> bool:
    return ADMIN in held or needed in held
