"""Property: cron occurrences are strictly increasing, and around every DST transition
each matching wall-clock minute fires exactly as the DST policy says.

The reference is brute force and independent of the module: it scans every UTC minute
of a few days around each transition, reads its wall time, and derives what must
fire: a wall minute that exists fires at its first instant; one that does not fires
at the first instant whose wall time is later (the transition).
"""

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate, pairwise
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from taskforge.domain.enums import ScheduleKind
from taskforge.domain.schedules import compile_recurrence

ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kolkata",
]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
HORIZON = timedelta(days=730)
MINUTE = timedelta(minutes=1)
MARGIN = timedelta(hours=6)  # brute-force edges where the reference is incomplete


@st.composite
def values(draw, low: int, high: int, most: int, top: int) -> tuple[str, set[int]]:
    """A cron field (list, range or step) over low..high with at most ``most`` values,
    and its set; ``top`` is the field's maximum, so that ``*/n`` is written only when it
    means exactly these values."""
    shape = draw(st.sampled_from(["list", "range", "step"]))
    if shape == "list":
        chosen = draw(st.sets(st.integers(low, high), min_size=1, max_size=most))
        return ",".join(map(str, sorted(chosen))), chosen
    if shape == "range":
        start = draw(st.integers(low, high))
        end = draw(st.integers(start, min(high, start + most - 1)))
        text = f"{start}-{end}" if end > start else str(start)  # "3-3" is refused
        return text, set(range(start, end + 1))
    step = draw(st.integers(-(-(high - low + 1) // most), high - low + 1))
    start = draw(st.integers(low, low + step - 1))
    if start == high:
        text = str(start)
    elif start == 0 and high == top:
        text = f"*/{step}"
    elif high == top and draw(st.booleans()):
        text = f"{start}/{step}"  # runs to the field's end
    else:
        text = f"{start}-{high}/{step}"
    return text, set(range(start, high + 1, step))


@st.composite
def cron_cases(draw):
    # at most 6 a day keeps two years of occurrences cheap; hours are often the
    # ones DST moves (01:00-03:00)
    minute_text, minutes = draw(values(0, 59, 2, 59))
    hour_text, hours = draw(
        st.one_of(
            st.sampled_from([("1", {1}), ("2", {2}), ("1,2", {1, 2}), ("1-2", {1, 2})]),
            values(0, 3, 2, 23),
            values(0, 23, 3, 23),
        )
    )
    if draw(st.integers(0, 2)):
        dow_text, dows = "*", set(range(7))
    else:
        dows = draw(st.sets(st.integers(0, 6), min_size=1, max_size=6))
        dow_text = ",".join(DAYS[d] for d in sorted(dows))
    expression = f"{minute_text} {hour_text} * * {dow_text}"
    if draw(st.booleans()):
        expression = "0 " + expression  # the 6-field form, seconds first
    return expression, minutes, hours, dows


def transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Hours (UTC) in which the zone's offset changes."""
    found, at = [], start.replace(minute=0, second=0, microsecond=0)
    offset = at.astimezone(tz).utcoffset()
    while at < end:
        at += timedelta(hours=1)
        if (new := at.astimezone(tz).utcoffset()) != offset:
            found.append(at)
            offset = new
    return found


def expected_in(window_start: datetime, tz: ZoneInfo, matches) -> list[datetime]:
    """What must fire in [window_start + MARGIN, window_start + 3 days - MARGIN]."""
    instants = [window_start + k * MINUTE for k in range(3 * 24 * 60)]
    walls = [i.astimezone(tz).replace(tzinfo=None) for i in instants]
    first: dict[datetime, datetime] = {}
    for instant, wall in zip(instants, walls, strict=True):
        first.setdefault(wall, instant)
    highest = list(accumulate(walls, max))
    fired = set()
    wall = walls[0]
    while wall <= highest[-1]:
        if matches(wall):
            if wall in first:
                fired.add(first[wall])
            else:  # a gap: the first instant whose wall time is later
                index = bisect_right(highest, wall)
                if index < len(instants):
                    fired.add(instants[index])
        wall += MINUTE
    lo, hi = window_start + MARGIN, window_start + timedelta(days=3) - MARGIN
    return sorted(i for i in fired if lo < i <= hi)


@settings(max_examples=30, deadline=None)
@given(
    case=cron_cases(),
    tz_name=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2024, 1, 1), datetime(2030, 1, 1)),
    probes=st.lists(st.integers(0, 2 * 24 * 60 * 60), min_size=1, max_size=5),
)
# every gap and fold of the four DST zones, with minutes on both sides of :30
@example(
    ("0,25,45 1-2 * * *", {0, 25, 45}, {1, 2}, set(range(7))),
    "America/New_York",
    datetime(2025, 6, 1),
    [0],
)
@example(
    ("0 */15 1-2 * * *", {0, 15, 30, 45}, {1, 2}, set(range(7))),
    "Australia/Lord_Howe",
    datetime(2025, 6, 1),
    [0],
)
@example(("10,40 1 * * SUN", {10, 40}, {1}, {0}), "Europe/Dublin", datetime(2025, 6, 1), [0])
@example(("10,40 1 * * SUN", {10, 40}, {1}, {0}), "Europe/London", datetime(2025, 6, 1), [0])
def test_cron_occurrences_follow_the_dst_policy(case, tz_name, start, probes) -> None:
    expression, minutes, hours, dows = case
    tz = ZoneInfo(tz_name)
    start = start.replace(tzinfo=UTC)
    rec = compile_recurrence(ScheduleKind.CRON, expression, tz_name, start)

    # two years of next_after: strictly increasing, no duplicates, all in UTC
    seen: list[datetime] = []
    at = start
    while at < start + HORIZON:
        chunk = rec.upcoming(at, 500)
        assert chunk, "a cron that fires daily or weekly never runs out"
        assert rec.next_after(at) == chunk[0]
        seen.extend(chunk)
        at = chunk[-1]
    assert all(t.tzinfo is UTC for t in seen)
    assert all(a < b for a, b in pairwise(seen))

    def matches(wall: datetime) -> bool:
        return (
            wall.minute in minutes
            and wall.hour in hours
            and (wall.weekday() + 1) % 7 in dows  # cron counts Sunday as 0
        )

    # brute force around every transition in the window (or one ordinary day)
    around = transitions(tz, start, start + HORIZON) or [start + HORIZON / 2]
    for transition in around:
        window = (transition - timedelta(days=1, hours=12)).replace(second=0, microsecond=0)
        expected = expected_in(window, tz, matches)
        lo, hi = window + MARGIN, window + timedelta(days=3) - MARGIN
        fired = [t for t in seen if lo < t <= hi]
        if start < lo and hi <= seen[-1]:
            assert fired == expected, (expression, tz_name, transition)
        got = rec.upcoming(lo, len(expected) + 1)
        assert got[: len(expected)] == expected, (expression, tz_name)
        assert len(got) == len(expected) or got[-1] > hi
        # next_after from anywhere in the window, including inside a repeated hour
        fixed = [transition + k * timedelta(minutes=20) for k in range(-6, 7)]
        for probe in fixed + [lo + timedelta(seconds=s) for s in probes]:
            later = [t for t in expected if t > probe]
            if later:
                assert rec.next_after(probe) == later[0], (expression, tz_name, probe)
