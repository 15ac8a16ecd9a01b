"""What the metrics sampler reads, and the lease that lets one replica at a time read it.

Every read is bounded: each queue's ready jobs are counted through ``idx_jobs_ready``
up to ``cap`` entries (a deeper queue reads as ``cap``), and the outbox backlog through
``idx_events_unstamped`` the same way. Nothing here scans all jobs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.store import store_of
from taskforge.persistence.tables import READY_PREDICATE, EngineLease, Event, Job, JobQueue

LEASES: Table = EngineLease.__table__  # type: ignore[assignment]
JOBS: Table = Job.__table__  # type: ignore[assignment]
QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]
EVENTS: Table = Event.__table__  # type: ignore[assignment]


async def take_lease(
    session: AsyncSession, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``until``; False while another
    holder's lease runs. Two replicas racing for a free lease: the row lock (or SQLite's
    one writer) lets one update it; the other's update then matches nothing."""
    renewed = await session.execute(
        update(LEASES)
        .where(
            LEASES.c.name == name,
            or_(LEASES.c.holder == holder, LEASES.c.expires_at < now),
        )
        .values(holder=holder, expires_at=until)
    )
    if renewed.rowcount:  # type: ignore[attr-defined]
        return True
    created = await session.execute(
        store_of(session).insert_ignore(LEASES).values(name=name, holder=holder, expires_at=until)
    )
    return bool(created.rowcount)  # type: ignore[attr-defined]


def depths_statement(cap: int, queues: int) -> Select[Any]:
    """(queue name, ready jobs up to ``cap``, oldest ready job's created_at or None) for
    the first ``queues`` queues. Each figure is one correlated probe of ``idx_jobs_ready``
    (the index's own predicate and order, so the planner uses it), at most ``cap``
    entries; the oldest is among those, the next ``cap`` to be claimed (exact below
    ``cap``)."""
    ready = and_(JOBS.c.queue_id == QUEUES.c.id, text(READY_PREDICATE))
    # in the index's (claim) order: the index gives the first ``cap`` without sorting
    head = (
        select(JOBS.c.created_at)
        .where(ready)
        .order_by(JOBS.c.priority.desc(), JOBS.c.fair_seq, JOBS.c.created_at)
        .limit(cap)
        .correlate(QUEUES)
        .subquery()
    )
    depth = select(func.count()).select_from(head).scalar_subquery()
    oldest = select(func.min(head.c.created_at)).scalar_subquery()
    return select(QUEUES.c.name, depth, oldest).order_by(QUEUES.c.id).limit(queues)


async def queue_depths(session: AsyncSession, cap: int, queues: int) -> list[Any]:
    return list(await session.execute(depths_statement(cap, queues)))


async def queue_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these queues (the labels of their series), by primary key."""
    rows = await session.execute(select(QUEUES.c.id, QUEUES.c.name).where(QUEUES.c.id.in_(ids)))
    return {row.id: row.name for row in rows}


def backlog_statement(cap: int) -> Select[Any]:
    """Unstamped outbox rows, up to ``cap`` (``idx_events_unstamped``)."""
    head = select(literal(1).label("x")).where(EVENTS.c.seq.is_(None)).limit(cap).subquery()
    return select(func.count()).select_from(head)


async def outbox_backlog(session: AsyncSession, cap: int) -> int:
    return int(await session.scalar(backlog_statement(cap)) or 0)
