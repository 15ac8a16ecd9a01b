"""Idempotency keys inside a use case's transaction: take keys, or learn what their
earlier use created (domain/idempotency.py has the rules).

How concurrent first uses of one key end with one creation: each caller inserts the key
row before it creates anything (INSERT ... ON CONFLICT DO NOTHING on the primary key).
On PostgreSQL the second inserter waits for the first one's transaction: if that
commits, the insert skips and the caller reads the committed row, whose job or workflow
committed with it; if it rolls back (the enqueue failed), the insert goes through. On
SQLite one write transaction runs at a time, so the second caller simply finds the row.

A key whose row has expired, or whose job or workflow has been deleted since, is free:
its row is taken over (locked first, so that of two callers taking it over one wins
and the other reads the winner's row).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import idempotency as rules
from taskforge.domain import records
from taskforge.domain.errors import Conflict
from taskforge.persistence.common import idempotency as repo
from taskforge.persistence.common import jobs, workflows
from taskforge.persistence.tables import Workflow
from taskforge.services.base import Services

T = TypeVar("T")


@dataclass(frozen=True)
class Use:
    """One use of a key: the request's scope, key and fingerprint, and the ids of what
    it will create if it takes the key (None where not known yet: ``set_target``)."""

    scope: str
    key: str
    fingerprint: str
    job_id: uuid.UUID | None = None
    workflow_id: uuid.UUID | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return self.scope, self.key


@dataclass(frozen=True)
class Earlier:
    """What the earlier use of a key created."""

    job_id: uuid.UUID | None
    workflow_id: uuid.UUID | None


def window(svc: Services) -> timedelta:
    return timedelta(hours=svc.settings.idempotency_hours)


def _row(org: uuid.UUID, use: Use, now: datetime, expires: datetime) -> dict[str, Any]:
    return {
        "organization_id": org,
        "scope": use.scope,
        "key": use.key,
        "fingerprint": use.fingerprint,
        "job_id": use.job_id,
        "workflow_id": use.workflow_id,
        "created_at": now,
        "expires_at": expires,
    }


async def claim(
    svc: Services, session: AsyncSession, org: uuid.UUID, uses: Sequence[Use], now: datetime
) -> list[Earlier | None]:
    """For each use (distinct keys), None when this transaction now holds its key (the
    row names the use's targets: create them in this transaction), else what the
    earlier, unexpired use created. CONFLICT if that use's fingerprint differs. The
    rows of keys used before stay locked until the transaction ends."""
    expires = now + window(svc)
    by_pair = {u.pair: u for u in uses}
    taken: set[tuple[str, str]] = set()
    held: dict[tuple[str, str], Any] = {}  # rows of keys an earlier use holds
    pending = sorted(by_pair)
    # twice at most: a key found taken can be purged (expired) before it is read; the
    # second insert of such a key finds it free
    for _ in range(2):
        rows = [_row(org, by_pair[p], now, expires) for p in pending]
        taken |= await repo.insert_new(session, rows)
        rest = [p for p in pending if p not in taken]
        expired = []
        for row in await repo.lock(session, org, rest) if rest else ():
            pair = (row.scope, row.key)
            if row.expires_at <= now:
                expired.append(_row(org, by_pair[pair], now, expires))
                taken.add(pair)
            else:
                held[pair] = row
        await repo.replace(session, expired)
        pending = [p for p in rest if p not in taken and p not in held]
        if not pending:
            break
    if pending:  # purged twice in a row: never seen, but never a silent second creation
        raise Conflict("an idempotency key changed hands meanwhile; retry the request")
    out: list[Earlier | None] = []
    for use in uses:
        kept = held.get(use.pair)
        if kept is None:
            out.append(None)
        elif kept.fingerprint != use.fingerprint:
            if not await _gone(session, org, kept):
                raise rules.reused(use.key, svc.settings.idempotency_hours)
            # what the key named was deleted: it is free for any request, as for a repeat
            await repo.replace(session, [_row(org, use, now, expires)])
            out.append(None)
        else:
            out.append(Earlier(kept.job_id, kept.workflow_id))
    return out


async def _gone(session: AsyncSession, org: uuid.UUID, kept: Any) -> bool:
    """Whether the job or workflow a key names was deleted (rare: read only then)."""
    if kept.job_id is not None:
        return await jobs.get(session, org, kept.job_id) is None
    if kept.workflow_id is not None:
        return await workflows.get(session, org, kept.workflow_id, definition=False) is None
    return False  # a trigger that fired nothing keeps its key for its window


async def take_over(
    svc: Services, session: AsyncSession, org: uuid.UUID, uses: Sequence[Use], now: datetime
) -> None:
    """Keys whose earlier job or workflow is gone (``claim`` returned them, locked) now
    name these uses' targets, with a new window."""
    expires = now + window(svc)
    await repo.replace(session, [_row(org, u, now, expires) for u in uses])


async def earlier_of(
    svc: Services,
    session: AsyncSession,
    org: uuid.UUID,
    use: Use,
    now: datetime,
    load: Callable[[Earlier], Awaitable[T | None]],
) -> T | None:
    """What the earlier use of ``use``'s key created (read by ``load``: None if it is
    gone), or None when this transaction holds the key now: create the use's target."""
    [earlier] = await claim(svc, session, org, [use], now)
    if earlier is None:
        return None
    found = await load(earlier)
    if found is None:  # deleted since: the key is free again
        await take_over(svc, session, org, [use], now)
    return found


async def earlier_workflow(
    svc: Services, session: AsyncSession, org: uuid.UUID, use: Use, now: datetime
) -> Workflow | None:
    """``earlier_of`` for a workflow (read without its definition)."""

    async def load(e: Earlier) -> Workflow | None:
        if e.workflow_id is None:
            return None
        return await workflows.get(session, org, e.workflow_id, definition=False)

    return await earlier_of(svc, session, org, use, now, load)


def workflow_use(
    project_id: uuid.UUID,
    definition: str | dict[str, Any],
    start: bool,
    key: str | None,
    run_input: dict[str, Any] | None = None,
) -> Use | None:
    """createWorkflow's use of its key (None: no key): one scope per tenant, and every
    input in the fingerprint (the project too: a key names one request; the run's input
    when one is given, so that a call without one keeps its fingerprint)."""
    if rules.key(key) is None:
        return None
    assert key is not None
    request = {"projectId": project_id, "definition": definition, "start": start}
    if run_input is not None:
        request["input"] = run_input
    return Use(rules.WORKFLOWS, key, rules.fingerprint(request), workflow_id=uuid.uuid4())


async def targets(
    session: AsyncSession,
    org: uuid.UUID,
    job_id: uuid.UUID | None,
    workflow_id: uuid.UUID | None,
) -> tuple[records.Job | None, records.Workflow | None]:
    """The job and the workflow of these ids (a workflow without its definition)."""
    job = await jobs.get(session, org, job_id) if job_id is not None else None
    wf = None
    if workflow_id is not None:
        wf = await workflows.get(session, org, workflow_id, definition=False)
    return (
        records.Job.of(job) if job is not None else None,
        records.Workflow.without_definition(wf) if wf is not None else None,
    )


async def earlier_target(
    svc: Services, session: AsyncSession, org: uuid.UUID, use: Use, now: datetime
) -> tuple[records.Job | None, records.Workflow | None] | None:
    """``earlier_of`` for a trigger: the job or the workflow it created."""

    async def load(e: Earlier) -> tuple[records.Job | None, records.Workflow | None] | None:
        made = await targets(session, org, e.job_id, e.workflow_id)
        return made if made != (None, None) else None

    return await earlier_of(svc, session, org, use, now, load)


def trigger_use(schedule_id: uuid.UUID, key: str | None) -> Use | None:
    """triggerSchedule's use of its key (None: no key): scoped to the schedule, which
    is the request's only input. Its targets are known once it has fired."""
    if rules.key(key) is None:
        return None
    assert key is not None
    return Use(rules.schedule_scope(schedule_id), key, rules.fingerprint({"trigger": schedule_id}))


async def set_target(
    session: AsyncSession,
    org: uuid.UUID,
    use: Use,
    job_id: uuid.UUID | None,
    workflow_id: uuid.UUID | None,
) -> None:
    """What the use holding the key created, once it is made."""
    await repo.set_target(session, org, use.scope, use.key, job_id, workflow_id)
