"""Flow control throughput on PostgreSQL: what each feature costs the enqueues that use
it, measured against plain enqueues in the same run.

    .venv/bin/python -m bench.flow [--only idempotency] [--seconds 4] [--rounds 3]
    .venv/bin/python -m bench.flow --only concurrency [--jobs 10000] [--keys 1000] [--rounds 2]

Parts (``PARTS``; each takes the shared setup and returns its figures):

- ``idempotency``: enqueueJob with a fresh ``idempotencyKey`` on every call against
  enqueueJob without one, through a real server (HTTP, ``--connections`` keep-alive
  clients) and through the service in-process (``--connections`` concurrent use cases:
  the database's share alone). Target: keyed >= 0.8x plain.
- ``concurrency``: completed jobs/s of ``--jobs`` no-op jobs spread over ``--keys``
  concurrency-key values (``max: 1``, their queue's rule) against the same jobs in a
  queue without rules, run by ``--workers`` real worker processes on a real server (as
  bench.throughput); CPU per job of the server and the database. Target: keyed >= 0.7x
  plain. It also prints the most jobs of one key seen running at once (polled while the
  workers run: it must be 1).

Plain and keyed phases alternate (plain, keyed, then keyed, plain, ...) for ``--rounds``
rounds, so the machine's drift hits both alike; medians are printed. Beside each rate,
the CPU one operation cost (microseconds: the server process, or this process for the
in-process part, plus the bench database's backends), the steadier reading on a
machine shared with other work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from bench.api import free_port, server
from bench.throughput import cpu_seconds
from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.domain.flow import Concurrency
from taskforge.runtime import Runtime
from taskforge.services import jobs, queues, tenancy
from taskforge.services.base import Principal

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_flow"
URL = f"{DSN.rsplit('/', 1)[0]}/{DB}".replace("postgresql://", "postgresql+asyncpg://", 1)


@dataclass(frozen=True)
class Setup:
    """A fresh, migrated database with one ENTERPRISE organization (no job quota)."""

    api_key: str
    organization_id: uuid.UUID
    queue_id: uuid.UUID


async def fresh_database() -> Setup:
    conn = await asyncpg.connect(DSN, timeout=15)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await conn.close()
    rt = Runtime.create(Settings(database_url=URL, secret_key="bench", bootstrap=False))
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Flow", "flow@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None and org.api_key is not None
        return Setup(org.api_key.secret, org.organization.id, org.queue.id)
    finally:
        await rt.stop()


# -- CPU per operation ---------------------------------------------------------------


class Meter:
    """CPU spent between ``start`` and ``stop`` by some processes (the server; None: this
    one) and by the bench database's backends (one that started meanwhile: all of it)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid

    def _own(self) -> float:
        return time.process_time() if self.pid is None else cpu_seconds([self.pid])

    async def _backends(self) -> dict[int, float]:
        conn = await asyncpg.connect(DSN, timeout=15)
        try:
            rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", DB)
        finally:
            await conn.close()
        return {r["pid"]: cpu_seconds([r["pid"]]) for r in rows}

    async def start(self) -> None:
        self.own, self.db = self._own(), await self._backends()

    async def stop(self, operations: int) -> float:
        """Microseconds of CPU per operation."""
        used = self._own() - self.own
        used += sum(cpu - self.db.get(pid, 0.0) for pid, cpu in (await self._backends()).items())
        return used * 1e6 / max(operations, 1)


# -- load: requests of their own per call, on keep-alive connections -------------------


@dataclass(frozen=True)
class Phase:
    rate: float  # operations/s
    cpu_us: float  # CPU per operation


async def http_load(
    port: int,
    request: Callable[[], bytes],
    seconds: float,
    connections: int,
    meter: Meter | None = None,
) -> Phase:
    """Requests/s of ``connections`` keep-alive clients sending ``request()`` each time
    (raw streams: the client costs little next to the server)."""
    done = 0

    async def client(until: float) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < until:
                writer.write(request())
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                if b" 200 " not in head.split(b"\r\n", 1)[0] or b'"errors"' in body:
                    raise SystemExit(f"bad response: {head[:40]!r} {body[:300]!r}")
                done += 1
        finally:
            writer.close()

    if meter:
        await meter.start()
    began = time.perf_counter()
    await asyncio.gather(*(client(began + seconds) for _ in range(connections)))
    rate = done / (time.perf_counter() - began)
    return Phase(rate, await meter.stop(done) if meter else float("nan"))


async def service_load(
    call: Callable[[], Awaitable[Any]], seconds: float, tasks: int, meter: Meter | None = None
) -> Phase:
    """Use cases/s of ``tasks`` concurrent loops of ``call()``."""
    done = 0

    async def loop(until: float) -> None:
        nonlocal done
        while time.perf_counter() < until:
            await call()
            done += 1

    if meter:
        await meter.start()
    began = time.perf_counter()
    await asyncio.gather(*(loop(began + seconds) for _ in range(tasks)))
    rate = done / (time.perf_counter() - began)
    return Phase(rate, await meter.stop(done) if meter else float("nan"))


async def alternate(
    rounds: int, phases: dict[str, Callable[[], Awaitable[Phase]]]
) -> dict[str, list[Phase]]:
    """Each phase once a round, the order reversed every other round."""
    names = list(phases)
    runs: dict[str, list[Phase]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names if i % 2 == 0 else names[::-1]:
            runs[name].append(await phases[name]())
    return runs


def report(title: str, runs: dict[str, list[Phase]], base: str, other: str) -> dict[str, Any]:
    """One line of rates (ratio: other/base, higher is better) and one of CPU per
    operation (ratio: base/other, so that it reads the same way)."""
    out: dict[str, Any] = {"title": title}
    for label, field, better_low in (
        (title, "rate", False),
        ("  CPU us per operation", "cpu_us", True),
    ):
        values = {n: [getattr(p, field) for p in runs[n]] for n in (base, other)}
        a, b = statistics.median(values[base]), statistics.median(values[other])
        ratio = a / b if better_low else b / a
        each = " | ".join(" ".join(f"{v:.0f}" for v in values[n]) for n in (base, other))
        print(f"  {label:<38}{a:>9.0f}{b:>9.0f}{ratio:>7.2f}   each run: {each}", flush=True)
        out[field] = {base: a, other: b, "ratio": ratio, "runs": values}
    return out


# -- parts ---------------------------------------------------------------------------

ENQUEUE = (
    'mutation($q: ID!, $k: String) { enqueueJob(input: {queueId: $q, jobType: "noop", '
    'payload: {to: "user@example.com"}, idempotencyKey: $k}) { id deduplicated } }'
)


def _graphql(setup: Setup, variables: dict[str, Any]) -> bytes:
    body = json.dumps({"query": ENQUEUE, "variables": variables}).encode()
    head = (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {setup.api_key}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def idempotency(setup: Setup, args: argparse.Namespace) -> list[dict[str, Any]]:
    """enqueueJob with a fresh key each call against enqueueJob without one."""
    q = str(setup.queue_id)
    out = []
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "TASKFORGE_SCHEDULER_ENABLED": "false",
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    port = free_port()
    cmd = [sys.executable, "-m", "taskforge.cli", "serve", "--port", str(port)]
    with server([*cmd, "--log-level", "warning"], env, port) as pid:
        plain = _graphql(setup, {"q": q})

        def keyed() -> bytes:
            return _graphql(setup, {"q": q, "k": uuid.uuid4().hex})

        meter, n = Meter(pid), args.connections
        await http_load(port, keyed, 1.0, n)  # warm-up: both statements
        await http_load(port, lambda: plain, 1.0, n)
        runs = await alternate(
            args.rounds,
            {
                "plain": lambda: http_load(port, lambda: plain, args.seconds, n, meter),
                "keyed": lambda: http_load(port, keyed, args.seconds, n, meter),
            },
        )
        out.append(report("enqueueJob over HTTP (req/s)", runs, "plain", "keyed"))

    settings = Settings(database_url=URL, secret_key="bench", bootstrap=False, metrics=False)
    rt = Runtime.create(settings, scheduler=False)
    await rt.start(migrate=False, engines=False)
    try:
        svc, admin = rt.services, Principal(setup.organization_id, frozenset({"admin"}))
        spec = jobs.NewJob(setup.queue_id, "noop", {"to": "user@example.com"})

        def plain_call() -> Awaitable[Any]:
            return jobs.enqueue(svc, admin, [spec])

        def keyed_call() -> Awaitable[Any]:
            fresh = jobs.NewJob(
                setup.queue_id, "noop", {"to": "user@example.com"}, idempotency_key=uuid.uuid4().hex
            )
            return jobs.enqueue(svc, admin, [fresh])

        tasks, meter = min(args.connections, settings.db_pool_size), Meter(None)
        await service_load(keyed_call, 1.0, tasks)
        await service_load(plain_call, 1.0, tasks)
        runs = await alternate(
            args.rounds,
            {
                "plain": lambda: service_load(plain_call, args.seconds, tasks, meter),
                "keyed": lambda: service_load(keyed_call, args.seconds, tasks, meter),
            },
        )
        out.append(report("jobs.enqueue in-process (calls/s)", runs, "plain", "keyed"))
    finally:
        await rt.stop()
    return out


# the most jobs of one key running at once, in a committed snapshot (by the keyed running
# index), polled while the workers run: the jobs' own timestamps cannot tell, since a
# claim's start time is read before it waits for its queue's claim lock, so a job may
# show a start before the end of the job of its key it followed
MOST_RUNNING = """
SELECT coalesce(max(n), 0) FROM (
    SELECT count(*) AS n FROM jobs
    WHERE queue_id = $1 AND (status || '') = 'PROCESSING' AND concurrency_key IS NOT NULL
    GROUP BY concurrency_key
) AS r
"""
BATCH = (
    'mutation($q: ID!, $p: [JSON!]!) { enqueueJobBatch(queueId: $q, jobType: "noop", '
    "payloads: $p) { ids } }"
)


async def _queues(setup: Setup) -> dict[str, str]:
    """The part's queues: ``plain`` (no rules) and ``keyed`` (concurrency key, max 1)."""
    rt = Runtime.create(Settings(database_url=URL, secret_key="bench", bootstrap=False))
    await rt.start(migrate=False, engines=False)
    try:
        admin = Principal(setup.organization_id, frozenset({"admin"}))
        project = (await queues.get_queue(rt.services, admin, setup.queue_id)).project_id
        rule = {"concurrency": Concurrency.parse("payload.k", 1)}
        made = {}
        for name, settings in (("plain", None), ("keyed", rule)):
            queue = await queues.create_queue(rt.services, admin, project, name, settings=settings)
            made[name] = str(queue.id)
        return made
    finally:
        await rt.stop()


async def _drain(
    port: int,
    http: httpx.AsyncClient,
    env: dict[str, str],
    name: str,
    queue: str,
    meter: Meter,
    args: argparse.Namespace,
) -> Phase:
    """Enqueue the jobs into the queue, then run worker processes on it until they are
    done: completed jobs/s (first start to last end), CPU per job meanwhile."""
    ids: list[str] = []
    for start in range(0, args.jobs, 1000):
        payloads = [{"k": i % args.keys} for i in range(start, min(args.jobs, start + 1000))]
        body = (
            await http.post(
                "/graphql", json={"query": BATCH, "variables": {"q": queue, "p": payloads}}
            )
        ).json()
        assert "errors" not in body, body
        ids += body["data"]["enqueueJobBatch"]["ids"]
    cmd = [sys.executable, "-m", "taskforge.cli", "worker", "--url", f"http://127.0.0.1:{port}"]
    cmd += ["--queue", name, "--concurrency", str(args.worker_concurrency), "--batch", "500"]
    await meter.start()
    pool = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(args.workers)
    ]
    conn = await asyncpg.connect(f"{DSN.rsplit('/', 1)[0]}/{DB}")
    try:
        while await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE queue_id = $1 "
            "AND status IN ('PENDING', 'SCHEDULED', 'PROCESSING'))",
            uuid.UUID(queue),
        ):
            _most[name] = max(
                _most.get(name, 0), await conn.fetchval(MOST_RUNNING, uuid.UUID(queue))
            )
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
    return Phase(args.jobs / (last - first).total_seconds(), await meter.stop(args.jobs))


_most: dict[str, int] = {}  # per queue: the most jobs of one key seen running at once


async def concurrency(setup: Setup, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Jobs over many concurrency-key values (max 1) against the same jobs without keys."""
    made = await _queues(setup)
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "TASKFORGE_API_KEY": setup.api_key,
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    port = free_port()
    cmd = [sys.executable, "-m", "taskforge.cli", "serve", "--port", str(port)]
    with server([*cmd, "--log-level", "warning"], env, port) as pid:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=120,
            headers={"Authorization": f"Bearer {setup.api_key}"},
        ) as http:
            meter = Meter(pid)
            runs = await alternate(
                args.rounds,
                {
                    name: lambda name=name: _drain(port, http, env, name, made[name], meter, args)
                    for name in ("plain", "keyed")
                },
            )
    title = f"completed jobs/s, {args.keys} keys"
    out = report(f"{title} (workers: {args.workers})", runs, "plain", "keyed")
    print(f"  the most jobs of one key seen running at once (max 1): {_most.get('keyed', 0)}")
    out["most running"] = _most.get("keyed", 0)
    return [out]


PARTS: dict[str, Callable[[Setup, argparse.Namespace], Awaitable[list[dict[str, Any]]]]] = {
    "idempotency": idempotency,
    "concurrency": concurrency,
}


async def main(args: argparse.Namespace) -> None:
    setup = await fresh_database()
    print(
        f"PostgreSQL, {os.cpu_count()} cores shared by server, client and database; "
        f"{args.connections} connections, {args.rounds} alternating rounds of "
        f"{args.seconds:g} s, medians",
        flush=True,
    )
    print(f"  {'':<38}{'plain':>9}{'feature':>9}{'ratio':>7}", flush=True)
    results = {}
    for name in args.only or list(PARTS):
        results[name] = await PARTS[name](setup, args)
    print(json.dumps(results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", action="append", choices=sorted(PARTS), help="run this part")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one phase")
    parser.add_argument("--rounds", type=int, default=3, help="plain/feature pairs")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients")
    parser.add_argument("--jobs", type=int, default=10_000, help="concurrency: jobs a run")
    parser.add_argument("--keys", type=int, default=1_000, help="concurrency: key values")
    parser.add_argument("--workers", type=int, default=2, help="concurrency: worker processes")
    # as bench.throughput: a deep worker keeps a claim of 500 in flight
    parser.add_argument(
        "--worker-concurrency", type=int, default=1000, help="concurrency: jobs a worker runs"
    )
    asyncio.run(main(parser.parse_args()))
