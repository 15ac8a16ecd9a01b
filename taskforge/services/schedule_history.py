"""Schedule.runs: a schedule's occurrences, fired or backfilled, newest first.

Each occurrence is a ``schedule_fires`` row (services/fires, services/backfill). A
backfilled one waits its turn with ``backfill_due_at`` set until the engine creates its
run, which clears it in the same statement that links the run: until then it has no
``firedAt`` (its row's ``fired_at`` is when the backfill recorded it). Pages are keyset
on the occurrence, unique per schedule; many schedules' pages are read together.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taskforge.domain import validation
from taskforge.persistence.common import schedule_history as repo
from taskforge.services.base import Principal, Services
from taskforge.services.pagination import Cursor
from taskforge.services.schedules import READ

# a page asked for: (schedule id, its size, the occurrence it starts after, or None)
PageKey = tuple[uuid.UUID, int, datetime | None]


@dataclass(frozen=True)
class Run:
    id: uuid.UUID
    occurrence: datetime
    fired_at: datetime | None  # None: a backfilled occurrence still waiting
    job_id: uuid.UUID | None
    workflow_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Any) -> Run:
        waiting = row.backfill_due_at is not None
        return cls(
            id=row.id,
            occurrence=row.fire_at,
            fired_at=None if waiting else row.fired_at,
            job_id=row.job_id,
            workflow_id=row.workflow_id,
        )


@dataclass(frozen=True)
class RunPage:
    items: list[Run]
    has_next: bool


def page_key(svc: Services, schedule_id: uuid.UUID, first: int, after: Cursor | None) -> PageKey:
    """A page of the schedule's runs, checked (``first`` within the page size)."""
    first = validation.page_size(first, svc.settings.limits.page_size)
    return schedule_id, first, after[0] if after is not None else None


async def pages(svc: Services, principal: Principal, keys: list[PageKey]) -> list[RunPage]:
    """Each page asked for, of the caller's schedules only (the schedules were read in
    the caller's scope; another tenant's has no rows here)."""
    principal.require(READ)
    # one more row than asked for: whether a next page exists
    wanted = [(schedule_id, first + 1, before) for schedule_id, first, before in keys]
    async with svc.read() as session:
        rows = await repo.pages(session, principal.organization_id, wanted)
    parts: dict[int, list[Run]] = defaultdict(list)
    for row in rows:
        parts[row.part].append(Run.of(row))
    out = []
    for part, (_, first, _) in enumerate(keys):
        runs = sorted(parts[part], key=lambda r: r.occurrence, reverse=True)
        out.append(RunPage(runs[:first], len(runs) > first))
    return out
