"""Schedule policies, pure: cron macros, jitter, planning with jitter, overlap decisions,
failures in a row and backfill ranges."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from taskforge.domain.enums import MisfirePolicy, OverlapPolicy, ScheduleKind
from taskforge.domain.errors import InvalidInput
from taskforge.domain.schedule_policies import (
    MAX_JITTER,
    Ends,
    after_ends,
    backfill_range,
    check_jitter,
    check_pause_after_failures,
    default_overlap,
    ends,
    jitter,
    overlap,
    pause_reason,
)
from taskforge.domain.schedules import MACROS, compile_recurrence, plan, validate_cron

NOW = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)  # a Monday
SID = uuid.UUID("8d7f1c3e-0000-4000-8000-0000000000aa")


def at(minute: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


# --- cron macros ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("macro", "first", "second"),
    [
        ("@yearly", "2027-01-01T00:00", "2028-01-01T00:00"),
        ("@annually", "2027-01-01T00:00", "2028-01-01T00:00"),
        ("@monthly", "2026-04-01T00:00", "2026-05-01T00:00"),
        ("@weekly", "2026-03-08T00:00", "2026-03-15T00:00"),  # Sundays
        ("@daily", "2026-03-03T00:00", "2026-03-04T00:00"),
        ("@midnight", "2026-03-03T00:00", "2026-03-04T00:00"),
        ("@hourly", "2026-03-02T10:00", "2026-03-02T11:00"),
        ("@DAILY", "2026-03-03T00:00", "2026-03-04T00:00"),
    ],
)
def test_cron_macros_fire_as_their_five_fields(macro, first, second) -> None:
    validate_cron(macro)
    rec = compile_recurrence(ScheduleKind.CRON, macro, "UTC", NOW)
    runs = [r.strftime("%Y-%m-%dT%H:%M") for r in rec.upcoming(NOW, 2)]
    assert runs == [first, second]
    # croniter reads the macro the same way
    expected = croniter(macro.lower(), NOW.replace(tzinfo=None)).get_next(datetime)
    assert rec.next_after(NOW) == expected.replace(tzinfo=UTC)


def test_a_macro_is_wall_time_in_its_timezone() -> None:
    rec = compile_recurrence(ScheduleKind.CRON, "@daily", "Asia/Kolkata", NOW)
    assert rec.next_after(NOW) == datetime(2026, 3, 2, 18, 30, tzinfo=UTC)  # 00:00 +05:30


@pytest.mark.parametrize("text", ["@reboot", "@every", "@", "@daily5"])
def test_unknown_macros_are_refused_naming_the_known_ones(text) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_cron(text)
    assert err.value.message.startswith(f"cron macro '{text}' is not one of ")
    assert all(m in err.value.message for m in MACROS)
    assert err.value.details == {"field": "expression"}


# --- jitter ------------------------------------------------------------------------------


def test_jitter_is_the_same_for_a_schedule_and_occurrence_everywhere() -> None:
    delays = [jitter(SID, at(m), 60) for m in range(60)]
    assert delays == [jitter(SID, at(m), 60) for m in range(60)]  # another replica
    # the same instant written in another zone is the same occurrence
    paris = at(5).astimezone(ZoneInfo("Europe/Paris"))
    assert jitter(SID, paris, 60) == jitter(SID, at(5), 60)
    assert all(timedelta(0) <= d <= timedelta(seconds=60) for d in delays)
    assert len(set(delays)) > 50  # spread, not one delay for all
    other = [jitter(uuid.uuid4(), at(m), 60) for m in range(60)]
    assert other != delays
    assert jitter(SID, at(5), 0) == timedelta(0)


def test_jitter_spreads_over_its_whole_range() -> None:
    delays = [jitter(uuid.uuid4(), NOW, 10).total_seconds() for _ in range(2000)]
    assert min(delays) < 0.5 and max(delays) > 9.5
    assert 4 < sum(delays) / len(delays) < 6
    assert all(d == round(d, 3) for d in delays)  # to the millisecond


def test_jitter_stays_short_of_the_next_occurrence() -> None:
    minute = timedelta(minutes=1)
    delays = [jitter(uuid.uuid4(), NOW, 3600, minute) for _ in range(500)]
    assert all(timedelta(0) <= d < minute for d in delays) and max(delays) > 50 * minute / 60
    # a gap longer than the jitter changes nothing
    assert jitter(SID, NOW, 30, timedelta(hours=1)) == jitter(SID, NOW, 30)
    assert jitter(SID, NOW, 30, timedelta(milliseconds=1)) == timedelta(0)


@pytest.mark.parametrize("bad", [-1, MAX_JITTER + 1])
def test_jitter_bounds(bad) -> None:
    with pytest.raises(InvalidInput) as err:
        check_jitter(bad)
    assert err.value.details == {"field": "jitter"}
    assert check_jitter(0) == 0 and check_jitter(MAX_JITTER) == MAX_JITTER


def test_plan_with_jitter_waits_for_each_occurrence_and_keeps_order() -> None:
    rec = compile_recurrence(ScheduleKind.CRON, "*/5 * * * *", "UTC", NOW)
    delays = {at(5): timedelta(seconds=40), at(10): timedelta(seconds=10)}

    def delay(t: datetime) -> timedelta:
        return delays.get(t, timedelta(seconds=30))

    grace = timedelta(seconds=60)
    early = plan(
        rec, at(5), at(5) + timedelta(seconds=39), MisfirePolicy.FIRE_ONCE, grace, 100, delay
    )
    assert (early.fire, early.next_run_at, early.skipped) == ([], at(5), 0)
    on_time = plan(rec, at(5), at(5) + timedelta(seconds=41), MisfirePolicy.SKIP, grace, 100, delay)
    assert (on_time.fire, on_time.next_run_at, on_time.skipped) == ([at(5)], at(10), 0)
    # 09:10 is due at 09:10:10; at 09:10:05 only 09:05 fires, 09:10 is the next run
    both = at(10) + timedelta(seconds=5)
    p = plan(rec, at(5), both, MisfirePolicy.FIRE_ALL, grace, 100, delay)
    assert (p.fire, p.next_run_at, p.skipped) == ([at(5)], at(10), 0)
    # lateness counts from the jittered time: 09:05+40 s is 70 s late at 09:06:50
    late = plan(rec, at(5), at(6) + timedelta(seconds=50), MisfirePolicy.SKIP, grace, 100, delay)
    assert (late.fire, late.next_run_at, late.skipped) == ([], at(10), 1)
    without = plan(rec, at(5), both, MisfirePolicy.FIRE_ALL, grace, 100)
    assert without.fire == [at(5), at(10)]


# --- overlap -------------------------------------------------------------------------------


def test_default_overlap_by_target() -> None:
    assert default_overlap(True) is OverlapPolicy.SKIP
    assert default_overlap(False) is OverlapPolicy.ALLOW_ALL


@pytest.mark.parametrize(
    ("policy", "live", "buffered", "due", "fire", "held", "skipped", "cancel"),
    [
        (OverlapPolicy.ALLOW_ALL, True, None, [1, 2], [1, 2], None, [], False),
        (OverlapPolicy.ALLOW_ALL, False, 0, [1], [0, 1], None, [], False),
        (OverlapPolicy.SKIP, True, None, [1, 2], [], None, [1, 2], False),
        (OverlapPolicy.SKIP, False, None, [1, 2, 3], [1], None, [2, 3], False),
        (OverlapPolicy.SKIP, False, None, [], [], None, [], False),
        (OverlapPolicy.BUFFER_ONE, True, None, [1, 2, 3], [], 1, [2, 3], False),
        (OverlapPolicy.BUFFER_ONE, True, 0, [1], [], 0, [1], False),
        (OverlapPolicy.BUFFER_ONE, True, 0, [], [], 0, [], False),
        (OverlapPolicy.BUFFER_ONE, False, 0, [], [0], None, [], False),
        (OverlapPolicy.BUFFER_ONE, False, 0, [1, 2], [0], 1, [2], False),
        (OverlapPolicy.BUFFER_ONE, False, None, [1], [1], None, [], False),
        (OverlapPolicy.CANCEL_PREVIOUS, True, None, [1], [1], None, [], True),
        (OverlapPolicy.CANCEL_PREVIOUS, True, None, [1, 2, 3], [3], None, [1, 2], True),
        (OverlapPolicy.CANCEL_PREVIOUS, False, None, [1, 2], [2], None, [1], False),
        (OverlapPolicy.CANCEL_PREVIOUS, True, None, [], [], None, [], False),
    ],
)
def test_overlap_decisions(policy, live, buffered, due, fire, held, skipped, cancel) -> None:
    result = overlap(policy, live, at(buffered) if buffered is not None else None, map(at, due))
    assert result.fire == [at(m) for m in fire]
    assert result.buffered == (at(held) if held is not None else None)
    assert result.skipped == [at(m) for m in skipped]
    assert result.cancel_live is cancel


def test_every_due_occurrence_is_fired_held_or_skipped_once() -> None:
    due = [at(m) for m in range(1, 6)]
    for policy in OverlapPolicy:
        for live in (True, False):
            for buffered in (None, at(0)):
                r = overlap(policy, live, buffered, due)
                kept = [*r.fire, *r.skipped, *([r.buffered] if r.buffered else [])]
                assert sorted(kept) == sorted([*due, *([buffered] if buffered else [])])


# --- failures in a row ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "runs", "limit", "count", "reached"),
    [
        (0, [False, False], 2, 2, 2),
        (0, [False, True, False], 2, 1, None),
        (1, [False], 2, 2, 2),
        (0, [False, False, True], 2, 0, 2),  # reached on the way: still a pause
        (4, [False], 2, 5, 5),  # lowered below the count: the next failure pauses
        (0, [False] * 5, None, 5, None),  # counted, never paused
        (3, [True], 1, 0, None),
        (0, [True, False, False, True], 2, 0, 2),  # between two successes
        (1, [False, True, False], 3, 1, None),
        (3, [True, False], 2, 1, None),  # the success ended the old streak
    ],
)
def test_failures_in_a_row(start, runs, limit, count, reached) -> None:
    e = ends(runs)  # the store adds e.lead to the stored count
    assert after_ends(e, start + e.lead, limit) == (count, reached)


def test_ends_of_one_transaction() -> None:
    assert ends([]) == Ends(0, None, 0)
    assert ends([False, False]) == Ends(2, None, 0)
    assert ends([False, True, False, False, True, False]) == Ends(1, 1, 2)
    assert ends([True, True]) == Ends(0, 0, 0)


def test_pause_reason_and_bounds() -> None:
    assert pause_reason(3) == "paused after 3 consecutive failed runs"
    assert check_pause_after_failures(None) is None and check_pause_after_failures(1) == 1
    for bad in (0, -1, 1001):
        with pytest.raises(InvalidInput) as err:
            check_pause_after_failures(bad)
        assert err.value.details == {"field": "pauseAfterFailures"}


# --- backfill ranges ------------------------------------------------------------------


def test_backfill_ranges_are_past_and_ordered() -> None:
    assert backfill_range(at(0), at(5), NOW + timedelta(hours=1)) == (at(0), at(5))
    cases = [
        (at(5), at(0), "from", "from must not be after to"),
        (at(0), NOW + timedelta(seconds=1), "to", "is in the future"),
        (at(0).replace(tzinfo=None), at(5), "from", "UTC offset"),
        (datetime(1900, 1, 1, tzinfo=UTC), at(5), "from", "must be from"),
    ]
    for start, end, field, needle in cases:
        with pytest.raises(InvalidInput) as err:
            backfill_range(start, end, NOW)
        assert err.value.details["field"] == field and needle in err.value.message


def test_occurrences_between_bounds_included() -> None:
    rec = compile_recurrence(ScheduleKind.CRON, "*/15 * * * *", "UTC", NOW)
    start, end = at(0, 6), at(0, 7)
    assert rec.between(start, end, 100) == [at(m, 6) for m in (0, 15, 30, 45)] + [end]
    assert rec.between(start, end, 2) == [at(0, 6), at(15, 6)]
    assert rec.count_between(start, end) == 5
    assert rec.between(end, start, 10) == [] and rec.count_between(end, start) == 0
    every = compile_recurrence(ScheduleKind.RECURRING, "1h", "UTC", at(0, 1))
    # counted from the anchor: nothing before it
    assert every.between(at(0, 0), at(30, 3), 10) == [at(0, 2), at(0, 3)]
    assert every.count_between(at(0, 0), at(0, 9)) == 8
