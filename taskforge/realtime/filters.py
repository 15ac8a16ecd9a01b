"""What each subscription lets through, as functions of typed events.

A subscription's stream offers its filter the relayed events of its tenant and types
(``TYPES``); ``accepting`` turns a filter of typed events into one of relayed events,
decoding each event once for all local subscribers (``events.delivered``). ``route``
names the payload field the tail can route a subscription by (realtime/tail.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from typing import Any

from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.domain.events import (
    Event,
    JobsReleased,
    JobStatusChanged,
    QueueResumed,
    ScheduleFired,
    WorkflowStatusChanged,
    delivered,
)

Filter = Callable[[Event], bool]
Relayed = Callable[[dict[str, Any]], bool]

JOB_STATUS = frozenset({JobStatusChanged.type})
WORKFLOW_PROGRESS = frozenset({JobStatusChanged.type, WorkflowStatusChanged.type})
SCHEDULER_TICKS = frozenset({ScheduleFired.type})
JOBS_AVAILABLE = frozenset({JobStatusChanged.type, JobsReleased.type, QueueResumed.type})


def accepting(accept: Filter) -> Relayed:
    """The filter applied to relayed events (the tail's and the replay's dicts)."""
    return lambda message: accept(delivered(message).event)


def job_status(
    job: uuid.UUID | None,
    queue: uuid.UUID | None,
    workflow: uuid.UUID | None,
    statuses: Collection[JobStatus] | None,
) -> Filter:
    """jobStatusChanged: a job's status changes, narrowed by any of its arguments."""
    wanted = frozenset(statuses) if statuses else None

    def accept(event: Event) -> bool:
        return (
            isinstance(event, JobStatusChanged)
            and (job is None or event.job_id == job)
            and (queue is None or event.queue_id == queue)
            and (workflow is None or event.workflow_id == workflow)
            and (wanted is None or event.status in wanted)
        )

    return accept


def workflow_progress(workflow: uuid.UUID) -> Filter:
    """workflowProgress: the workflow's own status changes and its jobs'."""

    def accept(event: Event) -> bool:
        return (
            isinstance(event, JobStatusChanged | WorkflowStatusChanged)
            and event.workflow_id == workflow
        )

    return accept


def scheduler_ticks(schedule: uuid.UUID | None) -> Filter:
    """schedulerTicks: fired occurrences, of one schedule or all."""

    def accept(event: Event) -> bool:
        return isinstance(event, ScheduleFired) and (
            schedule is None or event.schedule_id == schedule
        )

    return accept


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

    return accept


def queue_of(message: dict[str, Any]) -> uuid.UUID:
    """The queue a jobsAvailable signal is about (what a burst is coalesced by)."""
    event = delivered(message).event
    assert isinstance(event, JobsReleased | JobStatusChanged | QueueResumed)
    return event.queue_id


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
