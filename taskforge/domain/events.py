"""Typed events: what a change tells subscribers, and its stored and relayed encoding.

Each event type is a frozen dataclass with its topic, its type name and its payload
encoding (``payload``) and decoding (``decode``). This module is the one place that
knows the stored format: an outbox row holds one event's payload, or a run of
consecutive events of one tenant, topic and type (``spans``), their payloads listed or
packed around one shared workflow state (``pack``); ``expand`` gives a relayed row's
events back, each with its own id. Payload keys are camelCase JSON, unchanged since the
first release: subscribers replay up to 72 hours of stored events, so a decoder must
read whatever an older writer stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from typing import Any, ClassVar, Self

from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    JobStatus,
    ScheduleStatus,
    WorkerStatus,
    WorkflowStatus,
)

# The most events one row holds: a replay finds the row holding an event id within
# this many ids before it (event_log.replay)
MAX_SPAN = 500


@lru_cache(maxsize=4096)
def shared_id(value: str) -> uuid.UUID:
    """An id that many events repeat (tenant, queue, project, workflow): parsed once.
    Every process decodes every event its subscribers filter, and parsing a UUID is
    most of that cost."""
    return uuid.UUID(value)


def _id(value: str | None) -> uuid.UUID | None:
    return shared_id(value) if value else None


_STATUSES = tuple((s.value, s) for s in JobStatus)


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


@lru_cache(maxsize=4096)
def _shared_text(value: uuid.UUID) -> str:
    """The text of an id that many events repeat (queue, project): formatted once, as a
    claim of 500 jobs of one queue encodes 500 events."""
    return str(value)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a tenant; subclasses name the topic and the type."""

    topic: ClassVar[str] = ""
    type: ClassVar[str] = ""
    organization_id: uuid.UUID

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        raise NotImplementedError


# --- jobs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkflowStats:
    """Jobs per status (every status), total, completed and completion percentage."""

    total: int
    completed: int
    completion_percentage: float
    counts: Mapping[JobStatus, int]

    def encode(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "counts": {str(s): n for s, n in self.counts.items()},
            "completed": self.completed,
            "completionPercentage": self.completion_percentage,
        }

    @classmethod
    def decode(cls, data: Mapping[str, Any]) -> WorkflowStats:
        counts = data.get("counts") or {}
        return cls(
            total=data["total"],
            completed=data["completed"],
            completion_percentage=data["completionPercentage"],
            # in the statuses' order: PostgreSQL's jsonb keeps its own key order
            counts={s: counts[v] for v, s in _STATUSES if v in counts},
        )


@dataclass(frozen=True, slots=True)
class WorkflowState:
    """A workflow's status and stats as of one transaction."""

    status: WorkflowStatus
    stats: WorkflowStats

    def encode(self) -> dict[str, Any]:
        return {"status": str(self.status), "stats": self.stats.encode()}

    @classmethod
    def decode(cls, data: Mapping[str, Any]) -> WorkflowState:
        return cls(WorkflowStatus(data["status"]), WorkflowStats.decode(data["stats"]))


def _job_fields(organization_id: uuid.UUID, payload: dict[str, Any]) -> dict[str, Any]:
    """A job event's fields from its payload (every job event's decode starts here)."""
    flow = payload.get("workflow")
    previous = payload.get("previousStatus")
    return {
        "organization_id": organization_id,
        "job_id": uuid.UUID(payload["jobId"]),
        "queue_id": shared_id(payload["queueId"]),
        "project_id": shared_id(payload["projectId"]),
        "workflow_id": _id(payload.get("workflowId")),
        "job_type": payload["jobType"],
        "status": JobStatus(payload["status"]),
        "previous_status": JobStatus(previous) if previous else None,
        "reason": payload.get("reason"),
        "workflow": WorkflowState.decode(flow) if flow else None,
    }


@dataclass(frozen=True, slots=True)
class JobStatusChanged(Event):
    topic: ClassVar[str] = "jobs"
    type: ClassVar[str] = "job.status_changed"
    job_id: uuid.UUID
    queue_id: uuid.UUID
    project_id: uuid.UUID
    workflow_id: uuid.UUID | None
    job_type: str
    status: JobStatus
    previous_status: JobStatus | None = None
    reason: str | None = None
    # the job's workflow as of this transaction (job_events.with_workflow_state)
    workflow: WorkflowState | None = None

    def payload(self, workflow: dict[str, Any] | None = None) -> dict[str, Any]:
        """``workflow``: its workflow's state already encoded (shared by a batch), which
        the event itself may not carry (``encode``'s ``states``)."""
        encoded: dict[str, Any] = {
            "jobId": str(self.job_id),
            "queueId": _shared_text(self.queue_id),
            "projectId": _shared_text(self.project_id),
            "workflowId": _shared_text(self.workflow_id) if self.workflow_id else None,
            "jobType": self.job_type,
            "status": str(self.status),
            "previousStatus": str(self.previous_status) if self.previous_status else None,
            "reason": self.reason,
        }
        if workflow is not None:
            encoded["workflow"] = workflow
        elif self.workflow is not None:
            encoded["workflow"] = self.workflow.encode()
        return encoded

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(**_job_fields(organization_id, payload))


@dataclass(frozen=True, slots=True)
class JobDeleted(JobStatusChanged):
    """The job as it was when deleted (its status then as ``status``)."""

    type: ClassVar[str] = "job.deleted"


@dataclass(frozen=True, slots=True)
class JobProgressed(JobStatusChanged):
    """A running job's handler reported progress (status stays PROCESSING). Its own type:
    workflowProgress and the workers' wake-ups do not receive it, jobStatusChanged does."""

    type: ClassVar[str] = "job.progressed"
    progress: float | None = None
    progress_message: str | None = None

    def payload(self, workflow: dict[str, Any] | None = None) -> dict[str, Any]:
        encoded = JobStatusChanged.payload(self)
        encoded["progress"] = self.progress
        encoded["progressMessage"] = self.progress_message
        return encoded

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            **_job_fields(organization_id, payload),
            progress=payload.get("progress"),
            progress_message=payload.get("progressMessage"),
        )


@dataclass(frozen=True, slots=True)
class ExecutionLogged(Event):
    """Log entries were appended to an execution, up to ``last_log_id``: a wake-up for
    executionLogs subscribers, who read the entries themselves (routed by job)."""

    topic: ClassVar[str] = "executions"
    type: ClassVar[str] = "execution.logged"
    execution_id: uuid.UUID
    job_id: uuid.UUID
    last_log_id: int

    def payload(self) -> dict[str, Any]:
        return {
            "executionId": str(self.execution_id),
            "jobId": str(self.job_id),
            "lastLogId": self.last_log_id,
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            organization_id,
            uuid.UUID(payload["executionId"]),
            uuid.UUID(payload["jobId"]),
            int(payload["lastLogId"]),
        )


@dataclass(frozen=True, slots=True)
class JobsReleased(Event):
    """PENDING jobs of one queue and workflow whose dependencies were decided and that
    are claimable now (one event for a whole fan-out)."""

    topic: ClassVar[str] = "jobs"
    type: ClassVar[str] = "jobs.released"
    job_ids: tuple[uuid.UUID, ...]
    queue_id: uuid.UUID
    project_id: uuid.UUID
    workflow_id: uuid.UUID | None
    dependency_status: DependencyStatus

    def payload(self) -> dict[str, Any]:
        return {
            "jobIds": [str(i) for i in self.job_ids],
            "queueId": str(self.queue_id),
            "projectId": str(self.project_id),
            "workflowId": _text(self.workflow_id),
            "status": JobStatus.PENDING.value,
            "dependencyStatus": str(self.dependency_status),
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            organization_id=organization_id,
            job_ids=tuple(uuid.UUID(i) for i in payload["jobIds"]),
            queue_id=shared_id(payload["queueId"]),
            project_id=shared_id(payload["projectId"]),
            workflow_id=_id(payload.get("workflowId")),
            dependency_status=DependencyStatus(payload["dependencyStatus"]),
        )


# --- workflows and dependencies -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkflowStatusChanged(Event):
    topic: ClassVar[str] = "workflows"
    type: ClassVar[str] = "workflow.status_changed"
    workflow_id: uuid.UUID
    project_id: uuid.UUID
    status: WorkflowStatus
    previous_status: WorkflowStatus | None
    stats: WorkflowStats

    def payload(self) -> dict[str, Any]:
        return {
            "workflowId": str(self.workflow_id),
            "projectId": str(self.project_id),
            "status": str(self.status),
            "previousStatus": str(self.previous_status) if self.previous_status else None,
            "stats": self.stats.encode(),
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        previous = payload.get("previousStatus")
        return cls(
            organization_id=organization_id,
            workflow_id=shared_id(payload["workflowId"]),
            project_id=shared_id(payload["projectId"]),
            status=WorkflowStatus(payload["status"]),
            previous_status=WorkflowStatus(previous) if previous else None,
            stats=WorkflowStats.decode(payload["stats"]),
        )


@dataclass(frozen=True, slots=True)
class WorkflowDeleted(WorkflowStatusChanged):
    type: ClassVar[str] = "workflow.deleted"


@dataclass(frozen=True, slots=True)
class DependencyCreated(Event):
    topic: ClassVar[str] = "dependencies"
    type: ClassVar[str] = "dependency.created"
    dependency_id: uuid.UUID
    parent_job_id: uuid.UUID
    child_job_id: uuid.UUID
    status: EdgeStatus

    def payload(self) -> dict[str, Any]:
        return {
            "dependencyId": str(self.dependency_id),
            "parentJobId": str(self.parent_job_id),
            "childJobId": str(self.child_job_id),
            "status": str(self.status),
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            organization_id=organization_id,
            dependency_id=uuid.UUID(payload["dependencyId"]),
            parent_job_id=uuid.UUID(payload["parentJobId"]),
            child_job_id=uuid.UUID(payload["childJobId"]),
            status=EdgeStatus(payload["status"]),
        )


@dataclass(frozen=True, slots=True)
class DependencyDeleted(DependencyCreated):
    type: ClassVar[str] = "dependency.deleted"


# --- schedules ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleChanged(Event):
    """A schedule's state after a change; subclasses add what the change was."""

    topic: ClassVar[str] = "schedules"
    schedule_id: uuid.UUID
    status: ScheduleStatus
    next_run_at: datetime | None

    def payload(self) -> dict[str, Any]:
        return {
            "scheduleId": str(self.schedule_id),
            "status": self.status.value,
            "nextRunAt": self.next_run_at.isoformat() if self.next_run_at else None,
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(organization_id, *_schedule(payload))


def _schedule(payload: dict[str, Any]) -> tuple[uuid.UUID, ScheduleStatus, datetime | None]:
    return (
        uuid.UUID(payload["scheduleId"]),
        ScheduleStatus(payload["status"]),
        _time(payload.get("nextRunAt")),
    )


@dataclass(frozen=True, slots=True)
class ScheduleCreated(ScheduleChanged):
    type: ClassVar[str] = "schedule.created"


@dataclass(frozen=True, slots=True)
class ScheduleUpdated(ScheduleChanged):
    type: ClassVar[str] = "schedule.updated"


@dataclass(frozen=True, slots=True)
class SchedulePaused(ScheduleChanged):
    """Paused: by pauseSchedule, or by the schedule itself, saying why (``reason``)."""

    type: ClassVar[str] = "schedule.paused"
    reason: str | None = None

    def payload(self) -> dict[str, Any]:
        base = ScheduleChanged.payload(self)
        return base if self.reason is None else {**base, "reason": self.reason}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(organization_id, *_schedule(payload), payload.get("reason"))


@dataclass(frozen=True, slots=True)
class ScheduleResumed(ScheduleChanged):
    type: ClassVar[str] = "schedule.resumed"


@dataclass(frozen=True, slots=True)
class ScheduleDeleted(ScheduleChanged):
    type: ClassVar[str] = "schedule.deleted"


@dataclass(frozen=True, slots=True)
class ScheduleCompleted(ScheduleChanged):
    type: ClassVar[str] = "schedule.completed"


@dataclass(frozen=True, slots=True)
class ScheduleFired(ScheduleChanged):
    """An occurrence fired: the job or workflow it created."""

    type: ClassVar[str] = "schedule.fired"
    occurrence: datetime
    fired_at: datetime
    job_id: uuid.UUID | None
    workflow_id: uuid.UUID | None
    manual: bool
    backfill: bool = False  # fired by backfillSchedule (stored only when true)

    def payload(self) -> dict[str, Any]:
        payload = {
            **ScheduleChanged.payload(self),
            "occurrence": self.occurrence.isoformat(),
            "firedAt": self.fired_at.isoformat(),
            "jobId": _text(self.job_id),
            "workflowId": _text(self.workflow_id),
            "manual": self.manual,
        }
        if self.backfill:
            payload["backfill"] = True
        return payload

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            organization_id,
            *_schedule(payload),
            occurrence=datetime.fromisoformat(payload["occurrence"]),
            fired_at=datetime.fromisoformat(payload["firedAt"]),
            job_id=_id(payload.get("jobId")),
            workflow_id=_id(payload.get("workflowId")),
            manual=bool(payload.get("manual")),
            backfill=bool(payload.get("backfill")),
        )


@dataclass(frozen=True, slots=True)
class ScheduleFailed(ScheduleChanged):
    """An occurrence could not create its target; the schedule is FAILED."""

    type: ClassVar[str] = "schedule.failed"
    occurrence: datetime
    error: str

    def payload(self) -> dict[str, Any]:
        return {
            **ScheduleChanged.payload(self),
            "occurrence": self.occurrence.isoformat(),
            "error": self.error,
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        occurrence = datetime.fromisoformat(payload["occurrence"])
        return cls(organization_id, *_schedule(payload), occurrence, payload["error"])


@dataclass(frozen=True, slots=True)
class ScheduleDeferred(ScheduleChanged):
    """An occurrence throttled by the rate limit: owed from the next window."""

    type: ClassVar[str] = "schedule.deferred"
    occurrence: datetime

    def payload(self) -> dict[str, Any]:
        return {**ScheduleChanged.payload(self), "occurrence": self.occurrence.isoformat()}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        occurrence = datetime.fromisoformat(payload["occurrence"])
        return cls(organization_id, *_schedule(payload), occurrence)


@dataclass(frozen=True, slots=True)
class ScheduleMissed(ScheduleChanged):
    """Occurrences not fired: dropped by the misfire policy, or, with a ``reason``
    (``schedule_overlap``), skipped by the overlap policy while the last run was live,
    ``occurrence`` the latest of them. Both are stored only when set: a release that
    does not know them reads the event as before."""

    type: ClassVar[str] = "schedule.missed"
    skipped: int
    reason: str | None = None
    occurrence: datetime | None = None

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {**ScheduleChanged.payload(self), "skipped": self.skipped}
        if self.reason is not None:
            payload["reason"] = self.reason
        if self.occurrence is not None:
            payload["occurrence"] = self.occurrence.isoformat()
        return payload

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            organization_id,
            *_schedule(payload),
            payload["skipped"],
            payload.get("reason"),
            _time(payload.get("occurrence")),
        )


# --- workers, queues and tenancy ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerOffline(Event):
    topic: ClassVar[str] = "workers"
    type: ClassVar[str] = "worker.offline"
    worker_id: uuid.UUID
    status: WorkerStatus

    def payload(self) -> dict[str, Any]:
        return {"workerId": str(self.worker_id), "status": self.status.value}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(organization_id, uuid.UUID(payload["workerId"]), WorkerStatus(payload["status"]))


@dataclass(frozen=True, slots=True)
class WorkerRegistered(Event):
    topic: ClassVar[str] = "workers"
    type: ClassVar[str] = "worker.registered"
    worker_id: uuid.UUID
    status: WorkerStatus
    name: str

    def payload(self) -> dict[str, Any]:
        return {"workerId": str(self.worker_id), "status": self.status.value, "name": self.name}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        worker, status = uuid.UUID(payload["workerId"]), WorkerStatus(payload["status"])
        return cls(organization_id, worker, status, payload["name"])


@dataclass(frozen=True, slots=True)
class WorkerOnline(WorkerRegistered):
    type: ClassVar[str] = "worker.online"


@dataclass(frozen=True, slots=True)
class WorkerDraining(WorkerRegistered):
    type: ClassVar[str] = "worker.draining"


@dataclass(frozen=True, slots=True)
class QueueCreated(Event):
    topic: ClassVar[str] = "queues"
    type: ClassVar[str] = "queue.created"
    queue_id: uuid.UUID
    project_id: uuid.UUID
    name: str

    def payload(self) -> dict[str, Any]:
        return {"queueId": str(self.queue_id), "projectId": str(self.project_id), "name": self.name}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        queue, project = uuid.UUID(payload["queueId"]), uuid.UUID(payload["projectId"])
        return cls(organization_id, queue, project, payload["name"])


@dataclass(frozen=True, slots=True)
class QueueUpdated(QueueCreated):
    type: ClassVar[str] = "queue.updated"


@dataclass(frozen=True, slots=True)
class QueueDeleted(QueueCreated):
    type: ClassVar[str] = "queue.deleted"


@dataclass(frozen=True, slots=True)
class QueuePaused(QueueCreated):
    """The queue accepts jobs and starts none until resumed."""

    type: ClassVar[str] = "queue.paused"


@dataclass(frozen=True, slots=True)
class QueueResumed(QueueCreated):
    """The queue starts jobs again: also a jobsAvailable wake-up for its workers."""

    type: ClassVar[str] = "queue.resumed"


@dataclass(frozen=True, slots=True)
class WorkerDeleted(WorkerRegistered):
    type: ClassVar[str] = "worker.deleted"


@dataclass(frozen=True, slots=True)
class AssignmentChanged(Event):
    """A worker's assignment to a queue was added or changed (its weight, whether active)."""

    topic: ClassVar[str] = "workers"
    type: ClassVar[str] = "assignment.changed"
    worker_id: uuid.UUID
    queue_id: uuid.UUID
    weight: int
    is_active: bool

    def payload(self) -> dict[str, Any]:
        return {
            "workerId": str(self.worker_id),
            "queueId": str(self.queue_id),
            "weight": self.weight,
            "isActive": self.is_active,
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        worker, queue = uuid.UUID(payload["workerId"]), uuid.UUID(payload["queueId"])
        return cls(organization_id, worker, queue, payload["weight"], payload["isActive"])


@dataclass(frozen=True, slots=True)
class AssignmentRemoved(AssignmentChanged):
    """The assignment as it was when removed."""

    type: ClassVar[str] = "assignment.removed"


@dataclass(frozen=True, slots=True)
class ApiKeyCreated(Event):
    topic: ClassVar[str] = "api_keys"
    type: ClassVar[str] = "api_key.created"
    api_key_id: uuid.UUID

    def payload(self) -> dict[str, Any]:
        return {"apiKeyId": str(self.api_key_id)}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(organization_id, uuid.UUID(payload["apiKeyId"]))


@dataclass(frozen=True, slots=True)
class ApiKeyRevoked(ApiKeyCreated):
    type: ClassVar[str] = "api_key.revoked"


@dataclass(frozen=True, slots=True)
class OrganizationCreated(Event):
    topic: ClassVar[str] = "organizations"
    type: ClassVar[str] = "organization.created"

    def payload(self) -> dict[str, Any]:
        return {"organizationId": str(self.organization_id)}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(organization_id)


@dataclass(frozen=True, slots=True)
class ProjectCreated(Event):
    topic: ClassVar[str] = "projects"
    type: ClassVar[str] = "project.created"
    project_id: uuid.UUID

    def payload(self) -> dict[str, Any]:
        return {"projectId": str(self.project_id)}

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(organization_id, uuid.UUID(payload["projectId"]))


@dataclass(frozen=True, slots=True)
class ProjectUpdated(ProjectCreated):
    type: ClassVar[str] = "project.updated"


@dataclass(frozen=True, slots=True)
class ProjectDeleted(ProjectCreated):
    type: ClassVar[str] = "project.deleted"


@dataclass(frozen=True, slots=True)
class QuotaNearlyUsed(Event):
    """The period's job count crossed ``QUOTA_WARNING`` of its limit (once a period)."""

    topic: ClassVar[str] = "organizations"
    type: ClassVar[str] = "quota.nearly_used"
    jobs_used: int
    limit: int
    period_end: datetime | None

    def payload(self) -> dict[str, Any]:
        return {
            "jobsUsed": self.jobs_used,
            "limit": self.limit,
            "periodEnd": self.period_end.isoformat() if self.period_end else None,
        }

    @classmethod
    def decode(cls, organization_id: uuid.UUID, payload: dict[str, Any]) -> Self:
        return cls(
            organization_id, payload["jobsUsed"], payload["limit"], _time(payload.get("periodEnd"))
        )


EVENT_TYPES: tuple[type[Event], ...] = (
    JobStatusChanged,
    JobDeleted,
    JobsReleased,
    WorkflowStatusChanged,
    WorkflowDeleted,
    DependencyCreated,
    DependencyDeleted,
    ScheduleCreated,
    ScheduleUpdated,
    SchedulePaused,
    ScheduleResumed,
    ScheduleDeleted,
    ScheduleCompleted,
    ScheduleFired,
    ScheduleFailed,
    ScheduleDeferred,
    ScheduleMissed,
    WorkerRegistered,
    WorkerOnline,
    WorkerDraining,
    WorkerOffline,
    QueueCreated,
    QueueUpdated,
    QueueDeleted,
    ApiKeyCreated,
    ApiKeyRevoked,
    OrganizationCreated,
    ProjectCreated,
    ProjectUpdated,
    ProjectDeleted,
    QueuePaused,
    QueueResumed,
    WorkerDeleted,
    AssignmentChanged,
    AssignmentRemoved,
    JobProgressed,
    ExecutionLogged,
    QuotaNearlyUsed,
)
BY_TYPE: dict[str, type[Event]] = {t.type: t for t in EVENT_TYPES}


def decode(type_: str, organization_id: uuid.UUID, payload: dict[str, Any]) -> Event:
    """The typed event of a stored or relayed payload (one event's, after ``expand``)."""
    return BY_TYPE[type_].decode(organization_id, payload)


# --- the stored format --------------------------------------------------------------


def encode(
    events: Iterable[Event], workflows: Mapping[uuid.UUID, WorkflowState] | None = None
) -> list[dict[str, Any]]:
    """Outbox rows (organization_id, topic, type, payload, span) of events, in order.

    ``workflows``: the state of each job event's workflow, for the events that carry
    none themselves (a new event per job to carry it cost more than its encoding). A
    workflow state shared by several job events (one transaction's batch) is encoded
    once, and ``pack`` then stores it once for the row."""
    states: dict[int, dict[str, Any]] = {}
    plain: list[dict[str, Any]] = []
    workflows = workflows or {}
    for e in events:
        payload = None
        if isinstance(e, JobStatusChanged):
            flow = e.workflow
            if flow is None and e.workflow_id is not None:
                flow = workflows.get(e.workflow_id)
            if flow is not None:
                state = states.get(id(flow))
                if state is None:
                    state = states[id(flow)] = flow.encode()
                payload = e.payload(state)
        if payload is None:
            payload = e.payload()
        plain.append(
            {
                "organization_id": e.organization_id,
                "topic": e.topic,
                "type": e.type,
                "payload": payload,
            }
        )
    return spans(plain)


def spans(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outbox rows of encoded events (organization_id, topic, type, payload): each run of
    consecutive events of one tenant, topic and type (up to ``MAX_SPAN``) becomes one
    row, its payload theirs packed (``pack``); a lone event keeps its own payload."""
    rows: list[dict[str, Any]] = []
    for (org, topic, type_), run in groupby(
        events, key=lambda e: (e["organization_id"], e["topic"], e["type"])
    ):
        payloads = [e["payload"] for e in run]
        for i in range(0, len(payloads), MAX_SPAN):
            chunk = payloads[i : i + MAX_SPAN]
            rows.append(
                {
                    "organization_id": org,
                    "topic": topic,
                    "type": type_,
                    "payload": chunk[0] if len(chunk) == 1 else pack(chunk),
                    "span": len(chunk),
                }
            )
    return rows


def pack(payloads: list[dict[str, Any]]) -> Any:
    """A row's payload for several events: the list of theirs, or, when they all carry
    the same workflow state (a batch of one workflow's jobs in one transaction),
    ``{"workflow": state, "events": [payloads without it]}``, so that the state is
    stored, relayed and decoded once rather than once per event (``expand``)."""
    first = payloads[0].get("workflow") if isinstance(payloads[0], dict) else None
    if first is None or not all(
        isinstance(p, dict) and (p.get("workflow") is first or p.get("workflow") == first)
        for p in payloads
    ):
        return payloads
    events = [p.copy() for p in payloads]  # a copy and a del: a dict comprehension was 4x
    for p in events:
        del p["workflow"]
    return {"workflow": first, "events": events}


def expand(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a relayed row (a decoded broker message), each with its own id:
    seq, seq + 1, ..."""
    span = row.pop("span", 1)
    if span == 1:
        return [row]
    seq, payloads = row["seq"], row["payload"]
    if isinstance(payloads, dict):  # events sharing one workflow state (``pack``)
        shared = payloads["workflow"]
        payloads = [{**p, "workflow": shared} for p in payloads["events"]]
    return [{**row, "seq": seq + i, "payload": p} for i, p in enumerate(payloads)]


# --- delivered events ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivered:
    """An event as a subscriber receives it: its id (``seq``) and commit time."""

    seq: int
    created_at: datetime
    event: Event


TYPED = "_typed"  # on a relayed event: its Delivered, decoded once for every subscriber


def delivered(message: dict[str, Any]) -> Delivered:
    """The typed form of one relayed event (an item of ``expand``), decoded on first
    use and kept on the message: every local subscriber is handed the same one."""
    found: Delivered | None = message.get(TYPED)
    if found is None:
        org = shared_id(message["organizationId"])
        event = decode(message["type"], org, message["payload"])
        found = Delivered(message["seq"], datetime.fromisoformat(message["createdAt"]), event)
        message[TYPED] = found
    return found
