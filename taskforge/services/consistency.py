"""Consistency repairs (seed 004 mapped onto jobs and executions).

``sync_job_status`` brings one job and its latest execution back into agreement;
``cleanup_orphans`` repairs what a crash can leave behind across a tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.executions import JOB_FOR_EXECUTION, consistent
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.repos import consistency as consistency_repo
from taskforge.persistence.repos import executions as exec_repo
from taskforge.persistence.repos import jobs as job_repo
from taskforge.persistence.repos import workers
from taskforge.services.base import Principal, Services, found
from taskforge.services.executions import fail_attempt
from taskforge.services.job_events import record, status_event

# a live execution of a job that is no longer PROCESSING is closed to match the job
_CLOSE_AS = {
    JobStatus.SUCCEEDED: ExecutionStatus.SUCCEEDED,
    JobStatus.FAILED: ExecutionStatus.FAILED,
}


async def sync_job_status(svc: Services, principal: Principal, job_id: uuid.UUID) -> list[str]:
    """Repair a job whose status disagrees with its latest execution; returns the actions."""
    principal.require("jobs:write")
    now = svc.clock()
    actions: list[str] = []
    async with svc.write() as session:
        job = found(await job_repo.get(session, principal.organization_id, job_id), "job", job_id)
        latest = await exec_repo.latest(session, job_id)
        status = latest.status if latest else None
        if consistent(job.status, status):
            return actions
        previous = job.status
        if latest is None:
            # PROCESSING with no attempt at all: run it again
            job.status, job.status_reason = JobStatus.PENDING, "requeued_by_sync"
            job.scheduled_for = None
            actions.append(f"requeued_job_{previous.value.lower()}_to_pending")
        elif status is ExecutionStatus.STARTED:
            latest.status = _CLOSE_AS.get(job.status, ExecutionStatus.CANCELLED)
            latest.finished_at = now
            actions.append(f"closed_execution_started_to_{latest.status.value.lower()}")
        else:  # the finished attempt is the record of what happened
            job.status = JOB_FOR_EXECUTION[latest.status]
            if job.status is JobStatus.SCHEDULED and job.scheduled_for is None:
                job.scheduled_for = now
            actions.append(f"synced_job_{previous.value.lower()}_to_{job.status.value.lower()}")
        job.updated_at = now
        if job.status is not previous:
            await session.flush()
            await record(session, [status_event(job, previous, "sync")])
    return actions


@dataclass
class CleanupReport:
    requeued_job_ids: list[uuid.UUID] = field(default_factory=list)
    failed_execution_ids: list[uuid.UUID] = field(default_factory=list)
    deleted_edge_ids: list[uuid.UUID] = field(default_factory=list)


async def cleanup_orphans(svc: Services, principal: Principal) -> CleanupReport:
    principal.require(ADMIN)
    org, now = principal.organization_id, svc.clock()
    report = CleanupReport()
    async with svc.write() as session:
        events = []
        # attempts held by workers that vanished or went OFFLINE fail (and retry per policy)
        offline = await workers.offline_ids(session, org)
        for execution, job in await consistency_repo.live_without_worker(session, org, offline):
            if job.status is JobStatus.PROCESSING:
                events.append(
                    await fail_attempt(
                        session, execution, job, "worker_lost", True, now, "worker_lost"
                    )
                )
            else:
                execution.status, execution.finished_at = ExecutionStatus.CANCELLED, now
            report.failed_execution_ids.append(execution.id)
        await session.flush()
        # PROCESSING with no live attempt at all: run again
        for job in await consistency_repo.processing_without_live_execution(session, org):
            job.status, job.status_reason, job.updated_at = JobStatus.PENDING, "orphaned", now
            job.scheduled_for = None
            events.append(status_event(job, JobStatus.PROCESSING, "orphaned"))
            report.requeued_job_ids.append(job.id)
        report.deleted_edge_ids = await consistency_repo.dangling_edges(session, org)
        await session.flush()
        await record(session, events)
    return report
