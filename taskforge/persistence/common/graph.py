"""Graph reads of jobs and their edges (dependencyGraph, workflow graphs): plain rows
with only the columns a graph shows, each BFS step keyed by its frontier; cyclic
collection paused while they are read (see ``gc_pause``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import EdgeStatus, FailurePolicy
from taskforge.domain.rows import GraphEdge, GraphJob
from taskforge.gc_pause import paused
from taskforge.persistence.common import mapped_edges
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Workflow


async def graph_jobs(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str]
) -> list[GraphJob]:
    """These jobs of the organization, as a graph shows them."""
    with paused():
        return await store_of(session).graph.graph_jobs(session, org_id, job_ids)


async def graph_of_workflow(
    session: AsyncSession, workflow_id: uuid.UUID
) -> tuple[list[GraphJob], list[GraphEdge]]:
    """A workflow's jobs (by creation, then name) and the edges leaving them."""
    with paused():
        jobs, edges = await store_of(session).graph.graph_of_workflow(session, workflow_id)
        if any(j.map_parent_id is not None for j in jobs):  # mapped children's implied edges
            skipped = [j.id for j in jobs if j.map_parent_id is not None and j.status == "SKIPPED"]
            reasons = {
                str(e.parent_job_id): EdgeStatus(e.status).value
                for e in await mapped_edges.out_of(session, None, [UUID(i) for i in skipped])
            }
            policy = await session.scalar(
                select(Workflow.failure_policy).where(Workflow.id == workflow_id)
            )
            held = policy is FailurePolicy.MANUAL
            edges = edges + mapped_edges.graph_edges(jobs, reasons, held)
        return jobs, edges


async def graph_step(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str], *, upstream: bool
) -> list[GraphEdge]:
    """Edges into (upstream) or out of (downstream) these jobs (ids as text), mapped
    children's implied edges included: one BFS step."""
    with paused():
        return await store_of(session).graph.graph_step(session, org_id, job_ids, upstream=upstream)
