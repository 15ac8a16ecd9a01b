"""Claims and outcomes: the life of an attempt, one transaction per use case.

Every transition changes the job and its execution together (domain.executions
says which statuses go together) and writes the job's status event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, transitions, validation
from taskforge.domain.enums import (
    DependencyStatus,
    ExecutionStatus,
    JobStatus,
    LogLevel,
    WorkerStatus,
)
from taskforge.domain.errors import Conflict, InvalidInput, NotFound, TaskForgeError
from taskforge.domain.events import Event, ExecutionLogged, JobProgressed, JobStatusChanged
from taskforge.domain.executions import (
    OPEN,
    PROGRESS_MESSAGE_CHARS,
    bounded_traceback,
    next_attempt_at,
    progress_event_due,
    repair,
)
from taskforge.domain.inputs import check_text
from taskforge.domain.queues import QueueSettings
from taskforge.metrics.server import pending
from taskforge.persistence.common import executions as repo
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import queues
from taskforge.persistence.common import workers as workers_repo
from taskforge.persistence.tables import Job, JobExecution
from taskforge.services import flow_claims, run_data, schedule_runs, shares
from taskforge.services import workers as workers_svc
from taskforge.services.base import Principal, Services, emit, found, retried
from taskforge.services.job_events import record, status_event
from taskforge.services.resolution import Moved, after_changes, moved_rows
from taskforge.services.workers import MAX_HELD, PERMISSION


class Claimed:
    """A job handed to a worker. What a worker runs it by (id, type, payload) is read off
    the store's row; the full record is built when first asked for (``job``): a claim
    hands up hundreds of jobs, and clients seldom select more than those three."""

    __slots__ = ("_job", "_row", "attempt", "execution_id", "lease_expires_at", "parents")

    def __init__(
        self, row: Any, execution_id: uuid.UUID, attempt: int, lease_expires_at: datetime
    ) -> None:
        self._row = row
        self._job: records.Job | None = None
        self.execution_id = execution_id
        self.attempt = attempt
        self.lease_expires_at = lease_expires_at
        # its direct parents' outputs by job name, when the claim read them (ctx.parents)
        self.parents: dict[str, Any] | None = None

    @property
    def job_id(self) -> uuid.UUID:
        return self._row.id  # type: ignore[no-any-return]

    @property
    def job_type(self) -> str:
        return self._row.job_type  # type: ignore[no-any-return]

    @property
    def payload(self) -> Any:
        return self._row.payload

    @property
    def workflow_id(self) -> uuid.UUID | None:
        return self._row.workflow_id  # type: ignore[no-any-return]

    @property
    def trace_context(self) -> str | None:
        """The W3C traceparent the job was created in (tracing on), for the attempt's span."""
        return self._row.trace_context  # type: ignore[no-any-return]

    @property
    def job(self) -> records.Job:
        if self._job is None:
            self._job = records.Job.of(self._row)
        return self._job

    def record(self) -> records.Job:
        return self.job


@dataclass(frozen=True)
class Ack:
    """Outcome of one acknowledgement in a batch: ok, or the error it would raise."""

    execution_id: uuid.UUID
    job_id: uuid.UUID | None = None
    error: TaskForgeError | None = None


class Claims(list[Claimed]):
    """A claim's jobs. ``held_back``: a queue with flow control had ready jobs left (some
    may wait for a running job of their concurrency key to end: a job ending there is a
    reason to claim again)."""

    held_back = False


@retried
async def claim(
    svc: Services,
    principal: Principal,
    worker_id: uuid.UUID,
    queue_ids: list[uuid.UUID] | None,
    limit: int,
    lease_seconds: int | None = None,
    probe: bool = True,
    job_types: list[str] | None = None,
    parents: bool = False,
) -> Claims:
    """Up to ``limit`` ready jobs started for the worker. ``probe=False``: the caller
    expects a backlog (its last claim was full), so the queues are not first probed for
    ready jobs: the claim finds out, and the probe would walk the same index entries.
    ``job_types``: only jobs of these types (the worker's handlers; None: any), so a job
    no handler of the worker runs stays PENDING for a worker that has one. Queues with
    flow control are claimed by services/flow_claims. ``parents``: each workflow job
    comes with its parents' outputs (``Claimed.parents``), read in the claim's
    transaction by one statement (none when no claimed job is in a workflow)."""
    for attempt in range(1, REROUTES + 1):
        try:
            return await _claim(
                svc,
                principal,
                worker_id,
                queue_ids,
                limit,
                lease_seconds,
                probe,
                job_types,
                parents,
            )
        except flow_claims.Reroute:
            if attempt == REROUTES:
                raise
    raise AssertionError("unreachable")


REROUTES = 3  # a queue gets flow control once: a second reading of the targets has it


async def _claim(
    svc: Services,
    principal: Principal,
    worker_id: uuid.UUID,
    queue_ids: list[uuid.UUID] | None,
    limit: int,
    lease_seconds: int | None,
    probe: bool,
    job_types: list[str] | None,
    parents: bool = False,
) -> Claims:
    principal.require(PERMISSION)
    org, now = principal.organization_id, svc.clock()
    job_types = workers_svc.job_types(job_types)
    if not 1 <= limit <= svc.settings.limits.claim_size:
        raise InvalidInput(
            f"limit must be between 1 and {svc.settings.limits.claim_size}", field="limit"
        )
    lease = svc.settings.default_lease_seconds if lease_seconds is None else lease_seconds
    if not 1 <= lease <= 3600:
        raise InvalidInput("leaseSeconds must be between 1 and 3600", field="leaseSeconds")
    lease_until = now + timedelta(seconds=lease)
    async with svc.write() as session:
        # one statement: the worker's heartbeat, its active queues and which have ready
        # or due jobs
        status, assigned = await repo.claim_targets(session, org, worker_id, now, probe, job_types)
        if status is None:
            raise NotFound("worker", worker_id)
        if status is WorkerStatus.DRAINING:
            return Claims()
        active = {a.queue_id: a for a in assigned if a.is_active and not a.paused}
        if queue_ids:
            known = {q.id for q in await queues.by_ids(session, org, queue_ids)}
            for qid in queue_ids:
                found(qid if qid in known else None, "queue", qid)
            targets = {q: active[q] for q in queue_ids if q in active}
        else:
            targets = active
        if not any(t.ready or t.due for t in targets.values()):
            return Claims()  # nothing to claim: no transaction was opened
        flow_queues = {q for q, t in targets.items() if t.flow_control}
        if flow_queues:  # before anything is read or written
            await flow_claims.lock(session, flow_queues)
        due = [q for q, t in targets.items() if t.due]  # promoting is a no-op elsewhere
        events: list[Event] = [
            status_event(j, JobStatus.SCHEDULED)
            for j in (await jobs_repo.promote_due(session, due, now) if due else [])
        ]
        deadlines = {
            q: now + timedelta(seconds=s)
            if (s := QueueSettings.from_json(t.settings).timeout_seconds)
            else None
            for q, t in targets.items()
        }
        claimed, throttled, held_back = await _claim_shares(
            svc,
            session,
            worker_id,
            targets,
            limit,
            now,
            lease_until,
            deadlines,
            job_types,
            flow_queues,
            parents,
        )
        events += [status_event(j, JobStatus.PENDING) for j, _, _ in claimed]
        events += throttled
        # only PARALLEL edges resolve when their parent starts; a job known to have no
        # PENDING one gives the engine nothing to decide
        if any(starts is not False for _, _, starts in claimed):
            events += await after_changes(session, moved_rows(j for j, _, _ in claimed), now)
        await record(session, events)
        if (notes := pending(session)) is not None:
            # ready since its enqueue, or since its delay or retry came due
            notes.waits += [
                (j.queue_id, (now - (j.scheduled_for or j.created_at)).total_seconds())
                for j, _, _ in claimed
            ]
        outputs = await _parents(session, org, [j for j, _, _ in claimed]) if parents else None
    out = Claims(
        Claimed(job, execution_id, job.attempts, lease_until) for job, execution_id, _ in claimed
    )
    if outputs is not None:
        _set_parents(out, outputs)
    out.held_back = held_back
    return out


async def _parents(
    session: AsyncSession, org: uuid.UUID, rows: Sequence[Any]
) -> dict[uuid.UUID, dict[str, Any]] | None:
    """The workflow jobs' parents' outputs by job name: as the claim read them
    (``parent_outputs``, PostgreSQL), else in one statement; None when none of the jobs
    is in a workflow (nothing read). A job without dependencies (NONE: a map's child,
    made after its parent ended) has no parents to read."""
    in_workflows = [r for r in rows if r.workflow_id is not None]
    if not in_workflows:
        return None
    found: dict[uuid.UUID, dict[str, Any]] = {}
    unread: list[uuid.UUID] = []
    for r in in_workflows:
        if (outputs := getattr(r, "parent_outputs", None)) is not None:
            found[r.id] = outputs
        elif r.dependency_status != DependencyStatus.NONE:
            unread.append(r.id)
    if unread:
        found |= await run_data.outputs_in(session, org, unread)
    return found


def _set_parents(claimed: list[Claimed], outputs: dict[uuid.UUID, dict[str, Any]]) -> None:
    for c in claimed:
        if c.workflow_id is not None:
            c.parents = outputs.get(c.job_id, {})


async def held_by(svc: Services, principal: Principal, worker_id: uuid.UUID) -> list[Claimed]:
    """The worker's live attempts, as claims (what a worker that lost its connection
    may never have received); NOT_FOUND for another tenant's worker."""
    principal.require(PERMISSION)
    org = principal.organization_id
    async with svc.read() as session:
        found(await workers_repo.get(session, org, worker_id), "worker", worker_id)
        rows = await repo.held_by(session, org, worker_id)
        outputs = await _parents(session, org, [job for job, _ in rows])
    held = [
        Claimed(job, e.id, e.attempt_number, e.lease_expires_at or svc.clock()) for job, e in rows
    ]
    if outputs is not None:
        _set_parents(held, outputs)
    return held


async def _claim_shares(
    svc: Services,
    session: AsyncSession,
    worker_id: uuid.UUID,
    targets: dict[uuid.UUID, Any],
    limit: int,
    now: datetime,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
    job_types: list[str] | None,
    flow_queues: set[uuid.UUID],
    parents: bool = False,
) -> tuple[list[tuple[Any, uuid.UUID, bool | None]], list[Event], bool]:
    """The claim split across the worker's queues by their weights (services.shares);
    queues with flow control are claimed by services/flow_claims. Returns the started
    jobs, the events of jobs a rate limit throttled, and whether a flow claim came up
    short (``Claims.held_back``)."""
    throttled: list[Event] = []
    held_back = False

    async def take(queues: dict[uuid.UUID, Any], n: int) -> list[Any]:
        nonlocal held_back
        ranked = _rank(queues)
        if flow_queues.isdisjoint(queues):
            rows = await repo.claim(
                session, ranked, n, now, worker_id, lease_until, deadlines, job_types, parents
            )
            flow_claims.check_plain(rows)
            return rows
        rows, events, short = await flow_claims.claim(
            session, ranked, flow_queues, n, now, worker_id, lease_until, deadlines, job_types
        )
        throttled.extend(events)
        held_back = held_back or short
        return rows

    working = {q: t for q, t in targets.items() if t.ready or t.due}
    members: dict[int, dict[uuid.UUID, Any]] = {}
    for qid, target in working.items():
        members.setdefault(target.weight, {})[qid] = target
    if len(members) <= 1:  # one weight: queue priority alone orders the queues
        return await take(targets, limit), throttled, held_back
    classes = [
        shares.Share(w, w * len(qs), max(t.priority for t in qs.values()))
        for w, qs in members.items()
    ]
    passes = svc.claim_passes.of(worker_id, classes)
    given = shares.allocate(passes, classes, limit)
    claimed: list[Any] = []
    got: dict[int, int] = {}
    classes.sort(key=lambda c: (passes[c.weight], -c.priority, -c.weight))  # the next served first
    for c in classes:
        if given[c.weight]:
            rows = await take(members[c.weight], given[c.weight])
            claimed += rows
            got[c.weight] = len(rows)
    # a class short of what it was given is out of work (a queue reported ready unprobed,
    # or rows another claim holds); what it left goes to the others, any not given a claim
    # included, in the order they are next served
    dry = {c.weight for c in classes if got.get(c.weight, 0) < given[c.weight]}
    for c in classes:
        if (short := limit - len(claimed)) <= 0:
            break
        if c.weight not in dry:
            rows = await take(members[c.weight], short)
            claimed += rows
            got[c.weight] = got.get(c.weight, 0) + len(rows)
            if len(rows) < short:
                dry.add(c.weight)
    shares.charge(passes, classes, got, dry)
    return claimed, throttled, held_back


def _rank(targets: dict[uuid.UUID, Any]) -> list[list[uuid.UUID]]:
    """Queues grouped by rank (queue priority, then the worker's weight), best first."""
    ranks: dict[tuple[int, int], list[uuid.UUID]] = {}
    for qid, target in targets.items():
        ranks.setdefault((target.priority, target.weight), []).append(qid)
    return [ranks[k] for k in sorted(ranks, reverse=True)]


def _stale(execution_id: uuid.UUID, status: ExecutionStatus, job_status: JobStatus) -> Conflict:
    return Conflict(
        f"execution {execution_id} is no longer current (execution {status.value},"
        f" job {job_status.value})",
        executionStatus=status.value,
        jobStatus=job_status.value,
    )


def _check_current(execution: JobExecution, job: Job) -> None:
    """An ack counts only for the job's live attempt; anything else is stale."""
    if execution.status is not ExecutionStatus.STARTED or job.status is not JobStatus.PROCESSING:
        raise _stale(execution.id, execution.status, job.status)


def close_open_attempt(execution: JobExecution, status: ExecutionStatus, now: datetime) -> None:
    """End an open attempt (STARTED, or RETRYING while it is the latest) as ``status``;
    an attempt that waited for its retry keeps the time it ended."""
    assert execution.status in OPEN, f"a finished attempt is never rewritten ({execution.id})"
    transitions.move(execution, status)
    execution.finished_at = execution.finished_at or now


def close_stray(execution: JobExecution, job: Job, now: datetime) -> bool:
    """A running attempt of a job that is no longer PROCESSING (cancelled, skipped or
    ended meanwhile) closes as the consistency table says; the job is not touched.
    Returns whether it did."""
    fix = repair(job.status, execution.status)
    if fix is None or fix.execution is None:
        return False
    close_open_attempt(execution, fix.execution, now)
    return True


async def fail_attempt(
    session: AsyncSession,
    execution: JobExecution,
    job: Job,
    error: str,
    retryable: bool,
    now: datetime,
    reason: str | None = None,
    traceback: str | None = None,
) -> JobStatusChanged:
    """End an attempt as failed; the job retries per its queue's policy or fails.
    ``traceback``: the handler's, kept (its tail, bounded) beside the error."""
    queue = await queues.get(session, job.organization_id, job.queue_id)
    policy = QueueSettings.from_json(queue.settings if queue else None).retry
    retry_at = next_attempt_at(policy, execution.attempt_number, now, job.max_attempts)
    retry = retryable and retry_at is not None
    attempt, target = (
        (ExecutionStatus.RETRYING, JobStatus.SCHEDULED)
        if retry
        else (ExecutionStatus.FAILED, JobStatus.FAILED)
    )
    # both checked before either row changes: a refused pair leaves both as they were
    transitions.JOBS.check(job.id, job.status, target)
    transitions.move(execution, attempt)
    transitions.move(job, target)
    execution.error, execution.finished_at = error, now
    execution.traceback = bounded_traceback(traceback)
    job.error, job.updated_at = error, now
    if retry:
        job.scheduled_for = retry_at
        job.status_reason = reason or "retrying"
    else:
        job.finished_at = now
        job.status_reason = reason or ("attempts_exhausted" if retryable else "failed")
        if job.schedule_id is not None:  # a schedule's run failed: its count of failures
            await schedule_runs.ended(session, [(job.schedule_id, False)], now)
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
    if not items:  # a batch ack often carries only successes: no transaction for nothing
        return results
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
        ended = [
            Moved(job.id, job.status, job.workflow_id)
            for job in (rows[a.execution_id][1] for a in results if a.error is None)
            if job.status is not JobStatus.SCHEDULED  # a retry decides nothing yet
        ]
        events += await after_changes(session, ended, now)
        await record(session, events)
    return results


@retried
async def complete(
    svc: Services, principal: Principal, items: list[tuple[uuid.UUID, dict[str, Any] | None]]
) -> list[Ack]:
    """Acknowledge successes: one statement ends every current attempt of the batch with
    its job (PostgreSQL: without a locking read first); only the rest (unknown, stale
    or refused) are read to say why. An output over the limits refuses that item alone
    (a worker's batch carries other jobs' results, which must not be held back by it)."""
    principal.require(PERMISSION)
    refused: dict[uuid.UUID, InvalidInput] = {}
    for execution_id, output in items:
        try:
            if output is not None:
                validation.json_payload(output, svc.settings.limits.payload_bytes, "output")
        except InvalidInput as exc:
            refused[execution_id] = exc
    org, now = principal.organization_id, svc.clock()
    results: list[Ack] = []
    if not items:
        return results
    async with svc.write() as session:
        todo = [(e, out) for e, out in items if e not in refused]
        succeeded = await repo.succeed_current(session, org, todo, now)
        ended = {r.execution_id: r for r in succeeded}
        rest = [e for e, _ in items if e not in ended]
        others = {r.id: r for r in await repo.ack_rows(session, org, rest)} if rest else {}
        moved: list[Moved] = []
        events: list[Event] = []
        for execution_id, output in items:
            done = ended.pop(execution_id, None)  # pop: a repeated id is acked once
            row = None if done else others.pop(execution_id, None)
            if done is not None:
                moved.append(Moved(done.job_id, JobStatus.SUCCEEDED, done.workflow_id, output))
                results.append(Ack(execution_id, done.job_id))
                job = {
                    "id": done.job_id,
                    "organization_id": done.organization_id,
                    "queue_id": done.queue_id,
                    "project_id": done.project_id,
                    "job_type": done.job_type,
                    "workflow_id": done.workflow_id,
                    "status": JobStatus.SUCCEEDED,
                }
                events.append(status_event(job, JobStatus.PROCESSING))
            elif execution_id in refused:
                results.append(
                    Ack(execution_id, row.job_id if row else None, refused[execution_id])
                )
            elif row is None:
                results.append(Ack(execution_id, None, NotFound("execution", execution_id)))
            else:  # read after the statement, with both rows locked: no longer current
                stale = _stale(execution_id, row.status, row.job_status)
                results.append(Ack(execution_id, row.job_id, stale))
        # each success decides its PENDING outgoing edges (an index probe when it has
        # none) and its workflow
        events += await after_changes(session, moved, now)
        if fired := [(r.schedule_id, True) for r in succeeded if r.schedule_id]:
            await schedule_runs.ended(session, fired, now)  # schedules' runs: streaks end
        await record(session, events)
        if (notes := pending(session)) is not None:
            notes.runs += [
                (r.queue_id, "succeeded", (now - r.started_at).total_seconds())
                for r in succeeded
                if r.started_at is not None
            ]
    return results


Failure = tuple[str, bool] | tuple[str, bool, str | None]


@retried
async def fail(
    svc: Services, principal: Principal, items: Sequence[tuple[uuid.UUID, Failure]]
) -> list[Ack]:
    """Acknowledge failures: (execution id, (error, retryable[, traceback])) each."""

    async def apply(
        session: AsyncSession, e: JobExecution, j: Job, arg: Any, now: datetime
    ) -> JobStatusChanged:
        error, retryable, *rest = arg
        trace = rest[0] if rest else None
        changed = await fail_attempt(session, e, j, error[:10_000], retryable, now, None, trace)
        if (notes := pending(session)) is not None and e.started_at is not None:
            # after the attempt was failed: a refused item is not a run
            notes.runs.append((j.queue_id, "failed", (now - e.started_at).total_seconds()))
        return changed

    return await _acknowledge(svc, principal, list(items), apply)


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
        validation.log_message(message, limits.log_message_bytes)
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
    org = principal.organization_id
    async with svc.write() as session:
        # locked: two appends to one execution commit their ids in order, so a subscriber
        # reading after the last id it saw never skips lines committed later
        execution = found(
            await repo.get(session, org, execution_id, lock=True), "execution", execution_id
        )
        last = await repo.add_logs(session, rows)
        # executionLogs subscribers read the new entries on this wake-up
        await emit(session, ExecutionLogged(org, execution_id, execution.job_id, last))
    return len(rows)


@dataclass(frozen=True)
class Progress:
    """A running attempt's progress report: its fraction (0..1) and an optional message."""

    execution_id: uuid.UUID | None
    job_id: uuid.UUID | None
    fraction: float
    message: str | None = None


def _check_progress(p: Progress) -> None:
    if not (isinstance(p.fraction, int | float) and 0.0 <= p.fraction <= 1.0):
        raise InvalidInput("fraction must be a number from 0 to 1", field="fraction")
    if p.message is not None:
        check_text(p.message, "message", PROGRESS_MESSAGE_CHARS)
    if (p.execution_id is None) == (p.job_id is None):
        raise InvalidInput("give executionId or jobId (one of them)", field="executionId")


def _progressing(
    rows: dict[uuid.UUID, tuple[JobExecution, Job]], p: Progress, execution_id: uuid.UUID | None
) -> tuple[JobExecution, Job]:
    """The running attempt a report is about, or the error that refuses it."""
    if execution_id is None:  # the tenant's job has no running attempt, or is unknown
        raise Conflict(f"job {p.job_id} has no running attempt")
    execution, job = found(rows.get(execution_id), "execution", execution_id)
    _check_current(execution, job)
    return execution, job


@retried
async def report_progress(
    svc: Services, principal: Principal, reports: list[Progress], strict: bool = True
) -> list[records.Execution]:
    """Record running attempts' progress (a worker's reports of one flush, the latest
    per job): one transaction; a report that changes something writes an event for
    jobStatusChanged (at most one per PROGRESS_EVENT_SECONDS and attempt, but a final
    1.0 always: the row has the latest report), an unchanged one none. Another
    tenant's or an unknown execution or job is NOT_FOUND; one not running (cancelled,
    ended) is CONFLICT. Not ``strict``: such reports are skipped (a batch's others are
    recorded)."""
    principal.require(PERMISSION)
    if not 1 <= len(reports) <= MAX_HELD:  # a worker's running jobs at most
        raise InvalidInput(f"between 1 and {MAX_HELD} progress reports", field="reports")
    for p in reports:
        _check_progress(p)
    org, now = principal.organization_id, svc.clock()
    updated: list[records.Execution] = []
    async with svc.write() as session:
        by_job = [p.job_id for p in reports if p.job_id is not None]
        live = {e.job_id: e.id for e in await repo.live_of_jobs(session, org, by_job)}
        wanted = [
            p.execution_id if p.execution_id is not None else live.get(p.job_id)  # type: ignore[arg-type]
            for p in reports
        ]
        rows = {
            e.id: (e, j)
            for e, j in await repo.current_for_update(
                session, org, [w for w in wanted if w is not None]
            )
        }
        events: list[Event] = []
        for p, execution_id in zip(reports, wanted, strict=True):
            try:
                execution, job = _progressing(rows, p, execution_id)
            except TaskForgeError:
                if strict:
                    if execution_id is None:  # say whether the job exists at all
                        found(await jobs_repo.get(session, org, p.job_id), "job", p.job_id)  # type: ignore[arg-type]
                    raise
                continue
            fraction = float(p.fraction)
            changed = (execution.progress, execution.progress_message) != (fraction, p.message)
            if changed:
                execution.progress, execution.progress_message = fraction, p.message
            if changed and progress_event_due(execution.progress_event_at, now, fraction):
                execution.progress_event_at = now
                events.append(
                    JobProgressed(
                        org,
                        job.id,
                        job.queue_id,
                        job.project_id,
                        job.workflow_id,
                        job.job_type,
                        job.status,
                        job.status,
                        "progress",
                        progress=fraction,
                        progress_message=p.message,
                    )
                )
            updated.append(records.Execution.of(execution))
        await session.flush()
        await record(session, events)
    return updated


async def logs_after(
    svc: Services, principal: Principal, execution_id: uuid.UUID, after: int, limit: int
) -> list[records.ExecutionLog]:
    """The tenant's execution's entries with ids above ``after``, oldest first (NOT_FOUND
    for another tenant's execution: checked in the same read)."""
    async with svc.read() as session:
        found(
            await repo.get(session, principal.organization_id, execution_id),
            "execution",
            execution_id,
        )
        rows = await repo.logs_after(session, execution_id, after, limit)
    return records.ExecutionLog.all(rows)


async def executions_of(
    svc: Services, principal: Principal, job_ids: list[uuid.UUID]
) -> list[records.Execution]:
    async with svc.read() as session:
        return records.Execution.all(
            await repo.by_jobs(session, principal.organization_id, job_ids)
        )


async def logs_of(
    svc: Services, principal: Principal, execution_ids: list[uuid.UUID]
) -> list[records.ExecutionLog]:
    async with svc.read() as session:
        return records.ExecutionLog.all(await repo.logs_by_executions(session, execution_ids))


@retried
async def reap(svc: Services, batch: int = 500) -> int:
    """Engine step: fail attempts whose lease expired or whose deadline passed.

    Safe in every replica at once: rows another reaper holds are skipped.
    """
    now = svc.clock()
    async with svc.write() as session:
        rows = await repo.expired(session, now, batch)
        events: list[Event] = []
        failed = []
        for execution, job in rows:
            if close_stray(execution, job, now):  # never revives a cancelled or ended job
                continue
            timed_out = execution.deadline_at is not None and execution.deadline_at < now
            reason = "timeout" if timed_out else "lease_expired"
            events.append(await fail_attempt(session, execution, job, reason, True, now, reason))
            failed.append(job)
            if (notes := pending(session)) is not None:
                notes.expirations.append((job.queue_id, reason))
        await session.flush()
        ended = [Moved(j.id, j.status, j.workflow_id) for j in failed]
        events += await after_changes(
            session, [m for m in ended if m.status is not JobStatus.SCHEDULED], now
        )
        await record(session, events)
    return len(rows)
