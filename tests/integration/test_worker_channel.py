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
from taskforge.http import worker_channel
from taskforge.persistence.tables import Organization
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
    async with websockets.connect(f"ws://{base}/workers/channel", additional_headers=headers) as ws:
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
    async with (
        served(rt) as base,
        channel(base, key.secret) as c,
        channel(base, org.api_key.secret) as untouched,
    ):
        await c.hello(org.queue.id)
        await untouched.hello(org.queue.id)
        await auth.revoke_api_key(rt.services, admin_of(org), key.key.id)
        assert await c.closed(3.0) == 4403
        await untouched.nothing_for(0.2)
        async with rt.db.write() as session:  # as the operator's command, on another replica
            row = await session.get(Organization, org.organization.id)
            assert row is not None
            row.suspended_at = rt.services.clock()
        assert await untouched.closed(3.0) == 4403


async def test_tenancy(rt) -> None:
    org, other = await new_org(rt.services), await new_org(rt.services, "Globex")
    theirs = await enqueue(rt, other, 5)
    [mine] = await enqueue(rt, org, 1)
    async with served(rt) as base:
        async with channel(base, other.api_key.secret) as c:
            their_worker = await c.hello(other.queue.id, capacity=5)
            their_executions = [item[0] for item in await c.jobs(5)]
        async with channel(base, org.api_key.secret) as c:
            await c.send(type="hello", capacity=1, workerId=their_worker, holding=their_executions)
            msg = await c.recv()
            assert (msg["type"], msg["code"]) == ("error", "NOT_FOUND")
            assert await c.closed() == 4404
        async with channel(base, org.api_key.secret) as c:
            await c.hello(org.queue.id, capacity=10)
            [pushed] = await c.jobs(1)
            assert pushed[1] == mine  # never another organization's
            await c.nothing_for(0.3)
            rejected = await c.ack(
                ok=their_executions[:1], failed=[[their_executions[1], "x", True]]
            )
            assert sorted(code for _, code, _ in rejected) == ["NOT_FOUND", "NOT_FOUND"]
            await c.send(type="logs", executionId=their_executions[2], entries=[["INFO", "hi"]])
            msg = await c.recv()
            assert (msg["type"], msg["code"], msg["about"]) == ("error", "NOT_FOUND", "logs")
            assert await c.ack(ok=[pushed[0]]) == []
    for job_id in theirs:  # untouched: still running on their worker
        assert await status_of(rt, other, job_id) is JobStatus.PROCESSING
    assert await status_of(rt, org, mine) is JobStatus.SUCCEEDED


STATUS = "subscription { jobStatusChanged { jobId status } }"


async def test_a_waiting_worker_is_woken_and_subscribers_see_its_jobs(
    database_url, tmp_path, broker_url
) -> None:
    """A worker waiting with credit gets a new job by the wake-up, well before its poll
    (30 s here); a jobStatusChanged subscriber sees the job run and succeed."""
    rt = await start(database_url, tmp_path, redis_url=broker_url, worker_channel_poll_seconds=30)
    try:
        org = await new_org(rt.services)
        async with (
            served(rt) as base,
            subscribe(base, org.api_key.secret, STATUS) as sub,
            channel(base, org.api_key.secret) as c,
        ):
            await c.hello(org.queue.id, capacity=10)
            await wait_for_subscribers(rt, 2)  # the subscription and the wake-up
            await c.nothing_for(0.3)
            [job_id] = await enqueue(rt, org, 1)
            [pushed] = await c.jobs(1, timeout=5)
            assert pushed[1] == job_id
            assert await c.ack(ok=[pushed[0]]) == []
            seen: list[str] = []
            while seen[-1:] != ["SUCCEEDED"]:
                event = (await sub.next())["payload"]["data"]["jobStatusChanged"]
                assert event["jobId"] == job_id
                seen.append(event["status"])
            assert seen == ["PENDING", "PROCESSING", "SUCCEEDED"]
    finally:
        await rt.stop()


async def test_jobs_are_pushed_and_their_outcomes_applied(rt) -> None:
    org = await new_org(rt.services)
    [ok, retried, failed] = await enqueue(rt, org, 3, payload={"n": 1})
    async with served(rt) as base, channel(base, org.api_key.secret) as c:
        worker_id = await c.hello(org.queue.id, capacity=10)
        pushed = await c.jobs(3)
        assert sorted(p[1] for p in pushed) == sorted([ok, retried, failed])
        assert all(p[2:] == ["t", 1, {"n": 1}] for p in pushed)
        execution = {p[1]: p[0] for p in pushed}
        await c.send(
            type="logs",
            executionId=execution[ok],
            entries=[["INFO", "one", {"k": 1}], ["WARN", "two"]],
        )
        await c.send(type="beat")
        rejected = await c.ack(
            done=[[execution[ok], {"out": 42}]],
            failed=[[execution[retried], "boom", True], [execution[failed], "bad", False]],
        )
        assert rejected == []
        # the retryable failure comes back as a second attempt (after its ~1 s delay)
        [again] = await c.jobs(1, timeout=10)
        assert again[1:4] == [retried, "t", 2]
        assert await c.ack(ok=[again[0]]) == []
    svc, admin = rt.services, admin_of(org)
    assert (await jobs.get(svc, admin, uuid.UUID(ok))).output == {"out": 42}
    assert await status_of(rt, org, retried) is JobStatus.SUCCEEDED
    assert await status_of(rt, org, failed) is JobStatus.FAILED
    runs = await executions.executions_of(svc, admin, [uuid.UUID(retried)])
    assert [(e.attempt_number, e.status) for e in runs] == [
        (1, ExecutionStatus.RETRYING),
        (2, ExecutionStatus.SUCCEEDED),
    ]
    assert all(str(e.worker_id) == worker_id for e in runs)
    logs = await executions.logs_of(svc, admin, [uuid.UUID(execution[ok])])
    assert [(entry.level.value, entry.message, entry.metadata_) for entry in logs] == [
        ("INFO", "one", {"k": 1}),
        ("WARN", "two", {}),
    ]


async def test_a_worker_never_holds_more_than_its_capacity(rt) -> None:
    org = await new_org(rt.services)
    ids = await enqueue(rt, org, 10)
    async with served(rt) as base, channel(base, org.api_key.secret) as c:
        await c.hello(org.queue.id, capacity=2)
        held = [p[0] for p in await c.jobs(2)]
        await c.nothing_for(0.5)
        ran: list[str] = []
        while held:
            done = held.pop(0)
            ran.append(done)
            assert await c.ack(ok=[done]) == []
            if len(ran) + len(held) < 10:
                held += [p[0] for p in await c.jobs(1)]  # the credit came back: one more
            assert len(held) <= 2
            await c.nothing_for(0.05)
        assert len(set(ran)) == 10
    for job_id in ids:
        assert await status_of(rt, org, job_id) is JobStatus.SUCCEEDED


async def test_with_a_backlog_returned_credit_is_gathered_into_fuller_claims(
    rt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a full claim, one returned credit does not make a claim of one: the pusher
    waits (GATHER_SECONDS at most) for half the capacity. A queue without a backlog
    gets each credit's job at once."""
    monkeypatch.setattr(worker_channel, "GATHER_SECONDS", 5.0)  # no timing in the test
    org = await new_org(rt.services)
    await enqueue(rt, org, 30)
    async with served(rt) as base, channel(base, org.api_key.secret) as c:
        await c.hello(org.queue.id, capacity=10)
        held = [p[0] for p in await c.jobs(10)]  # a full claim: a backlog
        assert await c.ack(ok=held[:1]) == []
        await c.nothing_for(0.3)  # one credit: gathering
        assert await c.ack(ok=held[1:5]) == []
        msg = await c.recv()
        assert msg["type"] == "jobs" and len(msg["jobs"]) == 5, msg  # one claim of five

    other = await new_org(rt.services)
    await enqueue(rt, other, 3)
    async with served(rt) as base, channel(base, other.api_key.secret) as c:
        await c.hello(other.queue.id, capacity=10)
        held = [p[0] for p in await c.jobs(3)]  # a short claim: no backlog
        assert await c.ack(ok=held[:1]) == []
        await enqueue(rt, other, 1)
        assert len(await c.jobs(1, timeout=2.0)) == 1  # at once, not after gathering


async def test_a_reconnect_pushes_again_what_the_worker_does_not_hold(rt) -> None:
    """Jobs pushed into a connection that broke: those the worker holds (running, or
    with an outcome not yet sent) are not pushed again, the others are; the outcomes
    buffered across the drop are applied. Every job runs once."""
    org = await new_org(rt.services)
    ids = await enqueue(rt, org, 5)
    async with served(rt) as base:
        async with channel(base, org.api_key.secret) as c:
            worker_id = await c.hello(org.queue.id, capacity=5)
            first = {p[0]: p for p in await c.jobs(5)}
            c.ws.transport.abort()  # the socket breaks, no close frame
        running, finished, *lost = sorted(first)
        async with channel(base, org.api_key.secret) as c:
            await c.send(type="hello", capacity=5, workerId=worker_id, holding=[running, finished])
            assert (await c.recv())["type"] == "welcome"
            again = await c.jobs(3)
            assert sorted(p[0] for p in again) == sorted(lost)
            assert all(p == first[p[0]] for p in again)  # the same attempts
            assert await c.ack(ok=[finished]) == []  # buffered across the drop
            await c.nothing_for(0.3)  # credit: 5 held (2 + 3), one returned but no job left
            assert await c.ack(ok=[running, *lost]) == []
    svc, admin = rt.services, admin_of(org)
    runs = await executions.executions_of(svc, admin, [uuid.UUID(i) for i in ids])
    assert len(runs) == 5 and all(e.status is ExecutionStatus.SUCCEEDED for e in runs)
    assert {str(e.worker_id) for e in runs} == {worker_id}


async def test_a_beat_pushes_what_a_stale_connection_claimed(rt) -> None:
    """A worker reconnected while the server still holds its old connection (a
    half-open socket): what the old one claims afterwards goes nowhere; the worker's
    next beat on the new connection gets it pushed there."""
    org = await new_org(rt.services)
    key = org.api_key.secret
    [first] = await enqueue(rt, org, 1)
    async with served(rt) as base, channel(base, key) as old, channel(base, key) as new:
        worker_id = await old.hello(org.queue.id, capacity=5)
        [held] = await old.jobs(1)
        await new.send(type="hello", capacity=1, workerId=worker_id, holding=[held[0]])
        assert (await new.recv())["type"] == "welcome"  # no credit left here
        later = await enqueue(rt, org, 2)
        stray = await old.jobs(2)  # claimed by the old connection: never run
        await new.nothing_for(0.2)
        await new.send(type="beat")
        pushed = await new.jobs(2)
        assert sorted(pushed) == sorted(stray)
        await new.send(type="beat")
        await new.nothing_for(0.3)  # pushed once
        assert await new.ack(ok=[held[0], *(p[0] for p in pushed)]) == []
    assert held[1] == first
    for job_id in [first, *later]:
        assert await status_of(rt, org, job_id) is JobStatus.SUCCEEDED


async def test_drain_stops_pushing_and_running_jobs_finish(rt) -> None:
    org = await new_org(rt.services)
    [first, *waiting] = await enqueue(rt, org, 3)
    rt.settings.worker_channel_poll_seconds = 0.1
    async with served(rt) as base, channel(base, org.api_key.secret) as c:
        worker_id = await c.hello(org.queue.id, capacity=1)
        [held] = await c.jobs(1)
        await c.send(type="drain")
        assert (await c.recv())["type"] == "drained"
        assert await c.ack(ok=[held[0]]) == []  # credit, but nothing comes
        await c.nothing_for(0.5)
    svc, admin = rt.services, admin_of(org)
    worker = await workers.get(svc, admin, uuid.UUID(worker_id))
    assert worker.status is WorkerStatus.DRAINING
    assert held[1] == first and await status_of(rt, org, first) is JobStatus.SUCCEEDED
    for job_id in waiting:
        assert await status_of(rt, org, job_id) is JobStatus.PENDING


MALFORMED: list[Any] = [
    "not json",
    "[1, 2]",
    {"type": 5},
    {"type": "claim"},
    {"type": "hello", "name": "w", "queues": [], "capacity": 1},
    {"type": "hello", "name": "w", "queues": [["q", 1]], "capacity": 1},
    {"type": "hello", "capacity": 0, "workerId": str(uuid.uuid4())},
    {"type": "ack", "ok": ["not-an-id"]},
    {"type": "ack", "failed": [[str(uuid.uuid4()), "x"]]},
    {"type": "ack", "done": [[str(uuid.uuid4()), [1]]]},
    {"type": "logs", "executionId": str(uuid.uuid4()), "entries": [["LOUD", "x"]]},
    {"type": "hello", "name": "again", "queues": [[str(uuid.uuid4()), 1]], "capacity": 1},
]


async def test_malformed_messages_close_with_4400(rt) -> None:
    org = await new_org(rt.services)
    async with served(rt) as base:
        for i, bad in enumerate(MALFORMED):
            async with channel(base, org.api_key.secret) as c:
                # the first four and the hello shapes as a first message; the rest after one
                if i >= 7:
                    await c.hello(org.queue.id)
                await c.ws.send(bad if isinstance(bad, str) else json.dumps(bad))
                try:
                    await c.recv()
                    raise AssertionError(f"{bad!r} was answered")
                except websockets.ConnectionClosed as exc:
                    assert exc.rcvd is not None and exc.rcvd.code == 4400, (bad, exc)
                    assert exc.rcvd.reason and "Traceback" not in exc.rcvd.reason
