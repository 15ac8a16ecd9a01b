"""A schedule's recorded occurrences, newest first (Schedule.runs): pages of
``schedule_fires`` read backwards along its unique (schedule_id, fire_at) index."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.common.schedules import FIRES

# (schedule id, rows wanted, occurrences before this one only, or None: from the newest)
Wanted = tuple[uuid.UUID, int, datetime | None]


async def pages(
    session: AsyncSession, org_id: uuid.UUID, wanted: Sequence[Wanted]
) -> list[Row[Any]]:
    """The rows of each page asked for, the tenant's only: (part: its index in
    ``wanted``, id, fire_at, fired_at, job_id, workflow_id, backfill_due_at). One
    statement per 100 pages, each page a bounded walk of its schedule's index."""
    found: list[Row[Any]] = []
    for i in range(0, len(wanted), 100):  # bounded parameters per statement
        parts = []
        for part, (schedule_id, limit, before) in enumerate(wanted[i : i + 100], start=i):
            stmt = select(
                literal(part).label("part"),
                FIRES.c.id,
                FIRES.c.fire_at,
                FIRES.c.fired_at,
                FIRES.c.job_id,
                FIRES.c.workflow_id,
                FIRES.c.backfill_due_at,
            ).where(FIRES.c.schedule_id == schedule_id, FIRES.c.organization_id == org_id)
            if before is not None:
                stmt = stmt.where(FIRES.c.fire_at < before)
            parts.append(stmt.order_by(FIRES.c.fire_at.desc()).limit(limit).subquery())
        query = union_all(*(select(*p.c) for p in parts)) if len(parts) > 1 else select(*parts[0].c)
        found += list(await session.execute(query))
    return found
