"""Redis going away and coming back, on PostgreSQL, with a Redis of the test's own.

While Redis is down, committed events still reach subscribers (the event tail polls the
events table) in order, and the API keeps working; once Redis is back the tail
resubscribes and events flow through it again with normal latency, across replicas too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from taskforge.runtime import Runtime
from taskforge.services import jobs
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import GraphQLClient, free_port, served, subscribe, wait_for_subscribers

# PostgreSQL only: the fixture's SQLite parameter is not selected
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

POLL = 0.2  # event_poll_interval
STATUS = """subscription { jobStatusChanged { eventId jobId status } }"""
ENQUEUE = """mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t"}) { id } }"""
JOB = "query($id: ID!) { job(id: $id) { id status } }"


class PrivateRedis:
    """`redis-server` as a subprocess on a fixed port: stopped and started at will."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                async with self.client() as client:
                    await client.ping()
                return
            except (aioredis.ConnectionError, OSError):
                assert time.monotonic() < deadline, "redis-server did not start"
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            await proc.wait()

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[aioredis.Redis]:
        client = aioredis.Redis.from_url(self.url)
        try:
            yield client
        finally:
            await client.aclose()

    @contextlib.asynccontextmanager
    async def tap(self, channel: str) -> AsyncIterator[list[int]]:
        """The seqs published on the events channel while inside (the relay's path)."""
        seqs: list[int] = []
        async with self.client() as client:
            pubsub = client.pubsub()
            await pubsub.subscribe(channel)

            async def read() -> None:
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        seqs.append(json.loads(message["data"])["seq"])

            reader = asyncio.create_task(read())
            try:
                yield seqs
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def subscribers(self, channel: str) -> int:
        """Connections subscribed to the events channel (one per process's tail)."""
        async with self.client() as client:
            [(_, n)] = await client.pubsub_numsub(channel)
        return int(n)


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def create(database_url: str, tmp_path: Path, redis_url: str) -> Runtime:
    return Runtime.create(
        make_settings(database_url, tmp_path, redis_url=redis_url, event_poll_interval=POLL)
    )


@contextlib.asynccontextmanager
async def runtime(database_url: str, tmp_path: Path, redis_url: str) -> AsyncIterator[Runtime]:
    rt = create(database_url, tmp_path, redis_url)
    await rt.start(migrate=False, engines=False)
    try:
        yield rt
    finally:
        await rt.stop()


async def until(check, timeout: float, what: str) -> float:
    """Wait for ``check()`` to be true; returns how long it took."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < timeout, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.02)
    return time.monotonic() - began


async def status_event(sub, timeout: float = 10.0) -> dict[str, Any]:
    msg = await sub.next(timeout=timeout)
    assert msg["type"] == "next", msg
    event: dict[str, Any] = msg["payload"]["data"]["jobStatusChanged"]
    return event


async def enqueue_and_receive(rt: Runtime, org, sub) -> tuple[dict[str, Any], float]:
    """Commit one new job through ``rt`` and wait for its event; returns it and the
    commit -> receive latency."""
    [job] = await jobs.enqueue(
        rt.services, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="t")]
    )
    committed = time.monotonic()
    event = await status_event(sub)
    latency = time.monotonic() - committed
    assert (event["jobId"], event["status"]) == (str(job.id), "PENDING")
    return event, latency


async def test_events_survive_a_redis_outage(database_url, tmp_path, private_redis) -> None:
    async with runtime(database_url, tmp_path, private_redis.url) as rt:
        org = await new_org(rt.services)
        admin = admin_of(org)
        await until(lambda: rt.tail.broker_up, 5, "the tail subscribed")
        async with (
            served(rt) as base,
            httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http,
            subscribe(base, org.api_key.secret, STATUS) as sub,
        ):
            gql = GraphQLClient(http, org.api_key.secret)
            await wait_for_subscribers(rt, 1)
            first, latency = await enqueue_and_receive(rt, org, sub)
            assert latency < 1.0
            ids = [int(first["eventId"])]

            await private_redis.stop()
            try:
                outage: list[float] = []
                for _ in range(5):  # separate commits: each relay publish fails
                    event, latency = await enqueue_and_receive(rt, org, sub)
                    ids.append(int(event["eventId"]))
                    outage.append(latency)
                # read from the table within about one poll interval each
                assert max(outage) < POLL + 0.8 and sorted(outage)[2] < POLL + 0.3, outage
                # a batch of changes in one commit, delivered in order
                made = await jobs.enqueue(
                    rt.services, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 20
                )
                batch = [await status_event(sub) for _ in made]
                assert [e["jobId"] for e in batch] == [str(j.id) for j in made]
                ids += [int(e["eventId"]) for e in batch]

                # the API keeps working without Redis: a mutation, a query, and its event
                created = (await gql.ok(ENQUEUE, {"q": str(org.queue.id)}))["enqueueJob"]["id"]
                read = (await gql.ok(JOB, {"id": created}))["job"]
                assert read == {"id": created, "status": "PENDING"}
                event = await status_event(sub)
                assert event["jobId"] == created
                ids.append(int(event["eventId"]))
                ready = await http.get("/readyz")
                assert ready.status_code == 503 and ready.json()["database"] == "ok"
            finally:
                await private_redis.start()

            await until(lambda: rt.tail.broker_up, 10, "the tail is up")
            # the tail's Redis subscription is back (resubscribed on reconnect)
            for _ in range(200):
                if await private_redis.subscribers(rt.tail.channel) == 1:
                    break
                await asyncio.sleep(0.05)
            assert await private_redis.subscribers(rt.tail.channel) == 1
            after: list[float] = []
            async with private_redis.tap(rt.tail.channel) as published:
                for _ in range(5):
                    event, latency = await enqueue_and_receive(rt, org, sub)
                    ids.append(int(event["eventId"]))
                    after.append(latency)
                # the relay publishes again (and the tail, subscribed, gets them at once:
                # a quarter of the poll interval, median)
                await until(lambda: len(published) >= 5, 5, "the relay published again")
            assert published == ids[-5:]
            assert max(after) < 1.0 and sorted(after)[2] < POLL / 4, after
            assert (await http.get("/readyz")).status_code == 200
            await sub.nothing_for(0.3)
        # every event once, in commit order, nothing skipped
        assert ids == list(range(ids[0], ids[0] + len(ids))), ids


async def test_replicas_meet_again_after_redis_restarts(
    database_url, tmp_path, private_redis
) -> None:
    async with (
        runtime(database_url, tmp_path / "a", private_redis.url) as a,
        runtime(database_url, tmp_path / "b", private_redis.url) as b,
    ):
        org = await new_org(a.services)
        await until(lambda: a.tail.broker_up and b.tail.broker_up, 5, "both tails subscribed")
        async with served(b) as base, subscribe(base, org.api_key.secret, STATUS) as sub:
            await wait_for_subscribers(b, 1)
            first, latency = await enqueue_and_receive(a, org, sub)
            assert latency < 1.0
            ids = [int(first["eventId"])]

            await private_redis.stop()
            try:
                for _ in range(3):  # committed via A while Redis is down: B reads the table
                    event, _ = await enqueue_and_receive(a, org, sub)
                    ids.append(int(event["eventId"]))
            finally:
                await private_redis.start()

            await until(lambda: a.tail.broker_up and b.tail.broker_up, 10, "both tails up")
            for _ in range(200):
                if await private_redis.subscribers(a.tail.channel) == 2:
                    break
                await asyncio.sleep(0.05)
            assert await private_redis.subscribers(a.tail.channel) == 2
            latencies = []
            async with private_redis.tap(a.tail.channel) as published:
                for _ in range(5):  # A's relay publishes again, B's tail receives it
                    event, latency = await enqueue_and_receive(a, org, sub)
                    ids.append(int(event["eventId"]))
                    latencies.append(latency)
                await until(lambda: len(published) >= 5, 5, "the relays published again")
            assert published == ids[-5:]
            assert max(latencies) < 1.0 and sorted(latencies)[2] < POLL / 4, latencies
            await sub.nothing_for(0.3)
        assert ids == list(range(ids[0], ids[0] + len(ids))), ids


async def test_a_runtime_stops_while_redis_is_down(database_url, tmp_path, private_redis) -> None:
    rt = create(database_url, tmp_path, private_redis.url)
    await rt.start(migrate=False, engines=False)
    await until(lambda: rt.tail.broker_up, 5, "the tail subscribed")
    await private_redis.stop()
    await asyncio.sleep(1.0)
    stopping = asyncio.create_task(rt.stop())
    done, _ = await asyncio.wait({stopping}, timeout=10)
    if not done:
        # free the stuck listener: with Redis back, a second cancel is honoured
        await private_redis.start()
        await until(lambda: rt.tail.broker_up, 10, "the stuck tail resubscribed")
        await rt.tail.stop()
        async with asyncio.timeout(10):
            await stopping
    assert done, "Runtime.stop() did not return within 10 s with Redis down"


async def test_the_tail_notices_that_redis_is_gone_and_back(
    database_url, tmp_path, private_redis, caplog
) -> None:
    """broker_up follows the connection, and an outage is logged once each way, not a
    traceback per reconnect attempt."""
    async with runtime(database_url, tmp_path, private_redis.url) as rt:
        await until(lambda: rt.tail.broker_up, 5, "the tail subscribed")
        caplog.clear()
        await private_redis.stop()
        try:
            await until(lambda: not rt.tail.broker_up, 5, "the tail noticed Redis is down")
            await asyncio.sleep(2)  # several reconnect attempts
        finally:
            await private_redis.start()
        await until(lambda: rt.tail.broker_up, 10, "the tail is up again")
    broker = [r for r in caplog.records if r.name == "taskforge.realtime.broker"]
    assert [r.getMessage().split(" (")[0] for r in broker] == [
        "redis pub/sub connection lost",
        "redis pub/sub connection is back",
    ], [r.getMessage() for r in broker]
    assert not any(r.exc_info for r in broker)
