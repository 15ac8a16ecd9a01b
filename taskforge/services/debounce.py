"""Debounce: of the enqueues of one key value into one queue within its period, only the
last runs.

A debounced job is enqueued SCHEDULED at the end of its period (or its own later
``scheduledFor``): the claim's promotion of due jobs makes it claimable then, so no
other part of the claim knows about debounce. In the same transaction the jobs of its
(queue, key value) that wait and never started are cancelled, reason ``debounced``, as
cancelJob cancels (a status event each, their dependents decided). A job already
running is left alone; the new one just waits its period.

Enqueues of one (queue, key value) are serialized (an advisory lock on PostgreSQL, the
one writer on SQLite) before the waiting jobs are looked for, so of concurrent enqueues
each sees the one before it and exactly one survives. (Every enqueue of a tenant also
updates its quota row, but after the lookup, which that row does not serialize.)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.events import Event
from taskforge.domain.flow import Debounce
from taskforge.persistence.common import debounce as repo
from taskforge.persistence.common import job_admin
from taskforge.services.job_events import record, status_event
from taskforge.services.resolution import Moved, after_changes

# the reason of a job a newer enqueue of its key value replaced (its status event's too)
DEBOUNCED = "debounced"


class Spec(Protocol):
    @property
    def debounce(self) -> Debounce | None: ...


def prepare(specs: Sequence[Spec], rows: Sequence[dict[str, Any]], now: datetime) -> dict[int, str]:
    """Make the validated rows of debounced specs wait for their period (SCHEDULED until
    ``Debounce.eligible_at``); returns their key values by index (empty: none is)."""
    keys: dict[int, str] = {}
    for i, spec in enumerate(specs):
        if (rule := spec.debounce) is not None:
            row = rows[i]
            row["scheduled_for"] = rule.eligible_at(now, row["scheduled_for"])
            row["status"] = JobStatus.SCHEDULED
            keys[i] = rule.key.value(row["payload"])
    return keys


async def lock(
    session: AsyncSession,
    org_id: uuid.UUID,
    rows: Sequence[dict[str, Any]],
    keys: Mapping[int, str],
) -> list[Any]:
    """Before the insert: take the groups of these rows, then read (and lock) the jobs
    waiting in them. Until this transaction ends, an enqueue of one of these groups
    waits for the lock, and then finds the job inserted here."""
    groups = {(rows[i]["queue_id"], key) for i, key in keys.items()}
    await repo.lock(session, groups)
    return await repo.lock_waiting(session, org_id, groups)


async def replace(
    session: AsyncSession,
    created: Sequence[Any],
    keys: Mapping[int, str],
    waiting: Sequence[Any],
    now: datetime,
) -> list[Any]:
    """After the insert (``created``: the new rows, in the order of the specs): each new
    debounced job keeps its key value, and the jobs that were ``waiting`` in its group
    are cancelled, with the earlier jobs of its group in this batch (the later wins).
    Returns ``created`` with the rows cancelled here as they are now."""
    await repo.mark(session, [(created[i].id, key) for i, key in keys.items()])
    previous = {row.id: row.status for row in waiting}
    newest: dict[repo.Group, int] = {}
    for i, key in keys.items():  # in the batch's order
        if (earlier := newest.get((created[i].queue_id, key))) is not None:
            previous[created[earlier].id] = created[earlier].status
        newest[(created[i].queue_id, key)] = i
    if not previous:
        return list(created)
    # never started: no attempt to close, unlike cancelJob
    changed = await job_admin.cancel_many(session, list(previous), DEBOUNCED, now)
    events: list[Event] = [status_event(row, previous[row.id], DEBOUNCED) for row in changed]
    events += await after_changes(session, [Moved.of(row) for row in changed], now)
    await record(session, events)
    now_cancelled = {row.id: row for row in changed}
    return [now_cancelled.get(row.id, row) for row in created]
