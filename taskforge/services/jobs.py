"""Jobs: enqueue (single and batch, with quota), cancel, delete, read."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge import tracing
from taskforge.domain import records, validation
from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.domain.errors import InvalidInput, NotFound, QuotaExceeded
from taskforge.domain.events import Event, JobDeleted
from taskforge.domain.flow import Concurrency, Debounce, RateLimit
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.persistence.common import jobs as repo
from taskforge.persistence.common import queues, tenancy, workflows
from taskforge.persistence.tables import Job
from taskforge.services import audit, debounce, flow, job_keys
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.cancellation import cancel_locked
from taskforge.services.job_events import record, status_event
from taskforge.services.pagination import Cursor, Listing, paginate
from taskforge.services.resolution import reaggregate
from taskforge.services.subworkflows import cancel_children


@dataclass(frozen=True)
class NewJob:
    queue_id: uuid.UUID
    job_type: str
    payload: dict[str, Any] = field(default_factory=dict)
    priority: int = 5
    scheduled_for: datetime | None = None
    max_attempts: int | None = None
    # the job's own flow rules; None: its queue's (if any)
    concurrency: Concurrency | None = None
    rate_limit: RateLimit | None = None
    # only the last of its key value's enqueues within the period runs (services/debounce)
    debounce: Debounce | None = None
    # a repeat within TASKFORGE_IDEMPOTENCY_HOURS returns the job the first call created
    idempotency_key: str | None = None


async def enqueue(
    svc: Services,
    principal: Principal,
    specs: list[NewJob],
    field: str = "jobs",
    payloads: bool = False,
) -> list[records.Job]:
    """Create jobs in one transaction: all of them, or none. ``field`` names the list
    in errors about it; with ``payloads`` (enqueueJobBatch, whose list is the jobs'
    payloads) a refused payload is named by its index, ``payloads[3]``."""
    principal.require("jobs:write")
    limits = svc.settings.limits
    if not specs:
        raise InvalidInput("no jobs given", field=field)
    if len(specs) > limits.batch_size:
        raise InvalidInput(f"at most {limits.batch_size} jobs per call", field=field)
    org, now = principal.organization_id, svc.clock()
    # the jobs store this span's context: their attempts' spans continue its trace
    with tracing.span("enqueue", **{"taskforge.jobs": len(specs)}) as span:
        trace = tracing.traceparent()
        if payloads:
            rows = [job_row(svc, org, s, now, f"{field}[{i}]", trace) for i, s in enumerate(specs)]
        else:
            rows = [job_row(svc, org, spec, now, trace_context=trace) for spec in specs]
        spec_of = {row["id"]: spec for spec, row in zip(specs, rows, strict=True)}

        async def insert(
            session: AsyncSession, org: uuid.UUID, new: list[dict[str, Any]], now: datetime
        ) -> list[Row[Any]]:
            # debounced jobs (made to wait here, after their idempotency fingerprint was
            # taken): their groups first (a plain enqueue sends no statement more). On
            # copies: a retried transaction starts again from the rows as validated
            new = [dict(r) for r in new]
            keys = debounce.prepare([spec_of[r["id"]] for r in new], new, now)
            waiting = await debounce.lock(session, org, new, keys) if keys else []
            # each row's own flow rules (None: every job follows its queue's, if any)
            own = [(spec_of[r["id"]].concurrency, spec_of[r["id"]].rate_limit) for r in new]
            rules = own if any(c or r for c, r in own) else None
            created = await insert_jobs(session, org, new, now, rules)
            if keys:
                created = await debounce.replace(session, created, keys, waiting, now)
            return created

        if any(spec.idempotency_key is not None for spec in specs):
            made = await job_keys.enqueue(svc, org, specs, rows, now, insert)
        else:  # without keys: the statements of an enqueue, nothing more
            made = records.Job.all(await _write(svc, org, rows, now, insert))
        if len(made) == 1:
            tracing.set_attributes(span, **{"taskforge.job.id": str(made[0].id)})
    return made


@retried  # a debounced job's replacement locks jobs and their dependents
async def _write(
    svc: Services,
    org: uuid.UUID,
    rows: list[dict[str, Any]],
    now: datetime,
    insert: Callable[..., Awaitable[list[Row[Any]]]],
) -> list[Row[Any]]:
    async with svc.write() as session:
        return await insert(session, org, rows, now)


def job_row(
    svc: Services,
    org: uuid.UUID,
    spec: NewJob,
    now: datetime,
    payload_field: str = "payload",
    trace_context: str | None = None,
) -> dict[str, Any]:
    """A validated job row (without its project, which comes from the queue);
    ``trace_context``: the traceparent of the span creating it (tracing.traceparent)."""
    limits = svc.settings.limits
    if spec.max_attempts is not None and not 1 <= spec.max_attempts <= 100:
        raise InvalidInput("maxAttempts must be between 1 and 100", field="maxAttempts")
    scheduled_for = validation.timestamp(spec.scheduled_for, "scheduledFor")
    later = scheduled_for is not None and scheduled_for > now
    return {
        "id": uuid.uuid4(),
        "organization_id": org,
        "queue_id": spec.queue_id,
        "job_type": validation.job_type(spec.job_type),
        "payload": validation.json_payload(spec.payload, limits.payload_bytes, payload_field),
        "priority": validation.priority(spec.priority),
        "scheduled_for": scheduled_for,
        "status": JobStatus.SCHEDULED if later else JobStatus.PENDING,
        "dependency_status": DependencyStatus.NONE,
        "max_attempts": spec.max_attempts,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "trace_context": trace_context,
        "schedule_id": None,  # a schedule's fire sets it (services/fires)
    }


async def insert_jobs(
    session: AsyncSession,
    org: uuid.UUID,
    rows: list[dict[str, Any]],
    now: datetime,
    rules: list[flow.Rules] | None = None,
) -> list[Row[Any]]:
    """Insert validated rows in the caller's transaction: queues checked, quota taken,
    status events written. (An error rolls the transaction back, inserts included.)
    ``rules``: each row's own flow rules (None: none has any). Rows of queues with flow
    control are written by services/flow, the others by today's single statement."""
    if rules is not None:  # their queues take the flow path from now on
        await flow.flag_queues(session, org, rows, rules)
    created = await repo.insert_in_queues(session, org, rows)
    events: list[Event] = [status_event(row, None) for row in created]
    if len(created) < len(rows):
        done = {row.id for row in created}
        rest = [i for i, r in enumerate(rows) if r["id"] not in done]
        written, more = await flow.insert(
            session,
            org,
            [rows[i] for i in rest],
            [rules[i] for i in rest] if rules else None,
            now,
        )
        events += more
        by_id = {row.id: row for row in [*created, *written]}
        created = [by_id[r["id"]] for r in rows]
    if not await tenancy.consume_jobs_quota(session, org, len(rows), now):
        raise QuotaExceeded("the job quota of your subscription's period is used up")
    await record(session, events)
    return created


@retried
async def cancel(
    svc: Services, principal: Principal, job_id: uuid.UUID, reason: str | None = None
) -> records.Job:
    principal.require("jobs:write")
    reason = validation.reason(reason)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        # locked: a worker's acknowledgement or the reaper holding the job is waited for
        job = found(await repo.lock(session, org, job_id), "job", job_id)
        why = reason or "cancelled_by_user"
        await record(session, await cancel_locked(session, [job], why, now))
    return records.Job.of(job)


@retried
async def delete(svc: Services, principal: Principal, job_id: uuid.UUID) -> uuid.UUID:
    """Delete a job, its executions, logs and edges; re-evaluate its children."""
    principal.require("jobs:write")
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        job = found(await repo.get(session, org, job_id), "job", job_id)
        deleted = status_event(job, job.status, kind=JobDeleted)
        children = await repo.delete_cascade(session, org, job_id)
        if job.map_parent_id is not None:  # its implied edge into its template is gone
            children.append(job.map_parent_id)
        # as the engine does: children locked, then their remaining edges read
        changes = await reaggregate(session, children, now)
        if job.job_type == WORKFLOW_JOB_TYPE:  # its child run would run for no one
            changes += await cancel_children(session, [job_id], "parent_job_deleted", now)
        changes.append(deleted)
        await record(session, changes)
        await audit.record(session, principal, "job.deleted", "job", job_id)
    return job_id


async def get(svc: Services, principal: Principal, job_id: uuid.UUID) -> records.Job:
    principal.require("jobs:read")
    async with svc.read() as session:
        job = found(await repo.get(session, principal.organization_id, job_id), "job", job_id)
    return records.Job.of(job)


async def list_jobs(
    svc: Services,
    principal: Principal,
    *,
    first: int,
    after: Cursor | None,
    queue_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    statuses: list[JobStatus] | None = None,
    job_type: str | None = None,
    workflow_id: uuid.UUID | None = None,
    created: repo.Period = (None, None),
    finished: repo.Period = (None, None),
) -> Listing[records.Job]:
    """A page of the caller's jobs, newest first; ``created`` and ``finished`` are
    [after, before) bounds (a finished bound leaves out jobs that have not ended, and
    orders the page by finished time instead of creation)."""
    principal.require("jobs:read")
    org = principal.organization_id
    created = _period(created, "created")
    finished = _period(finished, "finished")
    async with svc.read() as session:  # a filter naming a foreign object is NOT_FOUND
        if queue_id is not None and await queues.get(session, org, queue_id) is None:
            raise NotFound("queue", queue_id)
        if project_id is not None and await tenancy.project(session, org, project_id) is None:
            raise NotFound("project", project_id)
        if workflow_id is not None and (
            await workflows.get(session, org, workflow_id, definition=False) is None
        ):
            raise NotFound("workflow", workflow_id)
    stmt = repo.listing(
        principal.organization_id,
        queue_id=queue_id,
        project_id=project_id,
        statuses=statuses,
        job_type=job_type,
        workflow_id=workflow_id,
        created=created,
        finished=finished,
    )
    key = repo.listing_key(finished)
    return await paginate(svc, stmt, Job, first, after, records.Job.all, key)


def _period(bounds: repo.Period, name: str) -> repo.Period:
    """[after, before) as given, checked: time zones, and after before before."""
    after = validation.timestamp(bounds[0], f"{name}After")
    before = validation.timestamp(bounds[1], f"{name}Before")
    if after is not None and before is not None and after >= before:
        raise InvalidInput(f"{name}After must be before {name}Before", field=f"{name}After")
    return after, before


async def by_ids(svc: Services, principal: Principal, ids: list[uuid.UUID]) -> list[records.Job]:
    principal.require("jobs:read")
    async with svc.read() as session:
        return records.Job.all(await repo.by_ids(session, principal.organization_id, ids))
