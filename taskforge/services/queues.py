"""Job queues: create, update, delete, read."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from taskforge.domain import records, validation
from taskforge.domain.errors import Conflict, NotFound
from taskforge.domain.events import QueueCreated, QueueDeleted, QueueUpdated
from taskforge.domain.queues import QueueSettings, RetryPolicy, retention_days, validate_settings
from taskforge.persistence.common import queues as repo
from taskforge.persistence.common import tenancy
from taskforge.persistence.tables import JobQueue
from taskforge.services import audit
from taskforge.services.base import Principal, Services, emit, found
from taskforge.services.pagination import Cursor, Listing, paginate


def _merge_settings(current: QueueSettings, changes: dict[str, Any]) -> QueueSettings:
    changes = {k: v for k, v in changes.items() if k != "retention_days"}  # a column
    retry_changes = {k: v for k, v in changes.items() if k in RetryPolicy.__dataclass_fields__}
    settings = replace(current, retry=replace(current.retry, **retry_changes))
    if "timeout_seconds" in changes:
        settings = replace(settings, timeout_seconds=changes["timeout_seconds"])
    # flow rules come parsed (domain.flow); None removes the queue's
    for rule in ("concurrency", "rate_limit"):
        if rule in changes:
            settings = replace(settings, **{rule: changes[rule]})
    return validate_settings(settings)


def _event(queue: JobQueue, kind: type[QueueCreated]) -> QueueCreated:
    return kind(queue.organization_id, queue.id, queue.project_id, queue.name)


async def create_queue(
    svc: Services,
    principal: Principal,
    project_id: uuid.UUID,
    name: str,
    priority: int = 5,
    settings: dict[str, Any] | None = None,
) -> records.Queue:
    principal.require("jobs:write")
    org = principal.organization_id
    queue = JobQueue(
        id=uuid.uuid4(),
        organization_id=org,
        project_id=project_id,
        name=validation.name(name),
        priority=validation.priority(priority),
        settings=_merge_settings(QueueSettings(), settings or {}).to_json(),
    )
    # its claims take the flow path from its first flow rule on (never cleared)
    queue.flow_control = QueueSettings.from_json(queue.settings).has_flow_rules
    if settings and settings.get("retention_days") is not None:
        queue.retention_days = retention_days(settings["retention_days"])
    try:
        async with svc.write() as session:
            if await tenancy.project(session, org, project_id) is None:
                raise NotFound("project", project_id)
            if await repo.by_name(session, project_id, queue.name) is not None:
                raise Conflict(f"queue {queue.name!r} already exists in this project", field="name")
            session.add(queue)
            await session.flush()
            await emit(session, _event(queue, QueueCreated))
            await audit.record(
                session, principal, "queue.created", "queue", queue.id, details={"name": queue.name}
            )
    except IntegrityError as exc:
        raise Conflict(
            f"queue {queue.name!r} already exists in this project", field="name"
        ) from exc
    return records.Queue.of(queue)


async def update_queue(
    svc: Services,
    principal: Principal,
    queue_id: uuid.UUID,
    name: str | None = None,
    priority: int | None = None,
    settings: dict[str, Any] | None = None,
) -> records.Queue:
    principal.require("jobs:write")
    org = principal.organization_id
    try:
        async with svc.write() as session:
            queue = found(await repo.get(session, org, queue_id), "queue", queue_id)
            if name is not None:
                new_name = validation.name(name)
                other = await repo.by_name(session, queue.project_id, new_name)
                if other is not None and other.id != queue.id:
                    raise Conflict(
                        f"queue {new_name!r} already exists in this project", field="name"
                    )
                queue.name = new_name
            if priority is not None:
                queue.priority = validation.priority(priority)
            if settings:
                current = QueueSettings.from_json(queue.settings)
                merged = _merge_settings(current, settings)
                queue.settings = merged.to_json()
                if merged.has_flow_rules:
                    queue.flow_control = True
                if settings.get("retention_days") is not None:
                    queue.retention_days = retention_days(settings["retention_days"])
            await session.flush()
            await emit(session, _event(queue, QueueUpdated))
            changed = [k for k, v in (("name", name), ("priority", priority)) if v is not None]
            changed += sorted(settings or ())
            await audit.record(
                session, principal, "queue.updated", "queue", queue.id, details={"changed": changed}
            )
    except IntegrityError as exc:
        raise Conflict("a queue with that name already exists in this project") from exc
    return records.Queue.of(queue)


async def delete_queue(
    svc: Services, principal: Principal, queue_id: uuid.UUID, force: bool = False
) -> uuid.UUID:
    """Delete a queue and its jobs; refused while jobs are unfinished unless forced."""
    principal.require("jobs:write")
    org = principal.organization_id
    async with svc.write() as session:
        queue = found(await repo.get(session, org, queue_id), "queue", queue_id)
        if not force and await repo.has_active_jobs(session, queue_id):
            raise Conflict("queue has unfinished jobs; cancel them or pass force: true")
        deleted = _event(queue, QueueDeleted)
        await session.delete(queue)
        await emit(session, deleted)
        await audit.record(
            session,
            principal,
            "queue.deleted",
            "queue",
            queue_id,
            details={"name": deleted.name, "force": force},
        )
    return queue_id


async def get_queue(svc: Services, principal: Principal, queue_id: uuid.UUID) -> records.Queue:
    principal.require("jobs:read")
    async with svc.read() as session:
        queue = found(
            await repo.get(session, principal.organization_id, queue_id), "queue", queue_id
        )
    return records.Queue.of(queue)


async def list_queues(
    svc: Services,
    principal: Principal,
    project_id: uuid.UUID | None,
    first: int,
    after: Cursor | None,
) -> Listing[records.Queue]:
    principal.require("jobs:read")
    if project_id is not None:
        async with svc.read() as session:
            if await tenancy.project(session, principal.organization_id, project_id) is None:
                raise NotFound("project", project_id)
    stmt = repo.listing(principal.organization_id, project_id)
    return await paginate(svc, stmt, JobQueue, first, after, records.Queue.all)


async def by_ids(svc: Services, principal: Principal, ids: list[uuid.UUID]) -> list[records.Queue]:
    principal.require("jobs:read")
    async with svc.read() as session:
        return records.Queue.all(await repo.by_ids(session, principal.organization_id, ids))


async def by_projects(
    svc: Services, principal: Principal, project_ids: list[uuid.UUID]
) -> list[records.Queue]:
    principal.require("jobs:read")
    async with svc.read() as session:
        rows = await repo.by_projects(session, principal.organization_id, project_ids)
    return records.Queue.all(rows)
