"""Claims and outcomes: the life of an attempt, one transaction per use case.

Every transition changes the job and its execution together (domain.executions
says which statuses go together) and writes the job's status event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import validation
from taskforge.domain.enums import ExecutionStatus, JobStatus, LogLevel, WorkerStatus
from taskforge.domain.errors import Conflict, InvalidInput, NotFound, TaskForgeError
from taskforge.domain.executions import next_attempt_at
from taskforge.domain.queues import QueueSettings
from taskforge.persistence.repos import executions as repo
from taskforge.persistence.repos import outbox, queues, workers
from taskforge.persistence.tables import ExecutionLog, Job, JobExecution
from taskforge.services.base import Principal, Services, found
from taskforge.services.jobs import status_event
from taskforge.services.workers import PERMISSION


@dataclass(frozen=True)
class Claimed:
    job: Job
    execution_id: uuid.UUID
    attempt: int
    lease_expires_at: datetime


@dataclass(frozen=True)
class Ack:
    """Outcome of one acknowledgement in a batch: ok, or the error it would raise."""

    execution_id: uuid.UUID
    job_id: uuid.UUID | None = None
    error: TaskForgeError | None = None


async def claim(
    svc: Services,
    principal: Principal,
    worker_id: uuid.UUID,
    queue_ids: list[uuid.UUID] | None,
    limit: int,
    lease_seconds: int | None = None,
) -> list[Claimed]:
    principal.require(PERMISSION)
    org, now = principal.organization_id, svc.clock()
    if not 1 <= limit <= svc.settings.limits.claim_size:
        raise InvalidInput(
            f"limit must be between 1 and {svc.settings.limits.claim_size}", field="limit"
        )
    lease = svc.settings.default_lease_seconds if lease_seconds is None else lease_seconds
    if not 1 <= lease <= 3600:
        raise InvalidInput("leaseSeconds must be between 1 and 3600", field="leaseSeconds")
    lease_until = now + timedelta(seconds=lease)
    async with svc.write() as session:
        worker = found(await workers.get(session, org, worker_id), "worker", worker_id)
        worker.last_heartbeat = now  # claiming is a sign of life
        if worker.status is WorkerStatus.DRAINING:
            return []
        worker.status = WorkerStatus.ONLINE
        assigned = {
            a.queue_id for a in await workers.assignments(session, [worker_id]) if a.is_active
        }
        if queue_ids:
            known = {q.id for q in await queues.by_ids(session, org, queue_ids)}
            for qid in queue_ids:
                found(qid if qid in known else None, "queue", qid)
            targets = [q for q in queue_ids if q in assigned]
        else:
            targets = list(assigned)
        if not targets:
            return []
        jobs = await repo.claim(session, org, worker_id, targets, limit, now)
        if not jobs:
            return []
        timeouts = {
            q.id: QueueSettings.from_json(q.settings).timeout_seconds
            for q in await queues.by_ids(session, org, list({j.queue_id for j in jobs}))
        }
        deadlines = {
            j.id: now + timedelta(seconds=t) if (t := timeouts.get(j.queue_id)) else None
            for j in jobs
        }
        previous = {j.id: j.status for j in jobs}
        rows = await repo.start(session, jobs, worker_id, now, lease_until, deadlines)
        await outbox.append(session, [status_event(j, previous[j.id]) for j in jobs])
    return [
        Claimed(job, row["id"], row["attempt_number"], lease_until)
        for job, row in zip(jobs, rows, strict=True)
    ]


def _check_current(execution: JobExecution, job: Job) -> None:
    """An ack counts only for the job's live attempt; anything else is stale."""
    if execution.status is not ExecutionStatus.STARTED or job.status is not JobStatus.PROCESSING:
        raise Conflict(
            f"execution {execution.id} is no longer current (execution {execution.status.value},"
            f" job {job.status.value})",
            executionStatus=execution.status.value,
            jobStatus=job.status.value,
        )


async def _succeed(
    session: AsyncSession,
    execution: JobExecution,
    job: Job,
    output: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    execution.status, execution.output, execution.finished_at = (
        ExecutionStatus.SUCCEEDED,
        output,
        now,
    )
    job.status, job.output, job.finished_at, job.updated_at = (
        JobStatus.SUCCEEDED,
        output,
        now,
        now,
    )
    job.error = None
    return status_event(job, JobStatus.PROCESSING)


async def fail_attempt(
    session: AsyncSession,
    execution: JobExecution,
    job: Job,
    error: str,
    retryable: bool,
    now: datetime,
    reason: str | None = None,
) -> dict[str, Any]:
    """End an attempt as failed; the job retries per its queue's policy or fails."""
    queue = await queues.get(session, job.organization_id, job.queue_id)
    policy = QueueSettings.from_json(queue.settings if queue else None).retry
    retry_at = next_attempt_at(policy, execution.attempt_number, now, job.max_attempts)
    execution.error, execution.finished_at = error, now
    job.error, job.updated_at = error, now
    if retryable and retry_at is not None:
        execution.status = ExecutionStatus.RETRYING
        job.status, job.scheduled_for = JobStatus.SCHEDULED, retry_at
        job.status_reason = reason or "retrying"
    else:
        execution.status = ExecutionStatus.FAILED
        job.status, job.finished_at = JobStatus.FAILED, now
        job.status_reason = reason or ("attempts_exhausted" if retryable else "failed")
    return status_event(job, JobStatus.PROCESSING, job.status_reason)


async def _acknowledge(
    svc: Services,
    principal: Principal,
    items: list[tuple[uuid.UUID, Any]],
    apply: Any,
) -> list[Ack]:
    principal.require(PERMISSION)
    org, now = principal.organization_id, svc.clock()
    results: list[Ack] = []
    async with svc.write() as session:
        rows = {
            e.id: (e, j)
            for e, j in await repo.current_for_update(session, org, [i for i, _ in items])
        }
        events = []
        for execution_id, arg in items:
            try:
                execution, job = rows.get(execution_id) or (None, None)
                if execution is None or job is None:
                    raise NotFound("execution", execution_id)
                _check_current(execution, job)
                events.append(await apply(session, execution, job, arg, now))
                results.append(Ack(execution_id, job.id))
            except TaskForgeError as exc:
                results.append(Ack(execution_id, job.id if job else None, exc))
        await session.flush()
        await outbox.append(session, events)
    return results


async def complete(
    svc: Services, principal: Principal, items: list[tuple[uuid.UUID, dict[str, Any] | None]]
) -> list[Ack]:
    for _, output in items:
        if output is not None:
            validation.json_payload(output, svc.settings.limits.payload_bytes, "output")

    async def apply(
        session: AsyncSession, e: JobExecution, j: Job, output: Any, now: datetime
    ) -> dict[str, Any]:
        return await _succeed(session, e, j, output, now)

    return await _acknowledge(svc, principal, items, apply)


async def fail(
    svc: Services, principal: Principal, items: list[tuple[uuid.UUID, tuple[str, bool]]]
) -> list[Ack]:
    async def apply(
        session: AsyncSession, e: JobExecution, j: Job, arg: Any, now: datetime
    ) -> dict[str, Any]:
        error, retryable = arg
        return await fail_attempt(session, e, j, error[:10_000], retryable, now)

    return await _acknowledge(svc, principal, items, apply)


def raise_single(acks: list[Ack]) -> None:
    """Single-item forms raise the error instead of returning it."""
    if acks and acks[0].error is not None:
        raise acks[0].error


async def append_logs(
    svc: Services,
    principal: Principal,
    execution_id: uuid.UUID,
    entries: list[tuple[LogLevel, str, dict[str, Any] | None]],
) -> int:
    principal.require(PERMISSION)
    limits = svc.settings.limits
    if not 1 <= len(entries) <= limits.log_entries:
        raise InvalidInput(f"between 1 and {limits.log_entries} entries per call", field="entries")
    now = svc.clock()
    rows = []
    for level, message, metadata in entries:
        if len(message.encode()) > limits.log_message_bytes:
            raise InvalidInput(
                f"a log message is over {limits.log_message_bytes} bytes", field="message"
            )
        validation.json_payload(metadata or {}, limits.payload_bytes, "metadata")
        rows.append(
            {
                "execution_id": execution_id,
                "level": level,
                "message": message,
                "metadata_": metadata or {},
                "logged_at": now,
            }
        )
    async with svc.write() as session:
        found(
            await repo.get(session, principal.organization_id, execution_id),
            "execution",
            execution_id,
        )
        await repo.add_logs(session, rows)
    return len(rows)


async def executions_of(
    svc: Services, principal: Principal, job_ids: list[uuid.UUID]
) -> list[JobExecution]:
    async with svc.read() as session:
        return await repo.by_jobs(session, principal.organization_id, job_ids)


async def logs_of(
    svc: Services, principal: Principal, execution_ids: list[uuid.UUID]
) -> list[ExecutionLog]:
    async with svc.read() as session:
        return await repo.logs_by_executions(session, execution_ids)


async def reap(svc: Services, batch: int = 500) -> int:
    """Engine step: fail attempts whose lease expired or whose deadline passed.

    Safe in every replica at once: rows another reaper holds are skipped.
    """
    now = svc.clock()
    async with svc.write() as session:
        rows = await repo.expired(session, now, batch)
        events = []
        for execution, job in rows:
            timed_out = execution.deadline_at is not None and execution.deadline_at < now
            reason = "timeout" if timed_out else "lease_expired"
            events.append(await fail_attempt(session, execution, job, reason, True, now, reason))
        await session.flush()
        await outbox.append(session, events)
    return len(rows)
