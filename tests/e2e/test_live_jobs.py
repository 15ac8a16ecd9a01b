"""The real server with a real worker process (over the worker channel and over GraphQL):
a job logging every 100 ms for 3 s streams its lines to an executionLogs subscriber while
it runs, with its progress visible meanwhile; a running job cancelled mid-way ends
CANCELLED within a heartbeat interval, its handler having seen the cancellation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import GraphQLClient, subscribe

pytestmark = pytest.mark.e2e

LEASE = 3  # the worker beats every LEASE / 3 seconds

HANDLERS = """
import asyncio
import pathlib
import time


async def chatty(payload, ctx):
    for i in range(30):
        ctx.log(f"tick {i}", at=time.time())
        ctx.progress((i + 1) / 30, f"tick {i}")
        await asyncio.sleep(0.1)
    return {"ticks": 30}


async def stubborn(payload, ctx):
    ctx.log("started")
    try:
        await asyncio.sleep(120)
    except asyncio.CancelledError:
        pathlib.Path(payload["marker"]).write_text("cancelled")
        raise


handlers = {"chatty": chatty, "stubborn": stubborn}
"""

ENQUEUE = """mutation($q: ID!, $t: String!, $p: JSON) {
  enqueueJob(input: {queueId: $q, jobType: $t, payload: $p}) { id } }"""
JOB = """query($id: ID!) { job(id: $id) { status progress progressMessage
  executions { id status error } } }"""
LOGS = """subscription($e: ID!) { executionLogs(executionId: $e) {
  cursor node { message metadata } } }"""


@pytest.fixture(params=["channel", "graphql"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start_worker(env: dict[str, str], cwd: Path, key: str, base: str, transport: str) -> Any:
    (cwd / "live_handlers.py").write_text(HANDLERS)
    path = os.pathsep.join(p for p in (str(cwd), env.get("PYTHONPATH", "")) if p)
    args = [
        *TASKFORGE,
        "worker",
        "--url",
        f"http://{base}",
        "--queue",
        "live",
        "--handlers",
        "live_handlers",
        "--lease",
        str(LEASE),
        "--poll",
        "0.2",
        "--grace",
        "5",
        "--transport",
        transport,
    ]
    return subprocess.Popen(
        args,
        env={**env, "TASKFORGE_API_KEY": key, "PYTHONPATH": path},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


async def until(check: Any, timeout: float = 30.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        if result := await check():
            return result
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(interval)


async def running_execution(gql: GraphQLClient, job_id: str) -> str:
    async def started() -> str | None:
        job = (await gql.ok(JOB, {"id": job_id}))["job"]
        if job["status"] == "PROCESSING" and job["executions"]:
            return str(job["executions"][-1]["id"])
        return None

    return str(await until(started))


async def test_live_logs_progress_and_cancellation(
    server_env: dict[str, str], transport: str, tmp_path: Path
) -> None:
    with server(server_env, tmp_path) as (base, creds):
        key = creds["API key"]
        worker = None
        try:
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
                gql = GraphQLClient(http, key)
                edges = (await gql.ok("{ projects { edges { node { id } } } }"))["projects"]
                project = edges["edges"][0]["node"]["id"]
                queue = (
                    await gql.ok(
                        'mutation($p: ID!) { createQueue(projectId: $p, name: "live") { id } }',
                        {"p": project},
                    )
                )["createQueue"]["id"]
                worker = start_worker(server_env, tmp_path, key, base, transport)

                # 1. live logs and progress while the job runs
                chatty = (await gql.ok(ENQUEUE, {"q": queue, "t": "chatty"}))["enqueueJob"]["id"]
                execution = await running_execution(gql, chatty)
                lines: list[str] = []
                lags: list[float] = []  # seconds from ctx.log to the subscriber
                seen_running: list[tuple[int, float]] = []  # (lines so far, progress)
                async with subscribe(base, key, LOGS, {"e": execution}) as sub:
                    while len(lines) < 30:
                        msg = await sub.next(timeout=10)
                        assert msg["type"] == "next", msg
                        node = msg["payload"]["data"]["executionLogs"]["node"]
                        lines.append(node["message"])
                        lags.append(time.time() - node["metadata"]["at"])
                        if len(lines) in (5, 15):
                            job = (await gql.ok(JOB, {"id": chatty}))["job"]
                            if job["status"] == "PROCESSING":
                                seen_running.append((len(lines), job["progress"]))
                    await sub.nothing_for(0.5)  # no duplicates after the final flush
                assert lines == [f"tick {i}" for i in range(30)]
                # lines arrived while the job still ran, and so did its progress
                assert seen_running and seen_running[0][0] == 5, seen_running
                assert all(0 < p < 1 for _, p in seen_running), seen_running
                # batched every half second: a line is about a second late at most
                print(f"log lag: max {max(lags):.3f}s, mean {sum(lags) / len(lags):.3f}s")
                assert max(lags) < 1.5, lags

                async def succeeded() -> bool:
                    job = (await gql.ok(JOB, {"id": chatty}))["job"]
                    return bool(job["status"] == "SUCCEEDED")

                await until(succeeded, 10)

                # 2. a running job cancelled mid-way: the handler sees it within a beat
                marker = tmp_path / "cancelled.marker"
                stubborn = (
                    await gql.ok(
                        ENQUEUE, {"q": queue, "t": "stubborn", "p": {"marker": str(marker)}}
                    )
                )["enqueueJob"]["id"]
                await running_execution(gql, stubborn)
                began = time.monotonic()
                cancelled = await gql.ok(
                    "mutation($id: ID!) { cancelJob(id: $id) { status } }", {"id": stubborn}
                )
                assert cancelled["cancelJob"]["status"] == "CANCELLED"

                async def marked() -> bool:
                    return marker.exists()

                await until(marked, LEASE / 3 + 3, 0.02)
                took = time.monotonic() - began
                assert took < LEASE / 3 + 1.0, took  # one heartbeat interval, plus a margin
                print(f"cancel reached the handler in {took:.3f}s ({transport})")
                job = (await gql.ok(JOB, {"id": stubborn}))["job"]
                assert job["status"] == "CANCELLED"
                assert [e["status"] for e in job["executions"]] == ["CANCELLED"]

                # the worker carries on: its slot is free for the next job
                again = (await gql.ok(ENQUEUE, {"q": queue, "t": "noop"}))["enqueueJob"]["id"]

                async def ran() -> bool:
                    job = (await gql.ok(JOB, {"id": again}))["job"]
                    return bool(job["status"] == "SUCCEEDED")

                await until(ran, 15)
                job = (await gql.ok(JOB, {"id": stubborn}))["job"]
                assert job["status"] == "CANCELLED"  # the handler's end changed nothing
        finally:
            if worker is not None:
                worker.terminate()
                _, err = worker.communicate(timeout=20)
                assert "Traceback" not in err, err
