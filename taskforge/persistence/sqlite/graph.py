"""SQLite graph: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import String, Table, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import dag
from taskforge.domain.rows import GraphEdge, GraphJob
from taskforge.persistence.common import mapped_edges
from taskforge.persistence.tables import Job, JobDependency

JOBS: Table = Job.__table__  # type: ignore[assignment]


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


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
    JOBS.c.map_parent_id,
    JOBS.c.map_index,
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
    return [
        GraphJob(
            str(r[0]),
            r[1],
            r[2],
            r[3],
            dag.ran_seconds(r[4], r[5]),
            None if r[6] is None else str(r[6]),
            r[7],
        )
        for r in rows
    ]


def _edges(rows: Iterable[Any]) -> list[GraphEdge]:
    return [GraphEdge(str(r[0]), str(r[1]), str(r[2]), *r[3:]) for r in rows]


def _uuids(job_ids: Sequence[str]) -> list[uuid.UUID]:
    return [uuid.UUID(j) for j in job_ids]


async def graph_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str]
) -> list[GraphJob]:
    stmt = select(*GRAPH_JOB_COLUMNS).where(
        JOBS.c.organization_id == org_id, JOBS.c.id.in_(_uuids(job_ids))
    )
    return _jobs(await session.execute(stmt))


async def graph_of_workflow(
    session: AsyncSession, workflow_id: uuid.UUID
) -> tuple[list[GraphJob], list[GraphEdge]]:
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
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str], *, upstream: bool
) -> list[GraphEdge]:
    column = EDGES.c.child_job_id if upstream else EDGES.c.parent_job_id
    stmt = select(*GRAPH_EDGE_COLUMNS).where(
        EDGES.c.organization_id == org_id, column.in_(_uuids(job_ids))
    )
    implied = mapped_edges.into if upstream else mapped_edges.out_of  # mapped children's
    more = mapped_edges.as_graph(await implied(session, org_id, _uuids(job_ids)))
    return _edges(await session.execute(stmt)) + more
