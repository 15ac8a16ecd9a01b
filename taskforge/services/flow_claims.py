"""Flow claims: the claim of queues with flow control (concurrency keys, rate limits,
round robin), in the claim's transaction.

The claim first takes its flow queues' claim locks (persistence/common/flow says why one
per queue), then for each group of equal rank: the store walks the ready jobs in claim
order, leaving out those whose key is full, with the running jobs of each key;
domain.flow_claims decides (rate windows counted here); the chosen jobs start as a plain
claim starts its own; rate-limited starts are recorded; jobs whose rate limit is used up
wait SCHEDULED until their window frees a start (``rate_limited``, with an event), so
they never stand at the head of the queue. Groups without a flow queue are claimed by
the plain statements, unchanged.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.events import Event
from taskforge.domain.flow_claims import Candidate, RateWindow, decide, next_starts, rate_windows
from taskforge.persistence.common import executions as repo
from taskforge.persistence.common import flow as flow_repo
from taskforge.persistence.store import store_of
from taskforge.services.job_events import WORKFLOW_STATES, status_event

RATE_LIMITED = "rate_limited"


def window(limit: int) -> int:
    """Candidates the first walk of a claim of ``limit`` reads: the claim and a few more.
    Round robin spreads a key's jobs over the walk, so they are mostly distinct keys'
    (reading twice the claim cost a claim of 500 a fifth of its time); a claim that
    passed over many (a key with room for fewer than its ready jobs read, a rate limit
    used up) walks on once."""
    return limit + 10


Started = tuple[Any, uuid.UUID, bool | None]


class Reroute(Exception):
    """A plain claim started a job with flow rules: its queue got flow control after the
    claim read its targets. The claim is rolled back and runs again (it then reads the
    queue's flow control)."""


def check_plain(started: Sequence[Started]) -> None:
    for job, _, _ in started:
        if job.concurrency_key is not None or job.rate_key is not None:
            raise Reroute


async def lock(session: AsyncSession, queue_ids: set[uuid.UUID]) -> None:
    """The flow queues' claim locks, before the claim reads or writes anything."""
    await flow_repo.lock(session, (flow_repo.claim_lock(q) for q in queue_ids))


async def claim(
    session: AsyncSession,
    groups: Sequence[Sequence[uuid.UUID]],
    flow_queues: set[uuid.UUID],
    limit: int,
    now: datetime,
    worker_id: uuid.UUID,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
    job_types: Sequence[str] | None,
) -> tuple[list[Started], list[Event], bool]:
    """As ``executions.claim`` (group by group), flow groups by the flow claim. Returns
    the started jobs, the events of throttled jobs, and whether a flow group came up
    short (its ready jobs may be waiting for a running job of their key to end)."""
    claimed: list[Started] = []
    events: list[Event] = []
    short = False
    for group in groups:
        remaining = limit - len(claimed)
        if remaining <= 0:
            break
        if flow_queues.isdisjoint(group):
            started = await repo.claim(
                session, [group], remaining, now, worker_id, lease_until, deadlines, job_types
            )
            check_plain(started)
        else:
            started, throttled = await _flow_group(
                session, group, remaining, now, worker_id, lease_until, deadlines, job_types
            )
            events += throttled
            short = short or len(started) < remaining
        claimed += started
    return claimed, events, short


async def _flow_group(
    session: AsyncSession,
    group: Sequence[uuid.UUID],
    limit: int,
    now: datetime,
    worker_id: uuid.UUID,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
    job_types: Sequence[str] | None,
) -> tuple[list[Started], list[Event]]:
    store = store_of(session)
    first = window(limit)
    candidates = await store.flow.candidates(session, group, first, job_types)
    windows = rate_windows(candidates)
    starts = await flow_repo.starts_within(session, windows, now) if windows else {}
    decision = decide(candidates, limit, starts)
    if len(decision.take) < limit and len(candidates) == first:  # passed over many
        more = await store.flow.candidates(session, group, 4 * first, job_types, after=first)
        if new := rate_windows(more) - windows:
            starts |= await flow_repo.starts_within(session, new, now)
        candidates += more
        decision = decide(candidates, limit, starts)
    started = await store.flow.start(
        session, [c.id for c in decision.take], now, worker_id, lease_until, deadlines
    )
    # RETURNING has no order
    started.sort(key=lambda s: (-s[0].priority, s[0].fair_seq, s[0].created_at))
    await flow_repo.record_starts(
        session,
        [
            {
                "organization_id": job.organization_id,
                "queue_id": job.queue_id,
                "rate_key": job.rate_key,
                "started_at": now,
                "expires_at": now + timedelta(seconds=job.rate_period),
            }
            for job, _, _ in started
            if job.rate_key is not None
        ],
    )
    events: list[Event] = []
    if decision.throttled:
        until = await _throttled_until(session, decision.throttled, starts, started, now)
        rows = await flow_repo.throttle(session, until, now)
        events = [status_event(r, JobStatus.PENDING, RATE_LIMITED) for r in rows]
        # the start's workflow states no longer hold for the workflows of the throttled
        # jobs (PENDING -> SCHEDULED): their events read them afresh
        if known := session.info.get(WORKFLOW_STATES):
            for r in rows:
                known.pop(r.workflow_id, None)
    return started, events


async def _throttled_until(
    session: AsyncSession,
    throttled: list[Candidate],
    starts: dict[RateWindow, int],
    started: list[Started],
    now: datetime,
) -> dict[uuid.UUID, datetime]:
    """When each throttled job can start at the earliest, a window's jobs one after the
    other in claim order (domain.flow_claims.next_starts); this claim's starts are
    recorded already."""
    new: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for job, _, _ in started:
        if job.rate_key is not None:
            new[job.queue_id, job.rate_key] += 1
    waiting: dict[RateWindow, list[Candidate]] = defaultdict(list)
    for c in throttled:
        if (w := c.window) is not None:
            waiting[w].append(c)
    until: dict[uuid.UUID, datetime] = {}
    for w, jobs in waiting.items():
        limit = jobs[0].rate_limit or 1
        count = starts.get(w, 0) + new[w[0], w[1]]
        oldest = await flow_repo.oldest_starts(
            session, w, now, max(count - limit, 0), min(len(jobs), limit)
        )
        times = next_starts(oldest, limit, w[2], len(jobs), now)
        until.update(zip((c.id for c in jobs), times, strict=True))
    return until
