"""Resolvers for schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from taskforge.domain.enums import ScheduleKind, ScheduleStatus
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import schedule_types as s
from taskforge.schema import types as t
from taskforge.services import backfill, pagination, scheduler, schedules

Info = strawberry.Info[Context, None]


async def create_schedule(info: Info, input: s.ScheduleInput) -> s.Schedule:
    principal = await info.context.principal()
    row = await schedules.create(info.context.svc, principal, input.spec(ids.parse))
    return s.Schedule.of(row)


async def update_schedule(info: Info, id: strawberry.ID, input: s.ScheduleInput) -> s.Schedule:
    principal = await info.context.principal()
    row = await schedules.update(info.context.svc, principal, ids.parse(id), input.spec(ids.parse))
    return s.Schedule.of(row)


async def pause_schedule(info: Info, id: strawberry.ID) -> s.Schedule:
    principal = await info.context.principal()
    return s.Schedule.of(await schedules.pause(info.context.svc, principal, ids.parse(id)))


async def resume_schedule(info: Info, id: strawberry.ID) -> s.Schedule:
    principal = await info.context.principal()
    return s.Schedule.of(await schedules.resume(info.context.svc, principal, ids.parse(id)))


async def trigger_schedule(
    info: Info,
    id: strawberry.ID,
    idempotency_key: Annotated[
        str | None,
        strawberry.argument(
            description="Names this trigger of the schedule (1-255 characters) for "
            "TASKFORGE_IDEMPOTENCY_HOURS (24) after its first use: a repeat creates "
            "nothing and returns the first call's job or workflow in `triggered`."
        ),
    ] = None,
) -> s.Schedule:
    principal = await info.context.principal()
    run = await scheduler.trigger_run(info.context.svc, principal, ids.parse(id), idempotency_key)
    return s.Schedule.of(run.schedule, s.TriggerResult.of(run))


async def backfill_schedule(
    info: Info,
    id: strawberry.ID,
    from_: Annotated[
        datetime,
        strawberry.argument(name="from", description="The range's start (included)."),
    ],
    to: Annotated[
        datetime,
        strawberry.argument(
            description="The range's end (included); not in the future (BAD_USER_INPUT)."
        ),
    ],
) -> s.BackfillResult:
    principal = await info.context.principal()
    report = await backfill.backfill(info.context.svc, principal, ids.parse(id), from_, to)
    return s.BackfillResult.of(report)


async def delete_schedule(info: Info, id: strawberry.ID) -> strawberry.ID:
    principal = await info.context.principal()
    await schedules.delete(info.context.svc, principal, ids.parse(id))
    return id


async def schedule(info: Info, id: strawberry.ID) -> s.Schedule:
    principal = await info.context.principal()
    return s.Schedule.of(await schedules.get(info.context.svc, principal, ids.parse(id)))


async def schedules_(
    info: Info,
    first: int = 50,
    after: str | None = None,
    status: list[s.ScheduleStatusEnum] | None = None,  # type: ignore[valid-type]
    type: list[s.ScheduleKindEnum] | None = None,  # type: ignore[valid-type]
) -> t.Connection[s.Schedule]:
    principal = await info.context.principal()
    listing = await schedules.list_schedules(
        info.context.svc,
        principal,
        first=first,
        after=pagination.decode(after),
        statuses=[ScheduleStatus(x) for x in status] if status else None,
        kinds=[ScheduleKind(x) for x in type] if type else None,
    )
    return t.Connection.build(listing, s.Schedule.of)  # type: ignore[arg-type]


async def schedule_summary(info: Info) -> s.ScheduleSummary:
    principal = await info.context.principal()
    return s.ScheduleSummary.of(await schedules.summary(info.context.svc, principal))


async def preview_schedule(
    info: Info,
    type: s.ScheduleKindEnum,  # type: ignore[valid-type]
    expression: str,
    timezone: str = "UTC",
    count: int = 5,
) -> list[datetime]:
    principal = await info.context.principal()
    principal.require(schedules.READ)
    return schedules.preview(info.context.svc, ScheduleKind(type), expression, timezone, count)
