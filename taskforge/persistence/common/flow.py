"""Flow control: the portable statements of concurrency keys, rate limits and round-robin
positions (the same on both databases). The flow claim's walk and start, and the locks,
are the store's (``Store.flow``); they reach it through ``store_of``.

Locks (PostgreSQL; SQLite's one writer at a time serializes all of this already):

- A flow claim holds its queues' claim locks (one advisory lock per queue, taken in id
  order before anything else, held until commit) and reads the running jobs of each key
  in a later statement, whose snapshot then sees every claim committed before it: two
  claims never start the same key's jobs from the same count. One lock per queue rather
  than per key: a claim of 500 jobs of 500 keys would hold 500 entries of PostgreSQL's
  shared lock table (64 x max_connections by default), and a few such claims at once
  would exhaust it.
- An enqueue that cancels by a strategy holds the enqueue locks of its keys' stripes
  (``STRIPES`` per queue, in id order): the live jobs it counts are not changed by
  another such enqueue of the key meanwhile.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    case,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.flow_claims import RateWindow
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    LIVE_KEYED_PREDICATE,
    READY_PREDICATE,
    RUNNING_KEYED_PREDICATE,
    Job,
    JobQueue,
    RateLimitStart,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]
QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]
STARTS: Table = RateLimitStart.__table__  # type: ignore[assignment]

STRIPES = 64  # enqueue locks per queue: bounded, whatever the number of keys


def _lock_id(*parts: object) -> int:
    """A stable signed 64-bit advisory lock id (the same in every process)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def claim_lock(queue_id: uuid.UUID) -> int:
    return _lock_id("taskforge.flow.claim", queue_id)


def enqueue_lock(queue_id: uuid.UUID, key: str) -> int:
    stripe = hashlib.blake2b(key.encode(), digest_size=2).digest()[0] % STRIPES
    return _lock_id("taskforge.flow.enqueue", queue_id, stripe)


async def lock(session: AsyncSession, ids: Iterable[int]) -> None:
    """Take these advisory locks until the transaction ends, in id order (waits)."""
    if wanted := sorted(set(ids)):
        await store_of(session).flow.lock(session, wanted)


# -- queues ---------------------------------------------------------------------------


async def flag_queues(session: AsyncSession, org_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> None:
    """Mark the organization's queues as having seen a flow rule (once; never cleared)."""
    await session.execute(
        update(QUEUES)
        .where(
            QUEUES.c.organization_id == org_id,
            QUEUES.c.id.in_(list(ids)),
            QUEUES.c.flow_control.is_(False),
        )
        .values(flow_control=True)
    )


async def queues_of(
    session: AsyncSession, org_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """The organization's queues among these: id, project_id, settings, flow_control."""
    rows = await session.execute(
        select(QUEUES.c.id, QUEUES.c.project_id, QUEUES.c.settings, QUEUES.c.flow_control).where(
            QUEUES.c.organization_id == org_id, QUEUES.c.id.in_(list(ids))
        )
    )
    return {r.id: r for r in rows.all()}


# -- round robin ----------------------------------------------------------------------


async def fair_positions(
    session: AsyncSession, keys: Mapping[uuid.UUID, Sequence[str]]
) -> tuple[dict[uuid.UUID, int], dict[tuple[uuid.UUID, str], int]]:
    """Per queue (the keys' mapping's), the round-robin position of the job its next
    claim takes (0 when none is ready: the ready index's head); per (queue, key) the
    last position of the key's live jobs (absent: none live; ``idx_jobs_concurrency_live``)."""
    heads: dict[uuid.UUID, int] = {}
    last: dict[tuple[uuid.UUID, str], int] = {}
    for queue_id, wanted in keys.items():
        head = await session.scalar(
            select(JOBS.c.fair_seq)
            .where(JOBS.c.queue_id == queue_id, text(READY_PREDICATE))
            .order_by(JOBS.c.priority.desc(), JOBS.c.fair_seq, JOBS.c.created_at)
            .limit(1)
        )
        heads[queue_id] = int(head or 0)
        if not wanted:
            continue
        rows = await session.execute(
            select(JOBS.c.concurrency_key, func.max(JOBS.c.fair_seq))
            .where(
                JOBS.c.queue_id == queue_id,
                JOBS.c.concurrency_key.in_(sorted(set(wanted))),
                text(LIVE_KEYED_PREDICATE),
            )
            .group_by(JOBS.c.concurrency_key)
        )
        last.update({(queue_id, k): int(n) for k, n in rows})
    return heads, last


# -- cancelling strategies ------------------------------------------------------------


async def live_counts(
    session: AsyncSession, queue_id: uuid.UUID, keys: Sequence[str]
) -> dict[str, int]:
    """Live (PENDING, SCHEDULED, PROCESSING) jobs of each key in the queue."""
    rows = await session.execute(
        select(JOBS.c.concurrency_key, func.count())
        .where(
            JOBS.c.queue_id == queue_id,
            JOBS.c.concurrency_key.in_(sorted(set(keys))),
            text(LIVE_KEYED_PREDICATE),
        )
        .group_by(JOBS.c.concurrency_key)
    )
    return {k: int(n) for k, n in rows}


async def oldest_live(session: AsyncSession, queue_id: uuid.UUID, key: str, n: int) -> list[Job]:
    """The key's ``n`` oldest live jobs in the queue, running ones first, locked (a claim
    or an acknowledgement holding one is waited for)."""
    stmt = (
        select(Job)
        .where(
            Job.queue_id == queue_id,
            Job.concurrency_key == key,
            text(LIVE_KEYED_PREDICATE),
        )
        .order_by(case((Job.status == JobStatus.PROCESSING, 0), else_=1), Job.created_at)
        .limit(n)
    )
    return list(await session.scalars(store_of(session).lock_row(stmt)))


# -- claims ---------------------------------------------------------------------------


async def running_counts(
    session: AsyncSession, queue_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], int]:
    """Running jobs per (queue, key) (``idx_jobs_concurrency_running``)."""
    rows = await session.execute(
        select(JOBS.c.queue_id, JOBS.c.concurrency_key, func.count())
        .where(JOBS.c.queue_id.in_(list(queue_ids)), text(RUNNING_KEYED_PREDICATE))
        .group_by(JOBS.c.queue_id, JOBS.c.concurrency_key)
    )
    return {(q, k): int(n) for q, k, n in rows}


async def starts_within(
    session: AsyncSession, windows: Iterable[RateWindow], now: datetime
) -> dict[RateWindow, int]:
    """Each rate window's starts within its period before ``now``: one grouped count per
    distinct period (``idx_rate_limit_starts_key``)."""
    by_period: dict[int, list[RateWindow]] = {}
    for w in windows:
        by_period.setdefault(w[2], []).append(w)
    out: dict[RateWindow, int] = {}
    for period, group in by_period.items():
        since = now - timedelta(seconds=period)
        rows = await session.execute(
            select(STARTS.c.queue_id, STARTS.c.rate_key, func.count())
            .where(
                STARTS.c.queue_id.in_(sorted({w[0] for w in group})),
                STARTS.c.rate_key.in_(sorted({w[1] for w in group})),
                STARTS.c.started_at > since,
            )
            .group_by(STARTS.c.queue_id, STARTS.c.rate_key)
        )
        counted = {(q, k): int(n) for q, k, n in rows}
        out.update({w: counted.get((w[0], w[1]), 0) for w in group})
    return out


async def oldest_starts(
    session: AsyncSession, window: RateWindow, now: datetime, offset: int, n: int
) -> list[datetime]:
    """The window's starts within its period, ascending, from the ``offset``-th on, ``n``."""
    queue_id, key, period = window
    rows = await session.scalars(
        select(STARTS.c.started_at)
        .where(
            STARTS.c.queue_id == queue_id,
            STARTS.c.rate_key == key,
            STARTS.c.started_at > now - timedelta(seconds=period),
        )
        .order_by(STARTS.c.started_at)
        .offset(offset)
        .limit(n)
    )
    return list(rows)


async def record_starts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Starts of rate-limited jobs (organization_id, queue_id, rate_key, started_at,
    expires_at), one multi-row INSERT."""
    if rows:
        await session.execute(insert(STARTS), rows)


async def throttle(
    session: AsyncSession, until: Mapping[uuid.UUID, datetime], now: datetime
) -> list[Row[Any]]:
    """Ready jobs whose rate limit is used up wait, SCHEDULED until their window frees a
    start (``rate_limited``); returns them (every job column). A job no longer ready (a
    cancel committed meanwhile) is left as it is."""
    if not until:
        return []
    stmt = (
        update(JOBS)
        .where(JOBS.c.id.in_(list(until)), text(READY_PREDICATE))
        .values(
            status=JobStatus.SCHEDULED,
            scheduled_for=case(until, value=JOBS.c.id),
            status_reason="rate_limited",
            updated_at=now,
        )
        .returning(*JOBS.c)
    )
    return list(await session.execute(stmt))


async def purge_starts(session: AsyncSession, now: datetime, limit: int) -> int:
    """Delete up to ``limit`` starts whose period has passed; returns how many."""
    expired = select(STARTS.c.id).where(STARTS.c.expires_at < now).limit(limit)
    result = await session.execute(delete(STARTS).where(STARTS.c.id.in_(expired.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
