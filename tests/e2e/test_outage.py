"""PostgreSQL stops for a few seconds under load (a private cluster, started and
restarted by the test): requests meanwhile get UNAVAILABLE, never INTERNAL or a dropped
connection; the worker and a subscriber recover on their own; every job the client got
an id for runs exactly once and succeeds; no connection ever carried two operations."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from tests.conftest import REDIS_URL
from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import free_port
from tests.services import PrivatePostgres, private_postgres

pytestmark = pytest.mark.e2e

HANDLERS = """
import os

RUNS = os.environ["OUTAGE_RUNS_FILE"]


def record(payload, ctx):
    # one line per run, appended in one write: a run twice shows up twice
    with open(RUNS, "a") as f:
        f.write(ctx.job_id + "\\n")
    return None


handlers = {"record": record}
"""
ENQUEUE = "mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }"
QUEUES = "{ queues { edges { node { id name } } } }"
SUBSCRIPTION = """subscription($after: ID) {
  jobStatusChanged(statuses: [SUCCEEDED], after: $after) { eventId jobId status } }"""
OUTAGE_SECONDS = 4.0


class Load:
    """What the clients saw: job ids handed out, and every error by kind."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.errors: Counter[str] = Counter()
        self.unavailable_statuses: Counter[int] = Counter()


async def enqueue_loop(http: httpx.AsyncClient, queue: str, load: Load, stop: asyncio.Event):
    n = 0
    while not stop.is_set() and n < 5_000:
        n += 1
        try:
            resp = await http.post(
                "/graphql",
                json={
                    "query": ENQUEUE,
                    "variables": {"j": [{"queueId": queue, "jobType": "record"}]},
                },
            )
        except httpx.HTTPError as exc:  # a reset or a timeout: never acceptable
            load.errors[f"transport {type(exc).__name__}"] += 1
            await asyncio.sleep(0.05)
            continue
        try:
            body = resp.json()
        except ValueError:
            load.errors[f"HTTP {resp.status_code} without JSON"] += 1
            continue
        if body.get("errors"):
            code = (body["errors"][0].get("extensions") or {}).get("code")
            load.errors[f"{code}"] += 1
            if code == "UNAVAILABLE":
                load.unavailable_statuses[resp.status_code] += 1
            await asyncio.sleep(0.05)
        elif resp.status_code != 200:
            load.errors[f"HTTP {resp.status_code}"] += 1
        else:
            load.ids.extend(j["id"] for j in body["data"]["enqueueJobs"])
        await asyncio.sleep(0.01)


class Subscriber:
    """A jobStatusChanged client that resumes after the last event it saw, whenever its
    connection ends."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key
        self.succeeded: set[str] = set()
        self.codes: Counter[str] = Counter()
        self.connections = 0
        self.after: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(OSError, TimeoutError, websockets.ConnectionClosed):
                await self._session(stop)
            if not stop.is_set():
                await asyncio.sleep(0.3)

    async def _session(self, stop: asyncio.Event) -> None:
        async with websockets.connect(
            f"ws://{self.base}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=5,
        ) as ws:
            self.connections += 1
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.key}"}}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if ack["type"] != "connection_ack":
                self.codes[f"init {ack}"] += 1
                return
            variables = {"after": self.after}
            payload = {"query": SUBSCRIPTION, "variables": variables}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            while not stop.is_set():
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                if msg["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif msg["type"] == "next":
                    if msg["payload"].get("errors"):
                        for err in msg["payload"]["errors"]:
                            self.codes[(err.get("extensions") or {}).get("code")] += 1
                        continue
                    event = msg["payload"]["data"]["jobStatusChanged"]
                    self.after = event["eventId"]
                    self.succeeded.add(event["jobId"])
                elif msg["type"] == "error":
                    for err in msg["payload"]:
                        self.codes[(err.get("extensions") or {}).get("code")] += 1
                    return
                elif msg["type"] == "complete":
                    return


async def wait_until(check: Callable[[], Any], timeout: float, what: str) -> None:
    """Until ``check()`` (a value, or an awaitable of one) is true, for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout}s")
        await asyncio.sleep(0.2)


async def jobs_by_status(pg: PrivatePostgres) -> dict[str, list[str]]:
    conn = await asyncpg.connect(pg.dsn(), timeout=5)
    try:
        rows = await conn.fetch("SELECT id::text AS id, status FROM jobs")
    finally:
        await conn.close()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["status"], []).append(row["id"])
    return out


@dataclass
class Deployment:
    pg: PrivatePostgres
    base: str
    key: str
    log: list[str]  # the server's
    runs: Path  # one line per handler run
    worker_log: Path


@contextlib.contextmanager
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """`taskforge serve` on a private PostgreSQL (and the shared Redis), with a worker
    process whose handler records every run."""
    (tmp_path / "outage_handlers.py").write_text(HANDLERS)
    runs, worker_log = tmp_path / "runs.txt", tmp_path / "worker.log"
    runs.touch()
    with private_postgres() as pg:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
        env |= {
            "TASKFORGE_DATABASE_URL": pg.url(),
            "TASKFORGE_REDIS_URL": REDIS_URL,
            "TASKFORGE_REAPER_INTERVAL": "0.5",
            "OUTAGE_RUNS_FILE": str(runs),
        }
        subprocess.run([*TASKFORGE, "migrate"], env=env, cwd=tmp_path, check=True, timeout=60)
        log: list[str] = []
        with server(env, tmp_path, log) as (base, creds), worker_log.open("w") as out:
            # a lease longer than the outage: a job held through it is not run again
            args = ["--url", f"http://{base}", "--handlers", "outage_handlers"]
            worker = subprocess.Popen(
                [*TASKFORGE, "worker", *args, "--lease", "15", "--poll", "0.3"],
                env={**env, "TASKFORGE_API_KEY": creds["API key"]},
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                yield Deployment(pg, base, creds["API key"], log, runs, worker_log)
            finally:
                worker.terminate()
                worker.wait(20)


async def test_postgres_outage_under_load(tmp_path: Path) -> None:
    with deployment(tmp_path) as d:
        async with httpx.AsyncClient(
            base_url=f"http://{d.base}", headers={"Authorization": f"Bearer {d.key}"}, timeout=20
        ) as http:
            queues = (await http.post("/graphql", json={"query": QUEUES})).json()
            queue = queues["data"]["queues"]["edges"][0]["node"]["id"]
            subscriber, load = Subscriber(d.base, d.key), Load()
            stop_load, stop_subscriber = asyncio.Event(), asyncio.Event()
            loops = [
                asyncio.create_task(enqueue_loop(http, queue, load, stop_load)) for _ in range(2)
            ]
            watcher = asyncio.create_task(subscriber.run(stop_subscriber))
            try:
                await wait_until(lambda: len(subscriber.succeeded) >= 20, 20, "load")
                await asyncio.to_thread(d.pg.stop, "fast")
                await asyncio.sleep(OUTAGE_SECONDS)
                during = dict(load.errors)
                await asyncio.to_thread(d.pg.start)
                issued = len(load.ids)
                await wait_until(lambda: len(load.ids) >= issued + 50, 20, "recovery")
                stop_load.set()
                await asyncio.gather(*loops)

                async def all_succeeded() -> bool:
                    return set(await jobs_by_status(d.pg)) == {"SUCCEEDED"}

                await wait_until(all_succeeded, 40, "every job SUCCEEDED")
                await wait_until(
                    lambda: set(load.ids) <= subscriber.succeeded, 20, "the subscriber saw all"
                )
            finally:
                stop_load.set()
                stop_subscriber.set()
                await asyncio.gather(*loops, watcher)
            statuses = await jobs_by_status(d.pg)

    print(  # shown when the test fails
        f"jobs {len(load.ids)}, errors {dict(load.errors)}, "
        f"statuses of UNAVAILABLE {dict(load.unavailable_statuses)}, "
        f"subscriber connections {subscriber.connections} codes {dict(subscriber.codes)}"
    )
    # requests during the outage got UNAVAILABLE, never INTERNAL or a dropped connection
    assert during.get("UNAVAILABLE"), ("the outage was not seen", during)
    assert set(load.errors) == {"UNAVAILABLE"}, load.errors
    assert set(load.unavailable_statuses) == {503}, load.unavailable_statuses
    assert set(subscriber.codes) <= {"UNAVAILABLE"}, subscriber.codes
    # no job lost or run twice
    ran = Counter(d.runs.read_text().split())
    assert set(load.ids) <= set(statuses["SUCCEEDED"])
    assert set(ran) == set(statuses["SUCCEEDED"]), "every stored job ran"
    assert [j for j, n in ran.items() if n > 1] == [], "a job ran twice"
    # no connection carried two operations; outages are one line in the worker's log
    server_log = "".join(d.log)
    for needle in ("InternalClientError", "another operation", "INTERNAL"):
        assert needle not in server_log, server_log[-5000:]
    assert "Traceback" not in d.worker_log.read_text()


def test_migrate_waits_for_the_database_then_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    env["TASKFORGE_DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x"
    started = time.monotonic()
    done = subprocess.run(
        [*TASKFORGE, "migrate", "--wait", "1.5"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done
    assert time.monotonic() - started >= 1.0  # it waited
    assert "retrying" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: the database is unavailable: ")
