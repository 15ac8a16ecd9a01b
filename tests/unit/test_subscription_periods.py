"""Subscription periods: whole months from the anchor, never drifting, never skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain.subscriptions import (
    OrganizationStatus,
    add_months,
    current_period,
    organization_status,
    period_end,
)

T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def test_month_ends_are_clamped_and_do_not_drift() -> None:
    assert [add_months(T0, k).date().isoformat() for k in range(1, 5)] == [
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
    ]
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)


@given(anchor=instants, now=instants)
def test_period_end_is_the_first_anchor_month_after_now(anchor: datetime, now: datetime) -> None:
    end = period_end(anchor, now)
    assert end > now
    months = [add_months(anchor, k) for k in range(1, 1300)]
    assert end in months
    previous = months.index(end) - 1
    assert previous < 0 or months[previous] <= now


def test_current_period_keeps_usage_until_the_end() -> None:
    end = add_months(T0, 1)
    assert current_period(T0, end, 5, "", end - timedelta(seconds=1)).jobs_used == 5
    rolled = current_period(T0, end, 5, "", end)
    assert (rolled.end, rolled.jobs_used) == (add_months(T0, 2), 0)
    # before periods: the calendar month's count carries, the period ends with the month
    legacy = current_period(None, None, 4, "2026-05", datetime(2026, 5, 9, tzinfo=UTC))
    assert (legacy.end, legacy.jobs_used) == (datetime(2026, 6, 1, tzinfo=UTC), 4)
    assert current_period(None, None, 4, "2026-04", datetime(2026, 5, 9, tzinfo=UTC)).jobs_used == 0


def test_organization_status() -> None:
    assert organization_status(None, None) is OrganizationStatus.ACTIVE
    assert organization_status(T0, None) is OrganizationStatus.SUSPENDED
    assert organization_status(T0, T0) is OrganizationStatus.DELETED
