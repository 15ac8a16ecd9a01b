"""Two real `taskforge serve` processes on one PostgreSQL database and one Redis: a
subscriber on server B sees changes committed through server A, and after losing its
connection resumes on B with `after` and receives exactly what it missed, in order."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import PG_ADMIN_DSN
from tests.e2e.conftest import TASKFORGE, _pg
from tests.helpers import GraphQLClient, free_port, subscribe

pytestmark = pytest.mark.e2e

SECRET = "e2e-realtime-secret-0123456789abcdef0123456789"
STATUS = """subscription($queue: ID, $after: ID) {
  jobStatusChanged(queueId: $queue, after: $after) { eventId jobId status previousStatus } }"""
ENQUEUE = "mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own: other runs sharing the default Redis stay out."""
    port = free_port()
    proc = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def shared_env(tmp_path: Path, private_redis: str) -> Iterator[dict[str, str]]:
    """A private PostgreSQL database, migrated once, and the Redis both servers use."""
    db = f"taskforge_e2e_rt_{os.getpid()}"
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{db}"')
    try:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
        env |= {
            "TASKFORGE_DATABASE_URL": f"{base}/{db}",
            "TASKFORGE_REDIS_URL": private_redis,
            "TASKFORGE_SECRET_KEY": SECRET,
        }
        subprocess.run([*TASKFORGE, "migrate"], env=env, cwd=tmp_path, check=True, timeout=60)
        yield env
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@contextlib.contextmanager
def serve(env: dict[str, str], cwd: Path, name: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`taskforge serve` with its output in a file; it must stop cleanly on SIGTERM."""
    cwd.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = cwd / f"{name}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*TASKFORGE, "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    stopped = False
    try:
        deadline = time.monotonic() + 30
        while "Uvicorn running" not in log_path.read_text():
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        out = log_path.read_text()
        creds = dict(re.findall(r"^\s+(email|password|API key):\s+(\S+)", out, re.M))
        yield f"127.0.0.1:{port}", creds
        proc.terminate()
        code = proc.wait(timeout=20)
        stopped = True
        out = log_path.read_text()
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert code in (0, -15), f"server {name} exited with {code}:\n{out}"
        assert "Application shutdown complete" in out, out
        assert "Traceback" not in out and "ERROR" not in out, out
    finally:
        if not stopped:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def subscriptions(http: httpx.AsyncClient) -> int:
    metrics = (await http.get("/metrics")).text
    found = re.search(r"^taskforge_subscriptions (\d+)", metrics, re.M)
    assert found is not None, metrics
    return int(found.group(1))


async def wait_subscriptions(http: httpx.AsyncClient, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (seen := await subscriptions(http)) != n:
        assert time.monotonic() < deadline, f"{seen} subscriptions on the server, expected {n}"
        await asyncio.sleep(0.02)


async def events(sub, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    got = []
    for _ in range(n):
        msg = await sub.next(timeout=timeout)
        assert msg["type"] == "next", msg
        got.append(msg["payload"]["data"]["jobStatusChanged"])
    return got


async def test_resume_on_another_server_after_a_cut(shared_env, tmp_path) -> None:
    a_env = shared_env
    b_env = {**shared_env, "TASKFORGE_BOOTSTRAP": "false"}
    with (
        serve(a_env, tmp_path / "a", "a") as (a_base, creds),
        serve(b_env, tmp_path / "b", "b") as (b_base, b_creds),
    ):
        key = creds["API key"]
        assert key.startswith("tf_") and not b_creds  # only the first one bootstraps
        auth = {"Authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(base_url=f"http://{a_base}", timeout=30, headers=auth) as a_http,
            httpx.AsyncClient(base_url=f"http://{b_base}", timeout=30, headers=auth) as b_http,
        ):
            a = GraphQLClient(a_http)
            project = (await a.ok('mutation { createProject(name: "rt") { id } }'))[
                "createProject"
            ]["id"]
            queue = (
                await a.ok(
                    'mutation($p: ID!) { createQueue(projectId: $p, name: "q") { id } }',
                    {"p": project},
                )
            )["createQueue"]["id"]
            job = {"queueId": queue, "jobType": "rt"}

            async with subscribe(b_base, key, STATUS, {"queue": queue}) as sub:
                await wait_subscriptions(b_http, 1)
                # the client offers permessage-deflate; the server declines: zlib state
                # per connection would cost more memory than small messages save
                assert "Sec-WebSocket-Extensions" not in sub.ws.response.headers
                [first] = (await a.ok(ENQUEUE, {"j": [job]}))["enqueueJobs"]
                [seen] = await events(sub, 1)
                assert (seen["jobId"], seen["status"], seen["previousStatus"]) == (
                    first["id"],
                    "PENDING",
                    None,
                )
                last = int(seen["eventId"])
            # the connection is cut: the server lets go of the subscription
            await wait_subscriptions(b_http, 0)

            missed = [j["id"] for j in (await a.ok(ENQUEUE, {"j": [job] * 50}))["enqueueJobs"]]
            assert len(missed) == 50

            async with subscribe(b_base, key, STATUS, {"queue": queue, "after": str(last)}) as sub:
                got = await events(sub, 50)
                await sub.nothing_for(0.5)
            ids = [int(e["eventId"]) for e in got]
            # exactly the 50 missed changes: in commit order, once each, nothing else
            assert ids == list(range(last + 1, last + 51)), ids
            assert [e["jobId"] for e in got] == missed
            assert {(e["status"], e["previousStatus"]) for e in got} == {("PENDING", None)}

            # resumed at the end: what A commits next arrives live on B, once
            async with subscribe(
                b_base, key, STATUS, {"queue": queue, "after": str(ids[-1])}
            ) as sub:
                await wait_subscriptions(b_http, 1)
                [fresh] = (await a.ok(ENQUEUE, {"j": [job]}))["enqueueJobs"]
                [live] = await events(sub, 1)
                await sub.nothing_for(0.5)
            assert (live["jobId"], int(live["eventId"])) == (fresh["id"], ids[-1] + 1)
