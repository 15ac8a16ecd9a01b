"""Live subscriptions at scale on PostgreSQL + Redis: commit -> client latency, loss,
duplicates and server memory per idle subscriber, with 2 `taskforge serve` processes.

    .venv/bin/python -m bench.realtime [--subscribers 1000] [--workflows 100]
        [--rate 500] [--seconds 60] [--servers 2]

Setup (in-process, before the servers start): a fresh database with one organization
and ``--workflows`` started workflows of independent jobs (enough for the run plus a
margin, so that no workflow finishes during it). The jobs' ``created_at`` is then
jittered by up to 10 s so that claims, taken in (priority, created_at) order, interleave
all workflows instead of emptying them one after the other.

Subscribers: ``--subscribers`` WebSocket connections (graphql-transport-ws, one
subscription each) in this one asyncio process, each on ``workflowProgress`` of one
workflow (subscribers/workflows per workflow, split evenly over the servers), plus one
firehose connection on the tenant's every ``jobStatusChanged``. The client offers
permessage-deflate like browsers do (``--no-compression`` to turn it off).

Driver: a separate process (so that neither it nor the clients steal the other's event
loop) with its own Runtime on the same database and Redis, driving job transitions
through the services like workers would: ``--lanes`` (4) registered workers, out of
phase, each on its own queue (workflow i's jobs are on queue i % lanes, so that lanes
never wait for each other's locks on the workflow rows a completion takes); every
``--tick`` (0.1 s) each completes the jobs it claimed the tick before (PROCESSING ->
SUCCEEDED) and claims as many new ones (PENDING -> PROCESSING): together ``--rate``
changes per second in batches of about 6, 80 transactions/s. In-process services rather
than the API keep the driver off the critical path (no HTTP, GraphQL or auth per call),
and lanes because one claim + complete of 25 workflow jobs takes about as long as a tick
on this machine (the completion re-derives each workflow touched). A lane that falls
behind catches up without pausing; the achieved rate is printed. A batch's commit time
is the moment its service call returned, taken with time.time() and keyed by (job id,
status); clients stamp each message with time.time() on receipt (same machine clock).
The driver's relay is notified by its own commits, so it usually stamps and publishes
them (any replica's relay may).

Measured: commit -> client latency of every delivered change (p50/p95/p99/max; target
p99 < 50 ms, and no climb of the p50 across the 10 s windows); lost deliveries (each
committed change must reach the subscribers of its workflow and the firehose; target 0;
counted after a drain that ends when all arrived or nothing arrived for 30 s);
duplicates (the same event id twice, or the same change again under another event id;
target 0); server RSS per idle subscriber (RSS of the servers, warmed with a few
subscriptions, before and after connecting the subscribers, idle, over the count; target
< 50 KB); and, first, the raw Redis pub/sub publish -> receive latency with
redis.asyncio at the same rate as the baseline. Diagnostics: commit -> published (a tap
on the events channel), the servers' CPU, the client's loop lag, delivery share and
latency by 10 s window of commit time, the servers' and the client's CPU time per
delivered message (load-independent, unlike the latencies), close codes and
subscription errors, and the gaps in the events' stamped ``seq`` (a gap stalls every
event tail). Redis is a private redis-server on a free port unless ``--redis-url`` is
given (the events channel is named by the database, so a shared Redis is safe, but its
other traffic would add noise)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis
import redis.asyncio as aioredis
import websockets
from websockets.asyncio.client import connect

from bench.api import free_port, rss_mb
from bench.throughput import pct, peak_rss_mb
from taskforge.config import Settings
from taskforge.domain.enums import Tier, WorkerType
from taskforge.domain.events import expand
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.common import outbox
from taskforge.realtime.broker import events_channel
from taskforge.runtime import Runtime
from taskforge.services import executions, queues, tenancy, workers, workflows
from taskforge.services.base import Principal
from taskforge.services.workers import QueueWeight

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_realtime_bench"
PG = f"{DSN.rsplit('/', 1)[0]}/{DB}"
URL = PG.replace("postgresql://", "postgresql+asyncpg://", 1)
ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-realtime-secret-0123456789abcdef0123456789"
LOGS = Path(tempfile.gettempdir()) / "taskforge_bench_realtime"
CLK_TCK = os.sysconf("SC_CLK_TCK")

PROGRESS = (
    "subscription($id: ID!) { workflowProgress(workflowId: $id) { eventId jobId jobStatus } }"
)
FIREHOSE = "subscription { jobStatusChanged { eventId jobId status } }"


# --- processes: Redis, servers ------------------------------------------------------


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                break
            time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Server:
    def __init__(self, index: int, env: dict[str, str]) -> None:
        self.index, self.port = index, free_port()
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / f"server-{index}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "taskforge.cli", "serve"),
                    *("--port", str(self.port), "--log-level", "warning"),
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.base = f"127.0.0.1:{self.port}"
        self.exit: str = "running"

    def wait_ready(self) -> None:
        for _ in range(600):
            assert self.proc.poll() is None, self.log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{self.base}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"server {self.index} not ready: {self.log.read_text()}")

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        try:
            code = self.proc.wait(timeout)
            self.exit = f"exited ({code}) {time.monotonic() - began:.1f} s after SIGTERM"
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit = f"still running {timeout:.0f} s after SIGTERM: killed"

    def log_summary(self) -> dict[str, int]:
        text = self.log.read_text(errors="replace")
        return {
            "lines": len(text.splitlines()),
            "tracebacks": text.count("Traceback"),
            "errors": len(re.findall(r"^ERROR", text, re.M)),
            "slow consumers": text.count("slow consumer"),
        }


@contextlib.contextmanager
def servers(n: int, env: dict[str, str]) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for k in range(n):
            started.append(Server(k, env))
        for s in started:
            s.wait_ready()
        yield started
    finally:
        for s in started:
            s.stop()


# --- database setup ------------------------------------------------------------------


async def prepare(n_workflows: int, jobs_per_workflow: int, lanes: int) -> dict[str, Any]:
    """Fresh database: one organization, ``lanes`` queues, ``n_workflows`` started
    workflows of independent jobs (workflow i on queue i % lanes), claim order jittered
    across workflows, every setup event stamped."""
    conn = await asyncpg.connect(DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    rt = Runtime.create(Settings(database_url=URL, secret_key=SECRET, bootstrap=False))
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({ADMIN}))
        lane_queues = [
            await queues.create_queue(rt.services, admin, org.project.id, f"lane-{n}")
            for n in range(lanes)
        ]
        flows = []
        for i in range(n_workflows):
            jobs = [
                {"name": f"j{k}", "job_type": "bench", "queue": f"lane-{i % lanes}"}
                for k in range(jobs_per_workflow)
            ]
            definition = {"name": f"wf-{i}", "jobs": jobs}
            wf = await workflows.create(rt.services, admin, org.project.id, definition, True)
            flows.append(str(wf.id))
        conn = await asyncpg.connect(PG)
        try:
            await conn.execute(
                "UPDATE jobs SET created_at = created_at + random() * interval '10 seconds'"
            )
            await conn.execute("VACUUM ANALYZE jobs")
            rows = await conn.fetch("SELECT id, workflow_id FROM jobs")
        finally:
            await conn.close()
        while True:  # the relay stamps the setup's events before the servers start
            async with rt.db.read() as session:
                if not await outbox.has_unstamped(session):
                    break
            await asyncio.sleep(0.1)
        return {
            "key": org.api_key.secret,
            "org": str(org.organization.id),
            "queues": [str(q.id) for q in lane_queues],
            "workflows": flows,
            "workflow_of": {str(r["id"]): str(r["workflow_id"]) for r in rows},
        }
    finally:
        await rt.stop()


async def drop_database() -> None:
    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    finally:
        await conn.close()


# --- raw Redis pub/sub baseline --------------------------------------------------------


async def redis_baseline(url: str, rate: int, seconds: float) -> dict[str, float]:
    """publish -> receive latency of bare redis.asyncio pub/sub, paced at ``rate``/s."""
    channel = f"bench:baseline:{uuid.uuid4().hex}"
    pub, sub = aioredis.from_url(url), aioredis.from_url(url)
    pubsub = sub.pubsub()
    await pubsub.subscribe(channel)
    latencies: list[float] = []

    async def read() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                latencies.append(time.perf_counter() - float(message["data"]))

    reader = asyncio.create_task(read())
    total = int(rate * seconds)
    began = time.perf_counter()
    for k in range(total):
        delay = began + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await pub.publish(channel, repr(time.perf_counter()))
    await asyncio.sleep(0.5)
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await sub.aclose()
    await pub.aclose()
    ms = [x * 1000 for x in latencies]
    return {
        "sent": total,
        "received": len(ms),
        "p50 ms": pct(ms, 0.5),
        "p95 ms": pct(ms, 0.95),
        "p99 ms": pct(ms, 0.99),
        "max ms": max(ms),
    }


# --- the driver (its own process) ------------------------------------------------------


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """``lanes`` workers, each every ``tick`` (lanes out of phase): complete what it
    claimed the tick before, claim as many new jobs; together ``rate`` changes/s."""
    lanes = spec["lanes"]
    settings = Settings(
        database_url=URL,
        redis_url=spec["redis"],
        secret_key=SECRET,
        bootstrap=False,
        db_pool_size=lanes + 4,
    )
    rt = Runtime.create(settings)
    await rt.start(engines=False)
    admin = Principal(uuid.UUID(spec["org"]), frozenset({ADMIN}))
    tick, seconds = spec["tick"], spec["seconds"]
    base, extra = divmod(round(spec["rate"] * tick / 2), lanes)  # claims per tick, split
    records: list[tuple[str, str, float]] = []
    failed = 0
    lag: list[float] = []
    took: list[float] = []  # each transaction's duration
    took_at: list[float] = []  # when each ended (monotonic)

    async def lane(n: int, began: float) -> None:
        nonlocal failed
        queue = [QueueWeight(uuid.UUID(spec["queues"][n]), 1)]
        worker = await workers.register(rt.services, admin, f"bench-{n}", WorkerType.GENERAL, queue)
        claimed: list[executions.Claimed] = []
        per_tick = base + (n < extra)
        ticks = round(seconds / tick)
        for k in range(ticks + 1):
            delay = began + (k + n / lanes) * tick - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lag.append(max(0.0, -delay))
            if claimed:
                t = time.perf_counter()
                acks = await executions.complete(
                    rt.services, admin, [(c.execution_id, None) for c in claimed]
                )
                now = time.time()
                took.append(time.perf_counter() - t)
                took_at.append(time.monotonic())
                records.extend((str(a.job_id), "SUCCEEDED", now) for a in acks if not a.error)
                failed += sum(a.error is not None for a in acks)
            if k == ticks:  # the last tick only completes
                break
            t = time.perf_counter()
            claimed = (
                await executions.claim(rt.services, admin, worker.id, None, per_tick)
                if per_tick
                else []
            )
            now = time.time()
            took.append(time.perf_counter() - t)
            took_at.append(time.monotonic())
            records.extend((str(c.job.id), "PROCESSING", now) for c in claimed)

    began = time.monotonic() + 0.5
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(lane(n, began) for n in range(lanes)))
    elapsed = time.monotonic() - began
    took_by_window: dict[int, list[float]] = defaultdict(list)
    for x, at in zip(took, took_at, strict=True):
        took_by_window[int((at - began) // 10)].append(x)
    used = resource.getrusage(resource.RUSAGE_SELF)
    busy = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    await rt.stop()
    return {
        "records": records,
        "elapsed": elapsed,
        "lanes": lanes,
        "CPU %": busy / elapsed * 100,
        "failed acks": failed,
        "tick lag p99 ms": pct(lag, 0.99) * 1000,
        "tick lag max ms": max(lag) * 1000,
        "transaction p50 ms": pct(took, 0.5) * 1000,
        "transaction p99 ms": pct(took, 0.99) * 1000,
        "transaction max ms": max(took) * 1000,
        # the claims slow down as the jobs they passed pile up as dead index entries
        "transaction p50 ms by 10 s window": [
            round(pct(v, 0.5) * 1000, 1) for _, v in sorted(took_by_window.items())
        ],
    }


# --- the clients ----------------------------------------------------------------------


class Sub:
    __slots__ = ("closed", "conn", "got", "server", "workflow")

    def __init__(self, server: int, workflow: str | None) -> None:
        self.server, self.workflow = server, workflow
        self.conn: Any = None
        self.got: list[tuple[float, str]] = []
        self.closed: tuple[int | None, str] | None = None


async def open_sub(sub: Sub, base: str, key: str, compression: str | None) -> None:
    conn = await connect(
        f"ws://{base}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        compression=compression,
        ping_interval=None,  # the server pings; answering is automatic
        open_timeout=60,
        max_queue=None,
    )
    await conn.send(json.dumps({"type": "connection_init", "payload": {"Authorization": key}}))
    ack = json.loads(await asyncio.wait_for(conn.recv(), 60))
    assert ack["type"] == "connection_ack", ack
    query, variables = (FIREHOSE, {}) if sub.workflow is None else (PROGRESS, {"id": sub.workflow})
    payload = {"query": query, "variables": variables}
    await conn.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    sub.conn = conn


async def read(sub: Sub) -> None:
    got = sub.got
    try:
        async for raw in sub.conn:
            got.append((time.time(), raw))
            if raw.startswith('{"type":"ping"'):
                await sub.conn.send('{"type":"pong"}')
    except websockets.ConnectionClosed:
        pass
    sub.closed = (sub.conn.close_code, sub.conn.close_reason or "")


async def subscriptions_on(http: httpx.AsyncClient, base: str) -> int:
    metrics = (await http.get(f"http://{base}/metrics")).text
    found = re.search(r"^taskforge_subscriptions (\d+)", metrics, re.M)
    return int(found.group(1)) if found else -1


async def tap(url: str, got: list[tuple[float, str]], ready: asyncio.Event) -> None:
    """The events channel itself, as the servers' tails see it (a diagnostic: it splits
    commit -> client into commit -> published and published -> client)."""
    conn = await asyncpg.connect(PG)
    try:
        stream = await conn.fetchval("SELECT stream_id FROM outbox_cursor WHERE id = 1")
    finally:
        await conn.close()
    client = aioredis.from_url(url, decode_responses=True)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(events_channel(stream))
        ready.set()
        async for message in pubsub.listen():
            if message["type"] == "message":
                got.append((time.time(), message["data"]))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()


async def loop_lag(samples: list[float], stop: asyncio.Event, at: list[float]) -> None:
    """The client's event loop lag every 50 ms (``at``: when, by time.time())."""
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(0.05)
        samples.append(time.perf_counter() - began - 0.05)
        at.append(time.time())


async def run(
    args: argparse.Namespace, setup: dict[str, Any], procs: list[Server]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    key = f"Bearer {setup['key']}"
    flows: list[str] = setup["workflows"]
    compression = None if args.no_compression else "deflate"
    # warm each server (first-use imports and caches) before the memory baseline
    for s in procs:
        warm = [Sub(s.index, flows[0]) for _ in range(5)]
        await asyncio.gather(*(open_sub(w, s.base, key, compression) for w in warm))
        await asyncio.gather(*(w.conn.close() for w in warm))
    await asyncio.sleep(2)
    rss_before = [rss_mb(s.proc.pid) for s in procs]

    # subscriber i watches workflow i % W on server (i + i // W) % S: each workflow's
    # subscribers are split evenly over the servers
    subs = [
        Sub((i + i // args.workflows) % args.servers, flows[i % args.workflows])
        for i in range(args.subscribers)
    ]
    firehose = Sub(0, None)
    everyone = [*subs, firehose]
    gate = asyncio.Semaphore(50)

    async def opened(sub: Sub) -> None:
        async with gate:
            await open_sub(sub, procs[sub.server].base, key, compression)

    began = time.perf_counter()
    await asyncio.gather(*(opened(s) for s in everyone))
    readers = [asyncio.create_task(read(s)) for s in everyone]
    expected = Counter(s.server for s in everyone)
    async with httpx.AsyncClient(timeout=30) as http:
        deadline = time.monotonic() + 120
        while True:
            counts = [await subscriptions_on(http, s.base) for s in procs]
            if all(counts[s.index] >= expected[s.index] for s in procs):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"subscriptions registered {counts}, expected {expected}")
            await asyncio.sleep(0.2)
    out["connect s"] = time.perf_counter() - began
    await asyncio.sleep(3)  # idle
    rss_after = [rss_mb(s.proc.pid) for s in procs]
    out["rss before MB"] = rss_before
    out["rss idle with subscribers MB"] = rss_after
    out["KB per idle subscriber"] = (sum(rss_after) - sum(rss_before)) * 1024 / len(everyone)

    # drive
    spec = {**{k: setup[k] for k in ("org", "queues")}, "redis": args.redis_url}
    spec |= {"rate": args.rate, "seconds": args.seconds, "tick": args.tick, "lanes": args.lanes}
    lag: list[float] = []
    lag_at: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(loop_lag(lag, stop, lag_at))
    tapped: list[tuple[float, str]] = []
    tapping = asyncio.Event()
    tapper = asyncio.create_task(tap(args.redis_url, tapped, tapping))
    await tapping.wait()
    cpu0 = [cpu_seconds(s.proc.pid) for s in procs]
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.realtime",
        "--drive",
        json.dumps(spec),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await driver.communicate()
    assert driver.returncode == 0, "the driver failed"
    driven = json.loads(stdout.decode().strip().splitlines()[-1])
    records: list[tuple[str, str, float]] = driven.pop("records")
    wall = driven["elapsed"]
    cpu1 = [cpu_seconds(s.proc.pid) for s in procs]
    self1 = resource.getrusage(resource.RUSAGE_SELF)

    # drain: until every expected delivery arrived, or nothing arrived for 30 s
    drained = time.monotonic()
    workflow_of = setup["workflow_of"]
    per_flow = Counter(workflow_of[j] for j, _, _ in records)
    want = sum(per_flow[s.workflow] for s in subs) + len(records)
    last_total, quiet_since = -1, time.monotonic()
    while True:
        total = sum(len(s.got) for s in everyone)
        if total != last_total:
            last_total, quiet_since = total, time.monotonic()
        if total >= want or time.monotonic() - quiet_since > 30:
            break
        await asyncio.sleep(0.2)
    out["drain s"] = time.monotonic() - drained
    conn = await asyncpg.connect(PG)
    try:  # stamped ids must be dense: a gap stalls every event tail for good
        stamped, top, bottom = await conn.fetchrow(
            "SELECT sum(span), max(seq + span - 1), min(seq) FROM events WHERE seq IS NOT NULL"
        )
        out["event seq gaps in the table"] = (top - bottom + 1 - stamped) if stamped else 0
    finally:
        await conn.close()
    async with httpx.AsyncClient(timeout=30) as http:
        out["server subscriptions at the end"] = [
            await subscriptions_on(http, s.base) for s in procs
        ]
    stop.set()
    await monitor
    tapper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await tapper

    out["driver"] = {
        "changes committed": len(records),
        "changes/s": len(records) / wall,
        **{k: v for k, v in driven.items() if k != "elapsed"},
    }
    out["server CPU %"] = [(b - a) / wall * 100 for a, b in zip(cpu0, cpu1, strict=True)]
    client_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    out["client CPU %"] = client_cpu / wall * 100
    out["client loop lag p99 ms"] = pct(lag, 0.99) * 1000
    out["client loop lag max ms"] = max(lag) * 1000
    t0 = min((t for _, _, t in records), default=0.0)
    lag_windows: dict[int, list[float]] = defaultdict(list)
    for t, x in zip(lag_at, lag, strict=True):
        if t >= t0:
            lag_windows[int((t - t0) // 10)].append(x * 1000)
    out["client loop lag p99 ms by 10 s window"] = [
        round(pct(v, 0.99), 1) for _, v in sorted(lag_windows.items())
    ]
    out |= analyse(records, workflow_of, subs, firehose)
    # load-independent: what one delivered message cost (the servers' relay, tail and
    # engines included), whatever else the machine was doing
    used = [b - a for a, b in zip(cpu0, cpu1, strict=True)]
    delivered = max(1, out["deliveries"])
    out["server CPU µs per delivery"] = sum(used) / delivered * 1e6
    out["client CPU µs per delivery"] = client_cpu / delivered * 1e6
    out |= published(records, tapped)
    alive = sum(sub.closed is None for sub in everyone)
    out["connections open at the end"] = f"{alive}/{len(everyone)}"
    for sub in everyone:
        if sub.conn is not None and sub.closed is None:
            await sub.conn.close()
    await asyncio.gather(*readers)
    closes = Counter(f"{c[0]} {c[1]}".strip() for c in (sub.closed for sub in everyone) if c)
    out["close codes"] = dict(closes)
    return out


def published(
    records: list[tuple[str, str, float]], tapped: list[tuple[float, str]]
) -> dict[str, Any]:
    """commit -> the event's message on the Redis channel (relay stamping + publish)."""
    committed = {(j, st): t for j, st, t in records}
    t0 = min(committed.values(), default=0.0)
    ms = []
    by_window: dict[int, list[float]] = defaultdict(list)  # by commit time, as analyse()
    for received, raw in tapped:
        for event in expand(json.loads(raw)):
            if event["type"] != "job.status_changed":
                continue
            k = (event["payload"]["jobId"], event["payload"]["status"])
            if k in committed:
                t = committed.pop(k)
                ms.append((received - t) * 1000)
                by_window[int((t - t0) // 10)].append(ms[-1])
    if not ms:
        return {"commit->published": "nothing published"}
    return {
        "commit->published p50 ms": pct(ms, 0.5),
        "commit->published p99 ms": pct(ms, 0.99),
        "commit->published max ms": max(ms),
        "commit->published p50 ms by 10 s window": [
            round(pct(v, 0.5), 1) for _, v in sorted(by_window.items())
        ],
        "commit->published p99 ms by 10 s window": [
            round(pct(v, 0.99), 1) for _, v in sorted(by_window.items())
        ],
        "changes never published": len(committed),
    }


def analyse(
    records: list[tuple[str, str, float]],
    workflow_of: dict[str, str],
    subs: list[Sub],
    firehose: Sub,
) -> dict[str, Any]:
    committed = {(j, st): t for j, st, t in records}  # the first commit of each change
    times = Counter((j, st) for j, st, _ in records)  # a job re-claimed changes twice
    by_flow: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for j, st, _ in records:
        by_flow[workflow_of[j]].add((j, st))
    latencies: list[float] = []
    hose_latencies: list[float] = []
    t0 = min((t for _, _, t in records), default=0.0)
    by_window: dict[int, list[float]] = defaultdict(list)  # latencies by commit window
    same_id = same_change = out_of_order = unknown = workflow_events = 0
    errors: Counter[str] = Counter()
    lost: Counter[str] = Counter()  # by server and kind
    short = 0  # subscribers that missed something
    delivered: Counter[tuple[str, str]] = Counter()  # per change: deliveries
    for sub in [*subs, firehose]:
        field = "jobStatusChanged" if sub is firehose else "workflowProgress"
        status = "status" if sub is firehose else "jobStatus"
        seen: Counter[tuple[str, str]] = Counter()
        ids: set[int] = set()
        last_id = 0
        for received, raw in sub.got:
            msg = json.loads(raw)
            if msg.get("type") != "next":
                errors[f"{msg.get('type')}: {json.dumps(msg.get('payload'))[:200]}"] += 1
                continue
            if msg["payload"].get("errors"):
                errors[json.dumps(msg["payload"]["errors"])[:200]] += 1
                continue
            event = msg["payload"]["data"][field]
            event_id = int(event["eventId"])
            if event_id in ids:  # the same event twice
                same_id += 1
                continue
            ids.add(event_id)
            if event_id < last_id:
                out_of_order += 1
            last_id = max(last_id, event_id)
            if event["jobId"] is None:
                workflow_events += 1
                continue
            k = (event["jobId"], event[status])
            seen[k] += 1
            if seen[k] > 1:  # the change again, under another event id
                same_change += seen[k] > times[k]
                continue
            delivered[k] += 1
            if k not in committed:
                unknown += 1
                continue
            ms = (received - committed[k]) * 1000
            latencies.append(ms)
            by_window[int((committed[k] - t0) // 10)].append(ms)
            if sub is firehose:
                hose_latencies.append(ms)
        wanted = set(committed) if sub is firehose else by_flow[sub.workflow or ""]
        missing = len(wanted.difference(seen))
        kind = "firehose" if sub is firehose else f"server {sub.server} workflowProgress"
        lost[kind] += missing
        short += missing > 0
    out: dict[str, Any] = {
        "deliveries expected": sum(len(by_flow[s.workflow or ""]) for s in subs) + len(records),
        "deliveries": len(latencies),
        "lost": lost.total(),
        "lost by subscriber kind": dict(lost),
        "subscribers that missed events": short,
        "duplicates": same_id + same_change,
        "duplicates: same event id": same_id,
        "duplicates: same change, another event id": same_change,
        "out of order": out_of_order,
        "unexpected events": unknown,
        "workflow status events": workflow_events,
        "subscription errors": dict(errors),
    }
    # by commit time, in 10 s windows from the first commit: the share of the changes'
    # deliveries that arrived, and their median latency
    watchers = Counter(s.workflow for s in subs)
    windows: dict[int, list[float]] = defaultdict(list)
    for j, st, t in records:
        windows[int((t - t0) // 10)].append(delivered[(j, st)] / (watchers[workflow_of[j]] + 1))
    out["delivered share by 10 s window"] = [
        round(sum(v) / len(v), 3) for _, v in sorted(windows.items())
    ]
    out["latency p50 ms by 10 s window"] = [
        round(pct(by_window[w], 0.5)) for w in sorted(windows) if by_window[w]
    ]
    out["latency p99 ms by 10 s window"] = [
        round(pct(by_window[w], 0.99)) for w in sorted(windows) if by_window[w]
    ]
    for name, values in (("latency", latencies), ("firehose latency", hose_latencies)):
        if values:
            out[f"{name} p50 ms"] = pct(values, 0.5)
            out[f"{name} p95 ms"] = pct(values, 0.95)
            out[f"{name} p99 ms"] = pct(values, 0.99)
            out[f"{name} max ms"] = max(values)
    return out


# --- main -----------------------------------------------------------------------------


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--workflows", type=int, default=100)
    parser.add_argument("--rate", type=int, default=500, help="job status changes per second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--tick", type=float, default=0.1, help="driver batch interval")
    parser.add_argument("--lanes", type=int, default=4, help="driver workers, out of phase")
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--redis-url", help="default: a private redis-server on a free port")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(asyncio.run(drive(json.loads(args.drive)))))
        return

    raise_fd_limit(4 * args.subscribers + 1024)
    # each job makes two changes; per lane, enough jobs in each of its workflows (with a
    # margin: claims spread over them at random) so that none runs out or finishes
    claims = max(1, round(args.rate * args.tick / 2))  # per tick, all lanes
    args.lanes = max(1, min(args.lanes, claims, args.workflows))
    per_lane = -(-claims // args.lanes) * round(args.seconds / args.tick)
    jobs_per_workflow = int(per_lane / (args.workflows // args.lanes) * 1.3) + 10
    with contextlib.ExitStack() as stack:
        if args.redis_url is None:
            args.redis_url = stack.enter_context(private_redis())
        baseline = asyncio.run(redis_baseline(args.redis_url, args.rate, args.baseline_seconds))
        setup = asyncio.run(prepare(args.workflows, jobs_per_workflow, args.lanes))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
        env |= {
            "TASKFORGE_DATABASE_URL": URL,
            "TASKFORGE_REDIS_URL": args.redis_url,
            "TASKFORGE_SECRET_KEY": SECRET,
            "TASKFORGE_BOOTSTRAP": "false",
        }
        try:
            with servers(args.servers, env) as procs:
                result = asyncio.run(run(args, setup, procs))
                result["server peak RSS MB"] = [peak_rss_mb(s.proc.pid) for s in procs]
            result["server stop"] = [s.exit for s in procs]
            result["server logs"] = {str(s.log): s.log_summary() for s in procs}
        finally:
            asyncio.run(drop_database())

    results = {"redis pub/sub baseline": baseline, "taskforge": result}
    per_flow = args.subscribers // args.workflows
    print(
        f"PostgreSQL + Redis, {args.servers} `taskforge serve`, {args.subscribers} "
        f"workflowProgress subscribers ({per_flow} per workflow, {args.workflows} workflows) "
        f"+ 1 firehose, {args.rate} changes/s for {args.seconds:g} s; {os.cpu_count()} cores "
        "shared by servers, driver, clients, PostgreSQL and Redis\n"
    )
    for name, figures in results.items():
        print(name)
        for k, v in figures.items():
            shown = f"{v:>12.1f}" if isinstance(v, float) else f"  {v}"
            print(f"  {k:<34}{shown}")
    r = result
    p99 = r.get("latency p99 ms", float("nan"))
    print(
        f"\ncommit->client p50/p95/p99: {r.get('latency p50 ms', float('nan')):.1f} / "
        f"{r.get('latency p95 ms', float('nan')):.1f} / {p99:.1f} ms "
        f"({verdict(p99 < 50)} the p99 < 50 ms target; Redis alone p99 "
        f"{baseline['p99 ms']:.2f} ms)"
    )
    print(
        f"lost deliveries: {r['lost']} of {r['deliveries expected']} "
        f"({verdict(r['lost'] == 0)} the 0 target); duplicates: {r['duplicates']} "
        f"({verdict(r['duplicates'] == 0)} the 0 target)"
    )
    kb = r["KB per idle subscriber"]
    print(f"server memory per idle subscriber: {kb:.1f} KB ({verdict(kb < 50)} the 50 KB target)")
    print(
        f"CPU per delivered message: servers {r['server CPU µs per delivery']:.1f} µs, "
        f"client {r['client CPU µs per delivery']:.1f} µs; load average "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
