"""Schedule policies: jitter, overlap with the live run, failures in a row, backfill ranges.

Pure, like ``domain.schedules``: the scheduler engine (services/scheduler.py) applies
them to the rows it has locked.

- Jitter delays each occurrence by up to N seconds, short of the next occurrence. The
  delay is a hash of the schedule and the occurrence, so every replica, and every tick,
  derives the same one.
- The overlap policy decides what an occurrence does while the schedule's last run (its
  job or workflow) has not ended: SKIP records it as skipped, BUFFER_ONE holds one until
  that run ends, ALLOW_ALL fires it anyway, CANCEL_PREVIOUS cancels the live run first.
- ``pauseAfterFailures: N`` pauses a schedule once N of its runs in a row failed; a
  success starts the count again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from taskforge.domain.enums import OverlapPolicy
from taskforge.domain.errors import InvalidInput
from taskforge.domain.inputs import check_timestamp

MAX_JITTER = 86_400  # seconds: a day
MAX_BACKFILL = 1_000  # occurrences one backfillSchedule call may record
MAX_FAILURES = 1_000  # the largest pauseAfterFailures


def default_overlap(targets_workflow: bool) -> OverlapPolicy:
    """A workflow run waits for the last one (SKIP); jobs overlap as they always did."""
    return OverlapPolicy.SKIP if targets_workflow else OverlapPolicy.ALLOW_ALL


def check_jitter(seconds: int) -> int:
    if not 0 <= seconds <= MAX_JITTER:
        raise InvalidInput(f"jitter must be between 0 and {MAX_JITTER} seconds", field="jitter")
    return seconds


def check_pause_after_failures(n: int | None) -> int | None:
    if n is not None and not 1 <= n <= MAX_FAILURES:
        raise InvalidInput(
            f"pauseAfterFailures must be between 1 and {MAX_FAILURES}, or null (never)",
            field="pauseAfterFailures",
        )
    return n


def jitter(
    schedule_id: uuid.UUID, occurrence: datetime, seconds: int, gap: timedelta | None = None
) -> timedelta:
    """The delay of one occurrence: in [0, seconds], to the millisecond, derived from
    the schedule and the occurrence alone (a SHA-256 of both: spread evenly, and the
    same in every replica and on every tick). ``gap``: the time to the next occurrence;
    the delay stays short of it, so runs keep their order and a jitter longer than the
    interval never piles occurrences up behind one another."""
    if seconds <= 0:
        return timedelta(0)
    bound = seconds * 1000
    if gap is not None:
        bound = min(bound, gap // timedelta(milliseconds=1) - 1)
    if bound <= 0:
        return timedelta(0)
    key = f"{schedule_id}/{occurrence.astimezone(UTC).isoformat()}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
    return timedelta(milliseconds=draw % (bound + 1))


@dataclass(frozen=True)
class Overlap:
    """What the overlap policy makes of a tick's due occurrences."""

    fire: list[datetime]  # to fire now, oldest first
    buffered: datetime | None  # held until the live run ends (BUFFER_ONE)
    skipped: list[datetime]  # dropped because a run was live
    cancel_live: bool  # CANCEL_PREVIOUS: end the live run before firing


def overlap(
    policy: OverlapPolicy, live: bool, buffered: datetime | None, due: Iterable[datetime]
) -> Overlap:
    """Apply ``policy`` to the occurrences due now (``buffered``: one held earlier, the
    oldest of them). ``live``: the last run has not ended. An occurrence fired here is
    itself a live run for those after it, so SKIP and BUFFER_ONE fire at most one, and
    CANCEL_PREVIOUS fires only the newest (it would cancel the others at once)."""
    queue = sorted({*due, *([buffered] if buffered else [])})
    if policy is OverlapPolicy.ALLOW_ALL:
        return Overlap(queue, None, [], False)
    if policy is OverlapPolicy.CANCEL_PREVIOUS:
        return Overlap(queue[-1:], None, queue[:-1], live and bool(queue))
    if live:
        if policy is OverlapPolicy.SKIP or not queue:
            return Overlap([], None, queue, False)
        return Overlap([], queue[0], queue[1:], False)
    if policy is OverlapPolicy.SKIP:
        return Overlap(queue[:1], None, queue[1:], False)
    return Overlap(queue[:1], queue[1] if len(queue) > 1 else None, queue[2:], False)


@dataclass(frozen=True)
class Ends:
    """The runs of one schedule that ended in one transaction, in order (True: it
    succeeded), as its count of failures in a row sees them."""

    lead: int  # failures before the first success (all of them if none succeeded)
    rest: int | None  # failures after the last success (None: none succeeded)
    longest: int  # the most failures in a row after a success (rest included)


def ends(succeeded: Iterable[bool]) -> Ends:
    """What these ends (in order; True: it succeeded) do to the failures in a row."""
    lead, rest, longest = 0, None, 0
    for ok in succeeded:
        if ok:
            rest = 0
        elif rest is None:
            lead += 1
        else:
            rest += 1
            longest = max(longest, rest)
    return Ends(lead, rest, longest)


def after_ends(e: Ends, counted: int, limit: int | None) -> tuple[int, int | None]:
    """``counted``: the failures in a row with ``e.lead`` added. Returns the count once
    these runs ended, and how many were in a row when they first reached ``limit``
    (None: they did not; a success alone never reaches it)."""
    final = counted if e.rest is None else e.rest
    if limit is None:
        return final, None
    if e.lead and counted >= limit:
        return final, max(limit, counted - e.lead + 1)
    return final, limit if e.longest >= limit else None


def pause_reason(failures: int) -> str:
    return f"paused after {failures} consecutive failed runs"


def backfill_range(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """[start, end] in UTC, checked: ordered, and in the past (a backfill fires past
    occurrences only; the timetable fires the rest)."""
    start, end = check_timestamp(start, "from"), check_timestamp(end, "to")
    if start > end:
        raise InvalidInput("from must not be after to", field="from")
    if end > now:
        raise InvalidInput(
            f"to ({end.isoformat()}) is in the future; a backfill fires past occurrences "
            "only (the schedule fires the others when they come)",
            field="to",
        )
    return start, end
