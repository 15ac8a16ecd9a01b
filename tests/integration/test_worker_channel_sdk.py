"""The worker SDK over the worker channel against a real server in this process: the
handler contract, refused outputs, a dropped connection (nothing lost, nothing run
twice), drain with its grace period, and a refused credential."""

from __future__ import annotations

import asyncio
import collections
import uuid
from typing import Any

import pytest

from taskforge.domain.enums import ExecutionStatus, JobStatus, WorkerStatus
from taskforge.services import auth, executions, jobs, workers
from taskforge.worker.channel import ChannelWorker
from taskforge.worker.client import ApiError, Client
from taskforge.worker.context import PermanentError
from taskforge.worker.runner import Settings
from tests.conftest import admin_of
from tests.helpers import served


async def enqueue(svc: Any, org: Any, types: list[str]) -> list[Any]:
    specs = [
        jobs.NewJob(queue_id=org.queue.id, job_type=t, payload={"i": i})
        for i, t in enumerate(types)
    ]
    return await jobs.enqueue(svc, admin_of(org), specs)


async def until_ended(
    svc: Any, org: Any, ids: list[uuid.UUID], running: asyncio.Task[None]
) -> None:
    async def ended() -> None:
        while True:
            rows = [await jobs.get(svc, admin_of(org), i) for i in ids]
            if all(r.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) for r in rows):
                return
            assert not running.done(), running
            await asyncio.sleep(0.05)

    await asyncio.wait_for(ended(), 30)


async def test_handlers_outputs_logs_and_failures(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    limit = runtime.settings.limits.payload_bytes
    created = await enqueue(svc, org, ["ok", "perm", "big", *["noop"] * 20])

    async def ok(payload: dict[str, Any], ctx: Any) -> int:
        ctx.log("working", step=1)
        return 7

    async def perm(payload: dict[str, Any], ctx: Any) -> None:
        raise PermanentError("no way")

    def big(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:  # run in a thread
        return {"blob": "x" * (limit + 1)}

    async def noop(payload: dict[str, Any], ctx: Any) -> None:
        return None

    handlers = {"ok": ok, "perm": perm, "big": big, "noop": noop}
    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = ChannelWorker(client, handlers, [(str(org.queue.id), 1)], Settings(concurrency=5))
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            await until_ended(svc, org, [j.id for j in created], running)
        finally:
            stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    got = {j.id: await jobs.get(svc, admin, j.id) for j in created}
    first, second, third = (got[j.id] for j in created[:3])
    assert first.status is JobStatus.SUCCEEDED and first.output == {"result": 7}
    assert second.status is JobStatus.FAILED and "no way" in (second.error or "")
    assert third.status is JobStatus.FAILED and "output refused" in (third.error or "")
    assert all(got[j.id].status is JobStatus.SUCCEEDED for j in created[3:])
    [execution] = await executions.executions_of(svc, admin, [first.id])
    [entry] = await executions.logs_of(svc, admin, [execution.id])
    assert (entry.message, entry.metadata_) == ("working", {"step": 1})
    assert worker.processed == 23


async def test_a_dropped_connection_loses_nothing_and_runs_nothing_twice(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    created = await enqueue(svc, org, ["t"] * 40)
    calls: collections.Counter[int] = collections.Counter()

    held = asyncio.Event()  # the last jobs run until the third break is survived

    async def handler(payload: dict[str, Any], ctx: Any) -> None:
        calls[payload["i"]] += 1
        await asyncio.sleep(0.05)
        if payload["i"] >= 32:
            await held.wait()

    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = ChannelWorker(
            client, {"t": handler}, [(str(org.queue.id), 1)], Settings(concurrency=8)
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            broken: Any = None
            for k in range(3):  # break the socket while jobs run and outcomes fly
                # a new connection each time: the broken one stays set until its reader sees it
                while worker._ws is None or worker._ws is broken or not worker._running:
                    await asyncio.sleep(0.01)
                broken = worker._ws
                broken.transport.abort()
                while worker.reconnects <= k:
                    await asyncio.sleep(0.01)
            held.set()
            await until_ended(svc, org, [j.id for j in created], running)
        finally:
            stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    assert worker.reconnects >= 3
    assert sorted(calls) == list(range(40)) and set(calls.values()) == {1}
    runs = await executions.executions_of(svc, admin, [j.id for j in created])
    assert len(runs) == 40 and all(e.status is ExecutionStatus.SUCCEEDED for e in runs)


async def test_stop_drains_finishes_what_runs_and_releases_what_overstays(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    created = await enqueue(svc, org, ["quick", "stuck", "quick", "quick"])
    started = asyncio.Event()

    async def quick(payload: dict[str, Any], ctx: Any) -> None:
        started.set()
        await asyncio.sleep(0.3)

    async def stuck(payload: dict[str, Any], ctx: Any) -> None:
        await asyncio.Event().wait()

    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = ChannelWorker(
            client,
            {"quick": quick, "stuck": stuck},
            [(str(org.queue.id), 1)],
            Settings(concurrency=2, grace_seconds=1.0),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(started.wait(), 10)
        stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    statuses = [(await jobs.get(svc, admin, j.id)).status for j in created]
    # the two pushed (capacity 2) ended: one finished, one released to retry; the rest
    # were never pushed
    assert statuses == [
        JobStatus.SUCCEEDED,
        JobStatus.SCHEDULED,
        JobStatus.PENDING,
        JobStatus.PENDING,
    ]
    assert worker.worker_id is not None
    row = await workers.get(svc, admin, uuid.UUID(worker.worker_id))
    assert row.status is WorkerStatus.DRAINING


async def test_a_refused_credential_stops_the_worker(runtime, org) -> None:
    key = await auth.create_api_key(runtime.services, admin_of(org), "reader", ["jobs:read"])
    async with served(runtime) as base:
        client = Client(f"http://{base}", key.secret)
        worker = ChannelWorker(client, {}, [(str(org.queue.id), 1)])
        with pytest.raises(ApiError):
            await asyncio.wait_for(worker.run(asyncio.Event()), 10)
        await client.close()
