"""The events a job's changes write: status changes and dependency decisions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.domain.workflows import stats
from taskforge.persistence.common import outbox
from taskforge.persistence.common import workflows as workflows_repo
from taskforge.persistence.tables import Job

STATUS_CHANGED = "job.status_changed"
JOBS_RELEASED = "jobs.released"


def _getter(job: Any) -> Any:
    return job.get if isinstance(job, dict) else lambda k: getattr(job, k, None)


def _job_ref(get: Any) -> dict[str, Any]:
    workflow = get("workflow_id")
    return {
        "jobId": str(get("id")),
        "queueId": str(get("queue_id")),
        "projectId": str(get("project_id")),
        "workflowId": str(workflow) if workflow else None,
        "jobType": get("job_type"),
    }


def status_event(
    job: Job | Row[Any] | dict[str, Any], previous: JobStatus | None, reason: str | None = None
) -> dict[str, Any]:
    get = _getter(job)
    return {
        "organization_id": get("organization_id"),
        "topic": "jobs",
        "type": STATUS_CHANGED,
        "payload": {
            **_job_ref(get),
            "status": str(get("status")),
            "previousStatus": str(previous) if previous else None,
            "reason": reason,
        },
    }


def released_events(
    jobs: Iterable[Job | Row[Any]], dependency_status: DependencyStatus
) -> list[dict[str, Any]]:
    """PENDING jobs whose dependencies were decided and that are claimable now: one event
    per queue and workflow listing them, so a fan-out releasing 10,000 jobs writes, relays
    and signals one event rather than 10,000 (workers only need to know a queue has work)."""
    groups: dict[tuple[Any, Any, Any, Any], list[Any]] = defaultdict(list)
    for job in jobs:
        get = _getter(job)
        key = (get("organization_id"), get("project_id"), get("queue_id"), get("workflow_id"))
        groups[key].append(get("id"))
    return [released_event(*key, ids, dependency_status) for key, ids in groups.items()]


def released_event(
    organization_id: uuid.UUID,
    project_id: uuid.UUID,
    queue_id: uuid.UUID,
    workflow_id: uuid.UUID | None,
    job_ids: Iterable[uuid.UUID],
    dependency_status: DependencyStatus,
) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "topic": "jobs",
        "type": JOBS_RELEASED,
        "payload": {
            "jobIds": [str(i) for i in job_ids],
            "queueId": str(queue_id),
            "projectId": str(project_id),
            "workflowId": str(workflow_id) if workflow_id else None,
            "status": JobStatus.PENDING.value,
            "dependencyStatus": str(dependency_status),
        },
    }


async def with_workflow_state(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Give each job event of a workflow the workflow's status and stats as of this
    transaction (one grouped count for all workflows touched): what workflowProgress
    streams, and replays, without a query per event per subscriber."""
    touched = {
        e["payload"]["workflowId"]
        for e in events
        if e["type"] == STATUS_CHANGED and e["payload"].get("workflowId")
    }
    if not touched:
        return
    ids = [uuid.UUID(w) for w in touched]
    state = {
        str(w): {"status": str(status), "stats": stats(counts)}
        for w, (status, counts) in (await workflows_repo.states(session, ids)).items()
    }
    for e in events:
        flow = e["payload"].get("workflowId")
        if e["type"] == STATUS_CHANGED and flow in state:
            e["payload"]["workflow"] = state[flow]


async def record(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Write a use case's events to the outbox, workflow state attached."""
    await with_workflow_state(session, events)
    await outbox.append(session, events)
