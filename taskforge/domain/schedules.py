"""Schedule expressions: parsing, occurrence sequences and misfire planning (seed 001).

A schedule is ONCE (an RFC 3339 time), RECURRING (a fixed interval counted from its
anchor, in elapsed time, so intervals ignore DST) or CRON (5 fields, 6 with the seconds
first, or a macro such as ``@daily``, matched in the wall-clock time of an IANA timezone).

DST policy for CRON, applied to each matching wall-clock time:
- a wall time that does not exist (spring-forward gap) fires at the first valid
  instant after it, the transition itself: 02:30 on a US spring-forward day fires at
  03:00 EDT; several nonexistent times that land on the same instant fire once;
- a wall time that occurs twice (fall back) fires once, at its first instant
  (fold=0); the second pass through the repeated hour fires nothing again.
Occurrences are therefore strictly increasing instants. Gaps and folds are found
from actual ``utcoffset`` changes (round trips through the zone), never from
``dst()``, so 30-minute shifts (Australia/Lord_Howe) and tzdata's negative DST
(Europe/Dublin) need no special case. croniter only ever sees naive wall times.

Everything is pure: every function takes the times it needs; results are in UTC.
``plan`` enumerates lazily: RECURRING counts with arithmetic; CRON walks back from
``now`` for the occurrences to fire and counts the skipped ones forward only up to
``COUNT_LIMIT`` (beyond it ``skipped`` is a lower bound).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from taskforge.domain.enums import MisfirePolicy, ScheduleKind
from taskforge.domain.errors import InvalidInput
from taskforge.domain.inputs import timestamp_problem

MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=366)
COUNT_LIMIT = 10_000  # CRON occurrences counted one by one (~0.1 ms each in croniter)

_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_INTERVAL_PART = re.compile(r"(\d+)\s*([a-z]+)", re.ASCII)
_INTERVAL = re.compile(r"(?:\s*\d+\s*[a-z]+)+\s*", re.ASCII)
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, field="expression")


def parse_interval(text: str) -> timedelta:
    """``30s``, ``15m``, ``2h``, ``1d``, ``1w`` and combinations like ``1h 30m``."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise _bad("interval cannot be empty")
    if not _INTERVAL.fullmatch(cleaned):
        raise _bad(f"interval '{text}' is not a duration like '30s', '15m', '2h', '1d' or '1h30m'")
    total, seen = 0, set()
    for number, unit in _INTERVAL_PART.findall(cleaned):
        if unit not in _UNIT_SECONDS:
            raise _bad(f"interval '{text}' has an unknown unit '{unit}'; use s, m, h, d or w")
        if unit in seen:
            raise _bad(f"interval '{text}' repeats the unit '{unit}'")
        seen.add(unit)
        total += int(number) * _UNIT_SECONDS[unit]
    # compare integers first: a huge number would overflow timedelta
    if total < MIN_INTERVAL.total_seconds():
        raise _bad(f"interval '{text}' must be at least 1 second")
    if total > MAX_INTERVAL.total_seconds():
        raise _bad(f"interval '{text}' must be at most 366 days")
    return timedelta(seconds=total)


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``; "localtime" is refused because it depends on the host."""
    try:
        if name != "localtime":
            return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    raise InvalidInput(
        f"unknown timezone '{name}'; use an IANA name like 'Europe/Paris'", field="timezone"
    )


def parse_once(text: str, tz: ZoneInfo) -> datetime:
    """An RFC 3339 time; without an offset it is a wall time in ``tz`` (DST policy above)."""
    cleaned = text.strip().upper()
    if not _RFC3339.fullmatch(cleaned):
        raise _bad(f"time '{text}' is not RFC 3339, e.g. '2026-12-01T09:00:00Z'")
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise _bad(f"time '{text}' is not a valid date and time: {exc}") from exc
    # far-off wall times are refused before a zone conversion could overflow
    near = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    problem = timestamp_problem(near)
    instant = _instant(parsed, tz) if problem is None and parsed.tzinfo is None else parsed
    if problem is not None or (problem := timestamp_problem(instant)) is not None:
        raise _bad(f"time '{text}' {problem.message}")
    return instant.astimezone(UTC)


# --- cron -------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(re.findall("...", "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC"), 1)}
_DAYS = {d: i for i, d in enumerate(re.findall("...", "SUNMONTUEWEDTHUFRISAT"))}
# field -> (low, high, names); day-of-week accepts 7 for Sunday like croniter does
_FIELDS: dict[str, tuple[int, int, dict[str, int]]] = {
    "second": (0, 59, {}),
    "minute": (0, 59, {}),
    "hour": (0, 23, {}),
    "day-of-month": (1, 31, {}),
    "month": (1, 12, _MONTHS),
    "day-of-week": (0, 7, _DAYS),
}
_ITEM = re.compile(r"(?P<base>\*|\w+(?:-\w+)?)(?:/(?P<step>\d+))?", re.ASCII)
# croniter's extras: L (last day), 15W / W15 (nearest weekday), L5 (last Friday); FRI#2 below
_SPECIAL = {
    "day-of-month": re.compile(r"\?|L|\d+W|W\d+", re.ASCII | re.IGNORECASE),
    "day-of-week": re.compile(r"\?|L[0-7]", re.ASCII | re.IGNORECASE),
}


# the usual shorthands, as their five-field forms (Vixie cron; croniter reads the same)
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def _cron_form(expression: str) -> tuple[str, bool]:
    """(the expression croniter gets, whether the seconds come first); validates it."""
    cleaned = " ".join(expression.split())
    if not cleaned:
        raise _bad("cron expression cannot be empty")
    if cleaned.startswith("@") and " " not in cleaned:
        macro = MACROS.get(cleaned.lower())
        if macro is None:
            known = ", ".join(MACROS)
            raise _bad(f"cron macro '{cleaned}' is not one of {known}")
        return macro, False
    parts = cleaned.split(" ")
    if len(parts) not in (5, 6):
        raise _bad(f"cron expression needs 5 or 6 fields, got {len(parts)}")
    names = list(_FIELDS)[6 - len(parts) :]
    for position, (name, text) in enumerate(zip(names, parts, strict=True), 1):
        _check_field(position, name, text)
    six = len(parts) == 6
    try:  # the whole expression: combinations such as "0 0 31 2 *" (never fires)
        croniter.expand(cleaned, second_at_beginning=six, strict=True)
    except (CroniterError, ValueError, KeyError) as exc:
        raise _bad(f"cron expression '{expression}' is not valid: {exc}") from exc
    return cleaned, six


def _check_field(position: int, name: str, text: str) -> None:
    low, high, names = _FIELDS[name]
    where = f"cron field {position} ({name})"
    for item in text.split(","):
        if not item:
            raise _bad(f"{where} '{text}' has an empty list item")
        special = _SPECIAL.get(name)
        if special is not None and special.fullmatch(item):
            continue
        if name == "day-of-week" and (nth := re.fullmatch(r"(\w+)#[1-5]", item)):
            item = nth[1]  # the 2nd Friday, FRI#2: check the day like any other
        match = _ITEM.fullmatch(item)
        if match is None:
            raise _bad(f"{where} '{item}' is not a value, range, list or step")
        if match["step"] is not None and int(match["step"]) == 0:
            raise _bad(f"{where} '{item}' has a step of 0")
        if match["base"] == "*":
            continue
        numbers = []
        for value in match["base"].split("-"):
            number = names.get(value.upper(), int(value) if value.isdigit() else None)
            if number is None:
                kind = "number or name" if names else "number"
                raise _bad(f"{where} '{value}' is not a {kind}")
            if not low <= number <= high:
                raise _bad(f"{where} '{value}' is out of range {low}-{high}")
            numbers.append(number)
        if len(numbers) == 2 and numbers[0] == numbers[1]:
            # croniter reads "3-3" as the whole field, which nobody means
            raise _bad(f"{where} range '{match['base']}' has equal ends; write '{numbers[0]}'")


def validate_cron(expression: str) -> None:
    """Raise InvalidInput naming the bad field; 5 fields, or 6 with seconds first."""
    _cron_form(expression)


# --- wall time <-> instants -------------------------------------------------------


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant a naive wall time fires at, per the DST policy."""
    candidates = [wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    real = [c for c in candidates if _wall(c, tz) == wall]
    if real:
        return min(real)  # the first pass of a repeated wall time
    # A gap: the transition lies between the two readings. Bisect to the first
    # instant whose wall time is past ``wall`` (exact to the microsecond).
    lo, hi = min(candidates), max(candidates)
    while hi - lo > timedelta(microseconds=1):
        mid = lo + (hi - lo) // 2
        if _wall(mid, tz) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def _offset(wall: datetime, tz: ZoneInfo, fold: int) -> timedelta:
    return wall.replace(tzinfo=tz, fold=fold).utcoffset() or timedelta(0)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


# --- recurrences -----------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """A validated schedule expression; ``anchor`` is when RECURRING intervals count from."""

    kind: ScheduleKind
    expression: str
    timezone: str
    anchor: datetime
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _at: datetime | None = field(init=False, repr=False, compare=False, default=None)
    _every: timedelta | None = field(init=False, repr=False, compare=False, default=None)
    _cron: tuple[str, bool] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchor", _utc(self.anchor, "anchor"))
        tz = zone(self.timezone)
        object.__setattr__(self, "_tz", tz)
        if self.kind is ScheduleKind.ONCE:
            object.__setattr__(self, "_at", parse_once(self.expression, tz))
        elif self.kind is ScheduleKind.RECURRING:
            object.__setattr__(self, "_every", parse_interval(self.expression))
        else:
            object.__setattr__(self, "_cron", _cron_form(self.expression))

    def next_after(self, after: datetime) -> datetime | None:
        """The first occurrence strictly after ``after``; None when there is none."""
        return next(self._forward(_utc(after, "after")), None)

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        return list(islice(self._forward(_utc(after, "after")), max(count, 0)))

    def latest_until(self, until: datetime) -> datetime | None:
        """The last occurrence at or before ``until``; None if there is none."""
        return next(self._backward(_utc(until, "until")), None)

    def between(self, start: datetime, end: datetime, limit: int) -> list[datetime]:
        """The occurrences in [start, end], oldest first, at most ``limit`` of them."""
        end = _utc(end, "end")
        found = self._forward(_utc(start, "start") - _TICK)
        return list(islice(takewhile(lambda t: t <= end, found), max(limit, 0)))

    def count_between(self, start: datetime, end: datetime, limit: int = COUNT_LIMIT) -> int:
        """How many occurrences [start, end] holds: exact for ONCE and RECURRING, at most
        ``limit`` for CRON."""
        return self._count(_utc(start, "start") - _TICK, _utc(end, "end"), limit)

    def _forward(self, after: datetime) -> Iterator[datetime]:
        """Occurrences strictly after ``after`` (UTC), increasing."""
        if self._at is not None:
            if self._at > after:
                yield self._at
        elif self._every is not None:
            k = max(1, (after - self.anchor) // self._every + 1)
            while True:
                yield self.anchor + k * self._every
                k += 1
        else:
            # Start from the wall time of ``after``: wall times before it map to
            # instants <= after, and the filter drops the few that are not later
            # (the rest of a repeated hour, or gap times landing on one instant).
            last = after
            for wall in self._walls(_wall(after, self._tz), backward=False):
                instant = _instant(wall, self._tz)
                if instant > last:
                    last = instant
                    yield instant

    def _backward(self, until: datetime) -> Iterator[datetime]:
        """Occurrences at or before ``until`` (UTC), decreasing."""
        if self._at is not None:
            if self._at <= until:
                yield self._at
        elif self._every is not None:
            k = (until - self.anchor) // self._every
            while k >= 1:
                yield self.anchor + k * self._every
                k -= 1
        else:
            # In the second pass of a repeated hour, later wall times of that hour
            # already fired (their first pass is earlier), so start past the fold.
            wall = _wall(until, self._tz)
            shift = abs(_offset(wall, self._tz, 0) - _offset(wall, self._tz, 1))
            last: datetime | None = None
            for earlier in self._walls(wall + shift + timedelta(seconds=1), backward=True):
                instant = _instant(earlier, self._tz)
                if instant <= until and (last is None or instant < last):
                    last = instant
                    yield instant

    def _walls(self, start: datetime, backward: bool) -> Iterator[datetime]:
        assert self._cron is not None
        expression, six = self._cron
        it = croniter(expression, start, ret_type=datetime, second_at_beginning=six)
        while True:
            try:
                yield it.get_prev() if backward else it.get_next()
            except (CroniterError, OverflowError, ValueError):
                return  # nothing more within croniter's search horizon or datetime's range

    def _count(self, lo: datetime, hi: datetime, limit: int) -> int:
        """Occurrences in (lo, hi], exact for ONCE and RECURRING, at most ``limit`` for CRON."""
        if self._every is not None:
            k_hi = (hi - self.anchor) // self._every
            return max(0, k_hi - max(0, (lo - self.anchor) // self._every))
        count = 0
        for instant in self._forward(lo):
            if instant > hi or count == limit:
                break
            count += 1
        return count


def compile_recurrence(
    kind: ScheduleKind, expression: str, timezone: str, anchor: datetime
) -> Recurrence:
    """Validate a schedule's expression and timezone (InvalidInput) and compile it."""
    return Recurrence(
        kind=ScheduleKind(kind),
        expression=expression.strip(),
        timezone=timezone.strip(),
        anchor=_utc(anchor, "anchor"),
    )


# --- misfires ----------------------------------------------------------------------


@dataclass(frozen=True)
class FirePlan:
    fire: list[datetime]  # occurrence times to fire now, oldest first
    # the first occurrence strictly after now, or the first not due yet (None: no more)
    next_run_at: datetime | None
    skipped: int  # missed occurrences not fired


Delay = Callable[[datetime], timedelta]


def plan(
    rec: Recurrence,
    due_at: datetime,
    now: datetime,
    policy: MisfirePolicy,
    grace: timedelta,
    cap: int = 100,
    delay: Delay | None = None,
) -> FirePlan:
    """What to fire for a schedule whose stored next run ``due_at`` has come.

    Due: ``due_at`` itself (the stored promise) and every occurrence after it up to
    ``now``. Those no older than ``now - grace`` are on time and always fire, so a
    slightly late engine never loses a run. Older ones were missed (downtime, a pause)
    and follow the policy: SKIP drops them; FIRE_ONCE fires the latest of them once,
    unless an on-time occurrence fires in the same tick and stands for them; FIRE_ALL
    fires them all. At most the ``cap`` most recent fire. The next run always comes
    from the sequence, so late ticks never drift it.

    ``delay``: each occurrence's jitter. An occurrence is then due at its time plus its
    delay, and late counted from there; occurrences stay in order, so the first one not
    due yet is the next run and those after it wait with it.
    """
    due_at, now = _utc(due_at, "due_at"), _utc(now, "now")
    if cap < 1:
        raise ValueError("cap must be at least 1")
    if due_at > now:
        return FirePlan(fire=[], next_run_at=rec.next_after(now), skipped=0)
    recent: list[datetime] = []  # newest first
    for instant in rec._backward(now):
        if len(recent) == cap or instant <= due_at:
            break
        recent.append(instant)
    if len(recent) < cap:
        recent.append(due_at)
    recent.reverse()
    shift = delay or (lambda _: timedelta(0))
    waiting = next((t for t in recent if t + shift(t) > now), None)
    if waiting is not None:
        recent = recent[: recent.index(waiting)]
    floor = now - grace
    on_time = [t for t in recent if t + shift(t) >= floor]
    missed = [t for t in recent if t + shift(t) < floor]
    if policy is MisfirePolicy.SKIP:
        fire = on_time
    elif policy is MisfirePolicy.FIRE_ONCE:
        fire = on_time or missed[-1:]
    else:
        fire = recent
    if waiting is None:
        total = 1 + rec._count(due_at, now, COUNT_LIMIT)
    else:  # those before the one waiting
        total = 0 if waiting == due_at else 1 + rec._count(due_at, waiting - _TICK, COUNT_LIMIT)
    next_run_at = waiting or rec.next_after(now)
    return FirePlan(fire=fire, next_run_at=next_run_at, skipped=max(0, total - len(fire)))


_TICK = timedelta(microseconds=1)
