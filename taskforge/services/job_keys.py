"""Enqueues with idempotency keys (enqueueJob, enqueueJobs): each job's key is scoped to
its queue. In one transaction: the keys are taken; jobs whose key was used within the
window are not created again, the earlier job is returned (``deduplicated``); the rest
are created. Enqueues without keys never come here (services/jobs.py)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import idempotency as rules
from taskforge.domain import records
from taskforge.persistence.common import jobs as repo
from taskforge.services import idempotency
from taskforge.services.base import Services, retried

if TYPE_CHECKING:
    from taskforge.services.jobs import NewJob

Insert = Callable[[AsyncSession, uuid.UUID, list[dict[str, Any]], datetime], Awaitable[list[Any]]]


def _use(spec: NewJob, row: dict[str, Any]) -> idempotency.Use:
    assert spec.idempotency_key is not None
    # every input of the job, times as validated (UTC): a repeat must ask for the same
    # job; inputs added to NewJob later are covered without a change here
    request = dataclasses.replace(spec, scheduled_for=row["scheduled_for"])
    return idempotency.Use(
        rules.queue_scope(spec.queue_id),
        spec.idempotency_key,
        rules.fingerprint(request),
        job_id=row["id"],
    )


@retried  # a purge of expired keys can meet a batch's locks in another order
async def enqueue(
    svc: Services,
    org: uuid.UUID,
    specs: Sequence[NewJob],
    rows: list[dict[str, Any]],
    now: datetime,
    insert: Insert,
) -> list[records.Job]:
    """The jobs of ``specs`` (validated into ``rows``), in order: those created, and
    those an earlier use of their key created, marked deduplicated. Two jobs of one
    call with one key are one job (the same inputs) or CONFLICT."""
    uses: dict[int, idempotency.Use] = {}  # spec index -> its use, first of its key
    repeats: dict[int, int] = {}  # spec index -> index of the first with its key
    first: dict[tuple[str, str], int] = {}
    for i, spec in enumerate(specs):
        if spec.idempotency_key is None:
            continue
        rules.key(spec.idempotency_key)
        use = _use(spec, rows[i])
        j = first.setdefault(use.pair, i)
        if j == i:
            uses[i] = use
        elif uses[j].fingerprint != use.fingerprint:
            raise rules.reused(use.key, svc.settings.idempotency_hours)
        else:
            repeats[i] = j
    async with svc.write() as session:
        claimed = await idempotency.claim(svc, session, org, list(uses.values()), now)
        earlier = {i: e.job_id for i, e in zip(uses, claimed, strict=True) if e is not None}
        wanted = [j for j in earlier.values() if j is not None]
        # only repeats read: a first use (the common case) costs one statement, the key's
        found = await repo.by_ids(session, org, wanted) if wanted else []
        kept = {j.id: records.Job.of(j) for j in found}
        # the job of index i is an earlier one (its key's), or None: created by this call
        reused = {i: kept[j] for i, j in earlier.items() if j in kept}
        # a key whose job was deleted since is free again: this call's job takes it
        gone = [uses[i] for i in earlier if i not in reused]
        await idempotency.take_over(svc, session, org, gone, now)
        new = [r for i, r in enumerate(rows) if i not in reused and i not in repeats]
        created = await insert(session, org, new, now) if new else []
    made = {row.id: records.Job.of(row) for row in created}
    out: list[records.Job] = []
    for i, row in enumerate(rows):
        source = repeats.get(i, i)
        if source in reused:
            out.append(reused[source].replace(deduplicated=True))
        elif i in repeats:  # the same key earlier in this call: that job
            out.append(made[rows[source]["id"]].replace(deduplicated=True))
        else:
            out.append(made[row["id"]])
    return out
