"""Jobs a running workflow job adds to its own workflow (``ctx.spawn``, ``spawnJobs``).

The caller names the running attempt (its execution id: what the worker holding the
job's lease was handed with the claim). In one transaction, the spawned jobs join the
spawner's workflow, in the graph, the stats and the live events:

- an edge spawner -> spawned (PARALLEL: it resolves as its parent has started, so the
  spawned job is claimable at once) makes each one the spawner's child;
- an edge spawned -> C for each child C of the spawner still waiting for it makes the
  spawner's downstream wait for what it spawned too (a child already released, or
  started, is left as it is: a release is final).

Spawned payloads are stored as given: references in them are not resolved (the
workflow's "has references" flag, fixed at creation, stays true), and a spawned job is
no map template. The workflow's job limit and the subscription's job quota bound them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, validation
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    ExecutionStatus,
    JobStatus,
)
from taskforge.domain.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from taskforge.domain.events import Event
from taskforge.persistence.common import dependencies as deps
from taskforge.persistence.common import executions as exec_repo
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import mapping as repo
from taskforge.persistence.common import queues, tenancy
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import Job, JobQueue
from taskforge.services import flow
from taskforge.services.base import Principal, Services, retried
from taskforge.services.job_events import record, status_event

PERMISSION = "workers"
MAX_SPAWN = 1000  # jobs per call
SPAWNED = "spawned"  # resolved_by of a spawner's edge to what it spawned


@dataclass(frozen=True)
class Spawn:
    """One job to add: its type and payload, and optionally its name and its queue (a
    name or id in the spawner's project; default: the spawner's queue)."""

    job_type: str
    payload: dict[str, Any] | None = None
    name: str | None = None
    queue: str | None = None


@retried
async def spawn(
    svc: Services, principal: Principal, execution_id: uuid.UUID, jobs: Sequence[Spawn]
) -> list[records.Job]:
    """Add ``jobs`` to the workflow of the job running as ``execution_id``; returns them."""
    principal.require(PERMISSION)
    _check(svc, jobs)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        rows = await exec_repo.current_for_update(session, org, [execution_id])
        if not rows:
            raise NotFound("execution", execution_id)
        ((execution, spawner),) = rows
        if (
            execution.status is not ExecutionStatus.STARTED
            or spawner.status is not JobStatus.PROCESSING
        ):
            raise Conflict(
                f"execution {execution_id} is no longer running (execution"
                f" {execution.status.value}, job {spawner.status.value}): only the worker"
                " holding a job's lease spawns from it",
                executionStatus=execution.status.value,
                jobStatus=spawner.status.value,
            )
        if spawner.workflow_id is None:
            raise InvalidInput(
                f"job {spawner.id} is not in a workflow: only a workflow's job spawns jobs",
                field="executionId",
            )
        # the spawner's children locked (as the engine locks them before deciding), then
        # the workflow (as its refresh does): what waits for the spawner cannot be
        # released meanwhile, and two spawns cannot both pass the limit
        children = await repo.children_waiting(session, spawner.id)
        await deps.lock_children(session, [c.id for c in children])
        children = await repo.children_waiting(session, spawner.id)
        (state,) = await wf_repo.lock_for_refresh(session, [spawner.workflow_id])
        limit = svc.settings.limits.workflow_jobs
        total = sum(state.counts.values()) + len(jobs)
        if total > limit:
            raise InvalidInput(
                f"spawning {len(jobs)} jobs would bring workflow {spawner.workflow_id} to"
                f" {total} jobs, over the limit of {limit} (TASKFORGE_LIMIT_WORKFLOW_JOBS)",
                field="jobs",
                rule="limit",
                limit=limit,
            )
        queue_of = await _queues(session, spawner, jobs)
        made = _rows(spawner, jobs, queue_of, now)
        taken = await repo.names_taken(session, spawner.workflow_id, [r["name"] for r in made])
        if taken:
            i = next(i for i, r in enumerate(made) if r["name"] in taken)
            raise InvalidInput(
                f"workflow {spawner.workflow_id} has a job named {made[i]['name']!r} already",
                field=f"jobs[{i}].name",
            )
        if not await tenancy.consume_jobs_quota(session, org, len(made), now):
            raise QuotaExceeded("the job quota of your subscription's period is used up")
        if flow_queues := {q.id: q.settings for q in queue_of.values() if q.flow_control}:
            await flow.keyed_rows(session, made, flow_queues)
        created = await jobs_repo.insert_many(session, made)
        waiting = [
            c.id
            for c in children
            if c.status in (JobStatus.PENDING, JobStatus.SCHEDULED)
            and c.dependency_status is DependencyStatus.WAITING
        ]
        into = [_edge(org, spawner.id, r["id"], DependencyType.PARALLEL, now) for r in made]
        onto = [
            _edge(org, r["id"], child, DependencyType.SEQUENTIAL, now)
            for r in made
            for child in waiting
        ]
        await deps.insert_edges(session, into + onto)
        await deps.set_status(session, [e["id"] for e in into], EdgeStatus.RESOLVED, now, SPAWNED)
        events: list[Event] = [status_event(row, None) for row in made]
        await record(session, events)
    return records.Job.all(created)


def _check(svc: Services, jobs: Sequence[Spawn]) -> None:
    if not 1 <= len(jobs) <= MAX_SPAWN:
        raise InvalidInput(f"between 1 and {MAX_SPAWN} jobs", field="jobs")
    limit = svc.settings.limits.payload_bytes
    for i, job in enumerate(jobs):
        validation.job_type(job.job_type, f"jobs[{i}].jobType")
        payload = {} if job.payload is None else job.payload
        if not isinstance(payload, dict):
            raise InvalidInput(f"jobs[{i}].payload must be an object", field=f"jobs[{i}].payload")
        validation.json_payload(payload, limit, field=f"jobs[{i}].payload")
        if job.name is not None:
            validation.name(job.name, f"jobs[{i}].name")
    names = [j.name for j in jobs if j.name is not None]
    if len(set(names)) != len(names):
        raise InvalidInput("two jobs have the same name", field="jobs")


async def _queues(
    session: AsyncSession, spawner: Job, jobs: Sequence[Spawn]
) -> dict[str | None, JobQueue]:
    """Each queue named (None: the spawner's), by name or id within its project."""
    rows = await queues.by_projects(session, spawner.organization_id, [spawner.project_id])
    by_key = {q.name: q for q in rows} | {str(q.id): q for q in rows}
    out: dict[str | None, JobQueue] = {None: next(q for q in rows if q.id == spawner.queue_id)}
    for i, job in enumerate(jobs):
        if job.queue is not None and job.queue not in out:
            if job.queue not in by_key:
                raise InvalidInput(
                    f"no queue {job.queue!r} in this project", field=f"jobs[{i}].queue"
                )
            out[job.queue] = by_key[job.queue]
    return out


def _rows(
    spawner: Job, jobs: Sequence[Spawn], queue_of: dict[str | None, JobQueue], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for job in jobs:
        job_id = uuid.uuid4()
        rows.append(
            {
                "id": job_id,
                "organization_id": spawner.organization_id,
                "project_id": spawner.project_id,
                "queue_id": queue_of[job.queue].id,
                "workflow_id": spawner.workflow_id,
                # a default name, unique in practice: the job type and the id's start
                "name": job.name or f"{job.job_type}-{job_id.hex[:8]}",
                "job_type": job.job_type,
                "payload": job.payload or {},
                "payload_template": None,
                "priority": spawner.priority,
                "max_attempts": None,  # its queue's policy
                "status": JobStatus.PENDING,
                # its one edge (from the spawner, running) is resolved: claimable at once
                "dependency_status": DependencyStatus.SATISFIED,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "trace_context": spawner.trace_context,
            }
        )
    return rows


def _edge(
    org: uuid.UUID, parent: uuid.UUID, child: uuid.UUID, kind: DependencyType, now: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "organization_id": org,
        "parent_job_id": parent,
        "child_job_id": child,
        "dependency_type": kind,
        "condition": DependencyCondition.SUCCEEDED,
        "expression": None,
        "status": EdgeStatus.PENDING,
        "created_at": now,
    }
