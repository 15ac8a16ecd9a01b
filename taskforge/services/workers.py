"""Workers: register (with the tier's worker quota), heartbeat, drain, read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from taskforge.domain import records, validation
from taskforge.domain.enums import WorkerStatus, WorkerType
from taskforge.domain.errors import InvalidInput, QuotaExceeded
from taskforge.domain.events import WorkerDraining, WorkerOffline, WorkerOnline, WorkerRegistered
from taskforge.persistence.common import executions as executions_repo
from taskforge.persistence.common import queues, workers
from taskforge.persistence.tables import QueueWorkerAssignment, Worker
from taskforge.services.base import Principal, Services, emit, found
from taskforge.services.pagination import Cursor, Listing, paginate

PERMISSION = "workers"
MAX_JOB_TYPES = 200  # handler types one worker may advertise


def job_types(values: list[str] | None, field: str = "jobTypes") -> list[str] | None:
    """The job types a worker runs, checked and sorted (None: any type)."""
    if values is None:
        return None
    if not values:
        raise InvalidInput(f"{field} must not be empty: omit it to take any type", field=field)
    if len(values) > MAX_JOB_TYPES:
        raise InvalidInput(f"{field} holds more than {MAX_JOB_TYPES} types", field=field)
    return sorted({validation.job_type(v, field) for v in values})


MAX_HELD = 10_000  # executions a heartbeat may ask about (a worker's capacity at most)


@dataclass(frozen=True)
class QueueWeight:
    queue_id: uuid.UUID
    weight: int = 1


def is_healthy(worker: Worker | records.Worker, now: datetime, timeout: float) -> bool:
    return (
        worker.status is not WorkerStatus.OFFLINE
        and worker.last_heartbeat is not None
        and worker.last_heartbeat > now - timedelta(seconds=timeout)
    )


def _event(worker: Worker, kind: type[WorkerRegistered]) -> WorkerRegistered:
    return kind(worker.organization_id, worker.id, WorkerStatus(worker.status), worker.name)


async def register(
    svc: Services,
    principal: Principal,
    name: str,
    worker_type: WorkerType,
    assignments: list[QueueWeight],
    types: list[str] | None = None,
) -> records.Worker:
    """A new worker on these queues; ``types``: the job types it has handlers for (None:
    any), which ``Job.waitingForHandler`` reads."""
    principal.require(PERMISSION)
    org, now = principal.organization_id, svc.clock()
    types = job_types(types)
    if not assignments:
        raise InvalidInput("a worker needs at least one queue", field="queues")
    if len({a.queue_id for a in assignments}) != len(assignments):
        raise InvalidInput("a queue is listed twice", field="queues")
    for a in assignments:
        if not 1 <= a.weight <= 100:
            raise InvalidInput("weight must be between 1 and 100", field="weight")
    worker = Worker(
        id=uuid.uuid4(),
        organization_id=org,
        name=validation.name(name),
        worker_type=worker_type,
        status=WorkerStatus.ONLINE,
        last_heartbeat=now,
        created_at=now,
        job_types=types,
    )
    async with svc.write() as session:
        subscription = await workers.lock_subscription(session, org)
        limit = subscription.max_workers if subscription else None
        if limit is not None and await workers.count_live(session, org) >= limit:
            raise QuotaExceeded(f"your subscription allows {limit} live workers")
        found_queues = await queues.by_ids(session, org, [a.queue_id for a in assignments])
        known = {q.id: q for q in found_queues}
        for a in assignments:
            found(known.get(a.queue_id), "queue", a.queue_id)
        worker.project_id = found_queues[0].project_id
        session.add(worker)
        await session.flush()
        session.add_all(
            QueueWorkerAssignment(
                queue_id=a.queue_id, worker_id=worker.id, weight=a.weight, created_at=now
            )
            for a in assignments
        )
        await emit(session, _event(worker, WorkerRegistered))
    return records.Worker.of(worker)


@dataclass(frozen=True)
class Beat:
    worker: records.Worker
    leases_extended: int
    # of the executions the worker said it holds: those cancelled (it stops their handlers)
    cancelled: list[uuid.UUID]


async def heartbeat(
    svc: Services,
    principal: Principal,
    worker_id: uuid.UUID,
    lease_seconds: int | None = None,
) -> tuple[records.Worker, int]:
    """Marks the worker alive and extends the leases of everything it holds."""
    got = await beat(svc, principal, worker_id, lease_seconds)
    return got.worker, got.leases_extended


async def beat(
    svc: Services,
    principal: Principal,
    worker_id: uuid.UUID,
    lease_seconds: int | None = None,
    held: Sequence[uuid.UUID] = (),
    types: list[str] | None = None,
) -> Beat:
    """A heartbeat that also answers which of ``held`` (executions the worker runs) were
    cancelled meanwhile: read from the database, so whichever replica committed the
    cancel, and with or without a broker, the worker learns it within one beat.
    ``types`` (a reconnecting worker's hello) replaces the job types it advertised."""
    principal.require(PERMISSION)
    if len(held) > MAX_HELD:
        raise InvalidInput(f"at most {MAX_HELD} held executions", field="executionIds")
    now = svc.clock()
    types = job_types(types)
    lease = svc.settings.default_lease_seconds if lease_seconds is None else lease_seconds
    if not 1 <= lease <= 3600:
        raise InvalidInput("leaseSeconds must be between 1 and 3600", field="leaseSeconds")
    async with svc.write() as session:
        worker = found(
            await workers.get(session, principal.organization_id, worker_id), "worker", worker_id
        )
        # the leases first: the worker's row, which its claims update too, is locked
        # only for the end of the transaction
        extended = await workers.extend_leases(session, worker_id, now + timedelta(seconds=lease))
        worker.last_heartbeat = now
        if types is not None:
            worker.job_types = types
        if worker.status is WorkerStatus.OFFLINE:
            worker.status = WorkerStatus.ONLINE
            await emit(session, _event(worker, WorkerOnline))
        org = principal.organization_id
        cancelled = await executions_repo.cancelled_among(session, org, worker_id, held)
    return Beat(records.Worker.of(worker), extended, cancelled)


async def drain(svc: Services, principal: Principal, worker_id: uuid.UUID) -> records.Worker:
    """The worker finishes what it holds and is handed nothing new."""
    principal.require(PERMISSION)
    async with svc.write() as session:
        worker = found(
            await workers.get(session, principal.organization_id, worker_id), "worker", worker_id
        )
        if worker.status is not WorkerStatus.DRAINING:
            worker.status = WorkerStatus.DRAINING
            await emit(session, _event(worker, WorkerDraining))
    return records.Worker.of(worker)


async def get(svc: Services, principal: Principal, worker_id: uuid.UUID) -> records.Worker:
    principal.require(PERMISSION)
    async with svc.read() as session:
        worker = await workers.get(session, principal.organization_id, worker_id)
    return records.Worker.of(found(worker, "worker", worker_id))


async def by_ids(svc: Services, principal: Principal, ids: list[uuid.UUID]) -> list[records.Worker]:
    async with svc.read() as session:
        return records.Worker.all(await workers.by_ids(session, principal.organization_id, ids))


async def list_workers(
    svc: Services,
    principal: Principal,
    statuses: list[WorkerStatus] | None,
    first: int,
    after: Cursor | None,
) -> Listing[records.Worker]:
    principal.require(PERMISSION)
    stmt = workers.listing(principal.organization_id, statuses)
    return await paginate(svc, stmt, Worker, first, after, records.Worker.all)


async def mark_silent_offline(svc: Services) -> int:
    """Engine step: workers whose heartbeats stopped become OFFLINE."""
    stale = svc.clock() - timedelta(seconds=svc.settings.heartbeat_timeout_seconds)
    async with svc.write() as session:
        gone = await workers.mark_silent_offline(session, stale)
        for w in gone:
            await emit(session, WorkerOffline(w.organization_id, w.id, WorkerStatus.OFFLINE))
    return len(gone)


async def assignments_of(
    svc: Services, principal: Principal, worker_ids: list[uuid.UUID]
) -> list[records.Assignment]:
    async with svc.read() as session:
        own = {w.id for w in await workers.by_ids(session, principal.organization_id, worker_ids)}
        return records.Assignment.all(await workers.assignments(session, list(own)))


async def handled(
    svc: Services, principal: Principal, keys: list[tuple[uuid.UUID, str]]
) -> list[bool]:
    """For each (queue id, job type): whether an online worker of the organization on
    that queue runs the type (it advertised it, or advertised no types). One query."""
    alive_after = svc.clock() - timedelta(seconds=svc.settings.heartbeat_timeout_seconds)
    async with svc.read() as session:
        rows = await workers.serving(
            session, principal.organization_id, list({q for q, _ in keys}), alive_after
        )
    anything: set[uuid.UUID] = set()
    typed: set[tuple[uuid.UUID, str]] = set()
    for queue_id, types in rows:
        if types is None:
            anything.add(queue_id)
        else:
            typed.update((queue_id, t) for t in types)
    return [q in anything or (q, t) in typed for q, t in keys]
