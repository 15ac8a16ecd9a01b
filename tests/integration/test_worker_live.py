"""The worker SDK's live output and cancellation, over GraphQL and over the worker
channel, against a real server in this process: log lines and progress reach the server
while the handler runs, a failure sends its traceback, and a job cancelled while running
stops its handler (async: CancelledError; sync: ctx.cancelled) and ends CANCELLED."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.runtime import Runtime
from taskforge.services import executions, jobs
from taskforge.worker.channel import ChannelWorker
from taskforge.worker.client import Client
from taskforge.worker.context import JobContext
from taskforge.worker.runner import Settings, Worker
from tests.conftest import admin_of, make_settings
from tests.helpers import served

LEASE = 3  # heartbeats every second


@pytest.fixture(params=["graphql", "channel"])
def kind(request: pytest.FixtureRequest) -> type[Worker]:
    return Worker if request.param == "graphql" else ChannelWorker


async def until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


class Running:
    """A worker of the organization's queue running in this loop."""

    def __init__(
        self,
        runtime: Any,
        org: Any,
        kind: type[Worker],
        handlers: dict,
        lease: int = LEASE,
        concurrency: int = 4,
    ) -> None:
        self.runtime, self.org, self.kind, self.handlers = runtime, org, kind, handlers
        self.lease, self.concurrency = lease, concurrency

    async def __aenter__(self) -> Running:
        self._served = served(self.runtime)
        base = await self._served.__aenter__()
        self.client = Client(f"http://{base}", self.org.api_key.secret)
        settings = Settings(
            concurrency=self.concurrency, lease_seconds=self.lease, flush_interval=0.2
        )
        self.worker = self.kind(self.client, self.handlers, [(str(self.org.queue.id), 1)], settings)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.worker.run(self.stop))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 15)
        await self.client.close()
        await self._served.__aexit__(None, None, None)


async def enqueue(runtime: Any, org: Any, job_type: str) -> Any:
    [job] = await jobs.enqueue(
        runtime.services, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type=job_type)]
    )
    return job


async def test_logs_and_progress_arrive_while_the_handler_runs(runtime, org, kind) -> None:
    svc, admin = runtime.services, admin_of(org)
    release = asyncio.Event()

    async def slow(payload: dict[str, Any], ctx: JobContext) -> None:
        for i in range(5):
            ctx.log(f"step {i}")
            ctx.progress((i + 1) / 10, f"step {i}")  # coalesced: the last of a flush goes
        await release.wait()
        ctx.log("done")

    job = await enqueue(runtime, org, "slow")
    async with Running(runtime, org, kind, {"slow": slow}):

        async def logged() -> bool:
            runs = await executions.executions_of(svc, admin, [job.id])
            if not runs:
                return False
            lines = await executions.logs_of(svc, admin, [runs[0].id])
            return len(lines) == 5 and runs[0].progress == 0.5

        await until(logged)  # while the handler still waits
        [run] = await executions.executions_of(svc, admin, [job.id])
        assert run.status is ExecutionStatus.STARTED and run.progress_message == "step 4"
        release.set()

        async def ended() -> bool:
            return (await jobs.get(svc, admin, job.id)).status is JobStatus.SUCCEEDED

        await until(ended)
    lines = await executions.logs_of(svc, admin, [run.id])
    assert [line.message for line in lines] == [*(f"step {i}" for i in range(5)), "done"]


async def test_a_failure_sends_its_traceback(runtime, org, kind) -> None:
    svc, admin = runtime.services, admin_of(org)

    def inner() -> None:
        raise ValueError("deep down")

    async def broken(payload: dict[str, Any], ctx: JobContext) -> None:
        inner()

    job = await enqueue(runtime, org, "broken")
    async with Running(runtime, org, kind, {"broken": broken}):

        async def failed() -> bool:
            runs = await executions.executions_of(svc, admin, [job.id])
            return bool(runs) and runs[0].status is not ExecutionStatus.STARTED

        await until(failed)
    run = (await executions.executions_of(svc, admin, [job.id]))[0]
    assert run.error == "ValueError: deep down"
    assert run.traceback is not None and "Traceback (most recent call last)" in run.traceback
    assert "in inner" in run.traceback and run.traceback.rstrip().endswith("deep down")


def waits_for_cancel(started: asyncio.Event, saw: asyncio.Event) -> Any:
    """A handler that sets ``started``, then waits until cancelled and sets ``saw``."""

    async def forever(payload: dict[str, Any], ctx: JobContext) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            saw.set()
            raise

    return forever


async def test_cancelling_a_running_async_handler(runtime, org, kind) -> None:
    svc, admin = runtime.services, admin_of(org)
    started, saw = asyncio.Event(), asyncio.Event()
    forever = waits_for_cancel(started, saw)

    job = await enqueue(runtime, org, "forever")
    async with Running(runtime, org, kind, {"forever": forever}) as running:
        await asyncio.wait_for(started.wait(), 10)
        began = time.monotonic()
        await jobs.cancel(svc, admin, job.id)
        await asyncio.wait_for(saw.wait(), LEASE / 3 + 2)  # within a heartbeat interval
        elapsed = time.monotonic() - began
        await until(lambda: _idle(running.worker))
    assert elapsed < LEASE / 3 + 1.5
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.CANCELLED
    [run] = await executions.executions_of(svc, admin, [job.id])
    assert run.status is ExecutionStatus.CANCELLED and run.error == "cancelled_by_user"
    lines = await executions.logs_of(svc, admin, [run.id])
    assert [line.message for line in lines] == ["cancelled while running"]


async def test_cancelling_a_running_sync_handler(runtime, org, kind) -> None:
    svc, admin = runtime.services, admin_of(org)
    started, saw = threading.Event(), threading.Event()

    def polling(payload: dict[str, Any], ctx: JobContext) -> str:
        started.set()
        for _ in range(600):
            if ctx.cancelled:
                saw.set()
                return "stopped early"  # dropped: the job is cancelled
            time.sleep(0.05)
        return "ran to the end"

    job = await enqueue(runtime, org, "polling")
    async with Running(runtime, org, kind, {"polling": polling}) as running:
        await asyncio.to_thread(started.wait, 10)
        await jobs.cancel(svc, admin, job.id)
        assert await asyncio.to_thread(saw.wait, LEASE / 3 + 2)
        await until(lambda: _idle(running.worker))
    got = await jobs.get(svc, admin, job.id)
    assert got.status is JobStatus.CANCELLED and got.output is None


async def _idle(worker: Worker) -> bool:
    return not worker._running


async def test_the_channel_pushes_a_cancel_without_waiting_for_a_beat(runtime, org) -> None:
    """The replica's event tail sees the cancel and tells the connection holding the job
    at once: with beats 20 s apart, the handler still stops within a second or so."""
    svc, admin = runtime.services, admin_of(org)
    started, saw = asyncio.Event(), asyncio.Event()
    forever = waits_for_cancel(started, saw)

    done = asyncio.Event()

    async def following(payload: dict[str, Any], ctx: JobContext) -> None:
        done.set()

    job = await enqueue(runtime, org, "forever")
    handlers = {"forever": forever, "next": following}
    async with Running(runtime, org, ChannelWorker, handlers, lease=60) as running:
        await asyncio.wait_for(started.wait(), 10)
        await jobs.cancel(svc, admin, job.id)
        await asyncio.wait_for(saw.wait(), 3)
        await until(lambda: _idle(running.worker))
        # its credit came back: the next job runs
        await enqueue(runtime, org, "next")
        await asyncio.wait_for(done.wait(), 10)


async def test_a_cancel_committed_by_another_replica_without_a_broker(
    runtime, org, database_url, tmp_path
) -> None:
    """Two replicas on one database with in-process brokers (no event crosses between
    them): the cancel committed on one reaches a worker connected to the other at its
    next beat, read from the database."""
    other = Runtime.create(make_settings(database_url, tmp_path / "other"))
    await other.start(migrate=False, engines=False)
    started, saw = asyncio.Event(), asyncio.Event()
    forever = waits_for_cancel(started, saw)

    try:
        job = await enqueue(runtime, org, "forever")
        async with Running(runtime, org, ChannelWorker, {"forever": forever}):
            await asyncio.wait_for(started.wait(), 10)
            await jobs.cancel(other.services, admin_of(org), job.id)  # on the other replica
            await asyncio.wait_for(saw.wait(), LEASE / 3 + 2)
        got = await jobs.get(runtime.services, admin_of(org), job.id)
        assert got.status is JobStatus.CANCELLED
    finally:
        await other.stop()


async def test_many_running_jobs_report_progress_together(runtime, org, kind) -> None:
    """30 running jobs' reports of one flush go in few calls (GraphQL: aliases, 25 a
    call; the channel: one message), each recorded on its own execution."""
    svc, admin = runtime.services, admin_of(org)
    release = asyncio.Event()

    async def waiting(payload: dict[str, Any], ctx: JobContext) -> None:
        ctx.progress(payload["i"] / 100)
        await release.wait()

    created = await jobs.enqueue(
        svc,
        admin,
        [jobs.NewJob(queue_id=org.queue.id, job_type="w", payload={"i": i}) for i in range(30)],
    )
    ids = [j.id for j in created]
    handlers = {"w": waiting}
    async with Running(runtime, org, kind, handlers, concurrency=30):

        async def reported() -> bool:
            runs = await executions.executions_of(svc, admin, ids)
            return len(runs) == 30 and all(r.progress is not None for r in runs)

        await until(reported, 15)
        release.set()
    runs = await executions.executions_of(svc, admin, ids)
    got = {r.job_id: r.progress for r in runs}
    assert got == {j.id: j.payload["i"] / 100 for j in created}


async def test_logs_outlive_dropped_connections_in_order(runtime, org) -> None:
    """Over the worker channel, lines that could not be sent while the connection was
    down go after the reconnect, in order, never twice; the last ones wait for it."""
    svc, admin = runtime.services, admin_of(org)

    survived = [asyncio.Event() for _ in range(3)]

    async def chatty(payload: dict[str, Any], ctx: JobContext) -> None:
        for i in range(40):
            ctx.log(f"{i}")
            await asyncio.sleep(0.05)
            if i % 10 == 9 and i < 39:  # lines keep coming until the break is survived
                await survived[i // 10].wait()

    job = await enqueue(runtime, org, "chatty")
    async with Running(runtime, org, ChannelWorker, {"chatty": chatty}) as running:
        worker = running.worker
        assert isinstance(worker, ChannelWorker)
        broken: Any = None
        for k in range(3):  # break the socket while lines are buffered and sent
            # a new connection each time: the broken one stays set until its reader sees it
            while worker._ws is None or worker._ws is broken or not worker._running:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)
            broken = worker._ws
            broken.transport.abort()
            while worker.reconnects <= k:
                await asyncio.sleep(0.01)
            survived[k].set()

        async def ended() -> bool:
            return (await jobs.get(svc, admin, job.id)).status is JobStatus.SUCCEEDED

        await until(ended, 20)
    [run] = await executions.executions_of(svc, admin, [job.id])
    got = [int(line.message) for line in await executions.logs_of(svc, admin, [run.id])]
    assert worker.reconnects >= 3
    print(f"{len(got)} of 40 lines kept through {worker.reconnects} reconnects")
    assert got == sorted(set(got)), got  # in order, none twice
    # a frame already written when the socket broke may be lost with it; the rest is not
    assert len(got) >= 36 and got[-1] == 39, got


async def test_a_jobs_last_progress_report_is_kept(runtime, org, kind) -> None:
    """A report made just before the handler returns (no flush since) is sent with the
    job's end: its attempt shows 1.0, not an earlier report or none."""
    svc, admin = runtime.services, admin_of(org)

    async def quick(payload: dict[str, Any], ctx: JobContext) -> None:
        ctx.progress(0.5)
        ctx.progress(1.0, "all done")

    job = await enqueue(runtime, org, "quick")
    async with Running(runtime, org, kind, {"quick": quick}):

        async def ended() -> bool:
            return (await jobs.get(svc, admin, job.id)).status is JobStatus.SUCCEEDED

        await until(ended)
    [run] = await executions.executions_of(svc, admin, [job.id])
    assert run.progress == 1.0 and run.progress_message == "all done"


async def test_a_job_ending_waits_for_no_other_jobs_log_calls(runtime, org, kind) -> None:
    """A flush sends each running job's lines under that job's own lock: a job that ends
    while another job's lines are slow to send is acknowledged without waiting for them."""
    svc, admin = runtime.services, admin_of(org)
    chatty_started, sending, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    chatty_id: list[str] = []

    async def chatty(payload: dict[str, Any], ctx: JobContext) -> None:
        chatty_id.append(ctx.execution_id)
        ctx.log("chat")
        chatty_started.set()
        await release.wait()

    async def brief(payload: dict[str, Any], ctx: JobContext) -> None:
        await chatty_started.wait()
        ctx.log("a")  # sent by the same flush as chatty's line
        await sending.wait()
        ctx.log("b")

    class SlowForChatty(kind):  # type: ignore[misc, valid-type]
        async def _post_logs(self, execution_id: str, entries: list[dict[str, Any]]) -> None:
            if entries and chatty_id and execution_id == chatty_id[0]:
                sending.set()
                await asyncio.sleep(8)  # a slow call for the other job's lines
            await super()._post_logs(execution_id, entries)

    await enqueue(runtime, org, "chatty")
    job = await enqueue(runtime, org, "brief")
    handlers = {"chatty": chatty, "brief": brief}
    async with Running(runtime, org, SlowForChatty, handlers):
        await asyncio.wait_for(sending.wait(), 10)
        began = time.monotonic()

        async def ended() -> bool:
            return (await jobs.get(svc, admin, job.id)).status is JobStatus.SUCCEEDED

        await until(ended)
        # not after the other job's 8 s call (a margin for a loaded machine)
        assert time.monotonic() - began < 5.0
        release.set()
