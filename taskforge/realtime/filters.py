"""What each subscription lets through: filters of typed events, with a cheap pre-check
of the relayed dict.

A subscription's stream offers its filter the relayed events of its tenant and types
(``TYPES``); ``accepting`` turns a ``Filter`` into one of relayed events. Each filter
first runs ``may_pass`` on the relayed dict (type and payload fields as stored, no
decoding): an event it rejects is one the typed filter would reject too, so most events
a subscription does not want (every job moving to PROCESSING, for a worker's
``jobsAvailable``) never cost a decode. What passes is decoded once for all local
subscribers (``events.delivered``) and decided by the typed filter. ``route`` names the
payload field the tail can route a subscription by (realtime/tail.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.domain.events import (
    BY_TYPE,
    Event,
    ExecutionLogged,
    JobDeleted,
    JobProgressed,
    JobsReleased,
    JobStatusChanged,
    QueueResumed,
    ScheduleFired,
    WorkflowStatusChanged,
    delivered,
    shared_id,
)

Typed = Callable[[Event], bool]
Relayed = Callable[[dict[str, Any]], bool]

# a job's status changes, its progress while it runs, and its deletion (a list shown
# from these events drops the row)
JOB_STATUS = frozenset({JobStatusChanged.type, JobProgressed.type, JobDeleted.type})
WORKFLOW_PROGRESS = frozenset({JobStatusChanged.type, WorkflowStatusChanged.type})
SCHEDULER_TICKS = frozenset({ScheduleFired.type})
JOBS_AVAILABLE = frozenset({JobStatusChanged.type, JobsReleased.type, QueueResumed.type})
EXECUTION_LOGS = frozenset({ExecutionLogged.type})


def _types(*classes: type[Event]) -> frozenset[str]:
    """The type names whose decoded events are instances of ``classes`` (subclasses such
    as ``JobDeleted`` included, as ``isinstance`` in the typed filters)."""
    return frozenset(name for name, cls in BY_TYPE.items() if issubclass(cls, classes))


JOB_EVENTS = _types(JobStatusChanged)
PROGRESS_EVENTS = _types(JobStatusChanged, WorkflowStatusChanged)
FIRED_EVENTS = _types(ScheduleFired)
RESUMED_EVENTS = _types(QueueResumed)
RELEASED_EVENTS = _types(JobsReleased)


def _any(_: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Filter:
    """A subscription's filter. ``typed`` decides on the typed event (calling the filter
    calls it); ``may_pass`` looks at the relayed dict only and returns False only for
    events ``typed`` rejects too."""

    typed: Typed
    may_pass: Relayed = _any

    def __call__(self, event: Event) -> bool:
        return self.typed(event)


def accepting(accept: Filter) -> Relayed:
    """The filter applied to relayed events (the tail's and the replay's dicts)."""
    may_pass, typed = accept.may_pass, accept.typed
    return lambda message: may_pass(message) and typed(delivered(message).event)


def _other_id(value: Any, wanted: uuid.UUID | Collection[uuid.UUID]) -> bool:
    """Whether a stored id field surely differs from ``wanted`` (one id, or any of a set).
    Parsed as the decoders do (cached), so that any spelling of an id compares as the
    typed event's would; absent or malformed is left to the typed filter."""
    if not isinstance(value, str):
        return value is None and isinstance(wanted, uuid.UUID)  # decodes to None
    try:
        parsed = shared_id(value)
    except ValueError:
        return False
    return parsed != wanted if isinstance(wanted, uuid.UUID) else parsed not in wanted


def job_status(
    job: uuid.UUID | None,
    queue: uuid.UUID | None,
    workflow: uuid.UUID | None,
    statuses: Collection[JobStatus] | None,
) -> Filter:
    """jobStatusChanged: a job's status changes, narrowed by any of its arguments."""
    wanted = frozenset(statuses) if statuses else None
    wanted_values = frozenset(s.value for s in wanted) if wanted else None

    def accept(event: Event) -> bool:
        return (
            isinstance(event, JobStatusChanged)
            and (job is None or event.job_id == job)
            and (queue is None or event.queue_id == queue)
            and (workflow is None or event.workflow_id == workflow)
            and (wanted is None or event.status in wanted)
        )

    def may_pass(message: dict[str, Any]) -> bool:
        if message["type"] not in JOB_EVENTS:
            return False
        payload = message["payload"]
        status = payload.get("status")
        # the job is left to the typed filter: unique ids are not worth caching, and the
        # tail routes such a subscription by its job already
        return not (
            (wanted_values is not None and isinstance(status, str) and status not in wanted_values)
            or (queue is not None and _other_id(payload.get("queueId"), queue))
            or (workflow is not None and _other_id(payload.get("workflowId"), workflow))
        )

    return Filter(accept, may_pass)


def execution_logs(execution: uuid.UUID) -> Filter:
    """executionLogs: entries appended to one execution (routed by its job already)."""

    def accept(event: Event) -> bool:
        return isinstance(event, ExecutionLogged) and event.execution_id == execution

    def may_pass(message: dict[str, Any]) -> bool:
        return message["type"] in EXECUTION_LOGS and not _other_id(
            message["payload"].get("executionId"), execution
        )

    return Filter(accept, may_pass)


def workflow_progress(workflow: uuid.UUID) -> Filter:
    """workflowProgress: the workflow's own status changes and its jobs'."""

    def accept(event: Event) -> bool:
        return (
            isinstance(event, JobStatusChanged | WorkflowStatusChanged)
            and event.workflow_id == workflow
        )

    def may_pass(message: dict[str, Any]) -> bool:
        return message["type"] in PROGRESS_EVENTS and not _other_id(
            message["payload"].get("workflowId"), workflow
        )

    return Filter(accept, may_pass)


def scheduler_ticks(schedule: uuid.UUID | None) -> Filter:
    """schedulerTicks: fired occurrences, of one schedule or all."""

    def accept(event: Event) -> bool:
        return isinstance(event, ScheduleFired) and (
            schedule is None or event.schedule_id == schedule
        )

    def may_pass(message: dict[str, Any]) -> bool:
        return message["type"] in FIRED_EVENTS

    return Filter(accept, may_pass)


def jobs_available(queues: Collection[uuid.UUID] | None) -> Filter:
    """jobsAvailable: a new or re-queued PENDING job, PENDING jobs whose dependencies
    were decided, or a resumed queue (its waiting jobs start again), in one of the queues."""
    wanted = frozenset(queues) if queues else None

    def accept(event: Event) -> bool:
        if isinstance(event, QueueResumed):
            ready = True
        elif isinstance(event, JobsReleased):
            ready = event.dependency_status is not DependencyStatus.WAITING
        elif isinstance(event, JobStatusChanged):
            ready = event.status is JobStatus.PENDING
        else:
            return False
        return ready and (wanted is None or event.queue_id in wanted)

    pending, waiting = JobStatus.PENDING.value, DependencyStatus.WAITING.value

    def may_pass(message: dict[str, Any]) -> bool:
        type_, payload = message["type"], message["payload"]
        if type_ in JOB_EVENTS:
            status = payload.get("status")
            if isinstance(status, str) and status != pending:
                return False
        elif type_ in RELEASED_EVENTS:
            if payload.get("dependencyStatus") == waiting:
                return False
        elif type_ not in RESUMED_EVENTS:
            return False
        return wanted is None or not _other_id(payload.get("queueId"), wanted)

    return Filter(accept, may_pass)


def queue_of(message: dict[str, Any]) -> uuid.UUID:
    """The queue a jobsAvailable signal is about (what a burst is coalesced by): read
    from the relayed payload, as each of their decoders reads it, without decoding."""
    assert message["type"] in JOBS_AVAILABLE
    return shared_id(message["payload"]["queueId"])


def route(
    job: uuid.UUID | None = None, workflow: uuid.UUID | None = None
) -> tuple[str, str] | None:
    """The tail's route for a subscription to one job or one workflow: the payload field
    every event it accepts carries, and its value."""
    if job is not None:
        return ("jobId", str(job))
    if workflow is not None:
        return ("workflowId", str(workflow))
    return None
