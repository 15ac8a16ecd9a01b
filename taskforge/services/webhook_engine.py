"""The webhook engine: turns committed events into deliveries and sends them.

Two steps, each safe to run in many replicas:

- ``dispatch`` reads the stamped event log after a durable cursor (its row lock, SKIP
  LOCKED on PostgreSQL, elects one replica at a time) and writes, in the transaction
  that moves the cursor, one delivery per matching active endpoint. A crash before the
  commit leaves the cursor where it was: the events are read again, never lost. The
  log is read in windows of ``WINDOW`` event ids, only the tenants with an endpoint and
  the event types a webhook can ask for.
- ``send`` claims due deliveries (an endpoint's first open one only: in order per
  endpoint) with a lease, POSTs them concurrently outside any transaction, and records
  each outcome: 2xx is DELIVERED; otherwise RETRYING after an exponential, jittered
  backoff, or FAILED after ``webhooks_max_attempts``. A finished delivery makes its
  endpoint's next one due. A sender that dies mid-request leaves the lease to run out:
  the attempt is made again (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from taskforge.domain import events
from taskforge.domain import webhooks as rules
from taskforge.domain.webhooks import DeliveryStatus
from taskforge.lifecycle import Failures, finish
from taskforge.persistence.common import webhooks as repo
from taskforge.realtime.relay import events_of
from taskforge.services.base import Services

log = logging.getLogger(__name__)
WINDOW = 10_000  # event ids one dispatch reads through at most
ROWS = 500  # event rows one dispatch reads at most
LEASE_MARGIN = 5.0  # seconds a claim's lease outlasts the request timeout
MAX_ERROR = 500  # characters of an error or response kept in the log
USER_AGENT = "TaskForge-Webhooks/1"
PRUNE_EVERY = 600.0  # seconds between prunings of the delivery log
PRUNE_BATCH = 1000


async def dispatch(svc: Services) -> bool:
    """Turn the next window of events into deliveries; True when the log may hold more
    right away (a whole window or batch of rows was read)."""
    now = svc.clock()
    async with svc.read() as session:  # an idle engine opens no write transaction
        seen = await repo.position(session)
        if await _window_end(session, seen) <= seen:
            return False
    async with svc.write() as session:
        start = await repo.lock_cursor(session)
        if start is None:
            return False  # another replica's engine holds the cursor
        end = await _window_end(session, start)
        if end <= start:
            return False
        hooks = await repo.active(session)
        by_org: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for hook in hooks:
            by_org[hook.organization_id].append(hook)
        rows: list[Any] = []
        if by_org:
            rows = await repo.events_after(
                session, start, end, list(by_org), rules.SOURCE_TYPES, ROWS
            )
            if len(rows) == ROWS:  # more in the window: continue after the last row read
                end = rows[-1].seq + rows[-1].span - 1
        new = _deliveries(rows, by_org, now)
        if new:
            live = await repo.lock_webhooks(session, (d["webhook_id"] for d in new))
            new = [d for d in new if d["webhook_id"] in live]
            busy = await repo.with_open(session, (d["webhook_id"] for d in new))
            for d in new:  # each endpoint's first new delivery is due unless one waits
                if d["webhook_id"] not in busy:
                    d["next_attempt_at"] = now
                    busy.add(d["webhook_id"])
            await repo.insert_deliveries(session, new)
        await repo.move_cursor(session, end)
    return len(rows) == ROWS or end - start >= WINDOW


async def _window_end(session: Any, start: int) -> int:
    """The last event id of the next window after ``start`` (``start``: nothing new).
    Event ids missing after ``start`` (pruned while the engine was off or behind) are
    skipped: the window starts at the next stamped row, wherever it is."""
    end = await repo.end_through(session, start + WINDOW)
    if end > start:
        return end
    following = await repo.first_seq_after(session, start)
    if following is None:
        return start
    return await repo.end_through(session, following - 1 + WINDOW)


def _deliveries(
    rows: list[Any], by_org: dict[uuid.UUID, list[Any]], now: datetime
) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for row in rows:
        for message in events_of(row):
            if not rules.may_match(message["type"], message["payload"]):
                continue  # most job events: not worth decoding
            found = events.delivered(message)
            kind = rules.event_type_of(found.event)
            if kind is None:
                continue
            body = rules.body(
                found.seq, kind, found.event.organization_id, found.created_at, message["payload"]
            )
            for hook in by_org[found.event.organization_id]:
                if kind.value in hook.event_types:
                    made.append(
                        {
                            "id": uuid.uuid4(),
                            "organization_id": found.event.organization_id,
                            "webhook_id": hook.id,
                            "ordinal": found.seq,
                            "event_type": kind.value,
                            "event_id": found.seq,
                            "body": body,
                            "status": DeliveryStatus.PENDING.value,
                            "attempts": 0,
                            "next_attempt_at": None,
                            # a microsecond apart: the log lists them in event order
                            "created_at": now + timedelta(microseconds=len(made)),
                        }
                    )
    return made


@dataclass(frozen=True)
class Outcome:
    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    attempts: int
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def claim(svc: Services, limit: int) -> list[Any]:
    """Take up to ``limit`` due deliveries for one attempt each (leased)."""
    s = svc.settings
    now = svc.clock()
    lease = now + timedelta(seconds=s.webhooks_timeout_seconds + LEASE_MARGIN)
    async with svc.read() as session:  # an idle engine opens no write transaction
        if not await repo.any_due(session, now):
            return []
    async with svc.write() as session:
        return await repo.claim_due(session, now, limit, lease)


async def send(svc: Services, client: httpx.AsyncClient) -> int:
    """Send one batch of due deliveries together; returns how many were attempted."""
    claimed = await claim(svc, svc.settings.webhooks_batch)
    if not claimed:
        return 0
    timeout = svc.settings.webhooks_timeout_seconds
    outcomes = await asyncio.gather(*(_post(client, row, timeout) for row in claimed))
    await _record(svc, outcomes)
    return len(outcomes)


async def deliver(svc: Services, client: httpx.AsyncClient, row: Any) -> None:
    """One claimed delivery's attempt, recorded on its own."""
    outcome = await _post(client, row, svc.settings.webhooks_timeout_seconds)
    await _record(svc, [outcome])


async def _post(client: httpx.AsyncClient, row: Any, seconds: float) -> Outcome:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-TaskForge-Event": row.event_type,
        "X-TaskForge-Delivery": str(row.id),
        "X-TaskForge-Timestamp": timestamp,
        "X-TaskForge-Signature": rules.signature(row.secret, timestamp, row.body),
    }
    attempts = row.attempts + 1  # as claim_due counted it
    try:
        # the whole exchange within the timeout (httpx's bounds each read, not their sum),
        # streamed: only the start of an endpoint's answer is read, however long it is
        async with (
            asyncio.timeout(seconds),
            client.stream("POST", row.url, content=row.body.encode(), headers=headers) as resp,
        ):
            status = resp.status_code
            failed = None
            if not 200 <= status < 300:
                start = b""
                async for chunk in resp.aiter_bytes():
                    start += chunk
                    if len(start) >= MAX_ERROR:
                        break
                text = start[:MAX_ERROR].decode("utf-8", "replace")
                failed = f"HTTP {status}: {text}"[:MAX_ERROR]
    except Exception as exc:
        # transport errors and timeouts, and whatever else the URL makes the client raise
        # (an invalid host name): the attempt fails and is retried, never left claimed
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        return Outcome(row.id, row.webhook_id, attempts, None, error)
    return Outcome(row.id, row.webhook_id, attempts, status, failed)


async def _record(svc: Services, outcomes: list[Outcome]) -> None:
    s = svc.settings
    now = svc.clock()
    rows: list[dict[str, Any]] = []
    finished: list[uuid.UUID] = []
    for o in outcomes:
        row: dict[str, Any] = {
            "id": o.delivery_id,
            "attempts": o.attempts,
            "response_status": o.status,
            "error": o.error,
            "next_attempt_at": None,
            "delivered_at": None,
        }
        if o.ok:
            row |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": now}
        elif o.attempts >= s.webhooks_max_attempts:
            row["status"] = DeliveryStatus.FAILED.value
        else:
            delay = rules.backoff(
                o.attempts, s.webhooks_backoff_seconds, s.webhooks_backoff_max_seconds
            )
            row |= {
                "status": DeliveryStatus.RETRYING.value,
                "next_attempt_at": now + timedelta(seconds=delay),
            }
        if row["status"] != DeliveryStatus.RETRYING.value:
            finished.append(o.webhook_id)
        rows.append(row)
    async with svc.write() as session:
        # held while the next one is chosen: a delivery made meanwhile sees this one
        await repo.lock_webhooks(session, finished)
        await repo.record_attempts(session, rows)
        await repo.promote_next(session, finished, now)


async def prune(svc: Services, limit: int = PRUNE_BATCH) -> int:
    """Delete finished deliveries past the log's retention, in bounded batches."""
    days = svc.settings.webhooks_log_retention_days
    before = svc.clock() - timedelta(days=days)
    removed = 0
    while True:
        async with svc.write() as session:
            n = await repo.prune(session, before, limit)
        removed += n
        if n < limit:
            return removed


class WebhookEngine:
    """Dispatches, and keeps up to ``webhooks_batch`` deliveries in flight, each recorded
    when its own request ends: a slow endpoint holds up only its own deliveries. Polls
    every ``webhooks_interval`` seconds, at once while there is more; stops between
    steps, never mid-query, and lets requests in flight end within the grace."""

    name = "webhooks"

    def __init__(self, svc: Services, client: httpx.AsyncClient | None = None) -> None:
        self._svc = svc
        self._client = client
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_prune = 0.0  # monotonic time of the next pruning
        self._inflight: set[asyncio.Task[None]] = set()
        self._failures = Failures(log, "webhook engine step")

    async def step(self, client: httpx.AsyncClient) -> bool:
        """One round; True when there may be more to do at once."""
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY
            await prune(self._svc)
        more = await dispatch(self._svc)
        free = self._svc.settings.webhooks_batch - len(self._inflight)
        if free > 0:
            for row in await claim(self._svc, free):
                task = asyncio.create_task(self._deliver(client, row), name="webhook-delivery")
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        return more

    async def _deliver(self, client: httpx.AsyncClient, row: Any) -> None:
        try:
            await deliver(self._svc, client, row)
        except Exception as exc:  # the lease runs out: the attempt is made again
            self._failures.failed(exc)

    async def _wait(self) -> None:
        """Until the poll interval passes, a delivery ends (its endpoint's next one may
        be due) or the engine stops."""
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait(
                {stopping, *self._inflight},
                timeout=self._svc.settings.webhooks_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            stopping.cancel()

    async def _run(self) -> None:
        timeout = httpx.Timeout(self._svc.settings.webhooks_timeout_seconds)
        async with contextlib.AsyncExitStack() as stack:
            client = self._client
            if client is None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=timeout, follow_redirects=False)
                )
            try:
                while not self._stopping.is_set():
                    more = False
                    try:
                        more = await self.step(client)
                        self._failures.succeeded()
                    except Exception as exc:
                        self._failures.failed(exc)
                    if not more:
                        await self._wait()
            finally:
                if self._inflight:  # before the client closes
                    await asyncio.wait(set(self._inflight))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace: float = 5.0) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        await finish(task, grace)
        for pending in list(self._inflight):  # past the grace: their leases run out
            pending.cancel()
