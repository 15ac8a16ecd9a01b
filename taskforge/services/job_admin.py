"""Job administration: retry an ended job, change a job before it starts, cancel or
retry many jobs by a filter, read an execution and its logs.

Retrying reopens jobs the way retryWorkflow does (``workflows.rerun``): back to
PENDING through the transition table, a fresh attempt budget on top of the attempts
made (earlier executions stay as history), the edges into them re-decided, their
workflow running again. With a job, the jobs the engine ended because of it (cancelled
as ``dependency_failed``, skipped as ``branch_not_taken``, cancelled as
``workflow_failed`` by FAIL_FAST), transitively, are reopened too; what a user
cancelled or skipped stays as it is.

Bulk operations work in batches of ``Settings.bulk_batch_size`` jobs, each one short
transaction that takes the next matching jobs by the tenant's (created_at, id) index
after the last one seen, so claims and acknowledgements go on between batches and no
transaction grows with the number of jobs.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, transitions, validation
from taskforge.domain.dependencies import BRANCH_NOT_TAKEN, DEPENDENCY_FAILED
from taskforge.domain.enums import ExecutionStatus, JobStatus, LogLevel, WorkflowStatus
from taskforge.domain.errors import Conflict, InvalidInput, NotFound
from taskforge.domain.events import Event
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.persistence.common import dependencies as deps
from taskforge.persistence.common import executions as executions_repo
from taskforge.persistence.common import job_admin as repo
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import queues
from taskforge.persistence.common import workflows as workflows_repo
from taskforge.persistence.tables import Job, Workflow
from taskforge.services import audit, subworkflows
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.job_events import record, status_event
from taskforge.services.resolution import Moved, after_changes, rederive
from taskforge.services.workflows import rerun

READ, WRITE = "jobs:read", "jobs:write"
RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})
CANCELLABLE = repo.CANCELLABLE
NOT_STARTED = frozenset({JobStatus.PENDING, JobStatus.SCHEDULED})
# reasons the engine gives a job it ended because of an upstream outcome
ENGINE_ENDED = frozenset({DEPENDENCY_FAILED, BRANCH_NOT_TAKEN, "workflow_failed"})
# workflow statuses a job of which can be retried: RUNNING and PENDING stay as they
# are, the others run again (a SUCCEEDED workflow is finished: CONFLICT)
REOPENABLE = frozenset({WorkflowStatus.RUNNING, WorkflowStatus.PENDING}) | (
    transitions.WORKFLOWS.sources(WorkflowStatus.RUNNING) - {WorkflowStatus.PENDING}
)
Keyset = tuple[datetime, uuid.UUID]  # (created_at, id) of the last job a batch saw
# minimum-level filter: a level and every more severe one
SEVERITY = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR]


# -- retryJob -------------------------------------------------------------------------


@retried
async def retry(svc: Services, principal: Principal, job_id: uuid.UUID) -> records.Job:
    """A FAILED or CANCELLED job runs again (see the module docstring)."""
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        job = found(await jobs_repo.lock(session, org, job_id), "job", job_id)
        if job.status not in RETRYABLE:
            raise Conflict(
                f"job {job_id} is {job.status.value}; only a FAILED or CANCELLED job can be"
                " retried",
                current=job.status.value,
            )
        events, _ = await reopen(session, org, [job], now, strict=True)
        await record(session, events)
    return records.Job.of(job)


async def reopen(
    session: AsyncSession, org: uuid.UUID, jobs: list[Job], now: datetime, strict: bool
) -> tuple[list[Event], int]:
    """Reopen these ended jobs (locked) and what the engine ended because of them.

    Returns the events and how many jobs were reopened. ``strict``: a job whose
    workflow cannot run again is CONFLICT; otherwise its workflow's jobs are left out."""
    chosen = {j.id: j for j in jobs} | await _ended_downstream(session, org, jobs)
    groups: dict[uuid.UUID | None, list[Job]] = defaultdict(list)
    for job in chosen.values():
        groups[job.workflow_id].append(job)
    events: list[Event] = []
    reopened = 0
    for workflow_id, group in groups.items():
        wf: Workflow | None = None
        if workflow_id is not None:
            wf = found(
                await workflows_repo.lock(session, org, workflow_id), "workflow", workflow_id
            )
            if wf.retained_counts is not None:  # retention is deleting its jobs
                if strict:
                    raise Conflict(
                        f"job {group[0].id} belongs to workflow {wf.id}, whose jobs are"
                        " being deleted by retention",
                        current=wf.status.value,
                    )
                continue
            if wf.status not in REOPENABLE:
                if strict:
                    raise Conflict(
                        f"job {group[0].id} belongs to workflow {wf.id}, which is"
                        f" {wf.status.value}; a finished workflow's jobs are not retried",
                        current=wf.status.value,
                    )
                continue
            if (refused := await subworkflows.rerun_refused(session, wf)) is not None:
                if strict:  # a child run its workflow job no longer waits for
                    raise refused
                continue
        edges = await deps.edges_touching(session, org, [j.id for j in group], upstream=True)
        parent_ids = {e.parent_job_id for e in edges} - {j.id for j in group}
        parents = await jobs_repo.by_ids(session, org, list(parent_ids)) if parent_ids else []
        known = {j.id: j for j in [*group, *parents]}
        events += await rerun(session, wf, group, edges, known, now)
        if wf is not None and wf.status is WorkflowStatus.RUNNING:
            # another failure may still hold a MANUAL workflow: it pauses again
            events += await rederive(session, wf, now)
        reopened += len(group)
    return events, reopened


async def _ended_downstream(
    session: AsyncSession, org: uuid.UUID, jobs: list[Job]
) -> dict[uuid.UUID, Job]:
    """The jobs the engine ended because of these, transitively (locked)."""
    seen = {j.id for j in jobs}
    frontier = list(seen)
    out: dict[uuid.UUID, Job] = {}
    while frontier:
        edges = await deps.edges_touching(session, org, frontier, upstream=False)
        children = {e.child_job_id for e in edges} - seen
        seen |= children
        ended = [
            j
            for j in await repo.lock_many(session, org, children)
            if j.status in (JobStatus.CANCELLED, JobStatus.SKIPPED)
            and j.status_reason in ENGINE_ENDED
        ]
        out |= {j.id: j for j in ended}
        frontier = [j.id for j in ended]
    return out


# -- updateJob ------------------------------------------------------------------------


@retried
async def update(
    svc: Services,
    principal: Principal,
    job_id: uuid.UUID,
    priority: int | None = None,
    scheduled_for: datetime | None = None,
) -> records.Job:
    """Change a job's priority or start time while it has not started. A start time in
    the future makes it SCHEDULED, one now or past PENDING (claimable at once)."""
    principal.require(WRITE)
    if priority is None and scheduled_for is None:
        raise InvalidInput("give priority or scheduledFor", field="priority")
    if priority is not None:
        validation.priority(priority)
    scheduled_for = validation.timestamp(scheduled_for, "scheduledFor")
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        # locked: a claim taking it is waited for, and then it has started
        job = found(await jobs_repo.lock(session, org, job_id), "job", job_id)
        if job.status not in NOT_STARTED:
            raise Conflict(
                f"job {job_id} is {job.status.value}; only a PENDING or SCHEDULED job can be"
                " changed",
                current=job.status.value,
            )
        events: list[Event] = []
        if priority is not None:
            job.priority = priority
        if scheduled_for is not None:
            if job.job_type == WORKFLOW_JOB_TYPE:  # SCHEDULED, a worker could claim it
                raise InvalidInput(
                    "a workflow job starts its child run when its dependencies are met;"
                    " it has no start time",
                    field="scheduledFor",
                )
            if job.map_over is not None:  # likewise
                raise InvalidInput(
                    "a job with map_over makes its children when its dependencies are met;"
                    " it has no start time",
                    field="scheduledFor",
                )
            job.scheduled_for = scheduled_for
            target = JobStatus.SCHEDULED if scheduled_for > now else JobStatus.PENDING
            if target is not job.status:
                previous = transitions.move(job, target)
                job.status_reason = "rescheduled"
                events.append(status_event(job, previous, "rescheduled"))
        job.updated_at = now
        await session.flush()
        await record(session, events)
    return records.Job.of(job)


# -- cancelJobs / retryJobs -----------------------------------------------------------


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a bulk operation takes: every criterion given must hold."""

    queue_id: uuid.UUID | None = None
    statuses: frozenset[JobStatus] | None = None
    job_type: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    workflow_id: uuid.UUID | None = None

    def validated(self) -> JobFilter:
        if all(getattr(self, f) is None for f in self.__dataclass_fields__):
            raise InvalidInput("the filter needs at least one criterion", field="filter")
        if self.statuses is not None and not self.statuses:
            raise InvalidInput("statuses cannot be empty", field="filter.statuses")
        if self.job_type is not None:
            validation.job_type(self.job_type, "filter.jobType")
        after = validation.timestamp(self.created_after, "filter.createdAfter")
        before = validation.timestamp(self.created_before, "filter.createdBefore")
        if after is not None and before is not None and after >= before:
            raise InvalidInput(
                "createdAfter must be before createdBefore", field="filter.createdAfter"
            )
        return JobFilter(
            self.queue_id, self.statuses, self.job_type, after, before, self.workflow_id
        )

    def described(self) -> dict[str, Any]:
        """The criteria given, as JSON (an audit entry's details)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, frozenset):
                value = sorted(s.value for s in value)
            elif not isinstance(value, str):
                value = value.isoformat() if isinstance(value, datetime) else str(value)
            out[name] = value
        return out


async def cancel_many(
    svc: Services, principal: Principal, where: JobFilter, reason: str | None = None
) -> int:
    """Cancel every matching job that has not ended, batch by batch; returns how many."""
    principal.require(WRITE)
    why = validation.reason(reason) or "cancelled_by_user"
    return await _bulk(svc, principal, where, CANCELLABLE, _cancel_batch, why)


async def retry_many(svc: Services, principal: Principal, where: JobFilter) -> int:
    """Retry every matching FAILED or CANCELLED job, batch by batch; returns how many
    jobs were reopened (with the ones the engine had ended because of them)."""
    principal.require(WRITE)
    return await _bulk(svc, principal, where, RETRYABLE, _retry_batch, None)


async def _bulk(
    svc: Services,
    principal: Principal,
    where: JobFilter,
    allowed: frozenset[JobStatus],
    batch: Callable[..., Awaitable[tuple[int, Keyset | None]]],
    reason: str | None,
) -> int:
    where = where.validated()
    org = principal.organization_id
    async with svc.read() as session:  # a filter naming a foreign object is NOT_FOUND
        if where.queue_id is not None and await queues.get(session, org, where.queue_id) is None:
            raise NotFound("queue", where.queue_id)
        if (
            where.workflow_id is not None
            and await workflows_repo.get(session, org, where.workflow_id) is None
        ):
            raise NotFound("workflow", where.workflow_id)
    statuses = allowed & where.statuses if where.statuses is not None else allowed
    if not statuses:
        return 0
    stmt = repo.matching(
        org,
        statuses=statuses,
        queue_id=where.queue_id,
        job_type=where.job_type,
        workflow_id=where.workflow_id,
        created_after=where.created_after,
        created_before=where.created_before,
    )
    size = svc.settings.bulk_batch_size
    changed, after = 0, None
    audit_details = {"filter": where.described()}
    while True:
        done, after = await batch(svc, principal, stmt, after, size, reason, audit_details)
        changed += done
        if after is None:
            return changed


@retried
async def _cancel_batch(
    svc: Services,
    principal: Principal,
    stmt: Any,
    after: Keyset | None,
    size: int,
    reason: str,
    details: dict[str, Any],
) -> tuple[int, Keyset | None]:
    """One transaction: the next batch cancelled as cancelJob cancels one job, with its
    audit entry (a bulk operation leaves one per batch that changed jobs)."""
    now = svc.clock()
    async with svc.write() as session:
        rows = await repo.next_batch(session, stmt, after, size)
        if not rows:
            return 0, None
        previous = {r.id: r.status for r in rows}
        changed = await repo.cancel_many(session, list(previous), reason, now)
        ids = [r.id for r in changed]
        await jobs_repo.close_open_attempts(session, ids, ExecutionStatus.CANCELLED, now, reason)
        events: list[Event] = [status_event(r, previous[r.id], reason) for r in changed]
        events += await after_changes(session, [Moved.of(r) for r in changed], now)
        await record(session, events)
        if changed:
            batch = {**details, "jobs": len(changed), "reason": reason}
            await audit.record(session, principal, "jobs.cancelled", "job", details=batch)
    return len(changed), _last(rows, size)


@retried
async def _retry_batch(
    svc: Services,
    principal: Principal,
    stmt: Any,
    after: Keyset | None,
    size: int,
    reason: str | None,
    details: dict[str, Any],
) -> tuple[int, Keyset | None]:
    """One transaction: the next batch reopened as retryJob reopens one job, with its
    audit entry."""
    org = principal.organization_id
    now = svc.clock()
    async with svc.write() as session:
        rows = await repo.next_batch(session, stmt, after, size)
        if not rows:
            return 0, None
        jobs = await repo.lock_many(session, org, [r.id for r in rows])
        events, reopened = await reopen(
            session, org, [j for j in jobs if j.status in RETRYABLE], now, strict=False
        )
        await record(session, events)
        if reopened:
            batch = {**details, "jobs": reopened}
            await audit.record(session, principal, "jobs.retried", "job", details=batch)
    return reopened, _last(rows, size)


def _last(rows: list[Any], size: int) -> Keyset | None:
    """The keyset position after this batch; None when it was the last one."""
    return (rows[-1].created_at, rows[-1].id) if len(rows) >= size else None


# -- execution(id), logs --------------------------------------------------------------


async def execution(
    svc: Services, principal: Principal, execution_id: uuid.UUID
) -> records.Execution:
    principal.require(READ)
    async with svc.read() as session:
        row = await executions_repo.get(session, principal.organization_id, execution_id)
        return records.Execution.of(found(row, "execution", execution_id))


@dataclass(frozen=True)
class LogPage:
    items: list[records.ExecutionLog]
    has_next: bool
    total: Callable[[], Awaitable[int]]  # run only when asked for


def levels_from(level: LogLevel | None) -> list[LogLevel] | None:
    """The levels a minimum level admits (None: every level)."""
    return None if level is None else SEVERITY[SEVERITY.index(level) :]


async def logs(
    svc: Services,
    principal: Principal,
    execution_id: uuid.UUID,
    *,
    first: int,
    after: int | None,
    level: LogLevel | None = None,
) -> LogPage:
    """An execution's log entries, oldest first, at ``level`` or more severe."""
    principal.require(READ)
    first = validation.page_size(first, svc.settings.limits.page_size)
    stmt = repo.logs(execution_id, levels_from(level))
    async with svc.read() as session:
        row = await executions_repo.get(session, principal.organization_id, execution_id)
        found(row, "execution", execution_id)
        items, has_next = await repo.logs_page(session, stmt, after, first)

    async def total() -> int:
        async with svc.read() as session:
            return await repo.count(session, stmt)

    return LogPage(records.ExecutionLog.all(items), has_next, total)
