"""Flow control under real concurrency on PostgreSQL: several workers claiming at once,
each its own claim transactions, never start more than ``max`` jobs of a key at a time
nor more than ``limit`` starts of a rate key in any period; concurrent enqueues with a
cancelling strategy leave exactly ``max`` live jobs of their key."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import asyncpg
from sqlalchemy import select

from taskforge.domain.enums import JobStatus, Tier, WorkerType
from taskforge.domain.flow import Concurrency, ConcurrencyStrategy, RateLimit
from taskforge.persistence.tables import Job, JobExecution
from taskforge.services import executions, jobs, queues, workers
from tests.conftest import admin_of, new_org

CLAIMERS = 8

RUNNING = """SELECT concurrency_key, count(*) FROM jobs
WHERE queue_id = $1 AND status = 'PROCESSING' AND concurrency_key IS NOT NULL
GROUP BY concurrency_key"""


async def _setup(svc: Any, **rules: Any) -> tuple[Any, Any]:
    org = await new_org(svc, "Busy", Tier.ENTERPRISE)
    admin = admin_of(org)
    await queues.update_queue(svc, admin, org.queue.id, settings=rules)
    return org, admin


TYPES = ["x", "y"]


def _types(n: int) -> list[str] | None:
    """Workers of one type, of the other, or of any: claims that walk different rows of
    one key at once (without the claim lock, each would count the key's running jobs
    alone and start its own)."""
    return [[TYPES[0]], [TYPES[1]], None][n % 3]


async def _work(svc: Any, admin: Any, org: Any, n: int, on_claim: Any, on_done: Any) -> int:
    """A worker: claims a few jobs at a time until none is left for a while."""
    worker = await workers.register(
        svc, admin, f"w{n}", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    handled, idle = 0, 0
    while idle < 40:
        got = await executions.claim(
            svc, admin, worker.id, None, random.randint(1, 8), job_types=_types(n)
        )
        if not got:
            idle += 1
            await asyncio.sleep(0.01)
            continue
        idle = 0
        on_claim(got)
        await asyncio.sleep(random.uniform(0, 0.005))  # the handlers run
        on_done(got)
        acks = await executions.complete(svc, admin, [(c.execution_id, None) for c in got])
        assert all(a.error is None for a in acks)
        handled += len(got)
    return handled


async def test_never_more_than_max_running_per_key(pg_runtime, pg_database) -> None:
    svc = pg_runtime.services
    maxes = {f"k{i}": 1 + i % 3 for i in range(12)}  # max 1, 2 or 3 by key
    org, admin = await _setup(svc)
    specs = []
    for i in range(480):
        key = f"k{i % 12}"
        rule = Concurrency.parse("payload.k", maxes[key])
        specs.append(jobs.NewJob(org.queue.id, TYPES[i % 2], {"k": key}, concurrency=rule))
    random.shuffle(specs)
    for i in range(0, len(specs), 60):
        await jobs.enqueue(svc, admin, specs[i : i + 60])

    held: Counter[str] = Counter()  # as the workers see it: claimed, not yet acknowledged
    most: Counter[str] = Counter()
    seen_in_db: Counter[str] = Counter()

    def on_claim(got: list[Any]) -> None:
        for c in got:
            held[c.payload["k"]] += 1
            most[c.payload["k"]] = max(most[c.payload["k"]], held[c.payload["k"]])

    def on_done(got: list[Any]) -> None:
        for c in got:
            held[c.payload["k"]] -= 1

    stop = asyncio.Event()

    async def monitor() -> None:
        """Committed PROCESSING jobs per key, read over and over meanwhile."""
        conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
        try:
            while not stop.is_set():
                for key, n in await conn.fetch(RUNNING, org.queue.id):
                    seen_in_db[key] = max(seen_in_db[key], n)
                await asyncio.sleep(0.002)
        finally:
            await conn.close()

    watch = asyncio.create_task(monitor())
    handled = await asyncio.gather(
        *(_work(svc, admin, org, n, on_claim, on_done) for n in range(CLAIMERS))
    )
    stop.set()
    await watch
    assert sum(handled) == 480
    assert sum(1 for h in handled if h) > 1  # the work was shared
    for key, limit in maxes.items():
        assert most[key] <= limit, (key, most[key], limit)
        assert seen_in_db[key] <= limit, (key, seen_in_db[key], limit)
    # the limits were reached, not merely respected by a slow run
    assert any(most[k] == limit for k, limit in maxes.items() if limit > 1), (most, maxes)
    async with svc.read() as session:
        statuses = Counter((await session.scalars(select(Job.status))).all())
    assert statuses == {JobStatus.SUCCEEDED: 480}


async def test_never_more_than_limit_starts_per_period(pg_runtime) -> None:
    svc = pg_runtime.services
    limit, period = 4, 1
    org, admin = await _setup(svc, rate_limit=RateLimit.parse("payload.k", limit, period))
    spec = [
        jobs.NewJob(org.queue.id, TYPES[i % 2], {"k": k}) for k in ("a", "b") for i in range(14)
    ]
    await jobs.enqueue(svc, admin, spec)
    handled = await asyncio.gather(
        *(_work(svc, admin, org, n, lambda _: None, lambda _: None) for n in range(CLAIMERS))
    )
    # jobs throttled near the end wait up to a period: the workers' patience (40 idle
    # claims 10 ms apart) may run out first; whatever is left, a last worker runs
    for _ in range(20):
        if sum(handled) >= 28:
            break
        await asyncio.sleep(0.2)
        # a worker of any type (101 % 3 == 2)
        handled.append(await _work(svc, admin, org, 101, lambda _: None, lambda _: None))
    async with svc.read() as session:
        rows = await session.execute(
            select(Job.payload, JobExecution.started_at).join(
                JobExecution, JobExecution.job_id == Job.id
            )
        )
        starts: dict[str, list[Any]] = defaultdict(list)
        for payload, started_at in rows:
            starts[payload["k"]].append(started_at)
    for key, times in starts.items():
        times.sort()
        assert len(times) == 14
        # any `limit` + 1 consecutive starts span a full period at least
        for i in range(len(times) - limit):
            assert times[i + limit] - times[i] >= timedelta(seconds=period), (key, i, times)


async def _two_claims_at_once(svc: Any, admin: Any, org: Any, monkeypatch: Any) -> int:
    """Two claims of one queue, the first held between its decision and its start until
    the second has finished (or a second has passed): without the claim lock, each
    would decide on a count that misses the other's start. Returns the jobs started."""
    from taskforge.persistence.postgres import flow as pg_flow

    real_start = pg_flow.start
    second_done = asyncio.Event()
    calls: list[int] = []

    async def held_start(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(second_done.wait(), 1.0)
        return await real_start(*args)

    monkeypatch.setattr(pg_flow, "start", held_start)
    wx, wy = [
        await workers.register(
            svc, admin, name, WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
        )
        for name in ("x", "y")
    ]
    first = asyncio.create_task(executions.claim(svc, admin, wx.id, None, 5, job_types=["x"]))
    while not calls:  # the first claim has decided
        await asyncio.sleep(0.01)
    second = await executions.claim(svc, admin, wy.id, None, 5, job_types=["y"])
    second_done.set()
    return len(await first) + len(second)


async def test_a_claim_decides_on_the_starts_of_the_claim_before_it(
    pg_runtime, monkeypatch
) -> None:
    """Claims of different job types walk different rows of one key: the second claim of
    the queue waits for the first's commit, then counts its start."""
    svc = pg_runtime.services
    org, admin = await _setup(svc, concurrency=Concurrency.parse("payload.k", 1))
    await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, t, {"k": "a"}) for t in TYPES])
    assert await _two_claims_at_once(svc, admin, org, monkeypatch) == 1


async def test_a_claim_counts_the_rate_starts_of_the_claim_before_it(
    pg_runtime, monkeypatch
) -> None:
    svc = pg_runtime.services
    org, admin = await _setup(svc, rate_limit=RateLimit.parse("payload.k", 1, 60))
    await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, t, {"k": "a"}) for t in TYPES])
    assert await _two_claims_at_once(svc, admin, org, monkeypatch) == 1


async def _concurrent_enqueues(svc: Any, admin: Any, org: Any, rule: Any, n: int) -> list:
    async def one(i: int) -> uuid.UUID:
        spec = jobs.NewJob(org.queue.id, "t", {"k": "same", "i": i}, concurrency=rule)
        [job] = await jobs.enqueue(svc, admin, [spec])
        return job.id

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_concurrent_enqueues_cancel_newest(pg_runtime) -> None:
    svc = pg_runtime.services
    org, admin = await _setup(svc)
    rule = Concurrency.parse("payload.k", 2, ConcurrencyStrategy.CANCEL_NEWEST)
    ids = await _concurrent_enqueues(svc, admin, org, rule, 20)
    async with svc.read() as session:
        rows = list(await session.scalars(select(Job).where(Job.id.in_(ids))))
    outcome = Counter((j.status, j.status_reason) for j in rows)
    assert outcome == {
        (JobStatus.PENDING, None): 2,
        (JobStatus.CANCELLED, "concurrency_limit"): 18,
    }


async def test_concurrent_enqueues_cancel_in_progress(pg_runtime) -> None:
    svc = pg_runtime.services
    org, admin = await _setup(svc)
    rule = Concurrency.parse("payload.k", 1, ConcurrencyStrategy.CANCEL_IN_PROGRESS)
    ids = await _concurrent_enqueues(svc, admin, org, rule, 20)
    async with svc.read() as session:
        rows = list(await session.scalars(select(Job).where(Job.id.in_(ids))))
    outcome = Counter((j.status, j.status_reason) for j in rows)
    assert outcome == {
        (JobStatus.PENDING, None): 1,
        (JobStatus.CANCELLED, "concurrency_replaced"): 19,
    }
