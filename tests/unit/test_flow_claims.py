"""The flow claim's decisions: concurrency keys, rate windows, order, and when throttled
jobs can start."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from taskforge.domain.flow import Concurrency, ConcurrencyStrategy, RateLimit
from taskforge.domain.flow_claims import Candidate, decide, next_starts, rate_windows
from taskforge.domain.queues import QueueSettings

Q = uuid.UUID(int=1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def c(
    key: str | None = None, most: int | None = None, running: int = 0, **rate: object
) -> Candidate:
    return Candidate(
        uuid.uuid4(),
        Q,
        key,
        most if key is not None else None,
        rate.get("rk"),  # type: ignore[arg-type]
        rate.get("limit"),  # type: ignore[arg-type]
        rate.get("period"),  # type: ignore[arg-type]
        running,
    )


def test_a_full_key_waits_and_others_go_on_in_order() -> None:
    jobs = [c("a", 2, running=1), c("a", 2, running=1), c("b", 1), c(), c("b", 1)]
    out = decide(jobs, 10, {})
    assert out.take == [jobs[0], jobs[2], jobs[3]]
    assert out.held == 2 and out.throttled == []


def test_the_limit_stops_the_claim() -> None:
    jobs = [c(), c("a", 5), c("b", 5)]
    assert decide(jobs, 2, {}).take == jobs[:2]


def test_rate_windows_count_every_start_of_their_key() -> None:
    jobs = [
        c(rk="r", limit=2, period=60),
        c(rk="r", limit=2, period=60),
        c(rk="r", limit=5, period=10),  # another window of the same key sees both starts
        c(rk="r", limit=2, period=60),
        c(rk="s", limit=1, period=60),
    ]
    windows = rate_windows(jobs)
    assert windows == {(Q, "r", 60), (Q, "r", 10), (Q, "s", 60)}
    out = decide(jobs, 10, {(Q, "r", 60): 0, (Q, "r", 10): 3, (Q, "s", 60): 1})
    assert out.take == jobs[:2]
    assert out.throttled == [jobs[2], jobs[3], jobs[4]]


def test_a_held_job_uses_none_of_its_rate() -> None:
    jobs = [c("a", 1, running=1, rk="r", limit=1, period=60), c(rk="r", limit=1, period=60)]
    out = decide(jobs, 10, {(Q, "r", 60): 0})
    assert out.take == [jobs[1]] and out.held == 1


def test_throttled_jobs_start_one_window_slot_after_another() -> None:
    oldest = [T0, T0 + timedelta(seconds=5)]  # the window's two starts (limit 2)
    got = next_starts(oldest, 2, 60, 5, T0 + timedelta(seconds=30))
    assert got == [
        T0 + timedelta(seconds=60),
        T0 + timedelta(seconds=65),
        T0 + timedelta(seconds=120),
        T0 + timedelta(seconds=125),
        T0 + timedelta(seconds=180),
    ]
    # fewer starts than counted (purged meanwhile): the window is freer, from now on
    assert next_starts([], 2, 60, 1, T0) == [T0]


def test_queue_settings_keep_their_rules() -> None:
    settings = QueueSettings(
        concurrency=Concurrency.parse("payload.c", 3, ConcurrencyStrategy.CANCEL_NEWEST),
        rate_limit=RateLimit.parse(None, 10, 60),
    )
    assert QueueSettings.from_json(settings.to_json()) == settings
    assert settings.has_flow_rules and not QueueSettings().has_flow_rules
    # older rows have no such keys; a queue without rules stores none
    assert "concurrency" not in QueueSettings().to_json()
    assert QueueSettings.from_json({"retry": {}}).concurrency is None
