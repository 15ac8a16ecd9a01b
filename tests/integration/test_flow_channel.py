"""The worker channel and flow control: a worker whose last claim left jobs waiting for
their concurrency key is woken when a job of its queues ends (by any worker), well
before its poll, on both databases and both brokers."""

from __future__ import annotations

from typing import Any

import pytest

from taskforge.domain.enums import WorkerType
from taskforge.domain.flow import Concurrency
from taskforge.services import executions, queues, workers
from tests.conftest import admin_of, new_org
from tests.helpers import served, wait_for_subscribers
from tests.integration.test_worker_channel import channel, enqueue, start


@pytest.fixture(params=["memory", "redis"])
def broker_url(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("redis_url") if request.param == "redis" else None  # type: ignore[no-any-return]


async def test_a_held_back_worker_is_woken_when_a_job_of_its_key_ends(
    database_url: str, tmp_path: Any, broker_url: str | None
) -> None:
    rt = await start(database_url, tmp_path, redis_url=broker_url, worker_channel_poll_seconds=30)
    try:
        svc = rt.services
        org = await new_org(svc)
        admin = admin_of(org)
        rule = Concurrency.parse("payload.c", 1)
        await queues.update_queue(svc, admin, org.queue.id, settings={"concurrency": rule})
        # another worker (the API's) runs the key's first job
        other = await workers.register(
            svc, admin, "other", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
        )
        first, second, third = await enqueue(rt, org, 3, payload={"c": "a"})
        [running] = await executions.claim(svc, admin, other.id, None, 5)
        assert str(running.job_id) == first
        async with served(rt) as base, channel(base, org.api_key.secret) as c:
            await c.hello(org.queue.id, capacity=10)
            await wait_for_subscribers(rt, 1)  # its wake-up
            await c.nothing_for(0.5)  # the key is full: nothing to push
            await executions.complete(svc, admin, [(running.execution_id, None)])
            [pushed] = await c.jobs(1, timeout=5)  # woken by the end, not the 30 s poll
            assert pushed[1] == second
            assert await c.ack(ok=[pushed[0]]) == []  # its own job ending wakes it too
            [pushed] = await c.jobs(1, timeout=5)
            assert pushed[1] == third
    finally:
        await rt.stop()
