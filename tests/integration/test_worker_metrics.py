"""`taskforge worker --metrics-port`: the worker's own series, read from its port by value
after it ran jobs that succeed and fail, over GraphQL claims and the channel."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from taskforge.metrics.exposition import render
from taskforge.services import jobs
from taskforge.worker.channel import ChannelWorker
from taskforge.worker.cli import expose_metrics
from taskforge.worker.client import Client
from taskforge.worker.context import PermanentError
from taskforge.worker.runner import Settings, Worker
from tests.conftest import admin_of
from tests.helpers import free_port, served
from tests.integration.test_metrics import samples, value


async def ok(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
    return {"ok": True}


async def boom(payload: dict[str, Any], ctx: Any) -> None:
    raise PermanentError("no")


@pytest.mark.parametrize("kind", [Worker, ChannelWorker])
async def test_a_worker_serves_its_own_series(runtime, org, kind) -> None:
    svc, admin = runtime.services, admin_of(org)
    new = [jobs.NewJob(queue_id=org.queue.id, job_type=t) for t in ("ok", "ok", "boom", "odd")]
    made = await jobs.enqueue(svc, admin, new)
    port = free_port()
    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = kind(
            client,
            {"ok": ok, "boom": boom},
            [(str(org.queue.id), 1)],
            Settings(concurrency=4, batch=4, poll_interval=0.1),
        )
        stop_serving = expose_metrics(worker, port)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            for _ in range(500):
                ended = [await jobs.get(svc, admin, j.id) for j in made[:3]]
                if all(j.status.value in ("SUCCEEDED", "FAILED") for j in ended):
                    break
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient() as http:
                text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
            await client.close()
            stop_serving()
    found = samples(text)
    assert value(found, "taskforge_worker_jobs_total", job_type="ok", outcome="succeeded") == 2
    assert value(found, "taskforge_worker_jobs_total", job_type="boom", outcome="failed") == 1
    # a type without a handler is never claimed: it waits, counted nowhere
    assert value(found, "taskforge_worker_jobs_total", job_type="unhandled", outcome="failed") == 0
    assert (await jobs.get(svc, admin, made[3].id)).status.value == "PENDING"
    assert value(found, "taskforge_worker_job_run_seconds_count", job_type="ok") == 2
    assert value(found, "taskforge_worker_jobs_in_flight") == 0
    claims = value(found, "taskforge_worker_claim_seconds_count")
    assert claims >= 1 if kind is Worker else claims == 0  # the channel pushes
    # the server counted the same transitions, over either transport
    server = samples(render(runtime.metrics).decode())
    ok_jobs = {"queue": "default", "job_type": "ok"}
    assert value(server, "taskforge_jobs_started_total", **ok_jobs) == 2
    assert value(server, "taskforge_jobs_succeeded_total", **ok_jobs) == 2
    assert value(server, "taskforge_job_run_seconds_count", queue="default", outcome="failed") == 1
