"""The worker SDK's client against a real served app while the database is away: it
retries UNAVAILABLE answers (a GraphQL error with that code, or HTTP 503 with
Retry-After) with backoff until the database is back, and a worker outlives the outage
and runs every job once.

The outage: on SQLite another process holds the write lock past the busy timeout; on
PostgreSQL the server's connections go through a relay that goes down and comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from taskforge.runtime import Runtime
from taskforge.services import jobs
from taskforge.worker.client import ApiError, Client
from taskforge.worker.runner import Settings, Worker
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import free_port, served
from tests.services import Relay

ENQUEUE = """mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t"}) { id } }"""

Outage = Callable[[], Awaitable[None]]


@pytest.fixture
async def outage_runtime(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, Outage, Outage]]:
    """A started runtime, and how to take its database away and bring it back."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        other = sqlite3.connect(path or "", isolation_level=None, check_same_thread=False)
        url = f"{database_url}?timeout=0.2"

        # in a thread: the event loop must finish the transactions the lock waits for
        async def down() -> None:
            await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")

        async def up() -> None:
            await asyncio.to_thread(other.execute, "ROLLBACK")

        rt = Runtime.create(make_settings(url, tmp_path))
        await rt.start(migrate=False, engines=False)
        try:
            yield rt, down, up
        finally:
            with contextlib.suppress(sqlite3.Error):
                other.execute("ROLLBACK")
            other.close()
            await rt.stop()
        return
    target = make_url(database_url)
    async with Relay(target.host or "127.0.0.1", target.port or 5432) as relay:
        through = target.set(host="127.0.0.1", port=relay.listen_port)
        url = through.render_as_string(hide_password=False)
        rt = Runtime.create(make_settings(url, tmp_path))
        await rt.start(migrate=False, engines=False)
        try:
            yield rt, relay.down, relay.up
        finally:
            await rt.stop()


async def test_the_client_retries_until_the_database_is_back(
    outage_runtime: tuple[Runtime, Outage, Outage], caplog: pytest.LogCaptureFixture
) -> None:
    rt, down, up = outage_runtime
    org = await new_org(rt.services)
    async with served(rt) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        try:
            await client.call(ENQUEUE, {"q": str(org.queue.id)})  # the key is cached now
            await down()
            call = asyncio.create_task(client.call(ENQUEUE, {"q": str(org.queue.id)}))
            await asyncio.sleep(1.5)
            assert not call.done(), call
            await up()
            job = (await asyncio.wait_for(call, 20))["enqueueJob"]
        finally:
            await client.close()
    stored = await jobs.get(rt.services, admin_of(org), uuid.UUID(job["id"]))
    assert stored.status.value == "PENDING"
    retried = [r for r in caplog.records if "server unavailable" in r.getMessage()]
    assert retried, "no UNAVAILABLE answer was retried"


async def test_a_worker_outlives_the_outage_and_runs_every_job_once(
    outage_runtime: tuple[Runtime, Outage, Outage],
) -> None:
    rt, down, up = outage_runtime
    org = await new_org(rt.services)
    svc, admin = rt.services, admin_of(org)
    ran: Counter[str] = Counter()

    async def record(payload: dict[str, Any], ctx: Any) -> None:
        ran[ctx.job_id] += 1

    before = await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, "t") for _ in range(5)])
    async with served(rt) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = Worker(
            client, {"t": record}, [(str(org.queue.id), 1)], Settings(poll_interval=0.1)
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            while len(ran) < 5:
                assert not running.done()
                await asyncio.sleep(0.05)
            await down()
            await asyncio.sleep(2.0)  # claims and heartbeats meet the outage
            assert not running.done()
            await up()
            after = await jobs.enqueue(
                svc, admin, [jobs.NewJob(org.queue.id, "t") for _ in range(5)]
            )
            ids = {str(j.id) for j in [*before, *after]}
            deadline = time.monotonic() + 20
            while set(ran) != ids:
                assert not running.done(), running
                assert time.monotonic() < deadline, (ran, ids)
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(running, 20)
            await client.close()
    assert set(ran.values()) == {1}, ran
    for job_id in ids:
        assert (await jobs.get(svc, admin, uuid.UUID(job_id))).status.value == "SUCCEEDED"


@contextlib.asynccontextmanager
async def answering(
    answers: list[tuple[int, dict[str, Any], dict[str, str]]],
) -> AsyncIterator[str]:
    """A served app answering each POST with the next (status, body, headers), then with
    data; yields its URL."""
    seen: list[float] = []

    async def graphql(request: Request) -> JSONResponse:
        seen.append(time.monotonic())
        if len(seen) <= len(answers):
            status, body, headers = answers[len(seen) - 1]
            return JSONResponse(body, status, headers)
        return JSONResponse({"data": {"ok": True}})

    port = free_port()
    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


UNAVAILABLE = {"errors": [{"message": "retry later", "extensions": {"code": "UNAVAILABLE"}}]}


async def test_the_client_waits_as_long_as_retry_after_says(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "taskforge.worker")
    answers = [(503, UNAVAILABLE, {"Retry-After": "1"})] * 2 + [(200, UNAVAILABLE, {})]
    async with answering(answers) as url:
        client = Client(url, "key")
        started = time.monotonic()
        try:
            assert await client.call("{ ok }") == {"ok": True}
        finally:
            await client.close()
    assert time.monotonic() - started >= 2.0  # two waits of Retry-After's second
    assert sum("server unavailable" in r.getMessage() for r in caplog.records) == 3


async def test_the_client_gives_up_after_its_retries_with_the_code() -> None:
    async with answering([(503, UNAVAILABLE, {})] * 3) as url:
        client = Client(url, "key")
        try:
            with pytest.raises(ApiError) as raised:
                await client.call("{ ok }", retries=2)
        finally:
            await client.close()
    assert raised.value.code == "UNAVAILABLE"


async def test_a_refusal_is_not_retried() -> None:
    refused = {"errors": [{"message": "no", "extensions": {"code": "FORBIDDEN"}}]}
    async with answering([(200, refused, {})]) as url:
        client = Client(url, "key")
        try:
            with pytest.raises(ApiError) as raised:
                await client.call("{ ok }")
        finally:
            await client.close()
    assert raised.value.code == "FORBIDDEN"
