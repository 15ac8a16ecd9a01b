"""GraphQL types of an organization's subscription: tier, limits, period and usage."""

from __future__ import annotations

from datetime import datetime

import strawberry

from taskforge.domain.subscriptions import OrganizationStatus
from taskforge.schema.types import TierEnum
from taskforge.services.organizations import Overview

OrganizationStatusEnum = strawberry.enum(
    OrganizationStatus,
    name="OrganizationStatus",
    description="ACTIVE, or SUSPENDED by the operator (credentials refused), or DELETED "
    "(being removed).",
)


@strawberry.type(description="The limits of the subscription (null: unlimited).")
class SubscriptionLimits:
    max_jobs_per_period: int | None
    max_workers: int | None
    max_schedules: int | None


@strawberry.type(description="What the organization uses of its limits.")
class SubscriptionUsage:
    jobs_this_period: int = strawberry.field(description="Jobs created in the running period.")
    max_jobs_per_period: int | None
    workers: int = strawberry.field(description="Workers not OFFLINE.")
    max_workers: int | None


@strawberry.type(
    description="The organization's subscription: periods are whole months from its start."
)
class SubscriptionPlan:
    tier: TierEnum  # type: ignore[valid-type]
    limits: SubscriptionLimits
    current_period_end: datetime = strawberry.field(
        description="When the running period ends (and usage starts again from zero)."
    )
    usage: SubscriptionUsage

    @classmethod
    def of(cls, view: Overview) -> SubscriptionPlan:
        sub, usage = view.subscription, view.usage
        return cls(
            tier=sub.tier,
            limits=SubscriptionLimits(
                max_jobs_per_period=sub.max_jobs_per_month,
                max_workers=sub.max_workers,
                max_schedules=view.max_schedules,
            ),
            current_period_end=view.period.end,
            usage=SubscriptionUsage(
                jobs_this_period=usage.jobs_this_period,
                max_jobs_per_period=usage.max_jobs_per_period,
                workers=usage.workers,
                max_workers=usage.max_workers,
            ),
        )
