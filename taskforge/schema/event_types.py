"""GraphQL types of the live streams, built from typed events (``events.delivered``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from taskforge.domain.events import (
    JobDeleted,
    JobProgressed,
    JobStatusChanged,
    ScheduleFired,
    WorkflowStatusChanged,
    delivered,
)
from taskforge.schema.types import JobStatusEnum, JobStatusEvent
from taskforge.schema.workflow_types import StatusCount, WorkflowStats, WorkflowStatusEnum


@strawberry.type(description="One change in a workflow, with the workflow as it is after it.")
class WorkflowProgressEvent:
    event_id: strawberry.ID
    workflow_id: strawberry.ID
    job_id: strawberry.ID | None = strawberry.field(
        description="The job that changed; null when the event is the workflow's own."
    )
    job_status: JobStatusEnum | None  # type: ignore[valid-type]
    previous_job_status: JobStatusEnum | None  # type: ignore[valid-type]
    reason: str | None
    workflow_status: WorkflowStatusEnum  # type: ignore[valid-type]
    stats: WorkflowStats = strawberry.field(description="Jobs per status after this change.")
    occurred_at: datetime

    @classmethod
    def of(cls, message: dict[str, Any]) -> WorkflowProgressEvent:
        """From a relayed job or workflow status change (``events.delivered``)."""
        got = delivered(message)
        event = got.event
        if isinstance(event, JobStatusChanged):
            # job events carry the workflow's state as of their transaction
            assert event.workflow_id is not None and event.workflow is not None
            flow, summary = event.workflow.status, event.workflow.stats
            job: JobStatusChanged | None = event
        else:
            assert isinstance(event, WorkflowStatusChanged)
            flow, summary, job = event.status, event.stats, None
        return cls(
            event_id=strawberry.ID(str(got.seq)),
            workflow_id=strawberry.ID(str(event.workflow_id)),
            job_id=strawberry.ID(str(job.job_id)) if job else None,
            job_status=job.status if job else None,
            previous_job_status=job.previous_status if job else None,
            reason=job.reason if job else None,
            workflow_status=flow,
            stats=WorkflowStats(
                total=summary.total,
                completed=summary.completed,
                completion_percentage=summary.completion_percentage,
                counts=[StatusCount(status=k, count=v) for k, v in summary.counts.items()],
            ),
            occurred_at=got.created_at,
        )


@strawberry.type(description="A schedule fired: the occurrence, what it created, the next run.")
class SchedulerTick:
    event_id: strawberry.ID
    schedule_id: strawberry.ID
    occurrence: datetime
    fired_at: datetime
    job_id: strawberry.ID | None
    workflow_id: strawberry.ID | None
    next_run_at: datetime | None
    manual: bool
    backfill: bool = strawberry.field(
        default=False, description="A run of backfillSchedule (outside the timetable)."
    )

    @classmethod
    def of(cls, message: dict[str, Any]) -> SchedulerTick:
        """From a relayed ``schedule.fired`` event (``events.delivered``)."""
        got = delivered(message)
        event = got.event
        assert isinstance(event, ScheduleFired)
        return cls(
            event_id=strawberry.ID(str(got.seq)),
            schedule_id=strawberry.ID(str(event.schedule_id)),
            occurrence=event.occurrence,
            fired_at=event.fired_at,
            job_id=strawberry.ID(str(event.job_id)) if event.job_id else None,
            workflow_id=strawberry.ID(str(event.workflow_id)) if event.workflow_id else None,
            next_run_at=event.next_run_at,
            manual=event.manual,
            backfill=event.backfill,
        )


def job_status_event(message: dict[str, Any]) -> JobStatusEvent:
    """jobStatusChanged's event from a relayed job status change."""
    got = delivered(message)
    event = got.event
    assert isinstance(event, JobStatusChanged)
    return JobStatusEvent(
        event_id=strawberry.ID(str(got.seq)),
        job_id=strawberry.ID(str(event.job_id)),
        queue_id=strawberry.ID(str(event.queue_id)),
        project_id=strawberry.ID(str(event.project_id)),
        job_type=event.job_type,
        status=event.status,
        previous_status=event.previous_status,
        reason=event.reason,
        occurred_at=got.created_at,
        workflow_id=strawberry.ID(str(event.workflow_id)) if event.workflow_id else None,
        progress=event.progress if isinstance(event, JobProgressed) else None,
        progress_message=event.progress_message if isinstance(event, JobProgressed) else None,
        deleted=isinstance(event, JobDeleted),
    )
