"""Outbox relay, brokers and the jobStatusChanged subscription over a real WebSocket.

Runs on SQLite and PostgreSQL, each with the in-process broker and real Redis."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid

import pytest
import websockets
from sqlalchemy import select

from taskforge.persistence.common import outbox
from taskforge.persistence.common.outbox import MAX_SPAN
from taskforge.persistence.tables import Event
from taskforge.realtime.broker import InProcessBroker, RedisBroker
from taskforge.runtime import Runtime
from taskforge.services import jobs
from tests.conftest import admin_of, make_settings
from tests.helpers import (
    events_settled,
    served,
    stored_events,
    subscribe,
    wait_for_subscribers,
)

SUB = """subscription($job: ID, $queue: ID, $statuses: [JobStatus!]) {
  jobStatusChanged(jobId: $job, queueId: $queue, statuses: $statuses) {
    eventId jobId queueId status previousStatus reason job { id status }
  }
}"""


@pytest.fixture(params=["memory", "redis"])
def broker_url(request):
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


@pytest.fixture
async def rt(database_url, tmp_path, broker_url):
    runtime = Runtime.create(make_settings(database_url, tmp_path, redis_url=broker_url))
    await runtime.start(migrate=False)
    yield runtime
    await runtime.stop()


def new_job(org, **kw):
    return jobs.NewJob(queue_id=kw.pop("queue_id", org.queue.id), job_type="t", **kw)


async def test_relay_stamps_in_commit_order(rt) -> None:
    from tests.conftest import new_org

    org = await new_org(rt.services)
    await asyncio.gather(
        *(jobs.enqueue(rt.services, admin_of(org), [new_job(org)] * 3) for _ in range(10))
    )
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        async with rt.db.read() as session:
            stored = await stored_events(session)
        seqs = [e["seq"] for e in stored]
        if all(s is not None for s in seqs) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    # one status event per job, whatever rows hold them
    assert sum(e["type"] == "job.status_changed" for e in stored) == 30
    assert sorted(seqs) == list(range(1, len(seqs) + 1))  # dense, unique, all stamped


async def test_subscription_delivers_filtered_events(rt) -> None:
    from tests.conftest import new_org

    org = await new_org(rt.services)
    admin = admin_of(org)
    [watched, other] = await jobs.enqueue(rt.services, admin, [new_job(org), new_job(org)])
    await events_settled(rt)  # live streams start after what is already published
    async with served(rt) as base:  # noqa: SIM117 (base is needed by the next line)
        async with (
            subscribe(base, org.api_key.secret, SUB, {"job": str(watched.id)}) as by_job,
            subscribe(base, org.api_key.secret, SUB, {"statuses": ["CANCELLED"]}) as by_status,
            subscribe(base, org.api_key.secret, SUB, {"queue": str(org.queue.id)}) as by_queue,
        ):
            await wait_for_subscribers(rt, 3)
            await jobs.cancel(rt.services, admin, other.id)
            await jobs.cancel(rt.services, admin, watched.id, "enough")

            got = (await by_job.next())["payload"]["data"]["jobStatusChanged"]
            assert (got["jobId"], got["status"], got["previousStatus"], got["reason"]) == (
                str(watched.id),
                "CANCELLED",
                "PENDING",
                "enough",
            )
            assert got["job"] == {"id": str(watched.id), "status": "CANCELLED"}
            await by_job.nothing_for(0.2)

            statuses = [
                (await by_status.next())["payload"]["data"]["jobStatusChanged"] for _ in range(2)
            ]
            assert [s["jobId"] for s in statuses] == [str(other.id), str(watched.id)]
            assert int(statuses[0]["eventId"]) < int(statuses[1]["eventId"])

            [fresh] = await jobs.enqueue(rt.services, admin, [new_job(org)])
            seen = [
                (await by_queue.next())["payload"]["data"]["jobStatusChanged"] for _ in range(3)
            ]
            assert [(s["jobId"], s["status"]) for s in seen] == [
                (str(other.id), "CANCELLED"),
                (str(watched.id), "CANCELLED"),
                (str(fresh.id), "PENDING"),
            ]


async def test_websocket_auth(rt) -> None:
    from tests.conftest import new_org

    org = await new_org(rt.services)
    async with served(rt) as base:
        async with websockets.connect(
            f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": "Bearer tf_wrong"}}
                )
            )
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd.code == 4403
        async with websockets.connect(
            f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUB}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd.code == 4401
        # a valid token in connection_init works
        async with subscribe(base, org.api_key.secret, SUB) as sub:
            await wait_for_subscribers(rt, 1)
            [job] = await jobs.enqueue(rt.services, admin_of(org), [new_job(org)])
            assert (await sub.next())["payload"]["data"]["jobStatusChanged"]["jobId"] == str(job.id)


async def test_events_reach_other_replicas_through_redis(database_url, tmp_path, redis_url) -> None:
    """Two API replicas on one database: a change made through one is seen on the other."""
    from tests.conftest import new_org

    a = Runtime.create(make_settings(database_url, tmp_path, redis_url=redis_url))
    b = Runtime.create(make_settings(database_url, tmp_path, redis_url=redis_url))
    await a.start(migrate=False)
    await b.start(migrate=False)
    try:
        org = await new_org(a.services)
        async with served(b) as base, subscribe(base, org.api_key.secret, SUB) as sub:
            await wait_for_subscribers(b, 1)
            [job] = await jobs.enqueue(a.services, admin_of(org), [new_job(org)])
            got = (await sub.next())["payload"]["data"]["jobStatusChanged"]
            assert (got["jobId"], got["status"]) == (str(job.id), "PENDING")
            await sub.nothing_for(0.3)  # exactly once, although both relays run
    finally:
        await a.stop()
        await b.stop()


async def test_a_relay_that_finds_the_cursor_busy_retries_soon(pg_database, tmp_path) -> None:
    """PostgreSQL (the cursor is taken with SKIP LOCKED): while another relay holds the
    cursor, a relay woken by its own commit retries within milliseconds instead of
    sleeping a whole poll interval (here 10 s), so the event goes out promptly."""
    import asyncpg

    from tests.conftest import _reset_pg, new_org

    await _reset_pg(pg_database)
    settings = make_settings(pg_database, tmp_path).model_copy(update={"relay_interval": 10.0})
    rt = Runtime.create(settings)
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        await events_settled(rt, timeout=15)
        other = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
        try:
            holding = other.transaction()
            await holding.start()
            await other.execute("SELECT 1 FROM outbox_cursor WHERE id = 1 FOR UPDATE")
            await jobs.enqueue(rt.services, admin_of(org), [new_job(org)])
            # the relay was woken by the commit and found the cursor held
            for _ in range(200):
                if rt.relay.busy:
                    break
                await asyncio.sleep(0.005)
            assert rt.relay.busy
            await holding.rollback()  # the other relay is done
        finally:
            await other.close()
        loop = asyncio.get_running_loop()
        released = loop.time()
        await events_settled(rt, timeout=5)
        assert loop.time() - released < 2.0  # the backoff, not the 10 s poll
    finally:
        await rt.stop()


async def test_a_relay_tick_is_one_statement_on_postgresql(pg_database, tmp_path) -> None:
    """Taking the cursor, stamping and moving it is one statement committed on its own:
    no BEGIN, separate lock or COMMIT round trips, each of which left the tick waiting
    behind whatever else the event loop was running."""
    from sqlalchemy import event

    from taskforge.realtime.relay import Relay
    from tests.conftest import _reset_pg, new_org

    await _reset_pg(pg_database)
    rt = Runtime.create(make_settings(pg_database, tmp_path))
    await rt.start(migrate=False, engines=False)
    try:
        await rt.relay.stop()
        relay = Relay(rt.db, rt.broker, interval=10.0)
        await relay.tick(woken=True)  # reads the channel name once
        await new_org(rt.services)
        sent: list[str] = []

        def log(query) -> None:  # type: ignore[no-untyped-def]
            sent.append(query.query)

        def on_checkout(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.driver_connection.add_query_logger(log)

        def on_checkin(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.driver_connection.remove_query_logger(log)

        event.listen(rt.db.engine.sync_engine, "checkout", on_checkout)
        event.listen(rt.db.engine.sync_engine, "checkin", on_checkin)
        try:
            assert await relay.tick(woken=True) > 0
        finally:
            event.remove(rt.db.engine.sync_engine, "checkout", on_checkout)
            event.remove(rt.db.engine.sync_engine, "checkin", on_checkin)
        assert len(sent) == 1, sent
        async with rt.db.read() as session:
            assert not await outbox.has_unstamped(session)
    finally:
        await rt.stop()


async def test_racing_relays_stamp_every_event_once(pg_database, tmp_path) -> None:
    """PostgreSQL: relays of several replicas racing for the cursor while events are
    written: each event is stamped and published once, and the seqs stay dense (a relay
    whose snapshot predates another's stamp finds the cursor moved and stamps nothing)."""
    from sqlalchemy import text

    from taskforge.realtime.relay import Relay
    from tests.conftest import _reset_pg, new_org

    await _reset_pg(pg_database)
    rt = Runtime.create(make_settings(pg_database, tmp_path))
    await rt.start(migrate=False, engines=False)
    try:
        await rt.relay.stop()
        org = await new_org(rt.services)
        relays = [Relay(rt.db, InProcessBroker(), interval=10.0) for _ in range(4)]
        writing = 2

        async def write() -> None:
            nonlocal writing
            for _ in range(40):
                await jobs.enqueue(rt.services, admin_of(org), [new_job(org)] * 2)
            writing -= 1

        async def stamp(relay: Relay) -> None:
            while True:
                sent = await relay.tick(woken=True)
                if not (writing or sent or relay.busy):
                    return
                await asyncio.sleep(0)

        await asyncio.gather(write(), write(), *(stamp(r) for r in relays))
        async with rt.db.read() as session:
            assert not await outbox.has_unstamped(session)
            rows = (await session.execute(text("SELECT seq, span FROM events ORDER BY seq"))).all()
        assert rows[0].seq == 1
        for before, after in itertools.pairwise(rows):
            assert after.seq == before.seq + before.span  # dense, never twice
        assert sum(r.published for r in relays) == sum(row.span for row in rows)
    finally:
        await rt.stop()


async def test_deployments_sharing_a_redis_keep_their_events_apart(
    database_url, tmp_path, redis_url
) -> None:
    """Two deployments (two databases) on one Redis: each has its own channel, so B's
    sequence numbers never move A's tail; A's subscriber gets every A event at once
    (the table poll, which would mask a lost one, is slowed to a minute)."""
    from tests.conftest import new_org

    slow = {"redis_url": redis_url, "event_poll_interval": 60.0}
    a = Runtime.create(make_settings(database_url, tmp_path / "a", **slow))
    b_url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    b = Runtime.create(make_settings(b_url, tmp_path / "b", **slow))
    await a.start(migrate=False)
    await b.start(migrate=True)
    try:
        assert a.tail.channel != b.tail.channel
        org_a, org_b = await new_org(a.services), await new_org(b.services, "Other")
        await events_settled(a)
        async with served(a) as base, subscribe(base, org_a.api_key.secret, SUB) as sub:
            await wait_for_subscribers(a, 1)
            # B publishes more events than A has: its seqs pass A's position
            for _ in range(5):
                await jobs.enqueue(b.services, admin_of(org_b), [new_job(org_b)] * 10)
            await events_settled(b)
            for _ in range(3):
                [job] = await jobs.enqueue(a.services, admin_of(org_a), [new_job(org_a)])
                got = (await sub.next(timeout=5))["payload"]["data"]["jobStatusChanged"]
                assert (got["jobId"], got["status"]) == (str(job.id), "PENDING")
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_broker_fanout(kind, request) -> None:
    broker = (
        RedisBroker(request.getfixturevalue("redis_url")) if kind == "redis" else InProcessBroker()
    )
    # channels of this run alone: the Redis server is shared with concurrent test processes
    c1, c2 = (f"{name}-{uuid.uuid4().hex}" for name in ("c1", "c2"))
    try:
        async with (
            broker.subscribe(c1) as q1,
            broker.subscribe(c1) as q2,
            broker.subscribe(c2) as q3,
        ):
            assert broker.subscribers == 3
            await broker.publish([(c1, "a"), (c2, "b"), (c1, "c")])
            for q in (q1, q2):
                assert [await asyncio.wait_for(q.get(), 2) for _ in range(2)] == ["a", "c"]
            assert await asyncio.wait_for(q3.get(), 2) == "b"
        assert broker.subscribers == 0
        await broker.ping()
    finally:
        await broker.close()


async def test_a_batch_is_a_few_rows_and_every_event_reaches_the_tail(rt) -> None:
    """A transaction's run of status events shares outbox rows (at most MAX_SPAN each);
    the tail still hands every event, with its own consecutive id, to subscriptions."""
    from tests.conftest import new_org

    org = await new_org(rt.services)
    await events_settled(rt)
    feed, _ = rt.tail.attach(org.organization.id, {"job.status_changed"})
    try:
        made = await jobs.enqueue(rt.services, admin_of(org), [new_job(org)] * (MAX_SPAN + 2))
        got = [await asyncio.wait_for(feed.get(), 5) for _ in made]
    finally:
        rt.tail.detach(feed)
    assert [e["payload"]["jobId"] for e in got] == [str(j.id) for j in made]
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(made)))
    async with rt.db.read() as session:
        spans = list(
            await session.scalars(
                select(Event.span)
                .where(Event.organization_id == org.organization.id)
                .where(Event.type == "job.status_changed")
                .order_by(Event.id)
            )
        )
    assert spans == [MAX_SPAN, 2]


async def test_stopping_the_tail_lets_its_table_read_finish(rt, monkeypatch) -> None:
    """Shutdown does not cancel the tail's read of the events table mid-query (that
    strands the connection, and the pool logs a failed reset at every stop under load):
    the read under way ends, then the tail stops."""
    from taskforge.realtime import tail as tail_module

    real_after = tail_module.event_log.after
    reading, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def slow_after(session, position, limit):
        reading.set()
        try:
            await release.wait()
            rows = await real_after(session, position, limit)
        except asyncio.CancelledError:
            finished.append(False)
            raise
        finished.append(True)
        return rows

    monkeypatch.setattr(tail_module.event_log, "after", slow_after)
    rt.tail._wake.set()
    await asyncio.wait_for(reading.wait(), 5)
    stopping = asyncio.create_task(rt.tail.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the read rather than cancelling it
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == [True]
