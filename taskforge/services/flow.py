"""Flow control at enqueue: the rows of queues with flow control get their concurrency
and rate-limit keys (each job's own rules, else its queue's), their round-robin position,
and the cancelling strategies' decisions.

Round robin (start-time fair queuing): a job with a concurrency key takes the position
after the last live job of its key, but never before the position of the job the queue's
next claim takes (its head): a key that was idle joins the rotation where it stands now
rather than ahead of everyone. A job without a key takes the head's position. Claims go
by (priority, position, age), so each key's next job comes in turn.

Cancelling strategies count a key's live jobs (not ended: PENDING, SCHEDULED or
PROCESSING) under the key's enqueue lock: ``CANCEL_NEWEST`` cancels a new job at once
(``concurrency_limit``) when ``max`` are live; ``CANCEL_IN_PROGRESS`` makes room instead,
cancelling the key's oldest live job (running ones first; ``concurrency_replaced``),
whose worker is told as cancelJob tells it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.errors import NotFound
from taskforge.domain.events import Event
from taskforge.domain.flow import Concurrency, ConcurrencyStrategy, RateLimit
from taskforge.domain.queues import QueueSettings
from taskforge.domain.templates import WORKFLOW_JOB_TYPE
from taskforge.persistence.common import flow as repo
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.services.cancellation import cancel_locked
from taskforge.services.job_events import status_event

Rules = tuple[Concurrency | None, RateLimit | None]
CONCURRENCY_LIMIT = "concurrency_limit"
CONCURRENCY_REPLACED = "concurrency_replaced"
LIVE = frozenset({JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.PROCESSING})

_FLOW_COLUMNS = dict.fromkeys(
    ("concurrency_key", "concurrency_max", "rate_key", "rate_limit", "rate_period")
)


async def flag_queues(
    session: AsyncSession, org: uuid.UUID, rows: Sequence[Mapping[str, Any]], rules: list[Rules]
) -> None:
    """The queues of rows bringing their own rules take the flow path from now on."""
    ids = {row["queue_id"] for row, (c, r) in zip(rows, rules, strict=True) if c or r}
    if ids:
        await repo.flag_queues(session, org, ids)


async def insert(
    session: AsyncSession,
    org: uuid.UUID,
    rows: list[dict[str, Any]],
    rules: list[Rules] | None,
    now: datetime,
) -> tuple[list[Any], list[Event]]:
    """Write rows of the organization's queues with flow control (NOT_FOUND for a queue
    that is not the organization's); returns them (every job column) in order, with the
    events of their creation and of the jobs a strategy cancelled."""
    queues = await repo.queues_of(session, org, {r["queue_id"] for r in rows})
    for row in rows:
        if row["queue_id"] not in queues:
            raise NotFound("queue", row["queue_id"])
    settings = {q: QueueSettings.from_json(queue.settings) for q, queue in queues.items()}
    chosen: list[Rules] = []
    for i, row in enumerate(rows):
        own = rules[i] if rules else (None, None)
        queue = settings[row["queue_id"]]
        chosen.append((own[0] or queue.concurrency, own[1] or queue.rate_limit))
        row["project_id"] = queues[row["queue_id"]].project_id
    apply_keys(rows, chosen)
    await place(session, rows)
    events = await _strategies(session, rows, [c for c, _ in chosen], now)
    created = await jobs_repo.insert_rows(session, org, rows)
    # creation first: a job cancelled at once reads CANCELLED from its first event
    events[:0] = [status_event(row, None, row.status_reason) for row in created]
    return created, events


async def keyed_rows(
    session: AsyncSession, rows: list[dict[str, Any]], settings: Mapping[uuid.UUID, Any]
) -> None:
    """Rows written without an enqueue (a workflow's jobs), each of a queue with the
    given settings JSON when it has flow control (absent: it has not): their queue's
    keys and their positions. Strategies do not apply: no such job is live yet. Every
    row gets the flow columns (one multi-row INSERT takes them all). A workflow job gets
    no key: no worker claims it, and while it runs its child run a key would hold a
    concurrency slot of its queue that its child's jobs there wait for."""
    for row in rows:
        row.update(_FLOW_COLUMNS, fair_seq=0)
    mine = [r for r in rows if r["queue_id"] in settings and r["job_type"] != WORKFLOW_JOB_TYPE]
    if not mine:
        return
    parsed = {q: QueueSettings.from_json(s) for q, s in settings.items()}
    apply_keys(
        mine, [(parsed[r["queue_id"]].concurrency, parsed[r["queue_id"]].rate_limit) for r in mine]
    )
    await place(session, mine)


def apply_keys(rows: Iterable[dict[str, Any]], chosen: Iterable[Rules]) -> None:
    """Each row's key values from its payload and the limits of its rules."""
    for row, (concurrency, rate) in zip(rows, chosen, strict=True):
        row.update(_FLOW_COLUMNS)
        if concurrency is not None:
            row["concurrency_key"] = concurrency.key.value(row["payload"])
            row["concurrency_max"] = concurrency.max
        if rate is not None:
            row["rate_key"] = rate.key.value(row["payload"])
            row["rate_limit"], row["rate_period"] = rate.limit, rate.period


async def place(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Each row's round-robin position (the module docstring), in the order given."""
    keys: dict[uuid.UUID, list[str]] = {row["queue_id"]: [] for row in rows}  # every head
    for row in rows:
        if row["concurrency_key"] is not None:
            keys[row["queue_id"]].append(row["concurrency_key"])
    heads, last = await repo.fair_positions(session, keys)
    for row in rows:
        queue, key = row["queue_id"], row["concurrency_key"]
        head = heads[queue]
        if key is None:
            row["fair_seq"] = head
            continue
        position = max(head, last.get((queue, key), head - 1) + 1)
        row["fair_seq"] = last[(queue, key)] = position


async def _strategies(
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
    rules: Sequence[Concurrency | None],
    now: datetime,
) -> list[Event]:
    """Apply the cancelling strategies in row order: new rows cancelled (their status set
    here), and the live jobs they replace cancelled; returns the latter's events."""
    for row in rows:
        row.setdefault("status_reason", None)
        row.setdefault("finished_at", None)
    cancelling = [
        (row, rule)
        for row, rule in zip(rows, rules, strict=True)
        if rule is not None and rule.strategy is not ConcurrencyStrategy.QUEUE
    ]
    if not cancelling:
        return []
    locks = [repo.enqueue_lock(r["queue_id"], r["concurrency_key"]) for r, _ in cancelling]
    await repo.lock(session, locks)
    by_queue: dict[uuid.UUID, set[str]] = defaultdict(set)
    for row, _ in cancelling:
        by_queue[row["queue_id"]].add(row["concurrency_key"])
    live: dict[tuple[uuid.UUID, str], int] = {}
    for queue, keys in by_queue.items():
        counts = await repo.live_counts(session, queue, sorted(keys))
        live.update({(queue, k): counts.get(k, 0) for k in keys})
    wanted = set(live)
    # the new rows of the keys in play, in order: each accepted one holds a place
    accepted: dict[tuple[uuid.UUID, str], list[dict[str, Any]]] = defaultdict(list)
    replaced: dict[tuple[uuid.UUID, str], int] = defaultdict(int)  # live jobs to cancel
    for row, rule in zip(rows, rules, strict=True):
        key = (row["queue_id"], row["concurrency_key"])
        if rule is None or key not in wanted:
            continue
        held = live[key] - replaced[key] + len(accepted[key])
        if held >= rule.max and rule.strategy is ConcurrencyStrategy.CANCEL_NEWEST:
            _cancelled(row, CONCURRENCY_LIMIT, now)
            continue
        if held >= rule.max and rule.strategy is ConcurrencyStrategy.CANCEL_IN_PROGRESS:
            if replaced[key] < live[key]:
                replaced[key] += 1
            elif accepted[key]:
                _cancelled(accepted[key].pop(0), CONCURRENCY_REPLACED, now)
        accepted[key].append(row)
    events: list[Event] = []
    for (queue, value), n in replaced.items():
        victims = [j for j in await repo.oldest_live(session, queue, value, n) if j.status in LIVE]
        if victims:  # one that ended while we waited for its lock is no longer in the way
            events += await cancel_locked(session, victims, CONCURRENCY_REPLACED, now)
    return events


def _cancelled(row: dict[str, Any], reason: str, now: datetime) -> None:
    row["status"], row["status_reason"], row["finished_at"] = JobStatus.CANCELLED, reason, now
