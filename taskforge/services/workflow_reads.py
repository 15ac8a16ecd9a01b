"""Workflow reads: one workflow, listings, per-status counts, jobs and the graph."""

from __future__ import annotations

import uuid
from typing import Any

from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.domain.errors import NotFound
from taskforge.persistence.common import graph as graph_repo
from taskforge.persistence.common import tenancy
from taskforge.persistence.common import workflows as repo
from taskforge.persistence.tables import Job, Workflow
from taskforge.services.base import Principal, Services, found
from taskforge.services.pagination import Cursor, Listing, paginate

READ = "jobs:read"


async def get(svc: Services, principal: Principal, workflow_id: uuid.UUID) -> Workflow:
    principal.require(READ)
    async with svc.read() as session:
        wf = await repo.get(session, principal.organization_id, workflow_id)
    return found(wf, "workflow", workflow_id)


async def list_workflows(
    svc: Services,
    principal: Principal,
    *,
    first: int,
    after: Cursor | None,
    project_id: uuid.UUID | None = None,
    statuses: list[WorkflowStatus] | None = None,
) -> Listing[Workflow]:
    principal.require(READ)
    org = principal.organization_id
    if project_id is not None:
        async with svc.read() as session:
            if await tenancy.project(session, org, project_id) is None:
                raise NotFound("project", project_id)
    return await paginate(svc, repo.listing(org, project_id, statuses), Workflow, first, after)


async def by_ids(svc: Services, principal: Principal, ids: list[uuid.UUID]) -> list[Workflow]:
    principal.require(READ)
    async with svc.read() as session:
        return await repo.by_ids(session, principal.organization_id, ids)


async def counts_of(
    svc: Services, principal: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[JobStatus, int]]:
    """Jobs per status of each workflow (one grouped count, tenant-scoped)."""
    principal.require(READ)
    async with svc.read() as session:
        mine = {wf.id for wf in await repo.by_ids(session, principal.organization_id, ids)}
        counts = await repo.status_counts_many(session, list(mine))
    return {wid: counts.get(wid, {}) for wid in mine}


async def jobs_of(svc: Services, principal: Principal, ids: list[uuid.UUID]) -> list[Job]:
    principal.require(READ)
    async with svc.read() as session:
        return await repo.jobs_of_many(session, principal.organization_id, ids)


async def graph_of(
    svc: Services, principal: Principal, workflow_id: uuid.UUID
) -> tuple[list[Any], list[Any]]:
    """All jobs and edges of one workflow as plain rows (two queries)."""
    principal.require(READ)
    async with svc.read() as session:
        wf = found(
            await repo.get(session, principal.organization_id, workflow_id),
            "workflow",
            workflow_id,
        )
        return await graph_repo.graph_of_workflow(session, wf.id)
