"""Dependency edges: inserts and the resolution engine's set-based reads and writes
(graph reads are in common/graph). Every statement is keyed by the jobs in hand (parents
just finished, their children): none scans all jobs or all edges.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    ExecutionStatus,
    JobStatus,
)
from taskforge.domain.rows import PendingEdge, Released
from taskforge.domain.transitions import NOT_STARTED
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import mapped_edges
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, JobDependency

EDGES: Table = JobDependency.__table__  # type: ignore[assignment]
JOBS: Table = Job.__table__  # type: ignore[assignment]
# enough of a job for the engine to evaluate its edges and report its changes
ENGINE_COLUMNS = (
    JOBS.c.id,
    JOBS.c.organization_id,
    JOBS.c.project_id,
    JOBS.c.queue_id,
    JOBS.c.workflow_id,
    JOBS.c.job_type,
    JOBS.c.status,
    JOBS.c.status_reason,
    JOBS.c.dependency_status,
    JOBS.c.output,
    JOBS.c.trigger_rule,
)


async def insert_edges(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert edges (id, organization_id, parent_job_id, child_job_id,
    dependency_type, condition, expression, status, created_at), in one statement."""
    return await store_of(session).dependencies.insert_edges(session, rows)


async def get(session: AsyncSession, org_id: uuid.UUID, edge_id: uuid.UUID) -> JobDependency | None:
    return await session.scalar(
        select(JobDependency).where(
            JobDependency.id == edge_id, JobDependency.organization_id == org_id
        )
    )


async def find(
    session: AsyncSession, parent_id: uuid.UUID, child_id: uuid.UUID
) -> JobDependency | None:
    return await session.scalar(
        select(JobDependency).where(
            JobDependency.parent_job_id == parent_id, JobDependency.child_job_id == child_id
        )
    )


async def delete_edge(session: AsyncSession, edge_id: uuid.UUID) -> None:
    await session.execute(delete(EDGES).where(EDGES.c.id == edge_id))


async def pending_out(session: AsyncSession, parent_ids: Sequence[uuid.UUID]) -> list[PendingEdge]:
    """PENDING edges leaving these parents (the only ones a parent's change can
    decide), with this session's pending changes flushed first."""
    return await store_of(session).dependencies.pending_out(session, parent_ids)


async def decide(
    session: AsyncSession,
    parents: Sequence[tuple[uuid.UUID, JobStatus]],
    now: datetime,
    workflows: Iterable[uuid.UUID] = (),
    mapped: Iterable[uuid.UUID] = (),
) -> tuple[set[uuid.UUID], list[PendingEdge]]:
    """Decide the parents' PENDING edges without an expression by the parents'
    statuses alone (``evaluate_edge``; resolved_by ``parent:STATUS``) and return the
    children of the edges decided, locked as ``lock_children`` locks them, with the
    PENDING edges that have an expression, left for the caller (they need the
    parent's output). The same decisions on every store: one UPDATE on PostgreSQL
    (which takes the locks too), evaluated in Python on SQLite. ``workflows`` are then
    locked as ``workflows.lock_for_refresh`` locks them (after the children).
    ``mapped``: the parents that may be mapped children (ended, in a workflow): the
    templates of those that are come back with the children, locked (their implied edges
    decide them as a stored edge would)."""
    return await store_of(session).dependencies.decide(session, parents, now, workflows, mapped)


async def set_status(
    session: AsyncSession,
    edge_ids: Sequence[uuid.UUID],
    status: EdgeStatus,
    now: datetime,
    by: str,
) -> None:
    """These edges, if still PENDING, decided: ``status``, resolved now ``by``."""
    return await store_of(session).dependencies.set_status(session, edge_ids, status, now, by)


async def incoming_counts(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[EdgeStatus, int]]:
    """Incoming edge counts per status: a fan-in of thousands is a few rows, not thousands."""
    ids = list(child_ids)
    grouped: dict[uuid.UUID, dict[EdgeStatus, int]] = defaultdict(dict)
    if ids:
        stmt = (
            select(EDGES.c.child_job_id, EDGES.c.status, func.count())
            .where(EDGES.c.child_job_id.in_(ids))
            .group_by(EDGES.c.child_job_id, EDGES.c.status)
        )
        for child, status, n in await session.execute(stmt):
            grouped[child][status] = n
        for template, status, n in await mapped_edges.counts_into(session, ids):
            grouped[template][status] = grouped[template].get(status, 0) + n
    return grouped


async def lock_children(session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
    """Serialize the deciders of these children: row locks in id order on PostgreSQL
    (the caller reads their edges in a later statement, which then sees what the
    previous holder committed). Deliberately a no-op on SQLite: its one write
    transaction at a time already serializes them."""
    return await store_of(session).dependencies.lock_children(session, child_ids)


async def children_state(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any]]:
    """The engine rows of these children (``ENGINE_COLUMNS``) and, per child with
    incoming edges, edge statuses that decide ``child_outcome`` under its trigger rule:
    every status present on SQLite, the deciding ones on PostgreSQL (every one present
    for a rule other than ALL_SUCCESS). The outcome is the same."""
    return await store_of(session).dependencies.children_state(session, child_ids)


async def decide_children(
    session: AsyncSession, child_ids: Iterable[uuid.UUID], now: datetime
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any], list[Released]]:
    """``children_state``, with the commonest decision applied: children whose
    incoming edges are all RESOLVED and whose rule then releases them
    (``RELEASED_WHEN_ALL_RESOLVED``) become SATISFIED here, are left out of the state
    and rows, and those that changed and are PENDING are listed in the released
    groups (one per organization, project, queue and workflow)."""
    return await store_of(session).dependencies.decide_children(session, child_ids, now)


async def set_dependency_status(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], status: DependencyStatus, now: datetime
) -> None:
    """These jobs' dependency status set (one array parameter on PostgreSQL: a
    fan-out releasing 10,000 children would otherwise plan 10,000 placeholders)."""
    return await store_of(session).dependencies.set_dependency_status(session, job_ids, status, now)


async def end_not_started(
    session: AsyncSession,
    job_ids: Sequence[uuid.UUID],
    status: JobStatus,
    reason: str,
    now: datetime,
) -> list[Row[Any]]:
    """Jobs that have not started end with ``status`` (a job already running or ended
    is left alone: compare-and-set on the status). Returns the rows that changed.

    A job that ran before (waiting for its retry, or re-run) has its open attempt closed
    as CANCELLED with it: the engine's decision wins over the attempts."""
    if not job_ids:
        return []
    stmt = (
        update(JOBS)
        .where(JOBS.c.id.in_(job_ids), JOBS.c.status.in_(NOT_STARTED))
        .values(status=status, status_reason=reason, finished_at=now, updated_at=now)
        .returning(*ENGINE_COLUMNS, JOBS.c.attempts)
    )
    changed = list(await session.execute(stmt))
    ran = [r.id for r in changed if r.attempts]
    await jobs_repo.close_open_attempts(session, ran, ExecutionStatus.CANCELLED, now, reason)
    return changed


async def not_started_in_workflow(session: AsyncSession, workflow_id: uuid.UUID) -> list[Row[Any]]:
    """The jobs of a workflow that have not started (id, trigger_rule,
    dependency_status), by the workflow's status index."""
    stmt = select(JOBS.c.id, JOBS.c.trigger_rule, JOBS.c.dependency_status).where(
        JOBS.c.workflow_id == workflow_id, JOBS.c.status.in_(NOT_STARTED)
    )
    return list(await session.execute(stmt))


async def edges_touching(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID], *, upstream: bool
) -> list[JobDependency]:
    """Edges into (upstream) or out of (downstream) these jobs: one BFS step."""
    column = JobDependency.child_job_id if upstream else JobDependency.parent_job_id
    rows = await session.scalars(
        select(JobDependency).where(
            JobDependency.organization_id == org_id, column.in_(list(job_ids))
        )
    )
    implied = mapped_edges.into if upstream else mapped_edges.out_of
    return [*rows, *await implied(session, org_id, job_ids)]


async def edges_of_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> list[JobDependency]:
    """Edges into or out of these jobs (for the DataLoaders)."""
    ids = list(job_ids)
    rows = await session.scalars(
        select(JobDependency).where(
            JobDependency.organization_id == org_id,
            or_(JobDependency.parent_job_id.in_(ids), JobDependency.child_job_id.in_(ids)),
        )
    )
    implied = {e.id: e for e in await mapped_edges.into(session, org_id, ids)}
    # a template and its child both in hand: their edge once
    implied |= {e.id: e for e in await mapped_edges.out_of(session, org_id, ids)}
    return [*rows, *implied.values()]


async def edges_of_workflow(session: AsyncSession, workflow_id: uuid.UUID) -> list[Any]:
    """A workflow's edges (rows, with its mapped children's implied ones)."""
    parent = JOBS.alias("parent")
    stmt = (
        select(EDGES)
        .join(parent, parent.c.id == EDGES.c.parent_job_id)
        .where(parent.c.workflow_id == workflow_id)
    )
    rows: list[Any] = list(await session.execute(stmt))
    return rows + await mapped_edges.of_workflow(session, workflow_id)


async def reset_into(session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
    """Edges into these jobs go back to PENDING (a retry re-decides them)."""
    if child_ids:
        await session.execute(
            update(EDGES)
            .where(EDGES.c.child_job_id.in_(child_ids))
            .values(status=EdgeStatus.PENDING, resolved_at=None, resolved_by=None)
        )


async def fail_pending_into(
    session: AsyncSession, child_ids: Sequence[uuid.UUID], now: datetime, by: str
) -> None:
    """Edges into jobs that ended without running can no longer resolve."""
    if child_ids:
        await session.execute(
            update(EDGES)
            .where(EDGES.c.child_job_id.in_(child_ids), EDGES.c.status == EdgeStatus.PENDING)
            .values(status=EdgeStatus.CANCELLED, resolved_at=now, resolved_by=by)
        )
