"""Oban for Python as a peer of bench.throughput, run by its own interpreter.

Oban needs Python >= 3.12, so bench.throughput runs this script from a separate venv
(bench/.oban-venv) and reads the JSON object it prints last:

    bench/.oban-venv/bin/python bench/oban_peer.py <dsn> <jobs> [--limit 1000] [--processes 2]

A fresh Oban schema (uninstalled, then installed) gets ``jobs`` no-op jobs through
``enqueue_many`` (1,000 a call); then ``processes`` worker processes, each running the
queue with ``limit`` jobs at once (Oban's per-node concurrency), drain it. Completed
jobs/s is the first attempt to the last completion, from Oban's own job rows.

It imports nothing of TaskForge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from oban import Oban, worker
from oban.schema import install, uninstall

QUEUE = "default"


@worker(queue=QUEUE)
class Noop:
    async def process(self, job: Any) -> None:
        return None


async def pool_for(dsn: str, size: int) -> Any:
    return await Oban.create_pool(dsn, min_size=1, max_size=size)


async def prepare(dsn: str, n_jobs: int, per_call: int = 1000) -> float:
    pool = await pool_for(dsn, 2)
    try:
        await uninstall(pool)
        await install(pool)
        client = Oban(pool=pool)  # no queues: it only enqueues
        began = time.perf_counter()
        for _ in range(n_jobs // per_call):
            await client.enqueue_many([Noop.new({}) for _ in range(per_call)])
        return n_jobs / (time.perf_counter() - began)
    finally:
        await pool.close()


async def remaining(pool: Any) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM oban_jobs WHERE state IN ('available', 'executing')"
        )
        row = await cur.fetchone()
        return int(row[0])


async def work(dsn: str, limit: int) -> None:
    """One node: run the queue until nothing is left to run."""
    pool = await pool_for(dsn, 10)
    try:
        async with Oban(pool=pool, queues={QUEUE: limit}):
            while await remaining(pool):
                await asyncio.sleep(0.2)
    finally:
        await pool.close()


async def measure(dsn: str, n_jobs: int, limit: int, processes: int) -> dict[str, float]:
    enqueue_rate = await prepare(dsn, n_jobs)
    nodes = [
        subprocess.Popen(
            [sys.executable, __file__, dsn, str(n_jobs), "--work", "--limit", str(limit)],
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    for node in nodes:
        _, err = await asyncio.to_thread(node.communicate, timeout=600)
        if node.returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"an Oban node failed: {last}")
    pool = await pool_for(dsn, 1)
    try:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT min(attempted_at), max(completed_at), count(*) FILTER "
                "(WHERE state = 'completed') FROM oban_jobs"
            )
            first, last, done = await cur.fetchone()  # type: ignore[misc]
    finally:
        await pool.close()
    if done != n_jobs:
        raise RuntimeError(f"Oban completed {done} of {n_jobs} jobs")
    return {
        "enqueue jobs/s": enqueue_rate,
        "completed jobs/s": n_jobs / (last - first).total_seconds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("jobs", type=int)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--work", action="store_true", help="run as one worker node")
    args = parser.parse_args()
    if args.work:
        asyncio.run(work(args.dsn, args.limit))
    else:
        print(json.dumps(asyncio.run(measure(args.dsn, args.jobs, args.limit, args.processes))))


if __name__ == "__main__":
    main()
