"""What a flow claim takes: concurrency keys and rate limits applied to the ready jobs of
a queue, in claim order, with the counts read under the queue's claim lock.

Claim order within a queue: eligibility first (a job whose key has ``max`` running waits,
in order; a job whose rate key has used its starts of the period is throttled until the
window frees a start), then priority, then round robin across concurrency keys, then age.
The store hands the candidates in (priority, round-robin position, age) order; this
module only decides. Pure: no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

RateWindow = tuple[uuid.UUID, str, int]  # (queue, rate key value, period in seconds)


class Candidate(NamedTuple):
    """A ready job as a flow claim reads it: its rules and the running jobs of its key
    (a named tuple: a claim reads a thousand of them, each built from a row's values)."""

    id: uuid.UUID
    queue_id: uuid.UUID
    concurrency_key: str | None
    concurrency_max: int | None
    rate_key: str | None
    rate_limit: int | None
    rate_period: int | None
    running: int  # running jobs of its concurrency key in its queue (0 without one)

    @property
    def window(self) -> RateWindow | None:
        if self.rate_key is None or self.rate_period is None:
            return None
        return (self.queue_id, self.rate_key, self.rate_period)


@dataclass
class Decision:
    take: list[Candidate] = field(default_factory=list)  # to start, in claim order
    throttled: list[Candidate] = field(default_factory=list)  # rate limit used up
    held: int = 0  # left waiting for a running job of their key to end


def rate_windows(candidates: Iterable[Candidate]) -> set[RateWindow]:
    """The rate windows whose starts the decision needs counted."""
    return {w for c in candidates if (w := c.window) is not None}


def decide(
    candidates: Sequence[Candidate], limit: int, starts: Mapping[RateWindow, int]
) -> Decision:
    """Up to ``limit`` candidates to start, in order. ``starts``: each rate window's starts
    within its period before this claim. A candidate whose concurrency key is full waits
    (counted in ``held``) and uses none of its rate limit; one whose rate limit is used up
    is throttled; every start counts in each window of its rate key."""
    running: dict[tuple[uuid.UUID, str], int] = {}
    used = dict(starts)
    by_key: dict[tuple[uuid.UUID, str], list[RateWindow]] = {}
    for w in used:
        by_key.setdefault((w[0], w[1]), []).append(w)
    out = Decision()
    for c in candidates:
        if len(out.take) >= limit:
            break
        key = None
        if c.concurrency_key is not None and c.concurrency_max is not None:
            key = (c.queue_id, c.concurrency_key)
            if running.setdefault(key, c.running) >= c.concurrency_max:
                out.held += 1
                continue
        window = c.window
        if window is not None and c.rate_limit is not None:
            if used.get(window, 0) >= c.rate_limit:
                out.throttled.append(c)
                continue
            for w in by_key.get((window[0], window[1]), [window]):
                used[w] = used.get(w, 0) + 1
        if key is not None:
            running[key] += 1
        out.take.append(c)
    return out


def next_starts(
    oldest: Sequence[datetime], limit: int, period: int, n: int, now: datetime
) -> list[datetime]:
    """When ``n`` throttled jobs of one rate window can start, in order, at the earliest,
    with at most ``limit`` starts in any ``period`` seconds. ``oldest``: the window's
    starts (this claim's included) from the (count - ``limit``)-th oldest on, ascending,
    ``min(n, limit)`` of them: the i-th job waits for the start ``limit`` places before
    its own to leave the window."""
    span = timedelta(seconds=period)
    out: list[datetime] = []
    for i in range(n):
        if i < len(oldest):
            base = oldest[i]
        elif i >= limit:
            base = out[i - limit]
        else:  # fewer starts than counted (purged meanwhile): the window is freer
            base = oldest[-1] if oldest else now - span
        out.append(max(base + span, now))
    return out
