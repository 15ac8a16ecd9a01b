"""Backfilled occurrences: each schedule's queue of those waiting (``schedule_fires``
rows with ``backfill_due_at``), the schedules whose next one may fire, and what firing or
dropping them writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, exists, select, text, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import ScheduleStatus
from taskforge.persistence.common import organizations
from taskforge.persistence.common.schedules import FIRES, LIVE
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    BACKFILL_NEXT_PREDICATE,
    BACKFILL_PREDICATE,
    ScheduledJob,
)

BACKFILLING = [ScheduleStatus.ACTIVE, ScheduleStatus.COMPLETED]  # a paused one's waits


async def due(session: AsyncSession, now: datetime, limit: int) -> list[ScheduledJob]:
    """Schedules whose next backfilled run may fire now, ACTIVE (or COMPLETED: a backfill
    is outside the timetable), locked; rows another engine holds are skipped. Walks the
    partial index of those with one waiting (a paused schedule has none set)."""
    stmt = (
        select(ScheduledJob)
        .where(text(BACKFILL_NEXT_PREDICATE), ScheduledJob.backfill_next_at <= now)
        .where(ScheduledJob.status.in_(BACKFILLING), LIVE)
        .where(organizations.not_inactive(ScheduledJob.organization_id))
        .order_by(ScheduledJob.backfill_next_at)
        .limit(limit)
    )
    return list(await session.scalars(store_of(session).lock_for_claim(stmt, of=ScheduledJob)))


async def waiting_of(session: AsyncSession, wanted: Mapping[uuid.UUID, int]) -> list[Row[Any]]:
    """The first ``n`` waiting (backfilled) occurrences of each schedule, in turn: (id,
    schedule_id, fire_at). One statement, a probe of each schedule's queue."""
    found: list[Row[Any]] = []
    items = list(wanted.items())
    for i in range(0, len(items), 100):  # bounded parameters per statement
        parts = [
            select(FIRES.c.id, FIRES.c.schedule_id, FIRES.c.fire_at)
            .where(FIRES.c.schedule_id == sid, text(BACKFILL_PREDICATE))
            .order_by(FIRES.c.backfill_due_at, FIRES.c.fire_at)
            .limit(n)
            .subquery()
            for sid, n in items[i : i + 100]
        ]
        stmt = union_all(*(select(*p.c) for p in parts)) if len(parts) > 1 else select(*parts[0].c)
        found += list(await session.execute(stmt))
    return found


async def has_waiting(session: AsyncSession, schedule_id: uuid.UUID) -> bool:
    """Whether a backfilled occurrence of the schedule waits (a probe of its queue)."""
    stmt = select(exists().where(FIRES.c.schedule_id == schedule_id, text(BACKFILL_PREDICATE)))
    return bool(await session.scalar(stmt))


async def fired_backfills(
    session: AsyncSession,
    done: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]],
    now: datetime,
) -> None:
    """(occurrence id, job id, workflow id): fired now, no longer waiting."""
    if done:
        await session.execute(
            update(FIRES)
            .where(FIRES.c.id == bindparam("fid"))
            .values(
                job_id=bindparam("jid"),
                workflow_id=bindparam("wid"),
                fired_at=now,
                backfill_due_at=None,
            ),
            [{"fid": f, "jid": j, "wid": w} for f, j, w in done],
        )


async def fired_among(
    session: AsyncSession, schedule_id: uuid.UUID, occurrences: list[datetime]
) -> set[datetime]:
    """Which of these occurrences of the schedule are recorded (fired or waiting): probes
    of the unique (schedule, occurrence) index, a bounded number of values each."""
    found: set[datetime] = set()
    for i in range(0, len(occurrences), 500):
        stmt = select(FIRES.c.fire_at).where(
            FIRES.c.schedule_id == schedule_id, FIRES.c.fire_at.in_(occurrences[i : i + 500])
        )
        found.update(await session.scalars(stmt))
    return found


async def drop_waiting(session: AsyncSession, schedule_id: uuid.UUID) -> None:
    """Forget the schedule's backfilled occurrences not fired yet (it is deleted or
    FAILED: they would never fire)."""
    await session.execute(
        FIRES.delete().where(FIRES.c.schedule_id == schedule_id, text(BACKFILL_PREDICATE))
    )


async def drop_fire(session: AsyncSession, fire_id: uuid.UUID) -> None:
    """Forget one recorded occurrence (a backfilled one whose run could not be created)."""
    await session.execute(FIRES.delete().where(FIRES.c.id == fire_id))
