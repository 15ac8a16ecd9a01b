"""Resolvers for the administration of projects, queues, workers and assignments."""

from __future__ import annotations

import strawberry

from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import execution_types as x
from taskforge.schema import types as t
from taskforge.services import fleet

Info = strawberry.Info[Context, None]


async def update_project(
    info: Info, id: strawberry.ID, name: str | None = None, description: str | None = None
) -> t.Project:
    principal = await info.context.principal()
    row = await fleet.update_project(info.context.svc, principal, ids.parse(id), name, description)
    return t.Project.of(row)


async def delete_project(info: Info, id: strawberry.ID, force: bool = False) -> strawberry.ID:
    principal = await info.context.principal()
    await fleet.delete_project(info.context.svc, principal, ids.parse(id), force)
    return id


async def pause_queue(info: Info, id: strawberry.ID) -> t.Queue:
    principal = await info.context.principal()
    return t.Queue.of(await fleet.pause_queue(info.context.svc, principal, ids.parse(id)))


async def resume_queue(info: Info, id: strawberry.ID) -> t.Queue:
    principal = await info.context.principal()
    return t.Queue.of(await fleet.resume_queue(info.context.svc, principal, ids.parse(id)))


async def delete_worker(info: Info, id: strawberry.ID) -> strawberry.ID:
    principal = await info.context.principal()
    await fleet.delete_worker(info.context.svc, principal, ids.parse(id))
    return id


async def assign_queue(
    info: Info, worker_id: strawberry.ID, queue_id: strawberry.ID, weight: int = 1
) -> x.Worker:
    principal = await info.context.principal()
    row = await fleet.assign_queue(
        info.context.svc,
        principal,
        ids.parse(worker_id, "workerId"),
        ids.parse(queue_id, "queueId"),
        weight,
    )
    return x.Worker.of(row, info.context.healthy(row))


async def unassign_queue(info: Info, worker_id: strawberry.ID, queue_id: strawberry.ID) -> x.Worker:
    principal = await info.context.principal()
    row = await fleet.unassign_queue(
        info.context.svc,
        principal,
        ids.parse(worker_id, "workerId"),
        ids.parse(queue_id, "queueId"),
    )
    return x.Worker.of(row, info.context.healthy(row))


async def update_assignment(
    info: Info,
    worker_id: strawberry.ID,
    queue_id: strawberry.ID,
    weight: int | None = None,
    is_active: bool | None = None,
) -> x.Worker:
    principal = await info.context.principal()
    row = await fleet.update_assignment(
        info.context.svc,
        principal,
        ids.parse(worker_id, "workerId"),
        ids.parse(queue_id, "queueId"),
        weight,
        is_active,
    )
    return x.Worker.of(row, info.context.healthy(row))
