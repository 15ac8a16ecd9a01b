"""A schedule row's timetable: its recurrence, its next occurrence, and when that fires
(the occurrence plus its jitter, ``domain/schedule_policies.jitter``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from taskforge.domain import records
from taskforge.domain.schedule_policies import jitter
from taskforge.domain.schedules import Delay, Recurrence, compile_recurrence
from taskforge.persistence.tables import ScheduledJob


def recurrence_of(s: ScheduledJob | records.Schedule) -> Recurrence:
    return compile_recurrence(s.kind, s.expression, s.timezone, s.anchor_at or s.created_at)


def occurrence_of(s: ScheduledJob | records.Schedule) -> datetime | None:
    """The timetable's next occurrence (rows from before jitter have only next_run_at)."""
    return s.next_occurrence_at or s.next_run_at


def after_owed(s: ScheduledJob | records.Schedule, rec: Recurrence) -> datetime | None:
    """Where the timetable goes on after the occurrence a rate limit deferred
    (``pending_fire_at``): the next occurrence the throttled tick stored, or, on rows it
    left behind the owed one (before it stored it), the occurrence after it."""
    owed, stored = s.pending_fire_at, s.next_occurrence_at
    assert owed is not None
    return stored if stored is not None and stored > owed else rec.next_after(owed)


def set_next(s: ScheduledJob, occurrence: datetime | None) -> None:
    """The next occurrence, and when it fires: with its jitter (next_run_at)."""
    s.next_occurrence_at = occurrence
    s.next_run_at = fires_at(s, occurrence) if occurrence else None


def fires_at(s: ScheduledJob | records.Schedule, occurrence: datetime) -> datetime:
    delay = delay_of(s)
    return occurrence + delay(occurrence) if delay else occurrence


def delay_of(s: ScheduledJob | records.Schedule) -> Delay | None:
    """Each occurrence's jitter, short of the occurrence after it (None: no jitter)."""
    if not s.jitter_seconds:
        return None
    rec, seconds = recurrence_of(s), s.jitter_seconds

    def delay(occurrence: datetime) -> timedelta:
        following = rec.next_after(occurrence)
        gap = following - occurrence if following else None
        return jitter(s.id, occurrence, seconds, gap)

    return delay
