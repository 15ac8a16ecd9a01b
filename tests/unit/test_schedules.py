"""Schedule expressions: intervals, RFC 3339 times, cron, DST policy, misfire plans.

Every expected instant below is written out in UTC and was worked out by hand from
the zone's rules for 2026 (noted next to each case).
"""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from taskforge.domain.enums import MisfirePolicy, ScheduleKind
from taskforge.domain.errors import InvalidInput
from taskforge.domain.schedules import (
    COUNT_LIMIT,
    FirePlan,
    compile_recurrence,
    parse_interval,
    parse_once,
    plan,
    validate_cron,
    zone,
)

NY = "America/New_York"
LONDON = "Europe/London"
DUBLIN = "Europe/Dublin"
LORD_HOWE = "Australia/Lord_Howe"


def u(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def cron(expression: str, tz: str = "UTC"):
    return compile_recurrence(ScheduleKind.CRON, expression, tz, u(2020, 1, 1))


def every(expression: str, anchor: datetime):
    return compile_recurrence(ScheduleKind.RECURRING, expression, "UTC", anchor)


# --- intervals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86_400),
        ("1w", 604_800),
        ("1h30m", 5400),
        ("1d12h", 129_600),
        ("90s", 90),
        ("1H 30M", 5400),
        ("  2h  15m 10s ", 8110),
        ("366d", 366 * 86_400),
        ("0h1s", 1),
    ],
)
def test_intervals(text, seconds) -> None:
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "interval cannot be empty"),
        ("   ", "interval cannot be empty"),
        ("abc", "interval 'abc' is not a duration like '30s', '15m', '2h', '1d' or '1h30m'"),
        ("1.5h", "interval '1.5h' is not a duration like"),
        ("-5m", "interval '-5m' is not a duration like"),
        ("15", "interval '15' is not a duration like"),
        ("h", "interval 'h' is not a duration like"),
        ("5x", "interval '5x' has an unknown unit 'x'; use s, m, h, d or w"),
        ("1hour", "interval '1hour' has an unknown unit 'hour'"),
        ("1h2h", "interval '1h2h' repeats the unit 'h'"),
        ("0s", "interval '0s' must be at least 1 second"),
        ("0h0m", "interval '0h0m' must be at least 1 second"),
        ("367d", "interval '367d' must be at most 366 days"),
        ("53w", "interval '53w' must be at most 366 days"),
        ("99999999999999999999999d", "must be at most 366 days"),
    ],
)
def test_bad_intervals(text, message) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_interval(text)
    assert message in err.value.message
    assert err.value.details == {"field": "expression"}


# --- timezones and one-off times ------------------------------------------------------


def test_zone() -> None:
    assert zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    for bad in ["Mars/Base", "", "America", "utc", "../etc/passwd", "/etc/passwd", "localtime"]:
        with pytest.raises(InvalidInput) as err:
            zone(bad)
        assert err.value.details == {"field": "timezone"}
        assert f"unknown timezone '{bad}'" in err.value.message


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-12-01T09:00:00Z", "UTC", u(2026, 12, 1, 9)),
        ("2026-12-01T09:00:00Z", NY, u(2026, 12, 1, 9)),  # an offset wins over the zone
        ("2026-12-01t09:00:00z", "UTC", u(2026, 12, 1, 9)),
        ("2026-12-01 09:00:00+02:00", "UTC", u(2026, 12, 1, 7)),
        ("2026-12-01T09:00:00-05:30", "UTC", u(2026, 12, 1, 14, 30)),
        ("2026-12-01T09:00:00.250Z", "UTC", u(2026, 12, 1, 9, 0, 0, 250_000)),
        ("2026-12-01T09:00", "UTC", u(2026, 12, 1, 9)),
        ("2026-12-01T09:00:00", NY, u(2026, 12, 1, 14)),  # EST, -05:00
        ("2026-07-01T09:00:00", NY, u(2026, 7, 1, 13)),  # EDT, -04:00
        ("2026-06-01T09:00:00", "Asia/Kolkata", u(2026, 6, 1, 3, 30)),
        ("2026-03-08T02:30:00", NY, u(2026, 3, 8, 7)),  # gap: the transition, 03:00 EDT
        ("2026-11-01T01:30:00", NY, u(2026, 11, 1, 5, 30)),  # fold: first pass, EDT
    ],
)
def test_once(text, tz, expected) -> None:
    parsed = parse_once(text, ZoneInfo(tz))
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow", "time 'tomorrow' is not RFC 3339, e.g. '2026-12-01T09:00:00Z'"),
        ("2026-12-01", "time '2026-12-01' is not RFC 3339"),
        ("2026-12-01T09:00:00+0200", "time '2026-12-01T09:00:00+0200' is not RFC 3339"),
        ("2026-13-01T00:00:00Z", "time '2026-13-01T00:00:00Z' is not a valid date and time"),
        ("2026-02-30T00:00:00Z", "time '2026-02-30T00:00:00Z' is not a valid date and time"),
        ("2026-12-31T23:59:60Z", "is not a valid date and time"),
    ],
)
def test_bad_once(text, message) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_once(text, ZoneInfo("UTC"))
    assert message in err.value.message
    assert err.value.details == {"field": "expression"}


def test_once_recurrence_and_the_past() -> None:
    rec = compile_recurrence(ScheduleKind.ONCE, " 2026-12-01T09:00:00+01:00 ", NY, u(2026, 1, 1))
    at = u(2026, 12, 1, 8)
    assert rec.next_after(u(2026, 1, 1)) == at
    assert rec.upcoming(u(2026, 1, 1), 5) == [at]
    assert rec.next_after(at) is None  # strictly after
    assert rec.next_after(u(2027, 1, 1)) is None  # already passed
    assert rec.upcoming(u(2027, 1, 1), 5) == []


def test_compile_rejects_bad_input_with_the_field() -> None:
    cases = [
        (ScheduleKind.RECURRING, "often", "UTC", "expression"),
        (ScheduleKind.ONCE, "soon", "UTC", "expression"),
        (ScheduleKind.CRON, "* * *", "UTC", "expression"),
        (ScheduleKind.CRON, "* * * * *", "Nowhere/City", "timezone"),
    ]
    for kind, expression, tz, field in cases:
        with pytest.raises(InvalidInput) as err:
            compile_recurrence(kind, expression, tz, u(2026, 1, 1))
        assert err.value.details == {"field": field}
    with pytest.raises(ValueError, match="timezone-aware"):
        compile_recurrence(ScheduleKind.RECURRING, "1h", "UTC", datetime(2026, 1, 1))


# --- cron --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # 6 fields: seconds first
        (
            "*/1 * * * * *",
            u(2026, 1, 1, 10, 0, 0, 500_000),
            [u(2026, 1, 1, 10, 0, 1), u(2026, 1, 1, 10, 0, 2), u(2026, 1, 1, 10, 0, 3)],
        ),
        (
            "15,45 * * * * *",
            u(2026, 1, 1, 10),
            [u(2026, 1, 1, 10, 0, 15), u(2026, 1, 1, 10, 0, 45), u(2026, 1, 1, 10, 1, 15)],
        ),
        # 2026-01-02 is a Friday, 2026-01-05 a Monday
        (
            "0 */15 9-17 * * MON-FRI",
            u(2026, 1, 2, 17, 50),
            [u(2026, 1, 5, 9), u(2026, 1, 5, 9, 15)],
        ),
        (
            "5,35 8,20 * * *",
            u(2026, 1, 1),
            [u(2026, 1, 1, 8, 5), u(2026, 1, 1, 8, 35), u(2026, 1, 1, 20, 5)],
        ),
        (
            "10-50/20 * * * *",
            u(2026, 1, 1),
            [u(2026, 1, 1, 0, 10), u(2026, 1, 1, 0, 30), u(2026, 1, 1, 0, 50)],
        ),
        ("0 12 1 jan,JUL *", u(2026, 1, 1), [u(2026, 1, 1, 12), u(2026, 7, 1, 12)]),
        ("0 0 * * sat,7", u(2026, 1, 1), [u(2026, 1, 3), u(2026, 1, 4), u(2026, 1, 10)]),
        ("0 0 L * *", u(2026, 1, 1), [u(2026, 1, 31), u(2026, 2, 28)]),
        ("0 9 * * FRI#2", u(2026, 1, 1), [u(2026, 1, 9, 9), u(2026, 2, 13, 9)]),
        ("0 9 * * L5", u(2026, 1, 1), [u(2026, 1, 30, 9), u(2026, 2, 27, 9)]),
        ("  0   0  1 * *  ", u(2026, 1, 1), [u(2026, 2, 1), u(2026, 3, 1)]),
    ],
)
def test_cron_sequences(expression, after, expected) -> None:
    validate_cron(expression)
    assert cron(expression).upcoming(after, len(expected)) == expected


def test_cron_in_a_timezone() -> None:
    assert cron("0 9 * * *", "Asia/Kolkata").next_after(u(2026, 1, 1)) == u(2026, 1, 1, 3, 30)
    rec = cron("0 9 * * *", NY)
    assert rec.next_after(u(2026, 1, 10)) == u(2026, 1, 10, 14)  # EST
    assert rec.next_after(u(2026, 7, 10)) == u(2026, 7, 10, 13)  # EDT
    # `after` may come in any zone; the answer is in UTC
    after = datetime(2026, 7, 10, 9, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert rec.next_after(after) == u(2026, 7, 11, 13)
    assert rec.next_after(after).tzinfo is UTC


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "cron expression cannot be empty"),
        ("* * * *", "cron expression needs 5 or 6 fields, got 4"),
        ("* * * * * * *", "cron expression needs 5 or 6 fields, got 7"),
        ("@reboot", "cron macro '@reboot' is not one of @yearly, @annually, @monthly"),
        ("@daily 5", "cron expression needs 5 or 6 fields, got 2"),
        ("0 0 25 * * *", "cron field 3 (hour) '25' is out of range 0-23"),
        ("0 25 * * *", "cron field 2 (hour) '25' is out of range 0-23"),
        ("60 * * * *", "cron field 1 (minute) '60' is out of range 0-59"),
        ("60 0 * * * *", "cron field 1 (second) '60' is out of range 0-59"),
        ("0 0 0 * *", "cron field 3 (day-of-month) '0' is out of range 1-31"),
        ("0 0 * 13 *", "cron field 4 (month) '13' is out of range 1-12"),
        ("0 0 * 1-13 *", "cron field 4 (month) '13' is out of range 1-12"),
        ("0 0 * * 8", "cron field 5 (day-of-week) '8' is out of range 0-7"),
        ("0 0 * * 9#2", "cron field 5 (day-of-week) '9' is out of range 0-7"),
        ("0 0 * foo *", "cron field 4 (month) 'foo' is not a number or name"),
        ("0 0 * * MONDAY", "cron field 5 (day-of-week) 'MONDAY' is not a number or name"),
        ("a * * * *", "cron field 1 (minute) 'a' is not a number"),
        ("H * * * *", "cron field 1 (minute) 'H' is not a number"),
        ("*/0 * * * *", "cron field 1 (minute) '*/0' has a step of 0"),
        ("1,,2 * * * *", "cron field 1 (minute) '1,,2' has an empty list item"),
        ("0 3-3 * * *", "cron field 2 (hour) range '3-3' has equal ends; write '3'"),
        ("0 0 * * MON-1/2", "cron field 5 (day-of-week) range 'MON-1' has equal ends; write '1'"),
        ("0 1-2-3 * * *", "cron field 2 (hour) '1-2-3' is not a value, range, list or step"),
        ("0 0 31 2 *", "cron expression '0 0 31 2 *' is not valid: "),
        ("0 0 * * SUN,L5", "cron expression '0 0 * * SUN,L5' is not valid: "),
    ],
)
def test_bad_cron(expression, message) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_cron(expression)
    assert message in err.value.message
    assert err.value.details == {"field": "expression"}


# --- DST policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "tz", "after", "expected"),
    [
        # New York 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00 UTC. 02:30 does not exist
        # and fires at the transition; the next day 02:30 EDT is 06:30 UTC.
        (
            "30 2 * * *",
            NY,
            u(2026, 3, 7),
            [u(2026, 3, 7, 7, 30), u(2026, 3, 8, 7), u(2026, 3, 9, 6, 30)],
        ),
        # 02:00, 02:15, 02:30, 02:45 all land on 07:00 UTC: one firing
        ("*/15 2 * * *", NY, u(2026, 3, 8), [u(2026, 3, 8, 7), u(2026, 3, 9, 6)]),
        # ... and so does the real 03:00 EDT
        ("0,30 2,3 * * *", NY, u(2026, 3, 8), [u(2026, 3, 8, 7), u(2026, 3, 8, 7, 30)]),
        # New York 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:00-02:00 runs twice,
        # fired on the first (EDT) pass only, then 02:00 EST is 07:00 UTC.
        (
            "*/20 1-2 * * *",
            NY,
            u(2026, 11, 1),
            [
                u(2026, 11, 1, 5),
                u(2026, 11, 1, 5, 20),
                u(2026, 11, 1, 5, 40),
                u(2026, 11, 1, 7),
                u(2026, 11, 1, 7, 20),
                u(2026, 11, 1, 7, 40),
                u(2026, 11, 2, 6),
            ],
        ),
        # London 2026-03-29: 01:00 GMT -> 02:00 BST at 01:00 UTC; 01:30 fires then.
        ("30 1 * * *", LONDON, u(2026, 3, 28, 12), [u(2026, 3, 29, 1), u(2026, 3, 30, 0, 30)]),
        # London 2026-10-25: 02:00 BST -> 01:00 GMT at 01:00 UTC; 01:30 BST is 00:30 UTC.
        (
            "30 1 * * *",
            LONDON,
            u(2026, 10, 24, 12),
            [u(2026, 10, 25, 0, 30), u(2026, 10, 26, 1, 30)],
        ),
        # Dublin: same clocks as London, though tzdata calls winter the DST period.
        ("30 1 * * *", DUBLIN, u(2026, 3, 28, 12), [u(2026, 3, 29, 1), u(2026, 3, 30, 0, 30)]),
        (
            "30 1 * * *",
            DUBLIN,
            u(2026, 10, 24, 12),
            [u(2026, 10, 25, 0, 30), u(2026, 10, 26, 1, 30)],
        ),
        # Lord Howe 2026-04-05: 02:00 (+11) -> 01:30 (+10:30) at 15:00 UTC; 01:30-02:00
        # runs twice, fired on the first (+11) pass only.
        (
            "*/15 1-2 * * *",
            LORD_HOWE,
            u(2026, 4, 4, 14),  # 01:00 +11
            [
                u(2026, 4, 4, 14, 15),  # 01:15 +11
                u(2026, 4, 4, 14, 30),  # 01:30 +11
                u(2026, 4, 4, 14, 45),  # 01:45 +11
                u(2026, 4, 4, 15, 30),  # 02:00 +10:30
                u(2026, 4, 4, 15, 45),
                u(2026, 4, 4, 16),
                u(2026, 4, 4, 16, 15),  # 02:45 +10:30
                u(2026, 4, 5, 14, 30),  # next day 01:00 +10:30
            ],
        ),
        # Lord Howe 2026-10-04: 02:00 (+10:30) -> 02:30 (+11) at 15:30 UTC; 02:00 and
        # 02:15 do not exist and, with the real 02:30, fire once at 15:30 UTC.
        (
            "*/15 1-2 * * *",
            LORD_HOWE,
            u(2026, 10, 3, 14),  # 00:30 +10:30
            [
                u(2026, 10, 3, 14, 30),  # 01:00 +10:30
                u(2026, 10, 3, 14, 45),
                u(2026, 10, 3, 15),
                u(2026, 10, 3, 15, 15),  # 01:45 +10:30
                u(2026, 10, 3, 15, 30),  # 02:00, 02:15, 02:30
                u(2026, 10, 3, 15, 45),  # 02:45 +11
                u(2026, 10, 4, 14),  # next day 01:00 +11
            ],
        ),
    ],
)
def test_dst_policy(expression, tz, after, expected) -> None:
    rec = cron(expression, tz)
    assert rec.upcoming(after, len(expected)) == expected
    # next_after, step by step, walks the same sequence
    step, walked = after, []
    for _ in expected:
        step = rec.next_after(step)
        walked.append(step)
    assert walked == expected


def test_next_after_from_inside_a_gap() -> None:
    rec = cron("*/10 * * * *", NY)
    # 01:59:30 EST, just before the gap: 02:00 does not exist and fires at 03:00 EDT
    assert rec.next_after(u(2026, 3, 8, 6, 59, 30)) == u(2026, 3, 8, 7)
    # at the transition itself, 02:00-02:50 have all fired: next is 03:10 EDT
    assert rec.next_after(u(2026, 3, 8, 7)) == u(2026, 3, 8, 7, 10)
    # a wall time inside the gap handed in as `after` is read as Python reads it
    # (fold=0: EST), i.e. 02:30 EST = 07:30 UTC = 03:30 EDT
    assert rec.next_after(datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo(NY))) == u(2026, 3, 8, 7, 40)
    # Lord Howe: 02:00-02:30 missing
    lh = cron("0 2 * * *", LORD_HOWE)
    assert lh.next_after(u(2026, 10, 3, 15, 29)) == u(2026, 10, 3, 15, 30)
    assert lh.next_after(u(2026, 10, 3, 15, 30)) == u(2026, 10, 4, 15)  # 02:00 +11


def test_next_after_from_inside_a_fold() -> None:
    rec = cron("*/20 * * * *", NY)
    # 01:10 EDT, first pass: 01:20 EDT
    assert rec.next_after(u(2026, 11, 1, 5, 10)) == u(2026, 11, 1, 5, 20)
    # 01:10 EST, second pass: 01:20 and 01:40 fired in the first pass; next 02:00 EST
    assert rec.next_after(u(2026, 11, 1, 6, 10)) == u(2026, 11, 1, 7)
    assert rec.upcoming(u(2026, 11, 1, 6, 10), 2) == [u(2026, 11, 1, 7), u(2026, 11, 1, 7, 20)]
    assert cron("*/20 1 * * *", NY).next_after(u(2026, 11, 1, 6, 10)) == u(2026, 11, 2, 6)
    # Dublin's fold (01:00-02:00 on 2026-10-25), from the second pass (01:15 GMT)
    assert cron("30 1 * * *", DUBLIN).next_after(u(2026, 10, 25, 1, 15)) == u(2026, 10, 26, 1, 30)


# --- recurring -----------------------------------------------------------------------------


def test_recurring_counts_from_the_anchor() -> None:
    anchor = u(2026, 1, 1, 0, 0, 7)
    rec = every("15m", anchor)
    assert rec.next_after(anchor - timedelta(days=3)) == anchor + timedelta(minutes=15)
    assert rec.next_after(anchor) == anchor + timedelta(minutes=15)
    assert rec.next_after(anchor + timedelta(minutes=15)) == anchor + timedelta(minutes=30)
    assert rec.next_after(anchor + timedelta(minutes=20)) == anchor + timedelta(minutes=30)
    assert rec.upcoming(anchor + timedelta(hours=5, seconds=1), 3) == [
        anchor + timedelta(hours=5, minutes=m) for m in (15, 30, 45)
    ]
    assert rec.upcoming(anchor, 0) == []


def test_recurring_intervals_are_elapsed_time_across_dst() -> None:
    # a daily interval in New York keeps 24 h steps: 07:00 EST becomes 08:00 EDT
    anchor = datetime(2026, 3, 7, 7, tzinfo=ZoneInfo(NY))
    rec = compile_recurrence(ScheduleKind.RECURRING, "1d", NY, anchor)
    assert rec.anchor == u(2026, 3, 7, 12)
    assert rec.upcoming(anchor, 2) == [u(2026, 3, 8, 12), u(2026, 3, 9, 12)]


# --- misfire plans --------------------------------------------------------------------------

A = u(2026, 1, 1)
MINUTELY = every("1m", A)
M = [A + timedelta(minutes=k) for k in range(12)]  # M[k]: the k-th occurrence (k >= 1)
LATE = A + timedelta(minutes=10, seconds=30)  # due: M[1] .. M[10]


@pytest.mark.parametrize(
    ("policy", "grace", "cap", "expected"),
    [
        (MisfirePolicy.SKIP, timedelta(minutes=3), 100, FirePlan(M[8:11], M[11], 7)),
        (MisfirePolicy.SKIP, timedelta(seconds=10), 100, FirePlan([], M[11], 10)),
        (MisfirePolicy.SKIP, timedelta(hours=1), 4, FirePlan(M[7:11], M[11], 6)),
        (MisfirePolicy.FIRE_ONCE, timedelta(0), 100, FirePlan([M[10]], M[11], 9)),
        # on time ones always fire; the missed ones get no extra run beside them
        (MisfirePolicy.FIRE_ONCE, timedelta(minutes=3), 100, FirePlan(M[8:11], M[11], 7)),
        (MisfirePolicy.FIRE_ALL, timedelta(0), 100, FirePlan(M[1:11], M[11], 0)),
        (MisfirePolicy.FIRE_ALL, timedelta(minutes=3), 100, FirePlan(M[1:11], M[11], 0)),
        (MisfirePolicy.FIRE_ALL, timedelta(0), 4, FirePlan(M[7:11], M[11], 6)),
    ],
)
def test_plan_policies(policy, grace, cap, expected) -> None:
    assert plan(MINUTELY, M[1], LATE, policy, grace, cap) == expected


@pytest.mark.parametrize("policy", list(MisfirePolicy))
def test_plan_on_time_and_early(policy) -> None:
    assert plan(MINUTELY, M[1], M[1], policy, timedelta(0)) == FirePlan([M[1]], M[2], 0)
    assert plan(MINUTELY, M[2], M[1], policy, timedelta(0)) == FirePlan([], M[2], 0)


def test_plan_once_finishes() -> None:
    rec = compile_recurrence(ScheduleKind.ONCE, "2026-01-01T00:05:00Z", "UTC", A)
    at = A + timedelta(minutes=5)
    late = at + timedelta(hours=2)
    assert plan(rec, at, late, MisfirePolicy.FIRE_ONCE, timedelta(0)) == FirePlan([at], None, 0)
    assert plan(rec, at, late, MisfirePolicy.SKIP, timedelta(minutes=1)) == FirePlan([], None, 1)


def test_plan_a_recurring_year_of_seconds_is_arithmetic() -> None:
    anchor = u(2025, 1, 1)
    now = u(2026, 1, 1)  # 31,536,000 seconds later
    rec = every("1s", anchor)
    due = anchor + timedelta(seconds=1)
    result = plan(rec, due, now, MisfirePolicy.FIRE_ONCE, timedelta(0))
    assert result == FirePlan([now], now + timedelta(seconds=1), 31_535_999)
    # with a grace, the last five minutes were on time: they fire, capped at 100
    result = plan(rec, due, now, MisfirePolicy.FIRE_ONCE, timedelta(minutes=5))
    assert result.fire == [now - timedelta(seconds=s) for s in range(99, -1, -1)]
    result = plan(rec, due, now, MisfirePolicy.FIRE_ALL, timedelta(0), cap=100)
    assert result.fire == [now - timedelta(seconds=s) for s in range(99, -1, -1)]
    assert result.skipped == 31_536_000 - 100


def test_plan_a_cron_year_of_seconds_is_bounded() -> None:
    rec = cron("*/1 * * * * *")
    now = u(2026, 1, 1, 0, 0, 0, 300_000)
    result = plan(rec, u(2025, 1, 1), now, MisfirePolicy.FIRE_ALL, timedelta(0), cap=100)
    assert result.fire == [u(2026, 1, 1) - timedelta(seconds=s) for s in range(99, -1, -1)]
    assert result.next_run_at == u(2026, 1, 1, 0, 0, 1)
    assert result.skipped == 1 + COUNT_LIMIT - 100  # a lower bound past the limit


def test_plan_cron_across_a_fold() -> None:
    # New York, 00:00-02:40 every 20 minutes: 9 a day. Due from 2026-10-01 00:00 EDT;
    # now is 01:30 EST on 2026-11-01 (second pass): October gives 31 * 9 = 279,
    # November 1st 00:00..01:40 EDT gives 6 (the second pass adds none): 285 due.
    rec = cron("*/20 0-2 * * *", NY)
    now = u(2026, 11, 1, 6, 30)
    result = plan(rec, u(2026, 10, 1, 4), now, MisfirePolicy.FIRE_ALL, timedelta(0), cap=3)
    fired = [u(2026, 11, 1, 5), u(2026, 11, 1, 5, 20), u(2026, 11, 1, 5, 40)]
    assert result == FirePlan(fired, u(2026, 11, 1, 7), 282)
    once = plan(rec, u(2026, 10, 1, 4), now, MisfirePolicy.FIRE_ONCE, timedelta(0))
    assert once == FirePlan([u(2026, 11, 1, 5, 40)], u(2026, 11, 1, 7), 284)
    skip = plan(rec, u(2026, 10, 1, 4), now, MisfirePolicy.SKIP, timedelta(hours=1))
    assert skip == FirePlan([u(2026, 11, 1, 5, 40)], u(2026, 11, 1, 7), 284)


def test_plan_rejects_naive_times_and_a_zero_cap() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(MINUTELY, M[1], datetime(2026, 1, 1), MisfirePolicy.SKIP, timedelta(0))
    with pytest.raises(ValueError, match="cap"):
        plan(MINUTELY, M[1], LATE, MisfirePolicy.FIRE_ALL, timedelta(0), cap=0)


def test_no_drift_over_a_thousand_late_runs() -> None:
    anchor = u(2026, 1, 1, 0, 0, 13)
    interval = timedelta(minutes=7)
    rec = every("7m", anchor)
    due = rec.next_after(anchor)
    for i in range(1000):
        # late by 0 s to ~20 min, so some ticks miss several occurrences
        now = due + timedelta(seconds=(i * 7919) % 1200)
        result = plan(rec, due, now, MisfirePolicy.FIRE_ONCE, timedelta(minutes=1))
        assert len(result.fire) == 1  # a 7-minute interval has at most one run in grace
        for instant in [*result.fire, result.next_run_at]:
            assert (instant - anchor) % interval == timedelta(0)
        assert now < result.next_run_at <= now + interval
        due = result.next_run_at
    assert (due - anchor) % interval == timedelta(0)
    assert due > anchor + 1000 * interval
