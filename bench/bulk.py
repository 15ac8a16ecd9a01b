"""Bulk job administration on PostgreSQL: cancelJobs and then retryJobs over 100,000
matching jobs, in batches of ``bulk_batch_size``, while a worker keeps claiming from the
same queue.

    .venv/bin/python -m bench.bulk [--jobs 100000] [--batch 500]

Prints jobs/s of each bulk operation, the batches (transactions) it took, the longest
batch, and how many jobs the concurrent claimer got while the bulk ran (claims are not
held up behind one long transaction).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import asyncpg

from taskforge.config import Settings
from taskforge.domain.enums import JobStatus, Tier, WorkerType
from taskforge.runtime import Runtime
from taskforge.services import executions, job_admin, jobs, tenancy, workers
from taskforge.services.base import Principal

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_bulk"
URL = f"{DSN.rsplit('/', 1)[0]}/{DB}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def fresh_database() -> None:
    conn = await asyncpg.connect(DSN, timeout=15)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await conn.close()


async def timed_bulk(rt: Runtime, admin: Principal, op: Any, where: Any) -> dict[str, Any]:
    """Run one bulk operation with a claimer beside it; batch durations recorded."""
    svc = rt.services
    batch_fn = "_cancel_batch" if op is job_admin.cancel_many else "_retry_batch"
    original = getattr(job_admin, batch_fn)
    durations: list[float] = []

    async def traced(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            durations.append(time.perf_counter() - began)

    setattr(job_admin, batch_fn, traced)
    worker = await workers.register(
        svc, admin, f"w-{batch_fn}", WorkerType.GENERAL, [workers.QueueWeight(where.queue_id, 1)]
    )
    done = asyncio.Event()
    claimed = 0

    async def claimer() -> None:
        nonlocal claimed
        while not done.is_set():
            got = await executions.claim(svc, admin, worker.id, None, 10)
            if got:
                claimed += len(got)
                await executions.complete(svc, admin, [(c.execution_id, None) for c in got])
            await asyncio.sleep(0.02)  # a worker polling, not a hot loop

    task = asyncio.create_task(claimer())
    began = time.perf_counter()
    try:
        changed = await op(svc, admin, where)
    finally:
        elapsed = time.perf_counter() - began
        done.set()
        await task
        setattr(job_admin, batch_fn, original)
    return {
        "changed": changed,
        "seconds": round(elapsed, 2),
        "jobs_per_second": round(changed / elapsed),
        "batches": len(durations),
        "longest_batch_ms": round(max(durations) * 1000, 1),
        "claimed_meanwhile": claimed,
    }


async def main(args: argparse.Namespace) -> None:
    await fresh_database()
    settings = Settings(
        database_url=URL, secret_key="bench", bootstrap=False, bulk_batch_size=args.batch
    )
    rt = Runtime.create(settings, scheduler=False)
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bulk", "bulk@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        spec = jobs.NewJob(queue_id=org.queue.id, job_type="noop")
        began = time.perf_counter()
        for done in range(0, args.jobs, 1000):
            await jobs.enqueue(rt.services, admin, [spec] * min(1000, args.jobs - done))
        print(f"enqueued {args.jobs} jobs in {time.perf_counter() - began:.1f} s", flush=True)
        where = job_admin.JobFilter(queue_id=org.queue.id)
        cancel = await timed_bulk(rt, admin, job_admin.cancel_many, where)
        print("cancelJobs", json.dumps(cancel), flush=True)
        again = job_admin.JobFilter(
            queue_id=org.queue.id, statuses=frozenset({JobStatus.CANCELLED})
        )
        retry = await timed_bulk(rt, admin, job_admin.retry_many, again)
        print("retryJobs", json.dumps(retry), flush=True)
    finally:
        await rt.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
