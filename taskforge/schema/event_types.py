"""GraphQL types of the live streams that carry more than one job's status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.schema.types import JobStatusEnum
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
    def of(cls, event: dict[str, Any]) -> WorkflowProgressEvent:
        p = event["payload"]
        is_job = event["type"] == "job.status_changed"
        # job events carry the workflow's state as of their transaction; the
        # workflow's own events carry it at the top level
        flow = p["workflow"] if is_job else {"status": p["status"], "stats": p["stats"]}
        summary = flow["stats"]
        return cls(
            event_id=strawberry.ID(str(event["seq"])),
            workflow_id=strawberry.ID(p["workflowId"]),
            job_id=strawberry.ID(p["jobId"]) if is_job else None,
            job_status=JobStatus(p["status"]) if is_job else None,
            previous_job_status=JobStatus(p["previousStatus"])
            if is_job and p.get("previousStatus")
            else None,
            reason=p.get("reason"),
            workflow_status=WorkflowStatus(flow["status"]),
            stats=WorkflowStats(
                total=summary["total"],
                completed=summary["completed"],
                completion_percentage=summary["completionPercentage"],
                counts=[
                    StatusCount(status=JobStatus(k), count=v)
                    for k, v in (summary.get("counts") or {}).items()
                ],
            ),
            occurred_at=datetime.fromisoformat(event["createdAt"]),
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

    @classmethod
    def of(cls, event: dict[str, Any]) -> SchedulerTick:
        p = event["payload"]
        return cls(
            event_id=strawberry.ID(str(event["seq"])),
            schedule_id=strawberry.ID(p["scheduleId"]),
            occurrence=datetime.fromisoformat(p["occurrence"]),
            fired_at=datetime.fromisoformat(p["firedAt"]),
            job_id=strawberry.ID(p["jobId"]) if p.get("jobId") else None,
            workflow_id=strawberry.ID(p["workflowId"]) if p.get("workflowId") else None,
            next_run_at=datetime.fromisoformat(p["nextRunAt"]) if p.get("nextRunAt") else None,
            manual=bool(p.get("manual")),
        )
