"""Graph reads of jobs and their edges (dependencyGraph, workflow graphs): plain rows
with only the columns a graph shows, each BFS step keyed by its frontier."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import String, Table, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.rows import GraphEdge, GraphJob
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, JobDependency

EDGES: Table = JobDependency.__table__  # type: ignore[assignment]
JOBS: Table = Job.__table__  # type: ignore[assignment]


def _text(column: Any) -> Any:
    # statuses and types as plain strings: tens of thousands of enum conversions saved
    return type_coerce(column, String).label(column.name)


GRAPH_JOB_COLUMNS = (
    JOBS.c.id,
    JOBS.c.name,
    JOBS.c.job_type,
    _text(JOBS.c.status),
    JOBS.c.started_at,
    JOBS.c.finished_at,
)
GRAPH_EDGE_COLUMNS = (
    EDGES.c.id,
    EDGES.c.parent_job_id,
    EDGES.c.child_job_id,
    _text(EDGES.c.dependency_type),
    _text(EDGES.c.condition),
    _text(EDGES.c.status),
)


def _jobs(rows: Iterable[Any]) -> list[GraphJob]:
    return [GraphJob._make(r) for r in rows]


def _edges(rows: Iterable[Any]) -> list[GraphEdge]:
    return [GraphEdge._make(r) for r in rows]


async def graph_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> list[GraphJob]:
    """These jobs of the organization, as a graph shows them."""
    return await store_of(session).graph.graph_jobs(session, org_id, job_ids)


async def graph_of_workflow(
    session: AsyncSession, workflow_id: uuid.UUID
) -> tuple[list[GraphJob], list[GraphEdge]]:
    """A workflow's jobs (by creation, then name) and the edges leaving them."""
    return await store_of(session).graph.graph_of_workflow(session, workflow_id)


async def graph_step(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID], *, upstream: bool
) -> list[GraphEdge]:
    """Edges into (upstream) or out of (downstream) these jobs: one BFS step."""
    return await store_of(session).graph.graph_step(session, org_id, job_ids, upstream=upstream)
