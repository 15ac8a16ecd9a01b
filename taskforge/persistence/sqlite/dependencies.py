"""SQLite dependencies: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    JobStatus,
)
from taskforge.domain.rows import Released
from taskforge.persistence.common.dependencies import ENGINE_COLUMNS
from taskforge.persistence.tables import Job, JobDependency

JOBS: Table = Job.__table__  # type: ignore[assignment]


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


async def insert_edges(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """rows: the columns above."""
    if not rows:
        return
    await session.execute(insert(EDGES), rows)
    return


async def pending_out(session: AsyncSession, parent_ids: Sequence[uuid.UUID]) -> list[Any]:
    """PENDING edges leaving these parents (the only ones a parent's change can decide).
    Called for every batch of acknowledgements in a workflow: on PostgreSQL it runs on
    the driver connection, without SQLAlchemy's compile and result processing."""
    if not parent_ids:
        return []
    stmt = select(EDGES).where(
        EDGES.c.parent_job_id.in_(parent_ids), EDGES.c.status == EdgeStatus.PENDING
    )
    return list(await session.execute(stmt))


async def decide(
    session: AsyncSession, parents: Sequence[tuple[uuid.UUID, JobStatus]], now: datetime
) -> tuple[set[uuid.UUID], list[Any]]:
    """Decide what the parents' statuses alone decide: (children of the edges decided
    here, PENDING edges left for the caller to evaluate). On PostgreSQL the first part
    is one UPDATE and the second holds only edges with an expression; elsewhere nothing
    is decided here and every PENDING edge is returned."""
    ids = [p for p, _ in parents]
    return set(), await pending_out(session, ids)


async def set_status(
    session: AsyncSession,
    edge_ids: Sequence[uuid.UUID],
    status: EdgeStatus,
    now: datetime,
    by: str,
) -> None:
    if not edge_ids:
        return
    await session.execute(
        update(EDGES)
        .where(EDGES.c.id.in_(edge_ids), EDGES.c.status == EdgeStatus.PENDING)
        .values(status=status, resolved_at=now, resolved_by=by)
    )


async def lock_children(session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
    """Serialize the deciders of these children (row locks; the caller reads their edges
    in a later statement, which sees what the previous holder committed). SQLite runs
    one write transaction at a time and needs none."""
    return None  # one write transaction at a time: nothing to serialize


async def children_state(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any]]:
    """The engine rows of these children, and which edge statuses their incoming edges
    have: all of them, or on PostgreSQL those that decide ``child_outcome`` (the same
    outcome). Index probes per child, so a fan-in of thousands costs what a single edge
    does. One round trip on PostgreSQL (asked after every batch of acknowledgements in
    a workflow)."""
    ids = list(child_ids)
    if not ids:
        return {}, []
    probes = [
        exists()
        .where(EDGES.c.child_job_id == JOBS.c.id, EDGES.c.status == status)
        .label(status.value)
        for status in EdgeStatus
    ]
    found = await session.execute(select(JOBS.c.id, *probes).where(JOBS.c.id.in_(ids)))
    present = {r.id: {s for s in EdgeStatus if r._mapping[s.value]} for r in found}
    rows = list(await session.execute(select(*ENGINE_COLUMNS).where(JOBS.c.id.in_(ids))))
    return present, rows


async def decide_children(
    session: AsyncSession, child_ids: Iterable[uuid.UUID], now: datetime
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any], list[Released]]:
    """(deciding edge statuses, engine rows, released groups) of these children. On
    PostgreSQL the children with every edge RESOLVED are already SATISFIED and only
    listed in the groups; elsewhere this is children_state and nothing is released."""
    present, rows = await children_state(session, child_ids)
    return present, rows, []


async def set_dependency_status(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], status: DependencyStatus, now: datetime
) -> None:
    """On PostgreSQL one array parameter: a fan-out releasing 10,000 children would
    otherwise compile and plan a statement with 10,000 placeholders."""
    if not job_ids:
        return
    await session.execute(
        update(JOBS).where(JOBS.c.id.in_(job_ids)).values(dependency_status=status, updated_at=now)
    )
