"""The events a job's changes write: status changes and dependency decisions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import DependencyStatus, JobStatus, WorkflowStatus
from taskforge.domain.events import (
    Event,
    JobsReleased,
    JobStatusChanged,
    WorkflowState,
    WorkflowStats,
)
from taskforge.domain.workflows import stats
from taskforge.metrics.server import pending
from taskforge.persistence import store
from taskforge.persistence.common import outbox
from taskforge.persistence.common import workflows as workflows_repo
from taskforge.persistence.tables import Job

# a session's info: workflows' (status, counts) as the engine's refresh or a claim read
# them last in this transaction, for the events recorded next (with_workflow_state)
WORKFLOW_STATES = store.WORKFLOW_STATES
# ... and the workflows whose jobs a child run's end moved in this transaction, in turn
# (services/subworkflows.child_ended): a state read before is stale
PARENTS_MOVED = "taskforge.parents_moved"

STATUS_CHANGED = JobStatusChanged.type
JOBS_RELEASED = JobsReleased.type


def _getter(job: Any) -> Any:
    return job.get if isinstance(job, dict) else lambda k: getattr(job, k, None)


_EVENT_FIELDS = ("organization_id", "id", "queue_id", "project_id", "workflow_id", "job_type")
_event_fields = attrgetter(*_EVENT_FIELDS, "status")
# a dict lookup, not a call of the enum: claims and acknowledgements make an event per job
_JOB_STATUS: dict[Any, JobStatus] = {s.value: s for s in JobStatus}


def status_event(
    job: Job | Row[Any] | dict[str, Any],
    previous: JobStatus | None,
    reason: str | None = None,
    kind: type[JobStatusChanged] = JobStatusChanged,
) -> JobStatusChanged:
    """The job's status change (``kind``: or its deletion, as of its last status)."""
    values: Any
    if isinstance(job, dict):
        values = (*map(job.get, _EVENT_FIELDS), job.get("status"))
    else:
        values = _event_fields(job)
    org, job_id, queue, project, workflow, job_type, status = values
    return kind(
        org,
        job_id,
        queue,
        project,
        workflow or None,
        job_type,
        _JOB_STATUS[status],
        _JOB_STATUS[previous] if previous else None,
        reason,
    )


def released_events(
    jobs: Iterable[Job | Row[Any]], dependency_status: DependencyStatus
) -> list[JobsReleased]:
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
) -> JobsReleased:
    return JobsReleased(
        organization_id=organization_id,
        job_ids=tuple(job_ids),
        queue_id=queue_id,
        project_id=project_id,
        workflow_id=workflow_id or None,
        dependency_status=DependencyStatus(dependency_status),
    )


async def workflow_states(
    session: AsyncSession, changes: Sequence[Event]
) -> dict[uuid.UUID, WorkflowState]:
    """The status and stats, as of this transaction, of the workflows of these job
    status changes (one grouped count for all workflows touched, or none for those the
    engine's refresh has just read; one state object per workflow, stored once per
    row): what workflowProgress streams, and replays, without a query per event per
    subscriber."""
    touched = {
        e.workflow_id for e in changes if type(e) is JobStatusChanged and e.workflow_id is not None
    }
    known: dict[uuid.UUID, Any] = session.info.pop(WORKFLOW_STATES, {})
    if not touched:
        return {}
    if unread := touched.difference(known):
        known = {**known, **await workflows_repo.states(session, list(unread))}
    return {
        w: WorkflowState(WorkflowStatus(status), WorkflowStats.decode(stats(counts)))
        for w, (status, counts) in known.items()
        if w in touched
    }


async def with_workflow_state(session: AsyncSession, changes: Sequence[Event]) -> list[Event]:
    """The events, each job status change of a workflow given its workflow's state
    (``workflow_states``)."""
    state = await workflow_states(session, changes)
    if not state:
        return list(changes)
    return [
        _with_state(e, state[e.workflow_id])
        if type(e) is JobStatusChanged and e.workflow_id in state
        else e
        for e in changes
    ]


def _with_state(e: JobStatusChanged, state: WorkflowState) -> JobStatusChanged:
    """``replace(e, workflow=state)``, built positionally: ``dataclasses.replace`` cost
    20 µs an event (0.4 s of server CPU in the drain of a 10,000-job workflow)."""
    return JobStatusChanged(
        e.organization_id,
        e.job_id,
        e.queue_id,
        e.project_id,
        e.workflow_id,
        e.job_type,
        e.status,
        e.previous_status,
        e.reason,
        state,
    )


async def record(session: AsyncSession, changes: Sequence[Event]) -> None:
    """Write a use case's events to the outbox, workflow state attached (as the events
    are encoded: not a new event per job to carry it). Noted for the job series too
    (counted once committed)."""
    if (notes := pending(session)) is not None:
        notes.changes.append(changes)
    await outbox.append(session, changes, await workflow_states(session, changes))
