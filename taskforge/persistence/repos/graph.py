"""Graph reads of jobs and their edges (dependencyGraph, workflow graphs): plain rows
with only the columns a graph shows, each BFS step keyed by its frontier."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, Table, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.database import driver_connection
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


class GraphJob(NamedTuple):
    id: uuid.UUID
    name: str | None
    job_type: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None


class GraphEdge(NamedTuple):
    id: uuid.UUID
    parent_job_id: uuid.UUID
    child_job_id: uuid.UUID
    dependency_type: str
    condition: str
    status: str


def _jobs(rows: Iterable[Any]) -> list[GraphJob]:
    return [GraphJob._make(r) for r in rows]


def _edges(rows: Iterable[Any]) -> list[GraphEdge]:
    return [GraphEdge._make(r) for r in rows]


# On PostgreSQL the graph reads run on the driver connection: for a 10,000-job workflow,
# SQLAlchemy's per-value result processing took ~20x the statements' own time.
_JOB_SQL = "SELECT id, name, job_type, status::text AS status, started_at, finished_at FROM jobs"
_EDGE_SQL = (
    "SELECT e.id, e.parent_job_id, e.child_job_id, e.dependency_type::text AS dependency_type,"
    " e.condition::text AS condition, e.status::text AS status FROM job_dependencies e"
)
GRAPH_JOBS_PG = f"{_JOB_SQL} WHERE organization_id = $1 AND id = ANY($2::uuid[])"
WORKFLOW_JOBS_PG = f"{_JOB_SQL} WHERE workflow_id = $1 ORDER BY created_at, name"
WORKFLOW_EDGES_PG = (
    f"{_EDGE_SQL} JOIN jobs parent ON parent.id = e.parent_job_id WHERE parent.workflow_id = $1"
)
STEP_PG = f"{_EDGE_SQL} WHERE e.organization_id = $1 AND e.{{column}} = ANY($2::uuid[])"
UPSTREAM_PG, DOWNSTREAM_PG = (
    STEP_PG.format(column="child_job_id"),
    STEP_PG.format(column="parent_job_id"),
)


async def graph_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> list[Any]:
    driver = await driver_connection(session)
    if driver is not None:
        return _jobs(await driver.fetch(GRAPH_JOBS_PG, org_id, list(job_ids)))
    stmt = select(*GRAPH_JOB_COLUMNS).where(
        JOBS.c.organization_id == org_id, JOBS.c.id.in_(list(job_ids))
    )
    return _jobs(await session.execute(stmt))


async def graph_of_workflow(
    session: AsyncSession, workflow_id: uuid.UUID
) -> tuple[list[Any], list[Any]]:
    driver = await driver_connection(session)
    if driver is not None:
        return (
            _jobs(await driver.fetch(WORKFLOW_JOBS_PG, workflow_id)),
            _edges(await driver.fetch(WORKFLOW_EDGES_PG, workflow_id)),
        )
    jobs = await session.execute(
        select(*GRAPH_JOB_COLUMNS)
        .where(JOBS.c.workflow_id == workflow_id)
        .order_by(JOBS.c.created_at, JOBS.c.name)
    )
    parent = JOBS.alias("parent")
    edges = await session.execute(
        select(*GRAPH_EDGE_COLUMNS)
        .join(parent, parent.c.id == EDGES.c.parent_job_id)
        .where(parent.c.workflow_id == workflow_id)
    )
    return _jobs(jobs), _edges(edges)


async def graph_step(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID], *, upstream: bool
) -> list[Any]:
    """Edges into (upstream) or out of (downstream) these jobs: one BFS step."""
    driver = await driver_connection(session)
    if driver is not None:
        sql = UPSTREAM_PG if upstream else DOWNSTREAM_PG
        return _edges(await driver.fetch(sql, org_id, list(job_ids)))
    column = EDGES.c.child_job_id if upstream else EDGES.c.parent_job_id
    stmt = select(*GRAPH_EDGE_COLUMNS).where(
        EDGES.c.organization_id == org_id, column.in_(list(job_ids))
    )
    return _edges(await session.execute(stmt))
