"""The worker SDK against a real server in this process: acknowledgements in flight when
the worker stops are not lost."""

from __future__ import annotations

import asyncio
from typing import Any

from taskforge.services import jobs
from taskforge.worker.client import Client
from taskforge.worker.runner import ACK, Settings, Worker
from tests.conftest import admin_of
from tests.helpers import served


class SlowAcks(Client):
    """Holds every acknowledgement for a while, as a slow network would; records when
    one is underway."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acking = asyncio.Event()

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, retries: int = 8
    ) -> dict[str, Any]:
        if query == ACK:
            self.acking.set()
            await asyncio.sleep(0.5)
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
            Settings(concurrency=2, batch=2, poll_interval=0.1, ack_interval=0.01),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(client.acking.wait(), 10)
        stop.set()  # the ack loop is cancelled mid-call
        await asyncio.wait_for(running, 10)
        await client.close()
    done = await jobs.get(runtime.services, admin_of(org), job.id)
    assert done.status.value == "SUCCEEDED"
