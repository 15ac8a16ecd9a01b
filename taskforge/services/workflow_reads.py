"""Workflow reads: one workflow, listings, per-status counts, jobs and the graph."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from taskforge.domain import records
from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.domain.errors import NotFound
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.persistence.common import graph as graph_repo
from taskforge.persistence.common import templates as templates_repo
from taskforge.persistence.common import tenancy
from taskforge.persistence.common import workflows as repo
from taskforge.persistence.tables import Workflow
from taskforge.services.base import Principal, Services, found
from taskforge.services.pagination import Cursor, Listing, paginate

READ = "jobs:read"


async def get(
    svc: Services, principal: Principal, workflow_id: uuid.UUID, *, definition: bool = True
) -> records.Workflow:
    """The workflow; ``definition=False`` leaves its definition unread (records.UNREAD):
    a 10,000-job workflow's is megabytes of JSON to send and decode."""
    principal.require(READ)
    async with svc.read() as session:
        wf = await repo.get(session, principal.organization_id, workflow_id, definition=definition)
    wf = found(wf, "workflow", workflow_id)
    return records.Workflow.of(wf) if definition else records.Workflow.without_definition(wf)


async def definition(
    svc: Services, principal: Principal, workflow_id: uuid.UUID
) -> Mapping[str, Any]:
    """The definition the workflow was created from."""
    principal.require(READ)
    async with svc.read() as session:
        value = await repo.definition(session, principal.organization_id, workflow_id)
    return found(value, "workflow", workflow_id)


async def list_workflows(
    svc: Services,
    principal: Principal,
    *,
    first: int,
    after: Cursor | None,
    project_id: uuid.UUID | None = None,
    statuses: list[WorkflowStatus] | None = None,
) -> Listing[records.Workflow]:
    principal.require(READ)
    org = principal.organization_id
    if project_id is not None:
        async with svc.read() as session:
            if await tenancy.project(session, org, project_id) is None:
                raise NotFound("project", project_id)
    stmt = repo.listing(org, project_id, statuses)
    return await paginate(svc, stmt, Workflow, first, after, records.Workflow.all)


async def by_ids(
    svc: Services, principal: Principal, ids: list[uuid.UUID]
) -> list[records.Workflow]:
    principal.require(READ)
    async with svc.read() as session:
        return records.Workflow.all(await repo.by_ids(session, principal.organization_id, ids))


async def counts_of(
    svc: Services, principal: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[JobStatus, int]]:
    """Jobs per status of each workflow (one grouped count, tenant-scoped), or the
    counts retention froze before deleting its jobs."""
    principal.require(READ)
    async with svc.read() as session:
        mine = await repo.ids_of(session, principal.organization_id, ids)
        counts = await repo.status_counts_many(session, list(mine))
    return {wid: counts.get(wid, {}) for wid in mine}


async def jobs_of(svc: Services, principal: Principal, ids: list[uuid.UUID]) -> list[records.Job]:
    principal.require(READ)
    async with svc.read() as session:
        return records.Job.all(await repo.jobs_of_many(session, principal.organization_id, ids))


async def graph_of(
    svc: Services, principal: Principal, workflow_id: uuid.UUID
) -> tuple[list[records.GraphJob], list[records.GraphEdge]]:
    """All jobs and edges of one workflow (two queries); none once retention has frozen
    it (its jobs are deleted or going: its stats stay)."""
    principal.require(READ)
    async with svc.read() as session:
        wf = found(
            await repo.get(session, principal.organization_id, workflow_id, definition=False),
            "workflow",
            workflow_id,
        )
        if wf.retained_counts is not None:
            return [], []
        jobs, edges = await graph_repo.graph_of_workflow(session, wf.id)
    return jobs, edges


async def child_runs(
    svc: Services, principal: Principal, jobs: Sequence[records.GraphJob]
) -> dict[str, str]:
    """The latest child run of each workflow job among a graph's jobs (ids as text), in
    one indexed read; none at all for a graph without workflow jobs."""
    ids = [uuid.UUID(j.id) for j in jobs if j.job_type == WORKFLOW_JOB_TYPE]
    if not ids:
        return {}
    principal.require(READ)
    async with svc.read() as session:
        children = await templates_repo.latest_children(session, principal.organization_id, ids)
    return {str(job): str(child) for job, child in children.items()}


async def latest_children_of(
    svc: Services, principal: Principal, job_ids: list[uuid.UUID]
) -> dict[uuid.UUID, records.Workflow]:
    """Each of these workflow jobs' latest child run (for a DataLoader)."""
    principal.require(READ)
    org = principal.organization_id
    async with svc.read() as session:
        children = await templates_repo.latest_children(session, org, job_ids)
        rows = {w.id: w for w in await repo.by_ids(session, org, list(children.values()))}
    return {job: records.Workflow.of(rows[child]) for job, child in children.items()}
