"""The worker channel (/workers/channel) against a real server in this process, on both
databases (and both brokers where wake-ups and events matter): authentication, tenancy,
pushed jobs and their outcomes, back-pressure, reconnects, drain, malformed messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from taskforge.domain.enums import ExecutionStatus, JobStatus, WorkerStatus
from taskforge.runtime import Runtime
from taskforge.services import auth, executions, jobs, workers
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import served, subscribe, wait_for_subscribers


class Chan:
    """A raw worker channel connection."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def send(self, **message: Any) -> None:
        await self.ws.send(json.dumps(message, default=str))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))  # type: ignore[no-any-return]

    async def hello(self, queue: Any, capacity: int = 10, **extra: Any) -> str:
        await self.send(
            type="hello", name="w", queues=[[str(queue), 1]], capacity=capacity, **extra
        )
        msg = await self.recv()
        assert msg["type"] == "welcome", msg
        return str(msg["workerId"])

    async def jobs(self, n: int, timeout: float = 5.0) -> list[list[Any]]:
        """The next ``n`` pushed jobs (other messages are not expected meanwhile)."""
        got: list[list[Any]] = []
        while len(got) < n:
            msg = await self.recv(timeout)
            assert msg["type"] == "jobs", msg
            got += msg["jobs"]
        assert len(got) == n, got
        return got

    async def nothing_for(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            msg = await self.recv(seconds)
            raise AssertionError(f"unexpected message {msg}")

    async def ack(self, **items: Any) -> list[list[Any]]:
        await self.send(type="ack", **items)
        msg = await self.recv()
        assert msg["type"] == "acked", msg
        return msg["rejected"]  # type: ignore[no-any-return]

    async def closed(self, timeout: float = 5.0) -> int:
        try:
            while True:
                await self.recv(timeout)
        except websockets.ConnectionClosed as exc:
            assert exc.rcvd is not None, exc
            return exc.rcvd.code


@contextlib.asynccontextmanager
async def channel(base: str, token: str | None = None) -> AsyncIterator[Chan]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with websockets.connect(
        f"ws://{base}/workers/channel", additional_headers=headers
    ) as ws:
        yield Chan(ws)


@pytest.fixture(params=["memory", "redis"])
def broker_url(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("redis_url") if request.param == "redis" else None  # type: ignore[no-any-return]


async def start(database_url: str, tmp_path: Any, **overrides: Any) -> Runtime:
    rt = Runtime.create(make_settings(database_url, tmp_path, **overrides))
    await rt.start(migrate=False, engines=False)
    return rt


@pytest.fixture
async def rt(database_url: str, tmp_path: Any) -> AsyncIterator[Runtime]:
    runtime = await start(database_url, tmp_path, auth_cache_seconds=1.0)
    yield runtime
    await runtime.stop()


async def enqueue(rt: Runtime, org: Any, n: int, **spec: Any) -> list[str]:
    specs = [jobs.NewJob(queue_id=org.queue.id, job_type="t", **spec) for _ in range(n)]
    created = await jobs.enqueue(rt.services, admin_of(org), specs)
    return [str(j.id) for j in created]


async def status_of(rt: Runtime, org: Any, job_id: str) -> JobStatus:
    return (await jobs.get(rt.services, admin_of(org), uuid.UUID(job_id))).status


async def test_authentication(rt) -> None:
    org = await new_org(rt.services)
    key = await auth.create_api_key(rt.services, admin_of(org), "reader", ["jobs:read"])
    revoked = await auth.create_api_key(rt.services, admin_of(org), "gone", ["workers"])
    await auth.revoke_api_key(rt.services, admin_of(org), revoked.key.id)
    async with served(rt) as base:
        async with channel(base) as c:  # no credential at all
            await c.send(type="hello", name="w", queues=[[str(org.queue.id), 1]], capacity=1)
            assert await c.closed() == 4401
        for bad in ("tf_not-a-key", revoked.secret):
            async with channel(base, bad) as c:
                assert await c.closed() == 4401
        async with channel(base, key.secret) as c:  # no worker permission
            assert await c.closed() == 4403
        async with channel(base) as c:  # the credential in the first message
            assert await c.hello(org.queue.id, token=org.api_key.secret)


async def test_a_revoked_key_or_suspended_organization_closes_the_connection(rt) -> None:
    org = await new_org(rt.services)
    key = await auth.create_api_key(rt.services, admin_of(org), "w", ["workers"])
    async with served(rt) as base, channel(base, key.secret) as c, channel(
        base, org.api_key.secret
    ) as untouched:
        await c.hello(org.queue.id)
        await untouched.hello(org.queue.id)
        await auth.revoke_api_key(rt.services, admin_of(org), key.key.id)
        assert await c.closed(3.0) == 4403
        await untouched.nothing_for(0.2)


async def test_tenancy(rt) -> None:
    org, other = await new_org(rt.services), await new_org(rt.services, "Globex")
    theirs = await enqueue(rt, other, 5)
    [mine] = await enqueue(rt, org, 1)
    async with served(rt) as base:
        async with channel(base, other.api_key.secret) as c:
            their_worker = await c.hello(other.queue.id, capacity=5)
            their_executions = [item[0] for item in await c.jobs(5)]
        async with channel(base, org.api_key.secret) as c:
            await c.send(
                type="hello", capacity=1, workerId=their_worker, holding=their_executions
            )
            msg = await c.recv()
            assert (msg["type"], msg["code"]) == ("error", "NOT_FOUND")
            assert await c.closed() == 4404
        async with channel(base, org.api_key.secret) as c:
            await c.hello(org.queue.id, capacity=10)
            [pushed] = await c.jobs(1)
            assert pushed[1] == mine  # never another organization's
            await c.nothing_for(0.3)
            rejected = await c.ack(ok=their_executions[:1], failed=[[their_executions[1], "x", True]])
            assert sorted(code for _, code, _ in rejected) == ["NOT_FOUND", "NOT_FOUND"]
            await c.send(type="logs", executionId=their_executions[2], entries=[["INFO", "hi"]])
            msg = await c.recv()
            assert (msg["type"], msg["code"], msg["about"]) == ("error", "NOT_FOUND", "logs")
            assert await c.ack(ok=[pushed[0]]) == []
    for job_id in theirs:  # untouched: still running on their worker
        assert await status_of(rt, other, job_id) is JobStatus.PROCESSING
    assert await status_of(rt, org, mine) is JobStatus.SUCCEEDED
