"""Retention on PostgreSQL: the deletion rate of expired jobs (with an execution and a log
each) and the claim rate of a concurrent claimer with and without retention running,
in one run.

    .venv/bin/python -m bench.retention [--jobs 100000] [--seconds 30] [--claim 50]

A fresh database (taskforge_retention), services in this process (no HTTP: what is
measured is the database work). Set-up, off the clock: --jobs finished jobs in one
queue, finished 40 days ago (past the default 30-day retention), each with one
SUCCEEDED execution and one log line, plus enough PENDING jobs in a second queue for
the claimer never to run dry; VACUUM (ANALYZE) after it and between the phases, as
bench/dag.py does (this machine's server runs without autovacuum).

1. claimer alone for --seconds: claimJobs(--claim) then completeJobs of what it got, in
   a loop; claims per second;
2. the same claimer while the retention engine's sweep deletes every expired job in
   its bounded batches (TASKFORGE_RETENTION_BATCH, 1,000); the claim rate measured
   over the sweep, and the deletion rate (jobs / sweep seconds).

Targets: deletion >= 2,000 jobs/s; claims slowed by at most 20%.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg
from sqlalchemy import func, select

from bench.throughput import DSN
from taskforge.config import Settings
from taskforge.domain.enums import Tier, WorkerType
from taskforge.persistence.tables import ExecutionLog, Job, JobExecution
from taskforge.runtime import Runtime
from taskforge.services import executions, queues, retention, tenancy, workers
from taskforge.services.base import Principal

DB = "taskforge_retention"
PG = f"{DSN.rsplit('/', 1)[0]}/{DB}"
URL = PG.replace("postgresql://", "postgresql+asyncpg://", 1)
DELETE_TARGET, SLOWDOWN_TARGET = 2000.0, 0.20

SEED = """
WITH j AS (
    INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload, status,
        dependency_status, priority, attempts, created_at, updated_at, started_at, finished_at)
    SELECT gen_random_uuid(), $1, $2, $3, 'old', '{}'::jsonb, 'SUCCEEDED', 'NONE', 5, 1,
        now() - interval '41 days', now() - interval '40 days', now() - interval '40 days',
        now() - interval '40 days' + (i || ' ms')::interval
    FROM generate_series(1, $4) AS i
    RETURNING id
), e AS (
    INSERT INTO job_executions (id, organization_id, job_id, status, attempt_number,
        started_at, finished_at, created_at)
    SELECT gen_random_uuid(), $1, j.id, 'SUCCEEDED', 1, now() - interval '40 days',
        now() - interval '40 days', now() - interval '40 days'
    FROM j RETURNING id
)
INSERT INTO execution_logs (execution_id, level, message, metadata, logged_at)
SELECT e.id, 'INFO', 'done', '{}'::jsonb, now() - interval '40 days' FROM e
"""

PENDING = """
INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload, status,
    dependency_status, priority, attempts, created_at, updated_at)
SELECT gen_random_uuid(), $1, $2, $3, 'new', '{}'::jsonb, 'PENDING', 'NONE', 5, 0,
    now() + (i || ' us')::interval, now()
FROM generate_series(1, $4) AS i
"""


async def claimer(
    svc, principal, worker_id, size: int, stop: asyncio.Event, counter: list[int] | None = None
) -> int:
    """Claim and complete until stopped; ``counter[0]`` follows the jobs claimed."""
    counter = counter if counter is not None else [0]
    while not stop.is_set():
        got = await executions.claim(svc, principal, worker_id, None, size)
        if got:
            await executions.complete(svc, principal, [(c.execution_id, None) for c in got])
        counter[0] += len(got)
    return counter[0]


async def timed_claims(svc, principal, worker_id, size: int, seconds: float) -> float:
    stop = asyncio.Event()
    task = asyncio.create_task(claimer(svc, principal, worker_id, size, stop))
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    stop.set()
    n = await task
    return n / (time.perf_counter() - started)


async def vacuum() -> None:
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    rt = Runtime.create(
        Settings(database_url=URL, secret_key="bench", bootstrap=False, db_pool_size=4)
    )
    await rt.start(migrate=True, engines=False)
    try:
        svc = rt.services
        org = await tenancy.create_organization(
            svc, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        hot = await queues.create_queue(svc, admin, org.project.id, "hot")
        worker = await workers.register(
            svc, admin, "claimer", WorkerType.GENERAL, [workers.QueueWeight(hot.id)]
        )
        pending = int(args.seconds * 2 * 20_000) + 10_000  # never runs dry
        seed = await asyncpg.connect(PG)
        try:
            t0 = time.perf_counter()
            await seed.execute(SEED, org.organization.id, org.project.id, org.queue.id, args.jobs)
            await seed.execute(PENDING, org.organization.id, org.project.id, hot.id, pending)
            print(
                f"seeded {args.jobs} expired jobs and {pending} pending in "
                f"{time.perf_counter() - t0:.1f}s"
            )
        finally:
            await seed.close()
        await vacuum()

        alone = await timed_claims(svc, admin, worker.id, args.claim, args.seconds)
        print(f"claims alone:           {alone:8.0f} jobs/s")
        await vacuum()

        stop, counter = asyncio.Event(), [0]
        task = asyncio.create_task(claimer(svc, admin, worker.id, args.claim, stop, counter))
        await asyncio.sleep(0.5)  # the claimer is in its stride
        started, claimed_before = time.perf_counter(), counter[0]
        deleted, _ = await retention.sweep(svc)
        elapsed = time.perf_counter() - started
        during = (counter[0] - claimed_before) / elapsed  # claims over the sweep only
        stop.set()
        await task
        rate = deleted / elapsed
        slowdown = 1 - during / alone if alone else 0.0
        async with rt.db.read() as session:
            left = [
                await session.scalar(select(func.count()).select_from(m))
                for m in (Job, JobExecution, ExecutionLog)
            ]
        print(
            f"retention deleted {deleted} jobs in {elapsed:.1f}s: {rate:8.0f} jobs/s "
            f"(target >= {DELETE_TARGET:.0f})"
        )
        print(
            f"claims during retention: {during:8.0f} jobs/s, slowdown {slowdown:.1%} "
            f"(target <= {SLOWDOWN_TARGET:.0%})"
        )
        print(f"left: {left[0]} jobs, {left[1]} executions, {left[2]} logs (claimed ones)")
    finally:
        await rt.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    # about as long as the sweep: without autovacuum the claimer's own dead rows slow it
    # over time, so a shorter baseline would credit that to retention
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--claim", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
