"""Outbox rows exactly as the writers stored them before events were typed: one of every
event type, and the three row shapes (one event; a run listed; a run packed around one
workflow state). Subscribers replay up to 72 hours of stored events, so whatever is in
this module must keep decoding."""

from __future__ import annotations

import uuid
from typing import Any

JOB, OTHER_JOB = "0b9a4d5e-0000-4000-8000-000000000001", "0b9a4d5e-0000-4000-8000-000000000002"
QUEUE, PROJECT = "0b9a4d5e-0000-4000-8000-000000000003", "0b9a4d5e-0000-4000-8000-000000000004"
SCHEDULE, EDGE = "0b9a4d5e-0000-4000-8000-000000000005", "0b9a4d5e-0000-4000-8000-000000000006"
WORKER, KEY = "0b9a4d5e-0000-4000-8000-000000000007", "0b9a4d5e-0000-4000-8000-000000000008"
EXECUTION = "0b9a4d5e-0000-4000-8000-000000000009"
AT, LATER = "2026-12-01T10:00:00+00:00", "2026-12-01T10:00:01.250000+00:00"

STATS = {
    "total": 2,
    "counts": {
        "PENDING": 1,
        "SCHEDULED": 0,
        "PROCESSING": 1,
        "SUCCEEDED": 0,
        "FAILED": 0,
        "CANCELLED": 0,
        "SKIPPED": 0,
    },
    "completed": 0,
    "completionPercentage": 0.0,
}
EMPTY_STATS = {"total": 0, "counts": {}, "completed": 0, "completionPercentage": 0.0}


def job_changed(
    job: str, workflow: str | None, status: str, previous: str | None, reason: str | None = None
) -> dict[str, Any]:
    return {
        "jobId": job,
        "queueId": QUEUE,
        "projectId": PROJECT,
        "workflowId": workflow,
        "jobType": "report",
        "status": status,
        "previousStatus": previous,
        "reason": reason,
    }


def schedule(status: str = "ACTIVE", next_run: str | None = AT, **extra: Any) -> dict[str, Any]:
    return {"scheduleId": SCHEDULE, "status": status, "nextRunAt": next_run, **extra}


def rows(org: uuid.UUID, workflow: uuid.UUID) -> list[tuple[str, str, Any, int]]:
    """(topic, type, stored payload, span) of every kind of row, in the order written."""
    flow = str(workflow)
    state = {"status": "RUNNING", "stats": STATS}
    edge = {"dependencyId": EDGE, "parentJobId": JOB, "childJobId": OTHER_JOB, "status": "PENDING"}
    worker = {"workerId": WORKER, "status": "ONLINE", "name": "w-1"}
    queue = {"queueId": QUEUE, "projectId": PROJECT, "name": "default"}
    jobs, workflows, schedules = "jobs", "workflows", "schedules"
    return [
        (jobs, "job.status_changed", job_changed(JOB, None, "PENDING", None), 1),
        (
            jobs,
            "job.status_changed",
            {**job_changed(JOB, flow, "PROCESSING", "PENDING"), "workflow": state},
            1,
        ),
        # a run with different workflow states: listed
        (
            jobs,
            "job.status_changed",
            [
                job_changed(JOB, None, "FAILED", "PROCESSING", "lease_expired"),
                {**job_changed(OTHER_JOB, flow, "SUCCEEDED", "PROCESSING"), "workflow": state},
            ],
            2,
        ),
        # a run of one workflow's jobs: the state stored once
        (
            jobs,
            "job.status_changed",
            {
                "workflow": state,
                "events": [
                    job_changed(JOB, flow, "CANCELLED", "PENDING", "dependency_failed"),
                    job_changed(OTHER_JOB, flow, "SKIPPED", "FAILED", "skipped_by_operator"),
                ],
            },
            2,
        ),
        (jobs, "job.deleted", job_changed(JOB, None, "SUCCEEDED", "SUCCEEDED"), 1),
        (
            jobs,
            "jobs.released",
            {
                "jobIds": [JOB, OTHER_JOB],
                "queueId": QUEUE,
                "projectId": PROJECT,
                "workflowId": flow,
                "status": "PENDING",
                "dependencyStatus": "SATISFIED",
            },
            1,
        ),
        (
            workflows,
            "workflow.status_changed",
            {
                "workflowId": flow,
                "projectId": PROJECT,
                "status": "RUNNING",
                "previousStatus": "PENDING",
                "stats": STATS,
            },
            1,
        ),
        (
            workflows,
            "workflow.deleted",
            {
                "workflowId": flow,
                "projectId": PROJECT,
                "status": "RUNNING",
                "previousStatus": "RUNNING",
                "stats": EMPTY_STATS,
            },
            1,
        ),
        ("dependencies", "dependency.created", edge, 1),
        ("dependencies", "dependency.deleted", {**edge, "status": "RESOLVED"}, 1),
        (schedules, "schedule.created", schedule(), 1),
        (schedules, "schedule.updated", schedule(), 1),
        (schedules, "schedule.paused", schedule("PAUSED"), 1),
        (schedules, "schedule.resumed", schedule(), 1),
        (
            schedules,
            "schedule.fired",
            schedule(occurrence=AT, firedAt=LATER, jobId=JOB, workflowId=None, manual=False),
            1,
        ),
        (
            schedules,
            "schedule.fired",
            schedule(
                next_run=None,
                occurrence=AT,
                firedAt=LATER,
                jobId=None,
                workflowId=flow,
                manual=True,
            ),
            1,
        ),
        (
            schedules,
            "schedule.failed",
            schedule("FAILED", None, occurrence=AT, error="monthly job quota used up"),
            1,
        ),
        (schedules, "schedule.deferred", schedule(occurrence=AT), 1),
        (schedules, "schedule.missed", schedule(skipped=3), 1),
        # schedule policies (migration 0031): a pause of pauseAfterFailures says why; a
        # backfilled run says so; an overlap policy's skip gives its reason
        (
            schedules,
            "schedule.paused",
            schedule("PAUSED", reason="paused after 3 consecutive failed runs"),
            1,
        ),
        (
            schedules,
            "schedule.fired",
            schedule(
                occurrence=AT,
                firedAt=LATER,
                jobId=JOB,
                workflowId=None,
                manual=False,
                backfill=True,
            ),
            1,
        ),
        (
            schedules,
            "schedule.missed",
            schedule(skipped=2, reason="schedule_overlap", occurrence=AT),
            1,
        ),
        (schedules, "schedule.completed", schedule("COMPLETED", None), 1),
        (schedules, "schedule.deleted", schedule(), 1),
        ("workers", "worker.registered", worker, 1),
        ("workers", "worker.online", worker, 1),
        ("workers", "worker.draining", {**worker, "status": "DRAINING"}, 1),
        ("workers", "worker.offline", {"workerId": WORKER, "status": "OFFLINE"}, 1),
        ("queues", "queue.created", queue, 1),
        ("queues", "queue.updated", queue, 1),
        ("queues", "queue.deleted", queue, 1),
        ("api_keys", "api_key.created", {"apiKeyId": KEY}, 1),
        ("api_keys", "api_key.revoked", {"apiKeyId": KEY}, 1),
        ("organizations", "organization.created", {"organizationId": str(org)}, 1),
        ("projects", "project.created", {"projectId": PROJECT}, 1),
        # administration: projects, queues, workers and assignments
        ("projects", "project.updated", {"projectId": PROJECT}, 1),
        ("projects", "project.deleted", {"projectId": PROJECT}, 1),
        ("queues", "queue.paused", queue, 1),
        ("queues", "queue.resumed", queue, 1),
        ("workers", "worker.deleted", {**worker, "status": "OFFLINE"}, 1),
        (
            "workers",
            "assignment.changed",
            {"workerId": WORKER, "queueId": queue["queueId"], "weight": 3, "isActive": True},
            1,
        ),
        (
            "workers",
            "assignment.removed",
            {"workerId": WORKER, "queueId": queue["queueId"], "weight": 1, "isActive": False},
            1,
        ),
        (jobs, "job.progressed", progressed(JOB, flow, 0.25, "a quarter"), 1),
        # a worker's flush: several jobs' reports in one transaction, listed
        (
            jobs,
            "job.progressed",
            [progressed(JOB, None, 0.5, None), progressed(OTHER_JOB, None, 1.0, "done")],
            2,
        ),
        (
            "executions",
            "execution.logged",
            {"executionId": EXECUTION, "jobId": JOB, "lastLogId": 42},
            1,
        ),
        # webhooks: the period's job count crossed its warning share
        (
            "organizations",
            "quota.nearly_used",
            {"jobsUsed": 8000, "limit": 10000, "periodEnd": "2026-12-31T00:00:00+00:00"},
            1,
        ),
    ]


def progressed(
    job: str, workflow: str | None, progress: float, message: str | None
) -> dict[str, Any]:
    return {
        **job_changed(job, workflow, "PROCESSING", "PROCESSING", "progress"),
        "progress": progress,
        "progressMessage": message,
    }


def payloads(row: tuple[str, str, Any, int]) -> list[dict[str, Any]]:
    """The stored events of one row, as each was written alone."""
    _, _, payload, span = row
    if span == 1:
        return [payload]
    if isinstance(payload, dict):
        return [{**p, "workflow": payload["workflow"]} for p in payload["events"]]
    return list(payload)
