"""pgqueuer as a peer of bench.throughput, on the same PostgreSQL database.

Its documented fast path: the asyncpg driver, dequeue batches of 500, two worker
processes with about 1,000 jobs in flight each (``max_concurrent_tasks``, which must
be at least twice the batch), draining the queue. Jobs are enqueued by its batch
``Queries.enqueue`` (lists of entrypoints and payloads), 1,000 a call. Completed jobs/s
comes from its own log table: the first pick to the last success, as TaskForge's is
the first start to the last finish.

    .venv/bin/python -m bench.pgqueuer_peer worker <dsn> <batch> <in-flight>

is what each worker process runs; bench.throughput starts them.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import timedelta

import asyncpg

from bench.api import ROOT

ENTRYPOINT = "noop"


async def prepare(dsn: str, n_jobs: int, per_call: int = 1000) -> float:
    """A fresh pgqueuer schema holding ``n_jobs`` no-op jobs; returns enqueue jobs/s."""
    from pgqueuer.queries import Queries

    conn = await asyncpg.connect(dsn)
    try:
        queries = Queries.from_asyncpg_connection(conn)
        if await queries.schema_is_installed():
            await queries.uninstall()
        await queries.install()
        began = time.perf_counter()
        for _ in range(n_jobs // per_call):
            await queries.enqueue([ENTRYPOINT] * per_call, [None] * per_call, [0] * per_call)
        return n_jobs / (time.perf_counter() - began)
    finally:
        await conn.close()


async def work(dsn: str, batch: int, in_flight: int) -> None:
    """One worker process: run no-op jobs until the queue is empty."""
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.qm import QueueManager
    from pgqueuer.queries import Queries
    from pgqueuer.types import QueueExecutionMode

    conn = await asyncpg.connect(dsn)
    try:
        qm = QueueManager(Queries(AsyncpgDriver(conn)))

        @qm.entrypoint(ENTRYPOINT)
        async def noop(job: object) -> None:
            return None

        await qm.run(
            batch_size=batch,
            max_concurrent_tasks=in_flight,
            mode=QueueExecutionMode.drain,
            dequeue_timeout=timedelta(seconds=1),
        )
    finally:
        await conn.close()


async def measure(dsn: str, n_jobs: int, batch: int, in_flight: int, processes: int) -> dict:
    enqueue_rate = await prepare(dsn, n_jobs)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.pgqueuer_peer",
                "worker",
                dsn,
                str(batch),
                str(in_flight),
            ],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    failed = []
    for w in workers:
        _, err = await asyncio.to_thread(w.communicate, timeout=600)
        if w.returncode != 0:
            failed.append(err.decode(errors="replace").strip().splitlines()[-1:])
    if failed:
        raise RuntimeError(f"a pgqueuer worker failed: {failed}")
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT min(created) FILTER (WHERE status = 'picked') AS first, "
            "max(created) FILTER (WHERE status = 'successful') AS last, "
            "count(*) FILTER (WHERE status = 'successful') AS done FROM pgqueuer_log"
        )
    finally:
        await conn.close()
    if row["done"] != n_jobs:
        raise RuntimeError(f"pgqueuer completed {row['done']} of {n_jobs} jobs")
    return {
        "enqueue jobs/s": enqueue_rate,
        "completed jobs/s": n_jobs / (row["last"] - row["first"]).total_seconds(),
    }


if __name__ == "__main__":
    if sys.argv[1:2] != ["worker"]:
        sys.exit(__doc__)
    asyncio.run(work(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
