"""The worker SDK against a real server in this process: acknowledgements go as soon as
handlers end, batch while one is underway, and are not lost when the worker stops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from taskforge.services import jobs
from taskforge.worker.client import ApiError, Client
from taskforge.worker.runner import ACK, CLAIM, Settings, Worker
from tests.conftest import admin_of
from tests.helpers import served


class SlowAcks(Client):
    """Holds every acknowledgement for a while, as a slow network would; records when
    one is underway."""

    def __init__(self, *args: Any, hold: float = 0.5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acking = asyncio.Event()
        self.hold = hold
        self.acks: list[int] = []  # executions acknowledged per call

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, retries: int = 8
    ) -> dict[str, Any]:
        if query == ACK:
            self.acking.set()
            v = variables or {}
            self.acks.append(len(v["done"]) + len(v["ids"]) + len(v["failed"]))
            await asyncio.sleep(self.hold)
        return await super().call(query, variables, retries)


async def test_an_ack_in_flight_at_stop_is_sent_by_the_final_flush(runtime, org) -> None:
    [job] = await jobs.enqueue(
        runtime.services, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="noop")]
    )
    async with served(runtime) as base:
        client = SlowAcks(f"http://{base}", org.api_key.secret)

        async def noop(payload: dict[str, Any], ctx: Any) -> None:
            return None

        worker = Worker(
            client,
            {"noop": noop},
            [(str(org.queue.id), 1)],
            Settings(concurrency=2, batch=2, poll_interval=0.1),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(client.acking.wait(), 10)
        stop.set()  # the ack loop is cancelled mid-call
        await asyncio.wait_for(running, 10)
        await client.close()
    done = await jobs.get(runtime.services, admin_of(org), job.id)
    assert done.status.value == "SUCCEEDED"


async def test_an_idle_worker_acknowledges_at_once_and_batches_while_a_call_is_underway(
    runtime, org
) -> None:
    """An idle worker acknowledges at once, whatever its ack_interval (10 s here): the
    first job's acknowledgement leaves as soon as its handler ends. Jobs that end while
    it is held (0.5 s) go together in the next call."""
    svc, admin = runtime.services, admin_of(org)
    [first] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="a")])
    async with served(runtime) as base:
        client = SlowAcks(f"http://{base}", org.api_key.secret)
        gate = asyncio.Event()

        async def first_job(payload: dict[str, Any], ctx: Any) -> None:
            return None

        async def later_job(payload: dict[str, Any], ctx: Any) -> None:
            await gate.wait()

        worker = Worker(
            client,
            {"a": first_job, "b": later_job},
            [(str(org.queue.id), 1)],
            Settings(concurrency=10, batch=10, poll_interval=0.05, ack_interval=10),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(client.acking.wait(), 5)  # sent without waiting on a timer
        later = await jobs.enqueue(
            svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="b")] * 5
        )
        while worker.processed < 1 or len(worker._running) < 5:
            await asyncio.sleep(0.01)
        gate.set()  # five handlers end while the first acknowledgement is held
        for job in [first, *later]:
            while (await jobs.get(svc, admin, job.id)).status.value != "SUCCEEDED":
                await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    assert client.acks == [1, 5]


class FailingClaims(Client):
    """The first claim fails with ``code``, as a server error or a refusal would."""

    def __init__(self, *args: Any, code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code, self.failed = code, 0

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, retries: int = 8
    ) -> dict[str, Any]:
        if query == CLAIM and not self.failed:
            self.failed += 1
            raise ApiError("claim failed", self.code)
        return await super().call(query, variables, retries)


async def test_a_worker_claims_again_after_a_server_error_and_stops_on_a_refusal(
    runtime, org
) -> None:
    svc, admin = runtime.services, admin_of(org)
    [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="a")])

    async def noop(payload: dict[str, Any], ctx: Any) -> None:
        return None

    async with served(runtime) as base:
        for code in ("INTERNAL", "FORBIDDEN"):
            client = FailingClaims(f"http://{base}", org.api_key.secret, code=code)
            worker = Worker(
                client, {"a": noop}, [(str(org.queue.id), 1)], Settings(poll_interval=0.05)
            )
            stop = asyncio.Event()
            running = asyncio.create_task(worker.run(stop))
            if code == "INTERNAL":  # survives, claims again at the next poll
                while (await jobs.get(svc, admin, job.id)).status.value != "SUCCEEDED":
                    assert not running.done()
                    await asyncio.sleep(0.02)
                stop.set()
                await asyncio.wait_for(running, 10)
            else:
                with pytest.raises(ApiError):
                    await asyncio.wait_for(running, 10)
            await client.close()


async def test_an_output_over_the_limit_fails_its_job_and_not_the_others(runtime, org) -> None:
    """One handler returns an output over the payload limit: the server refuses that
    item alone, the batch's other job succeeds, and the worker fails the refused job
    (not retryable) instead of re-sending the batch forever."""
    svc, admin = runtime.services, admin_of(org)
    big, small = await jobs.enqueue(
        svc,
        admin,
        [jobs.NewJob(queue_id=org.queue.id, job_type=t) for t in ("big", "small")],
    )
    limit = runtime.settings.limits.payload_bytes
    gate = asyncio.Event()

    async def huge(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        await gate.wait()
        return {"blob": "x" * (limit + 1)}

    async def fine(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        gate.set()  # both end together: one acknowledgement call carries both
        return {"ok": True}

    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = Worker(
            client,
            {"big": huge, "small": fine},
            [(str(org.queue.id), 1)],
            Settings(concurrency=2, batch=2, poll_interval=0.05),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))

        async def ended(job_id: Any) -> None:
            while (await jobs.get(svc, admin, job_id)).status.value in ("PENDING", "PROCESSING"):
                assert not running.done()
                await asyncio.sleep(0.02)

        try:
            await asyncio.wait_for(asyncio.gather(ended(big.id), ended(small.id)), 20)
        finally:
            stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    assert (await jobs.get(svc, admin, small.id)).status.value == "SUCCEEDED"
    failed = await jobs.get(svc, admin, big.id)
    assert failed.status.value == "FAILED"
    assert "output refused" in (failed.error or "")
