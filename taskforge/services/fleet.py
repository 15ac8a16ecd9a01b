"""Administration of projects, queues, workers and assignments: update and delete a
project, pause and resume a queue, delete a worker, assign it to queues.

Decisions (README, "Administration"):
- deleteProject is an admin's (it removes everything the project holds). Refused with
  CONFLICT while a queue of the project holds unfinished jobs (PENDING, SCHEDULED,
  PROCESSING); with ``force`` those jobs are deleted with the project in the same
  transaction, not cancelled first (as deleteQueue with force): its queues, jobs with
  their executions, logs and edges, workflows and schedules go together, jobs of other
  projects that depended on its jobs are re-evaluated as after deleteJob, and workers
  first registered in it stay (without a project). A worker acknowledging a deleted job
  gets NOT_FOUND/CONFLICT, as after deleteJob.
- A paused queue accepts jobs and starts none; resuming it wakes jobsAvailable.
- A worker is deleted only when OFFLINE; its executions keep their history with no
  worker. Assignment changes apply to the worker's next claim.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, validation
from taskforge.domain.enums import WorkerStatus
from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.domain.events import (
    AssignmentChanged,
    AssignmentRemoved,
    Event,
    ProjectDeleted,
    ProjectUpdated,
    QueueCreated,
    QueueDeleted,
    QueuePaused,
    QueueResumed,
    WorkerDeleted,
)
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.common import fleet as repo
from taskforge.persistence.common import queues as queues_repo
from taskforge.persistence.common import tenancy as tenancy_repo
from taskforge.persistence.common import workers as workers_repo
from taskforge.persistence.common import workflows as workflows_repo
from taskforge.persistence.tables import JobQueue, QueueWorkerAssignment
from taskforge.services import audit
from taskforge.services.base import Principal, Services, emit, found, retried
from taskforge.services.job_events import record
from taskforge.services.resolution import reaggregate
from taskforge.services.workers import PERMISSION as WORKERS

MAX_WEIGHT = 100


# -- projects ----------------------------------------------------------------------


async def update_project(
    svc: Services,
    principal: Principal,
    project_id: uuid.UUID,
    name: str | None = None,
    description: str | None = None,
) -> records.Project:
    """Rename a project or change its description (``None``: unchanged)."""
    principal.require("jobs:write")
    org = principal.organization_id
    new_name = None if name is None else validation.name(name)
    new_description = validation.description(description)
    conflict = f"a project named {new_name!r} already exists"
    try:
        async with svc.write() as session:
            project = found(
                await repo.lock_project(session, org, project_id), "project", project_id
            )
            if new_name is not None and new_name != project.name:
                if await tenancy_repo.project_by_name(session, org, new_name) is not None:
                    raise Conflict(conflict, field="name")
                project.name = new_name
            if new_description is not None:
                project.description = new_description
            await session.flush()
            await emit(session, ProjectUpdated(org, project.id))
            await audit.record(
                session,
                principal,
                "project.updated",
                "project",
                project.id,
                details={"name": project.name},
            )
    except IntegrityError as exc:  # a concurrent create or rename won the name
        raise Conflict(conflict, field="name") from exc
    return records.Project.of(project)


@retried
async def delete_project(
    svc: Services, principal: Principal, project_id: uuid.UUID, force: bool = False
) -> uuid.UUID:
    """Delete a project with everything it holds; refused while its queues hold
    unfinished jobs unless ``force`` (see the module docstring)."""
    principal.require(ADMIN)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        project = found(await repo.lock_project(session, org, project_id), "project", project_id)
        queues = await repo.project_queues(session, project_id)
        queue_ids = [q.id for q in queues]
        if not force and await repo.any_unfinished(session, queue_ids):
            raise Conflict(
                "the project's queues hold unfinished jobs; cancel them or pass force: true"
            )
        workflow_ids = await repo.project_workflow_ids(session, project_id)
        children = await repo.children_outside(session, queue_ids, workflow_ids)
        events: list[Event] = [QueueDeleted(org, q.id, project_id, q.name) for q in queues]
        events.append(ProjectDeleted(org, project_id))
        await repo.detach_workers(session, project_id)
        await session.delete(project)  # the database cascades the rest
        await session.flush()
        for workflow_id in workflow_ids:
            await workflows_repo.forget_counts(session, workflow_id)
        changes = await reaggregate(session, children, now) if children else []
        await record(session, [*changes, *events])
        await audit.record(
            session,
            principal,
            "project.deleted",
            "project",
            project_id,
            details={"name": project.name, "force": force, "queues": len(queue_ids)},
        )
    return project_id


# -- queues ------------------------------------------------------------------------


def _queue_event(queue: JobQueue, kind: type[QueueCreated]) -> QueueCreated:
    return kind(queue.organization_id, queue.id, queue.project_id, queue.name)


async def pause_queue(svc: Services, principal: Principal, queue_id: uuid.UUID) -> records.Queue:
    """The queue accepts jobs and starts none (its running jobs finish). Idempotent."""
    principal.require("jobs:write")
    async with svc.write() as session:
        queue = found(
            await repo.lock_queue(session, principal.organization_id, queue_id), "queue", queue_id
        )
        if queue.paused_at is None:
            queue.paused_at = svc.clock()
            await session.flush()
            await emit(session, _queue_event(queue, QueuePaused))
            await audit.record(session, principal, "queue.paused", "queue", queue.id)
    return records.Queue.of(queue)


async def resume_queue(svc: Services, principal: Principal, queue_id: uuid.UUID) -> records.Queue:
    """The queue starts jobs again; its workers waiting on jobsAvailable wake. Idempotent."""
    principal.require("jobs:write")
    async with svc.write() as session:
        queue = found(
            await repo.lock_queue(session, principal.organization_id, queue_id), "queue", queue_id
        )
        if queue.paused_at is not None:
            queue.paused_at = None
            await session.flush()
            await emit(session, _queue_event(queue, QueueResumed))
            await audit.record(session, principal, "queue.resumed", "queue", queue.id)
    return records.Queue.of(queue)


# -- workers and assignments -------------------------------------------------------


async def delete_worker(svc: Services, principal: Principal, worker_id: uuid.UUID) -> uuid.UUID:
    """Delete an OFFLINE worker with its assignments (CONFLICT while it is not)."""
    principal.require(WORKERS)
    org = principal.organization_id
    async with svc.write() as session:
        worker = found(await repo.lock_worker(session, org, worker_id), "worker", worker_id)
        if worker.status is not WorkerStatus.OFFLINE:
            raise Conflict(
                f"worker {worker_id} is {worker.status.value}; only an OFFLINE worker is deleted",
                status=worker.status.value,
            )
        event = WorkerDeleted(org, worker.id, WorkerStatus.OFFLINE, worker.name)
        await repo.delete_worker(session, worker_id)
        session.expunge(worker)
        await emit(session, event)
        details = {"name": event.name}
        await audit.record(
            session, principal, "worker.deleted", "worker", worker_id, details=details
        )
    return worker_id


def _weight(weight: int) -> int:
    if not 1 <= weight <= MAX_WEIGHT:
        raise InvalidInput(f"weight must be between 1 and {MAX_WEIGHT}", field="weight")
    return weight


async def _worker_and_queue(
    session: AsyncSession, principal: Principal, worker_id: uuid.UUID, queue_id: uuid.UUID
) -> None:
    """NOT_FOUND unless both are the caller's (the worker locked: its assignment
    changes take turns)."""
    org = principal.organization_id
    found(await repo.lock_worker(session, org, worker_id), "worker", worker_id)
    found(await queues_repo.get(session, org, queue_id), "queue", queue_id)


def _assignment_event(
    org: uuid.UUID, a: QueueWorkerAssignment, kind: type[AssignmentChanged]
) -> AssignmentChanged:
    return kind(org, a.worker_id, a.queue_id, a.weight, a.is_active)


async def assign_queue(
    svc: Services, principal: Principal, worker_id: uuid.UUID, queue_id: uuid.UUID, weight: int = 1
) -> records.Worker:
    """Assign the worker to one more of its tenant's queues (CONFLICT if it already is)."""
    principal.require(WORKERS)
    weight = _weight(weight)
    org = principal.organization_id
    async with svc.write() as session:
        await _worker_and_queue(session, principal, worker_id, queue_id)
        if await repo.assignment(session, worker_id, queue_id) is not None:
            raise Conflict(
                "the worker is already assigned to this queue; use updateAssignment",
                field="queueId",
            )
        added = QueueWorkerAssignment(
            queue_id=queue_id,
            worker_id=worker_id,
            weight=weight,
            is_active=True,
            created_at=svc.clock(),
        )
        session.add(added)
        await session.flush()
        await emit(session, _assignment_event(org, added, AssignmentChanged))
        details = {"queueId": str(queue_id), "weight": weight}
        await audit.record(
            session, principal, "worker.assigned", "worker", worker_id, details=details
        )
        worker = await workers_repo.get(session, org, worker_id)
    return records.Worker.of(found(worker, "worker", worker_id))


async def update_assignment(
    svc: Services,
    principal: Principal,
    worker_id: uuid.UUID,
    queue_id: uuid.UUID,
    weight: int | None = None,
    is_active: bool | None = None,
) -> records.Worker:
    """Change an assignment's weight or whether it is active (``None``: unchanged)."""
    principal.require(WORKERS)
    if weight is not None:
        weight = _weight(weight)
    org = principal.organization_id
    async with svc.write() as session:
        await _worker_and_queue(session, principal, worker_id, queue_id)
        current = found(await repo.assignment(session, worker_id, queue_id), "assignment", queue_id)
        if weight is not None:
            current.weight = weight
        if is_active is not None:
            current.is_active = is_active
        await session.flush()
        await emit(session, _assignment_event(org, current, AssignmentChanged))
        details = {
            "queueId": str(queue_id),
            "weight": current.weight,
            "isActive": current.is_active,
        }
        await audit.record(
            session, principal, "worker.assignment_updated", "worker", worker_id, details=details
        )
        worker = await workers_repo.get(session, org, worker_id)
    return records.Worker.of(found(worker, "worker", worker_id))


async def unassign_queue(
    svc: Services, principal: Principal, worker_id: uuid.UUID, queue_id: uuid.UUID
) -> records.Worker:
    """Remove the worker's assignment to the queue (NOT_FOUND if it has none). A worker
    may be left with no queue: it then claims nothing until assigned again."""
    principal.require(WORKERS)
    org = principal.organization_id
    async with svc.write() as session:
        await _worker_and_queue(session, principal, worker_id, queue_id)
        current = found(await repo.assignment(session, worker_id, queue_id), "assignment", queue_id)
        event = _assignment_event(org, current, AssignmentRemoved)
        await session.delete(current)
        await session.flush()
        await emit(session, event)
        details = {"queueId": str(queue_id)}
        await audit.record(
            session, principal, "worker.unassigned", "worker", worker_id, details=details
        )
        worker = await workers_repo.get(session, org, worker_id)
    return records.Worker.of(found(worker, "worker", worker_id))
