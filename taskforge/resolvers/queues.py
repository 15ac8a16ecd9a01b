"""Resolvers for job queues."""

from __future__ import annotations

import strawberry

from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.schema.inputs import QueueSettingsInput
from taskforge.services import pagination, queues

Info = strawberry.Info[Context, None]


async def create_queue(
    info: Info,
    project_id: strawberry.ID,
    name: str,
    priority: int = 5,
    settings: QueueSettingsInput | None = None,
) -> t.Queue:
    principal = await info.context.principal()
    row = await queues.create_queue(
        info.context.svc,
        principal,
        ids.parse(project_id, "projectId"),
        name,
        priority,
        settings.changes() if settings else None,
    )
    return t.Queue.of(row)


async def update_queue(
    info: Info,
    id: strawberry.ID,
    name: str | None = None,
    priority: int | None = None,
    settings: QueueSettingsInput | None = None,
) -> t.Queue:
    principal = await info.context.principal()
    row = await queues.update_queue(
        info.context.svc,
        principal,
        ids.parse(id),
        name,
        priority,
        settings.changes() if settings else None,
    )
    return t.Queue.of(row)


async def delete_queue(info: Info, id: strawberry.ID, force: bool = False) -> strawberry.ID:
    principal = await info.context.principal()
    await queues.delete_queue(info.context.svc, principal, ids.parse(id), force)
    return id


async def queue(info: Info, id: strawberry.ID) -> t.Queue:
    principal = await info.context.principal()
    return t.Queue.of(await queues.get_queue(info.context.svc, principal, ids.parse(id)))


async def queues_(
    info: Info, project_id: strawberry.ID | None = None, first: int = 50, after: str | None = None
) -> t.Connection[t.Queue]:
    principal = await info.context.principal()
    listing = await queues.list_queues(
        info.context.svc,
        principal,
        ids.optional(project_id, "projectId"),
        first,
        pagination.decode(after),
    )
    return t.Connection.build(listing, t.Queue.of)  # type: ignore[arg-type]
