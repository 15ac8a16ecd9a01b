"""Flow control on PostgreSQL, a real server and real worker processes (as bench.throughput).

    .venv/bin/python -m bench.flow --only concurrency [--jobs 10000] [--keys 1000] [--pairs 2]

concurrency: completed jobs/s of no-op jobs spread over ``--keys`` concurrency-key values
(``max: 1``, the queue's rule) against the same jobs in a queue without rules, in one run,
in interleaved pairs (plain, keyed, keyed, plain, ...: the machine's drift hits both
alike); prints both (medians) and the ratio (target: keyed >= 0.7x plain), and the most
jobs of one key seen running at once (polled while the workers run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import asyncpg
import httpx

from bench.api import free_port, server
from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.domain.flow import Concurrency
from taskforge.runtime import Runtime
from taskforge.services import queues, tenancy
from taskforge.services.base import Principal

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = os.environ.get("TASKFORGE_BENCH_FLOW_DB", "taskforge_flow")
PG = f"{DSN.rsplit('/', 1)[0]}/{DB}"
URL = PG.replace("postgresql://", "postgresql+asyncpg://", 1)

ENQUEUE_BATCH = (
    'mutation($q: ID!, $p: [JSON!]!) { enqueueJobBatch(queueId: $q, jobType: "noop", '
    "payloads: $p) { ids } }"
)

# the most jobs of one key running at once, in a committed snapshot (by the keyed
# running index). Polled while the workers run: the jobs' own timestamps cannot tell,
# since a claim's start time is read before it waits for the queue's claim lock, so a
# job may show a start before the end of the job it followed.
MOST_RUNNING = """
SELECT coalesce(max(n), 0) FROM (
    SELECT count(*) AS n FROM jobs
    WHERE queue_id = $1 AND status = 'PROCESSING' AND concurrency_key IS NOT NULL
    GROUP BY concurrency_key
) AS r
"""


async def fresh_database(keys_rule: Concurrency) -> tuple[str, dict[str, str]]:
    """A new database with one organization and two queues: ``plain`` (no rules) and
    ``keyed`` (the concurrency rule); returns its API key and the queues' ids."""
    conn = await asyncpg.connect(DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    rt = Runtime.create(Settings(database_url=URL, secret_key="bench", bootstrap=False))
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        made = {}
        for name, settings in (("plain", None), ("keyed", {"concurrency": keys_rule})):
            queue = await queues.create_queue(
                rt.services, admin, org.project.id, name, settings=settings
            )
            made[name] = str(queue.id)
        return org.api_key.secret, made
    finally:
        await rt.stop()


async def _enqueue(http: httpx.AsyncClient, queue: str, payloads: list[dict]) -> list[str]:
    resp = await http.post(
        "/graphql", json={"query": ENQUEUE_BATCH, "variables": {"q": queue, "p": payloads}}
    )
    body = resp.json()
    assert "errors" not in body, body
    ids: list[str] = body["data"]["enqueueJobBatch"]["ids"]
    return ids


async def _run(
    http: httpx.AsyncClient,
    env: dict[str, str],
    port: int,
    queue: tuple[str, str],
    n_jobs: int,
    keys: int,
    workers: int,
    concurrency: int,
    batch: int,
) -> dict[str, float]:
    """Enqueue the jobs into the queue, run workers on it until they are done."""
    name, queue_id = queue
    ids: list[str] = []
    for start in range(0, n_jobs, 1000):
        payloads = [{"k": i % keys} for i in range(start, min(n_jobs, start + 1000))]
        ids += await _enqueue(http, queue_id, payloads)
    cmd = [sys.executable, "-m", "taskforge.cli", "worker", "--url", f"http://127.0.0.1:{port}"]
    cmd += ["--queue", name, "--concurrency", str(concurrency), "--batch", str(batch)]
    pool = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    conn = await asyncpg.connect(PG)
    most = 0
    try:
        while await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE queue_id = $1 "
            "AND status IN ('PENDING', 'SCHEDULED', 'PROCESSING'))",
            queue_id,
        ):
            most = max(most, await conn.fetchval(MOST_RUNNING, queue_id))
            await asyncio.sleep(0.05)
        first, last = await conn.fetchrow(
            "SELECT min(started_at), max(finished_at) FROM jobs WHERE id = ANY($1::uuid[])", ids
        )
    finally:
        await conn.close()
        for w in pool:
            w.send_signal(signal.SIGTERM)
        for w in pool:
            w.wait(30)
    return {"completed jobs/s": n_jobs / (last - first).total_seconds(), "most running": most}


async def concurrency_keys(
    n_jobs: int, keys: int, pairs: int, workers: int, concurrency: int, batch: int
) -> dict[str, Any]:
    """Completed jobs/s with ``keys`` concurrency-key values (max 1) and without keys."""
    key, made = await fresh_database(Concurrency.parse("payload.k", 1))
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "TASKFORGE_API_KEY": key,
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    port = free_port()
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "keyed": []}
    cmd = [sys.executable, "-m", "taskforge.cli", "serve", "--port", str(port)]
    with server([*cmd, "--log-level", "warning"], env, port):
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=120,
            headers={"Authorization": f"Bearer {key}"},
        ) as http:
            for i in range(pairs):
                for name in ("plain", "keyed") if i % 2 == 0 else ("keyed", "plain"):
                    began = time.perf_counter()
                    figures = await _run(
                        http,
                        env,
                        port,
                        (name, made[name]),
                        n_jobs,
                        keys,
                        workers,
                        concurrency,
                        batch,
                    )
                    took = time.perf_counter() - began
                    print(f"  pair {i + 1}, {name}: {figures} ({took:.1f} s)", flush=True)
                    runs[name].append(figures)
    return runs


def median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def report_concurrency(args: argparse.Namespace) -> None:
    print(
        f"concurrency keys: {args.jobs} no-op jobs per run, {args.keys} key values (max 1) "
        f"against no keys; {args.workers} worker process(es) over the channel, --concurrency "
        f"{args.concurrency} --batch {args.batch}; {args.pairs} interleaved pairs; "
        f"{os.cpu_count()} cores shared by server, workers and database",
        flush=True,
    )
    runs = asyncio.run(
        concurrency_keys(
            args.jobs, args.keys, args.pairs, args.workers, args.concurrency, args.batch
        )
    )
    plain = median([r["completed jobs/s"] for r in runs["plain"]])
    keyed = median([r["completed jobs/s"] for r in runs["keyed"]])
    each = {k: [round(r["completed jobs/s"]) for r in v] for k, v in runs.items()}
    print(f"completed jobs/s without keys (median): {plain:.0f}   each run: {each['plain']}")
    print(f"completed jobs/s with {args.keys} keys (median): {keyed:.0f}   each: {each['keyed']}")
    print(f"ratio keyed / plain: {keyed / plain:.2f} (target >= 0.70)")
    most = max(int(r["most running"]) for r in runs["keyed"])
    print(f"the most jobs of one key seen running at once (max 1): {most}")
    print(json.dumps(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("concurrency",), default="concurrency")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    # as bench.throughput: a deep worker keeps a claim of 500 in flight
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    if args.only == "concurrency":
        report_concurrency(args)


if __name__ == "__main__":
    main()
