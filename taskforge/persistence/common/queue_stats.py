"""What Queue.stats reads: each figure of a queue is one bounded probe of an index.

As the metrics sampler's depths (``gauges.depths_statement``), a figure counts a
subquery LIMIT-ed to ``cap`` that states an index's own predicate, so it reads at most
``cap`` entries of that index and never a queue's other jobs: ready jobs through
``idx_jobs_ready`` (in claim order: the oldest is among the next ``cap`` to be claimed),
running ones through ``idx_jobs_processing`` (tenant, queue), SCHEDULED ones through
``idx_jobs_due`` split at now (due ones are claimable: a claim promotes them) and
outcomes over time through ``idx_jobs_outcomes`` (queue, status, finished_at). The
figures statement takes a batch of queues (one row each) and has one shape whatever
their number; the throughput statement is one range probe per queue and outcome,
whatever the span: a page of queues is one statement of each.

PostgreSQL (EXPLAIN ANALYZE, 140,000 jobs, 5 queues, custom and generic plans): every
probe is an index-only scan of its index with the queue in its condition, 3 ms for the
figures. With the running jobs' index on the tenant alone the planner ANDed it with the
queue's whole index (27,000 entries a queue, 31 ms): hence the queue in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    TextClause,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.persistence.store import Store, store_of
from taskforge.persistence.tables import (
    DUE_PREDICATE,
    OUTCOME_PREDICATE,
    PROCESSING_PREDICATE,
    READY_PREDICATE,
    Job,
    JobQueue,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]
QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]
OUTCOMES = (JobStatus.SUCCEEDED, JobStatus.FAILED)
# queues per throughput statement: two subqueries each (a bounded statement)
QUEUES_PER_STATEMENT = 50
# a time range: (inclusive start, exclusive end)
Period = tuple[datetime, datetime]


def _head(
    cap: int,
    *where: ColumnElement[bool] | TextClause,
    column: Any = JOBS.c.created_at,
    order: Sequence[Any] = (),
) -> Any:
    """Up to ``cap`` jobs (their ``column``) of the queue row being read, matching ``where``."""
    stmt = select(column).where(JOBS.c.queue_id == QUEUES.c.id, *where)
    return stmt.order_by(*order).limit(cap).correlate(QUEUES).subquery()


def _count(head: Any) -> Any:
    return select(func.count()).select_from(head).scalar_subquery()


def _ended(cap: int, status: JobStatus, start: datetime, end: datetime) -> Any:
    """Jobs of the queue that ended ``status`` in [start, end), up to ``cap``."""
    return _count(
        _head(
            cap,
            text(OUTCOME_PREDICATE),  # stated: SQLite uses a partial index only so
            JOBS.c.status == status,
            JOBS.c.finished_at >= start,
            JOBS.c.finished_at < end,
        )
    )


def _queues(org_id: uuid.UUID, queue_ids: Sequence[uuid.UUID], *columns: Any) -> Select[Any]:
    """One row per queue of the tenant among ``queue_ids``: its id, then ``columns``."""
    return select(QUEUES.c.id, *columns).where(
        QUEUES.c.organization_id == org_id, QUEUES.c.id.in_(list(queue_ids))
    )


def figures_statement(
    org_id: uuid.UUID, queue_ids: Sequence[uuid.UUID], cap: int, now: datetime
) -> Select[Any]:
    """(id, ready, the oldest ready job's created_at, due, the oldest due job's
    scheduled_for, running, scheduled (not due yet), succeeded and failed in the hour up
    to ``now``) of each of the tenant's queues: each count up to ``cap``, each oldest
    time None when there is none."""
    ready = _head(
        cap,
        text(READY_PREDICATE),
        # the index's (claim) order: its first ``cap`` entries, without a sort
        order=(JOBS.c.priority.desc(), JOBS.c.fair_seq, JOBS.c.created_at),
    )
    running = _head(
        cap, JOBS.c.organization_id == QUEUES.c.organization_id, text(PROCESSING_PREDICATE)
    )

    def scheduled(when: ColumnElement[bool]) -> Any:
        # a range of the due index, in its order (without one SQLite walked the queue's
        # every job)
        return _head(
            cap,
            text(DUE_PREDICATE),
            when,
            column=JOBS.c.scheduled_for,
            order=(JOBS.c.scheduled_for,),
        )

    # SCHEDULED jobs split at now: the due ones are claimable (a claim promotes them)
    due, later = scheduled(JOBS.c.scheduled_for <= now), scheduled(JOBS.c.scheduled_for > now)
    # the hour up to and with ``now``: [now - 1h, now] as half-open bounds
    start, end = now - timedelta(hours=1), now + timedelta(microseconds=1)
    return _queues(
        org_id,
        queue_ids,
        _count(ready).label("ready"),
        select(func.min(ready.c.created_at)).scalar_subquery().label("oldest_ready"),
        _count(due).label("due"),
        select(func.min(due.c.scheduled_for)).scalar_subquery().label("oldest_due"),
        _count(running).label("running"),
        _count(later).label("scheduled"),
        _ended(cap, JobStatus.SUCCEEDED, start, end).label("succeeded"),
        _ended(cap, JobStatus.FAILED, start, end).label("failed"),
    )


def _latest_outcomes(
    store: Store,
    org_id: uuid.UUID,
    queue_id: uuid.UUID,
    status: JobStatus,
    cap: int,
    span: Period,
) -> Select[Any]:
    """(queue id, status, minute, count): the queue's latest ``cap`` jobs that ended
    ``status`` in [start, end), counted per minute of the span (from 0). One backward
    range probe of ``idx_jobs_outcomes``, after the queue's tenant is checked (a
    one-time filter: another tenant's queue reads no job)."""
    start, end = span
    owned = select(QUEUES.c.id).where(QUEUES.c.id == queue_id, QUEUES.c.organization_id == org_id)
    latest = (
        select(store.minutes_since(JOBS.c.finished_at, start).label("minute"))
        .where(
            owned.exists(),
            JOBS.c.queue_id == queue_id,
            text(OUTCOME_PREDICATE),  # stated: SQLite uses a partial index only so
            JOBS.c.status == status,
            JOBS.c.finished_at >= start,
            JOBS.c.finished_at < end,
        )
        .order_by(JOBS.c.finished_at.desc())
        .limit(cap)
        .subquery()
    )
    return select(
        literal(queue_id, JOBS.c.queue_id.type).label("queue_id"),
        literal(status.value).label("status"),
        latest.c.minute,
        func.count().label("ended"),
    ).group_by(latest.c.minute)


def throughput_statement(
    store: Store, org_id: uuid.UUID, queue_ids: Sequence[uuid.UUID], cap: int, span: Period
) -> Any:
    """(queue id, status, minute, count) of each of the tenant's queues' latest ``cap``
    jobs that succeeded, and latest ``cap`` that failed, in [start, end), per minute of
    the span that has any: two range probes per queue, counted in the database (a
    page of busy queues is a few hundred rows, not their jobs' times); then a row
    (queue id, None, None, None) per queue of the tenant, so that a queue with no
    outcomes is told from another tenant's. Its shape depends on the number of queues
    only, never on the span (with a subquery per minute, building and compiling an
    hour's statement took ~150 ms)."""
    parts = [
        _latest_outcomes(store, org_id, queue_id, status, cap, span)
        for queue_id in queue_ids
        for status in OUTCOMES
    ]
    # last: the result's column types are the first part's
    tenants = _queues(org_id, queue_ids, null(), null(), null())
    return union_all(*parts, tenants)


async def figures(
    session: AsyncSession,
    org_id: uuid.UUID,
    queue_ids: Sequence[uuid.UUID],
    cap: int,
    now: datetime,
) -> list[Any]:
    return list(await session.execute(figures_statement(org_id, queue_ids, cap, now)))


# a queue's jobs that ended per minute of a span, by outcome: {status: {minute: count}}
Ended = dict[JobStatus, dict[int, int]]


async def outcomes(
    session: AsyncSession,
    org_id: uuid.UUID,
    queue_ids: Sequence[uuid.UUID],
    cap: int,
    span: Period,
) -> dict[uuid.UUID, Ended]:
    """Of each of the tenant's queues, its latest ``cap`` successes and latest ``cap``
    failures in [start, end), counted per minute of the span (minutes without any are
    left out); another tenant's queue is left out."""
    store = store_of(session)
    found: dict[uuid.UUID, Ended] = {}
    ids = list(dict.fromkeys(queue_ids))
    for i in range(0, len(ids), QUEUES_PER_STATEMENT):
        batch = ids[i : i + QUEUES_PER_STATEMENT]
        rows = list(await session.execute(throughput_statement(store, org_id, batch, cap, span)))
        for queue_id, status, _, _ in rows:
            if status is None:  # one of the tenant's queues
                found[queue_id] = {s: {} for s in OUTCOMES}
        for queue_id, status, minute, ended in rows:
            if status is not None:
                found[queue_id][JobStatus(status)][int(minute)] = ended
    return found
