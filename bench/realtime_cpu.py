"""Server CPU per delivered subscription message, away from the noise of a loaded
machine: recorded events replayed into one `taskforge serve` through Redis.

    .venv/bin/python -m bench.realtime_cpu [--subscribers 500] [--workflows 100]
        [--changes 6000] [--rate 500] [--batch 6] [--rounds 1]

Setup: a fresh database (its own name) with one organization and ``--workflows``
started workflows (bench.realtime's ``prepare``); an in-process driver then claims and
completes jobs in batches of ``--batch`` until ``--changes`` status changes are stored
and stamped. Those rows are read back and encoded as the relay publishes them.

Measured: one server with ``--subscribers`` workflowProgress subscriptions (spread
evenly over the workflows) and one firehose (jobStatusChanged), all in this process.
The rows are published on the events channel, renumbered to follow the server's
position (its tail dispatches a row that comes next without reading the table), paced
at ``--rate`` events/s, until every subscriber has all of its events. The server's CPU
time (from /proc) over that replay, less its idle rate over as long before it, divided
by the messages delivered, is the figure; each round replays the same rows again.
What the server does per message is the same as under bench.realtime (tail, filters,
GraphQL, WebSocket writes); the relay's stamping and the driver are left out."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis

import bench.realtime as rb
from taskforge.config import Settings
from taskforge.domain.enums import WorkerType
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.common import outbox
from taskforge.realtime.broker import events_channel
from taskforge.realtime.relay import encode
from taskforge.runtime import Runtime
from taskforge.services import executions, workers
from taskforge.services.base import Principal
from taskforge.services.workers import QueueWeight

# bench.realtime's setup, on a database of this bench's own
rb.DB = "taskforge_realtime_cpu_bench"
rb.PG = f"{rb.DSN.rsplit('/', 1)[0]}/{rb.DB}"
rb.URL = rb.PG.replace("postgresql://", "postgresql+asyncpg://", 1)


async def record(setup: dict[str, Any], changes: int, batch: int) -> list[tuple[int, int, str]]:
    """Claims and completions through the services until ``changes`` are stored; the
    stamped rows after setup's, as (seq, span, broker message)."""
    conn = await asyncpg.connect(rb.PG)
    first = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM events")
    await conn.close()
    rt = Runtime.create(Settings(database_url=rb.URL, secret_key=rb.SECRET, bootstrap=False))
    await rt.start(engines=False)
    admin = Principal(uuid.UUID(setup["org"]), frozenset({ADMIN}))
    made = 0
    for n, queue in enumerate(setup["queues"]):
        worker = await workers.register(
            rt.services, admin, f"rec-{n}", WorkerType.GENERAL, [QueueWeight(uuid.UUID(queue), 1)]
        )
        while made < changes * (n + 1) // len(setup["queues"]):
            claimed = await executions.claim(rt.services, admin, worker.id, None, batch)
            if not claimed:
                break
            await executions.complete(rt.services, admin, [(c.execution_id, None) for c in claimed])
            made += 2 * len(claimed)
    while True:
        async with rt.db.read() as session:
            if not await outbox.has_unstamped(session):
                break
        await asyncio.sleep(0.1)
    await rt.stop()
    conn = await asyncpg.connect(rb.PG)
    try:
        rows = await conn.fetch(
            "SELECT seq, span, organization_id, topic, type, payload::text AS payload,"
            " created_at FROM events WHERE seq > $1 ORDER BY seq",
            first,
        )
    finally:
        await conn.close()
    return [(r["seq"], r["span"], encode(SimpleNamespace(**dict(r)))) for r in rows]  # type: ignore[arg-type]


def renumbered(rows: list[tuple[int, int, str]], after: int) -> list[str]:
    """The messages with ``seq`` moved to follow ``after`` (spans kept: dense)."""
    shift = after + 1 - rows[0][0]
    out = []
    for seq, _, message in rows:
        head = f'{{"seq":{seq},'
        assert message.startswith(head)
        out.append(f'{{"seq":{seq + shift},' + message[len(head) :])
    return out


async def replay(args: argparse.Namespace, setup: dict[str, Any], server: rb.Server) -> None:
    rows = await record(setup, args.changes, args.batch)
    events = sum(span for _, span, _ in rows)
    key = f"Bearer {setup['key']}"
    flows = setup["workflows"]
    subs = [rb.Sub(0, flows[i % len(flows)]) for i in range(args.subscribers)]
    subs.append(rb.Sub(0, None))
    gate = asyncio.Semaphore(50)

    async def opened(sub: rb.Sub) -> None:
        async with gate:
            await rb.open_sub(sub, server.base, key, None)

    await asyncio.gather(*(opened(s) for s in subs))
    readers = [asyncio.create_task(rb.read(s)) for s in subs]
    async with httpx.AsyncClient(timeout=30) as http:
        while await rb.subscriptions_on(http, server.base) < len(subs):
            await asyncio.sleep(0.2)
    conn = await asyncpg.connect(rb.PG)
    stream = await conn.fetchval("SELECT stream_id FROM outbox_cursor WHERE id = 1")
    position = await conn.fetchval("SELECT coalesce(max(seq + span - 1), 0) FROM events")
    await conn.close()
    client = aioredis.from_url(args.redis_url)
    channel = events_channel(stream)
    pid = server.proc.pid
    results = []
    for _ in range(args.rounds):
        messages = renumbered(rows, position)
        position += events
        seconds = events / args.rate
        await asyncio.sleep(1)
        idle0 = rb.cpu_seconds(pid)
        await asyncio.sleep(seconds)
        idle = (rb.cpu_seconds(pid) - idle0) / seconds
        conn = await asyncpg.connect(rb.PG)
        top = await conn.fetchval("SELECT coalesce(max(seq + span - 1), 0) FROM events")
        await conn.close()
        assert top == position - events, f"events were stamped meanwhile: {top}"
        before = sum(len(s.got) for s in subs)
        cpu0, began = rb.cpu_seconds(pid), time.monotonic()
        for k, message in enumerate(messages):
            due = began + sum(r[1] for r in rows[:k]) / args.rate if k % 50 == 0 else None
            if due is not None and (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            await client.publish(channel, message)
        last, quiet = -1, time.monotonic()
        while time.monotonic() - quiet < 2:
            total = sum(len(s.got) for s in subs)
            if total != last:
                last, quiet = total, time.monotonic()
            await asyncio.sleep(0.1)
        took = quiet - began
        used = rb.cpu_seconds(pid) - cpu0 - idle * (time.monotonic() - began)
        delivered = last - before
        assert delivered > 0, "nothing was delivered"
        results.append(
            {
                "events": events,
                "delivered": delivered,
                "seconds": round(took, 1),
                "idle CPU %": round(idle * 100, 2),
                "server CPU µs per delivery": round(used / delivered * 1e6, 1),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    await client.aclose()
    for s in subs:
        await s.conn.close()
    await asyncio.gather(*readers)
    per = sorted(r["server CPU µs per delivery"] for r in results)
    print(f"server CPU per delivered message: median {per[len(per) // 2]} µs of {per}")
    print(f"load average {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--workflows", type=int, default=100)
    parser.add_argument("--changes", type=int, default=6000)
    parser.add_argument("--rate", type=int, default=500, help="events per second")
    parser.add_argument("--batch", type=int, default=6, help="jobs per claim")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rb.raise_fd_limit(4 * args.subscribers + 1024)
    with rb.private_redis() as url:
        args.redis_url = url
        lanes = 4
        per = args.changes // 2 // args.workflows + 10
        setup = asyncio.run(rb.prepare(args.workflows, per, lanes))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
        env |= {
            "TASKFORGE_DATABASE_URL": rb.URL,
            "TASKFORGE_REDIS_URL": url,
            "TASKFORGE_SECRET_KEY": rb.SECRET,
            "TASKFORGE_BOOTSTRAP": "false",
            # the recording's workers stop beating once it ends: their going offline
            # would take the seqs the replay gives its rows
            "TASKFORGE_HEARTBEAT_TIMEOUT_SECONDS": "86400",
        }
        try:
            with rb.servers(1, env) as procs:
                asyncio.run(replay(args, setup, procs[0]))
        finally:
            asyncio.run(rb.drop_database())


if __name__ == "__main__":
    main()
