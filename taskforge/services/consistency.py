"""Consistency repairs (seed 004 mapped onto jobs and executions).

``sync_job_status`` brings one job and its latest execution back into agreement;
``cleanup_orphans`` repairs what a crash can leave behind across a tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from taskforge.domain import transitions
from taskforge.domain.enums import JobStatus
from taskforge.domain.executions import repair
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.common import consistency as consistency_repo
from taskforge.persistence.common import executions as exec_repo
from taskforge.persistence.common import jobs as job_repo
from taskforge.persistence.common import workers
from taskforge.persistence.tables import Job, JobExecution
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.executions import close_open_attempt, close_stray, fail_attempt
from taskforge.services.job_events import record, status_event


@retried
async def sync_job_status(svc: Services, principal: Principal, job_id: uuid.UUID) -> list[str]:
    """Repair a job whose status disagrees with its latest execution (in the direction
    ``domain.executions.REPAIR`` gives); returns the actions."""
    principal.require("jobs:write")
    now = svc.clock()
    async with svc.write() as session:
        # the job locked first: a cancel, an acknowledgement or the reaper waits for it
        job = found(await job_repo.lock(session, principal.organization_id, job_id), "job", job_id)
        if job.job_type == WORKFLOW_JOB_TYPE:  # no attempts: it follows its child run
            return []
        if job.map_over is not None:  # a map template: it follows its children
            return []
        latest = await exec_repo.latest(session, job_id)
        previous = job.status
        actions = _repair(job, latest, now, "requeued_by_sync")
        if job.status is not previous:
            await session.flush()
            await record(session, [status_event(job, previous, "sync")])
    return actions


def _repair(job: Job, latest: JobExecution | None, now: datetime, requeue_reason: str) -> list[str]:
    """Bring a job and its latest execution into agreement; returns the action taken."""
    fix = repair(job.status, latest.status if latest else None)
    if fix is None:
        return []
    previous = job.status
    if fix.execution is not None and latest is not None:
        was = latest.status
        close_open_attempt(latest, fix.execution, now)
        action = f"closed_execution_{was.value.lower()}_to_{fix.execution.value.lower()}"
    elif fix.job is JobStatus.PENDING:  # no attempt on record: run it again
        transitions.repair(job, JobStatus.PENDING)
        job.status_reason = requeue_reason
        job.scheduled_for = None
        action = f"requeued_job_{previous.value.lower()}_to_pending"
    else:  # the finished attempt is the record of what happened
        assert fix.job is not None
        transitions.repair(job, fix.job)
        if job.status is JobStatus.SCHEDULED and job.scheduled_for is None:
            job.scheduled_for = now
        action = f"synced_job_{previous.value.lower()}_to_{job.status.value.lower()}"
    job.updated_at = now
    return [action]


@dataclass
class CleanupReport:
    requeued_job_ids: list[uuid.UUID] = field(default_factory=list)
    failed_execution_ids: list[uuid.UUID] = field(default_factory=list)
    deleted_edge_ids: list[uuid.UUID] = field(default_factory=list)


async def cleanup_orphans(svc: Services, principal: Principal) -> CleanupReport:
    """Repair a tenant's jobs and attempts a crash left out of step, in the directions
    ``domain.executions.REPAIR`` gives: a cancelled or skipped job is never revived."""
    principal.require(ADMIN)
    org, now = principal.organization_id, svc.clock()
    report = CleanupReport()
    async with svc.write() as session:
        events = []
        # attempts held by workers that vanished or went OFFLINE fail (and retry per
        # policy); one whose job is no longer running closes as the job says
        offline = await workers.offline_ids(session, org)
        for execution, job in await consistency_repo.live_without_worker(session, org, offline):
            if not close_stray(execution, job, now):
                events.append(
                    await fail_attempt(
                        session, execution, job, "worker_lost", True, now, "worker_lost"
                    )
                )
            report.failed_execution_ids.append(execution.id)
        # cancelled or skipped jobs whose latest attempt is still open: it closes
        for execution, job in await consistency_repo.decided_with_open_attempt(session, org):
            close_stray(execution, job, now)
            report.failed_execution_ids.append(execution.id)
        await session.flush()
        # PROCESSING with no live attempt: as syncJobStatus repairs it (run again when
        # no attempt is on record)
        for job in await consistency_repo.processing_without_live_execution(session, org):
            _repair(job, await exec_repo.latest(session, job.id), now, "orphaned")
            events.append(status_event(job, JobStatus.PROCESSING, job.status_reason))
            if job.status is JobStatus.PENDING:
                report.requeued_job_ids.append(job.id)
        report.deleted_edge_ids = await consistency_repo.dangling_edges(session, org)
        await session.flush()
        await record(session, events)
    return report
