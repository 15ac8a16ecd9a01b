"""Subscription periods and organization states: pure rules, no I/O.

A subscription's periods are whole months counted from its anchor (the instant it
started): the k-th period ends ``anchor + k months`` (a day the month lacks is its last
day: an anchor on 31 January ends periods on 28/29 February, 31 March, 30 April...,
always counted from the anchor, so the day never drifts). Usage counts within the
period; when a period has ended, the next charge or read rolls forward to the period
that holds the current instant (the periods in between had no charge, so no usage is
skipped). A subscription from before periods existed has no anchor: its periods are
calendar months (UTC) and the usage of the running month carries over.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from taskforge.domain.enums import Tier
from taskforge.domain.tenancy import TIER_LIMITS, TierLimits


class OrganizationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DELETED = "DELETED"


def organization_status(
    suspended_at: datetime | None, deleted_at: datetime | None
) -> OrganizationStatus:
    if deleted_at is not None:
        return OrganizationStatus.DELETED
    if suspended_at is not None:
        return OrganizationStatus.SUSPENDED
    return OrganizationStatus.ACTIVE


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` plus whole months, the day clamped to the target month's length."""
    total = anchor.month - 1 + months
    year, month = anchor.year + total // 12, total % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def legacy_anchor(now: datetime) -> datetime:
    """The anchor of a subscription without one: the start of ``now``'s UTC month."""
    utc = now.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def period_end(anchor: datetime, now: datetime) -> datetime:
    """The end of the period holding ``now``: the first ``anchor + k months`` (k >= 1)
    later than ``now``."""
    months = max(1, (now.year - anchor.year) * 12 + now.month - anchor.month)
    # the estimate is at most one month off either way
    if months > 1 and add_months(anchor, months - 1) > now:
        months -= 1
    while add_months(anchor, months) <= now:
        months += 1
    return add_months(anchor, months)


@dataclass(frozen=True)
class Period:
    """The running period of a subscription as of an instant, and its usage."""

    end: datetime
    jobs_used: int


def current_period(
    anchor: datetime | None,
    stored_end: datetime | None,
    jobs_used: int,
    usage_period: str,
    now: datetime,
) -> Period:
    """What the stored counters mean at ``now`` (a read; the next charge stores it)."""
    if stored_end is not None and stored_end > now:
        return Period(stored_end, jobs_used)
    if anchor is None:  # before periods: the running calendar month's count carries over
        carried = jobs_used if usage_period == now.astimezone(UTC).strftime("%Y-%m") else 0
        return Period(period_end(legacy_anchor(now), now), carried)
    return Period(period_end(anchor, now), 0)


def tier_limits(
    tier: Tier, max_jobs_per_period: int | None = None, max_workers: int | None = None
) -> TierLimits:
    """The tier's limits, with an operator's overrides."""
    base = TIER_LIMITS[tier]
    return TierLimits(
        max_jobs_per_month=base.max_jobs_per_month
        if max_jobs_per_period is None
        else max_jobs_per_period,
        max_workers=base.max_workers if max_workers is None else max_workers,
        max_schedules=base.max_schedules,
    )
