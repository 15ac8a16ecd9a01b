"""PostgreSQL graph: statements sent on the driver connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.rows import GraphEdge, GraphJob
from taskforge.persistence.common.mapped_edges import edge_id
from taskforge.persistence.postgres.dependencies import mapped_edge_sql
from taskforge.persistence.postgres.driver import driver_connection

# On PostgreSQL the graph reads run on the driver connection: for a 10,000-job workflow,
# SQLAlchemy's per-value result processing took ~20x the statements' own time. Ids come
# as text, the form a graph is keyed and sent by: no uuid object per id and end, and no
# conversion of each to a string afterwards.
_JOB_SQL = (
    "SELECT id::text, name, job_type, status::text AS status,"
    " extract(epoch FROM finished_at - started_at)::float8 AS run_seconds,"
    " map_parent_id::text, map_index FROM jobs"
)


_EDGE_SQL = (
    "SELECT e.id::text, e.parent_job_id::text, e.child_job_id::text,"
    " e.dependency_type::text AS dependency_type, e.condition::text AS condition,"
    " e.status::text AS status FROM job_dependencies e"
)


GRAPH_JOBS_PG = f"{_JOB_SQL} WHERE organization_id = $1 AND id = ANY($2::uuid[])"


# Binary order of names, as on SQLite; under the database's collation the sort of a
# 10,000-job workflow (all created in one transaction, so ordered by name) took longer.
WORKFLOW_JOBS_PG = f'{_JOB_SQL} WHERE workflow_id = $1 ORDER BY created_at, name COLLATE "C"'


WORKFLOW_EDGES_PG = (
    f"{_EDGE_SQL} JOIN jobs parent ON parent.id = e.parent_job_id WHERE parent.workflow_id = $1"
)


STEP_PG = f"{_EDGE_SQL} WHERE e.organization_id = $1 AND e.{{column}} = ANY($2::uuid[])"


UPSTREAM_PG, DOWNSTREAM_PG = (
    STEP_PG.format(column="child_job_id"),
    STEP_PG.format(column="parent_job_id"),
)


# mapped children's implied edges into their templates (persistence/common/mapped_edges),
# in the same statement as the stored ones: the edge's id is the child's (made the
# implied edge's id after the read) and its state read off the child's status
_IMPLIED_SQL = (
    "SELECT NULL, c.id::text, c.map_parent_id::text, 'SEQUENTIAL', 'SUCCEEDED',"
    f" {mapped_edge_sql('c.status', 'c.status_reason', 'c.workflow_id')}"
    " FROM jobs c WHERE c.organization_id = $1"
)
UPSTREAM_PG += f" UNION ALL {_IMPLIED_SQL} AND c.map_parent_id = ANY($2::uuid[])"
DOWNSTREAM_PG += (
    f" UNION ALL {_IMPLIED_SQL} AND c.id = ANY($2::uuid[]) AND c.map_parent_id IS NOT NULL"
)


def _jobs(rows: Iterable[Any]) -> list[GraphJob]:
    return [GraphJob._make(r) for r in rows]


def _edges(rows: Iterable[Any]) -> list[GraphEdge]:
    return [GraphEdge._make(r) for r in rows]


async def graph_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str]
) -> list[GraphJob]:
    driver = await driver_connection(session)
    return _jobs(await driver.fetch(GRAPH_JOBS_PG, org_id, list(job_ids)))


async def graph_of_workflow(
    session: AsyncSession, workflow_id: uuid.UUID
) -> tuple[list[GraphJob], list[GraphEdge]]:
    driver = await driver_connection(session)
    return (
        _jobs(await driver.fetch(WORKFLOW_JOBS_PG, workflow_id)),
        _edges(await driver.fetch(WORKFLOW_EDGES_PG, workflow_id)),
    )


async def graph_step(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str], *, upstream: bool
) -> list[GraphEdge]:
    driver = await driver_connection(session)
    sql = UPSTREAM_PG if upstream else DOWNSTREAM_PG
    return [
        e if e.id is not None else e._replace(id=str(edge_id(uuid.UUID(e.parent_job_id))))
        for e in _edges(await driver.fetch(sql, org_id, list(job_ids)))
    ]
