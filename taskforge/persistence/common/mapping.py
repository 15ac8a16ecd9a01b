"""Dynamic fan-out: map templates, the children they make, and jobs spawned at run time
(services/mapping, services/spawning). Every statement is keyed by the jobs or workflows
in hand; a template's children are found by their ``map_parent_id``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.tables import Job, JobDependency, Workflow

JOBS: Table = Job.__table__  # type: ignore[assignment]
EDGES: Table = JobDependency.__table__  # type: ignore[assignment]


async def template_counts(
    session: AsyncSession, workflow_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many map templates each of these workflows has (fixed at creation)."""
    stmt = select(Workflow.id, Workflow.map_templates).where(Workflow.id.in_(list(workflow_ids)))
    return {wid: n for wid, n in await session.execute(stmt)}


async def templates(session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> list[Job]:
    """The map templates among these jobs (by primary key), read afresh: the engine
    changed them with plain UPDATEs, so this session's copies may be stale."""
    stmt = (
        select(Job)
        .where(Job.id.in_(list(job_ids)), Job.map_over.is_not(None))
        .order_by(Job.created_at, Job.id)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def children_outputs(session: AsyncSession, template_id: uuid.UUID) -> list[Any]:
    """The outputs of a template's children, by index (None: a child without output)."""
    stmt = (
        select(JOBS.c.map_index, JOBS.c.output)
        .where(JOBS.c.map_parent_id == template_id)
        .order_by(JOBS.c.map_index)
    )
    return [output for _, output in await session.execute(stmt)]


async def names_taken(
    session: AsyncSession, workflow_id: uuid.UUID, names: Sequence[str]
) -> set[str]:
    """Which of these names a job of the workflow has already."""
    if not names:
        return set()
    stmt = select(JOBS.c.name).where(JOBS.c.workflow_id == workflow_id, JOBS.c.name.in_(names))
    return {name for name in await session.scalars(stmt) if name is not None}


async def children_waiting(session: AsyncSession, parent_id: uuid.UUID) -> list[Any]:
    """The children of a job (id, status, dependency_status), by its outgoing edges, and
    its map template if it is a mapped child (its edge into it is implied)."""
    columns = (JOBS.c.id, JOBS.c.status, JOBS.c.dependency_status)
    by_edge = (
        select(*columns)
        .select_from(EDGES.join(JOBS, JOBS.c.id == EDGES.c.child_job_id))
        .where(EDGES.c.parent_job_id == parent_id)
    )
    child = JOBS.alias("child")
    template = select(*columns).where(
        JOBS.c.id == select(child.c.map_parent_id).where(child.c.id == parent_id).scalar_subquery()
    )
    return list(await session.execute(by_edge.union(template).order_by(literal_column("id"))))
