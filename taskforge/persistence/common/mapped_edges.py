"""The edges of mapped children into their map templates, which are implied by the
children's ``map_parent_id`` and stored as no row (services/mapping). Reads that show or
walk edges (dependencies, dependencyGraph, workflow graphs, retries) get them here as
if they were rows: a SEQUENTIAL SUCCEEDED edge whose state is read off the child's
status (``domain.dependencies.mapped_edge``), with an id derived from the child's, the
same at every read. Each read is keyed by the jobs in hand (by the children's index or
the primary key)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.dependencies import mapped_edge
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyType,
    EdgeStatus,
    FailurePolicy,
    JobStatus,
)
from taskforge.domain.rows import GraphEdge
from taskforge.persistence.tables import Job, JobDependency, Workflow

JOBS: Table = Job.__table__  # type: ignore[assignment]
WORKFLOWS: Table = Workflow.__table__  # type: ignore[assignment]
_NAMESPACE = uuid.UUID("6f1c1e0a-5b7e-4d59-9a3c-2f0d8e4b7a61")
# a FAILED child's edge waits for the operator under a MANUAL policy (mapped_edge)
_HELD = (WORKFLOWS.c.failure_policy == FailurePolicy.MANUAL).label("held")
_COLUMNS = (
    JOBS.c.id,
    JOBS.c.organization_id,
    JOBS.c.map_parent_id,
    JOBS.c.status,
    JOBS.c.status_reason,
    JOBS.c.created_at,
    JOBS.c.finished_at,
    _HELD,
)


def _children() -> Any:
    """A select of mapped children's edge columns (their workflow's policy joined)."""
    return select(*_COLUMNS).select_from(JOBS.join(WORKFLOWS, WORKFLOWS.c.id == JOBS.c.workflow_id))


def edge_id(child_id: uuid.UUID) -> uuid.UUID:
    """The implied edge's id: the same for a mapped child at every read."""
    return uuid.uuid5(_NAMESPACE, str(child_id))


def _edge(row: Any) -> JobDependency:
    status = mapped_edge(JobStatus(row.status), row.status_reason, bool(row.held))
    decided = status is not EdgeStatus.PENDING
    return JobDependency(
        id=edge_id(row.id),
        organization_id=row.organization_id,
        parent_job_id=row.id,
        child_job_id=row.map_parent_id,
        dependency_type=DependencyType.SEQUENTIAL,
        condition=DependencyCondition.SUCCEEDED,
        expression=None,
        status=status,
        resolved_at=row.finished_at if decided else None,
        resolved_by=f"parent:{JobStatus(row.status).value}" if decided else None,
        created_at=row.created_at,
    )


async def into(
    session: AsyncSession, org_id: uuid.UUID | None, template_ids: Sequence[uuid.UUID]
) -> list[JobDependency]:
    """The implied edges into these jobs (those that are map templates), not stored:
    one per mapped child, by the children's index."""
    if not template_ids:
        return []
    stmt = _children().where(JOBS.c.map_parent_id.in_(list(template_ids)))
    if org_id is not None:
        stmt = stmt.where(JOBS.c.organization_id == org_id)
    return [_edge(r) for r in await session.execute(stmt.order_by(JOBS.c.map_index))]


async def out_of(
    session: AsyncSession, org_id: uuid.UUID | None, job_ids: Sequence[uuid.UUID]
) -> list[JobDependency]:
    """The implied edges out of these jobs (those that are mapped children), not stored."""
    if not job_ids:
        return []
    stmt = _children().where(JOBS.c.id.in_(list(job_ids)), JOBS.c.map_parent_id.is_not(None))
    if org_id is not None:
        stmt = stmt.where(JOBS.c.organization_id == org_id)
    return [_edge(r) for r in await session.execute(stmt)]


async def counts_into(
    session: AsyncSession, template_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, EdgeStatus, int]]:
    """The implied edges into these jobs (those that are map templates), counted per
    (template, state)."""
    columns = (JOBS.c.map_parent_id, JOBS.c.status, JOBS.c.status_reason, _HELD)
    stmt = (
        select(*columns, func.count())
        .select_from(JOBS.join(WORKFLOWS, WORKFLOWS.c.id == JOBS.c.workflow_id))
        .where(JOBS.c.map_parent_id.in_(list(template_ids)))
        .group_by(*columns)
    )
    return [
        (template, mapped_edge(JobStatus(status), reason, bool(held)), n)
        for template, status, reason, held, n in await session.execute(stmt)
    ]


async def of_workflow(session: AsyncSession, workflow_id: uuid.UUID) -> list[JobDependency]:
    """The implied edges of a workflow's mapped children."""
    stmt = _children().where(JOBS.c.workflow_id == workflow_id, JOBS.c.map_parent_id.is_not(None))
    return [_edge(r) for r in await session.execute(stmt)]


def _graph_edge(child_id: str, template_id: str, status: str) -> GraphEdge:
    return GraphEdge(
        str(edge_id(uuid.UUID(child_id))),
        child_id,
        template_id,
        DependencyType.SEQUENTIAL.value,
        DependencyCondition.SUCCEEDED.value,
        status,
    )


def as_graph(edges: Sequence[JobDependency]) -> list[GraphEdge]:
    """Implied edges as a graph shows them."""
    return [
        _graph_edge(str(e.parent_job_id), str(e.child_job_id), EdgeStatus(e.status).value)
        for e in edges
    ]


def graph_edges(jobs: Sequence[Any], status_of: dict[str, str], held: bool) -> list[GraphEdge]:
    """A workflow graph's implied edges, from its jobs as the graph read them (GraphJob:
    ids as text, ``map_parent_id`` set on the mapped children). A graph job carries no
    status reason: ``status_of`` gives the edge state of the children skipped by the
    operator (RESOLVED), the only ones whose reason matters; ``held``: the workflow's
    policy is MANUAL."""
    return [
        _graph_edge(
            j.id,
            j.map_parent_id,
            status_of.get(j.id) or mapped_edge(JobStatus(j.status), None, held).value,
        )
        for j in jobs
        if j.map_parent_id is not None
    ]
