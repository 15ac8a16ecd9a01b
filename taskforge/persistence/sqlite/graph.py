"""SQLite graph: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.rows import GraphEdge, GraphJob
from taskforge.persistence.common.graph import GRAPH_EDGE_COLUMNS, GRAPH_JOB_COLUMNS, _edges, _jobs
from taskforge.persistence.tables import Job, JobDependency

JOBS: Table = Job.__table__  # type: ignore[assignment]


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


async def graph_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> list[GraphJob]:
    stmt = select(*GRAPH_JOB_COLUMNS).where(
        JOBS.c.organization_id == org_id, JOBS.c.id.in_(list(job_ids))
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
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID], *, upstream: bool
) -> list[GraphEdge]:
    column = EDGES.c.child_job_id if upstream else EDGES.c.parent_job_id
    stmt = select(*GRAPH_EDGE_COLUMNS).where(
        EDGES.c.organization_id == org_id, column.in_(list(job_ids))
    )
    return _edges(await session.execute(stmt))
