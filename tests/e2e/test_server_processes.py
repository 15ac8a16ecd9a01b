"""``taskforge serve --workers N``: several server processes on one port, PostgreSQL and
Redis only; migrations and the first-run bootstrap happen once, and live events reach
subscribers whichever process served the change."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import REDIS_URL
from tests.e2e.conftest import TASKFORGE, _pg, server
from tests.helpers import GraphQLClient, subscribe

pytestmark = pytest.mark.e2e

SUBSCRIBERS = 8
JOBS = 20


@pytest.fixture
def pg_env(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh, unmigrated PostgreSQL database (the server migrates it)."""
    from tests.conftest import PG_ADMIN_DSN

    db = f"taskforge_procs_{os.getpid()}"
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{db}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    yield env | {"TASKFORGE_DATABASE_URL": f"{base}/{db}"}
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _refused(env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [*TASKFORGE, "serve", "--workers", "2", "--port", "1"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_the_embedded_default_refuses_several_processes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    assert "--workers needs PostgreSQL" in _refused(env, tmp_path)


def test_several_processes_need_redis(pg_env: dict[str, str], tmp_path: Path) -> None:
    assert "--workers needs Redis" in _refused(pg_env, tmp_path)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
    return out


async def _answering(base: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http:
        for _ in range(600):
            with contextlib.suppress(httpx.ConnectError):
                await http.get("/healthz")
                return
            await asyncio.sleep(0.1)
    raise AssertionError("no server process answered")


async def _local_counts(base: str, seen: int) -> dict[str, int]:
    """Each live process's count of its subscriptions (multiprocess metrics: one series
    per process), read until ``seen`` processes report and they add up."""
    counts: dict[str, int] = {}
    for _ in range(400):
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http:
            metrics = (await http.get("/metrics")).text
        counts = {
            pid: int(float(n))
            for pid, n in re.findall(
                r'^taskforge_subscriptions\{pid="(\d+)"\} (\S+)', metrics, re.M
            )
        }
        if len(counts) >= seen and sum(counts.values()) == SUBSCRIBERS:
            break
        await asyncio.sleep(0.05)
    return counts


async def test_two_processes_share_the_port_and_the_live_events(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    env = pg_env | {"TASKFORGE_REDIS_URL": REDIS_URL}
    output: list[str] = []
    with server(env, tmp_path, output, ("--workers", "2")) as (base, creds):
        # the port is bound at once, and listened on once a process has started
        await _answering(base)
        # migrated and bootstrapped once, by the parent, before either process started
        assert "".join(output).count("TaskForge first run") == 1
        for _ in range(500):  # the log goes on being read in the background
            started = re.search(r"Started parent process \[(\d+)\]", "".join(output))
            if started:
                break
            await asyncio.sleep(0.02)
        assert started is not None
        parent = int(started.group(1))
        key = creds["API key"]
        query = (
            "subscription($q: ID!) { jobStatusChanged(queueId: $q, statuses: [CANCELLED]) "
            "{ eventId jobId } }"
        )
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http:
            gql = GraphQLClient(http, key)
            queue = (await gql.ok("{ queues(first: 1) { edges { node { id } } } }"))["queues"][
                "edges"
            ][0]["node"]["id"]
        async with contextlib.AsyncExitStack() as stack:
            subs = [
                await stack.enter_async_context(subscribe(base, key, query, {"q": queue}))
                for _ in range(SUBSCRIBERS)
            ]
            # both processes serve: each reports its own subscriptions
            counts = await _local_counts(base, 2)
            assert len(counts) == 2, counts
            assert sum(counts.values()) == SUBSCRIBERS  # every process's, whichever answers
            assert len([p for p in _children(parent) if p != parent]) >= 2
            ids = []
            for _ in range(JOBS):  # each change on a fresh connection, to either process
                async with httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http:
                    gql = GraphQLClient(http, key)
                    job = await gql.ok(
                        "mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "
                        '"t"}) { id } }',
                        {"q": queue},
                    )
                    job_id = job["enqueueJob"]["id"]
                    await gql.ok("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job_id})
                    ids.append(job_id)
            for sub in subs:  # every subscriber gets every change, once, in order
                got = [
                    (await sub.next(timeout=10))["payload"]["data"]["jobStatusChanged"] for _ in ids
                ]
                assert [g["jobId"] for g in got] == ids
                event_ids = [int(g["eventId"]) for g in got]
                assert event_ids == sorted(set(event_ids))
        # the counters of both processes add up, whichever process answers the scrape
        for _ in range(4):
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http:
                metrics = (await http.get("/metrics")).text
            t = '{job_type="t",queue="default"}'
            for series in ("enqueued", "cancelled"):
                found = re.search(
                    rf"^taskforge_jobs_{series}_total{re.escape(t)} (\S+)", metrics, re.M
                )
                assert found is not None and float(found.group(1)) == JOBS, metrics
            ops = re.findall(
                r'^taskforge_graphql_requests_total\{operation="cancelJob",outcome="ok"\} (\S+)',
                metrics,
                re.M,
            )
            assert [float(n) for n in ops] == [JOBS]
