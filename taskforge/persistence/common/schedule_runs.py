"""What ended runs write on their schedules: the count of failures in a row.

Locks are taken in schedule id order, whatever order the runs ended in, so two
transactions ending runs of the same schedules never wait on each other in a cycle;
and a success takes none unless there is a count to reset.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Row, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.store import store_of
from taskforge.persistence.tables import ScheduledJob

COUNT = ScheduledJob.consecutive_failures


async def lock_counted(
    session: AsyncSession, failed: Collection[uuid.UUID], succeeded: Collection[uuid.UUID]
) -> None:
    """Lock, in id order, the schedules whose count these ends change: every one with a
    failure, and those with only successes whose count is not 0."""
    stmt = (
        select(ScheduledJob.id)
        .where(
            ScheduledJob.id.in_([*failed, *succeeded]),
            ScheduledJob.id.in_(list(failed)) | (COUNT != 0),
        )
        .order_by(ScheduledJob.id)
    )
    await session.execute(store_of(session).lock_row(stmt))


async def reset(session: AsyncSession, ids: Collection[uuid.UUID]) -> None:
    """A success ends the streak: the count goes to 0 where it is not 0 already (those
    rows alone are locked, in id order)."""
    counted = (
        select(ScheduledJob.id)
        .where(ScheduledJob.id.in_(list(ids)), COUNT != 0)
        .order_by(ScheduledJob.id)
    )
    counted = store_of(session).lock_row(counted)
    await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.id.in_(counted.scalar_subquery()))
        .values(consecutive_failures=0)
    )


async def add(session: AsyncSession, added: Mapping[uuid.UUID, int]) -> list[Row[Any]]:
    """Add failures to the counts, atomically; returns each schedule's (id,
    consecutive_failures, pause_after_failures, status, deleted_at) afterwards."""
    by_id = case(*((ScheduledJob.id == sid, n) for sid, n in added.items()), else_=0)
    stmt = (
        update(ScheduledJob)
        .where(ScheduledJob.id.in_(list(added)))
        .values(consecutive_failures=COUNT + by_id)
        .returning(
            ScheduledJob.id,
            COUNT,
            ScheduledJob.pause_after_failures,
            ScheduledJob.status,
            ScheduledJob.deleted_at,
        )
    )
    return list(await session.execute(stmt))


async def set_counts(session: AsyncSession, counts: Mapping[uuid.UUID, int]) -> None:
    """Set the counts (rows the caller locked)."""
    by_id = case(*((ScheduledJob.id == sid, n) for sid, n in counts.items()), else_=COUNT)
    await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.id.in_(list(counts)))
        .values(consecutive_failures=by_id)
    )
