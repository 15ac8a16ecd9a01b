"""Live subscriptions that lose nothing, on both brokers and both databases: replay from
a cursor, the replay/live seam, resync, isolation, caps, slow consumers, workflow
progress and scheduler ticks, and the release of tasks after many connections."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
import websockets
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from taskforge.domain.enums import ScheduleKind
from taskforge.persistence.common import event_log
from taskforge.persistence.tables import Event
from taskforge.runtime import Runtime
from taskforge.schema import event_types as ev
from taskforge.services import executions, jobs, scheduler, schedules, workflows
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import (
    events_settled,
    served,
    stored_events,
    subscribe,
    wait_for_subscribers,
)
from tests.integration.workflow_driver import run, worker_for

STATUS = """subscription($after: ID, $workflow: ID) {
  jobStatusChanged(after: $after, workflowId: $workflow) { eventId jobId status } }"""
PROGRESS = """subscription($id: ID!, $after: ID) {
  workflowProgress(workflowId: $id, after: $after) {
  eventId jobId jobStatus workflowStatus stats { total completed completionPercentage } } }"""
TICKS = """subscription($id: ID) { schedulerTicks(scheduleId: $id) {
  eventId scheduleId occurrence jobId nextRunAt manual } }"""


@pytest.fixture(params=["memory", "redis"])
def broker_url(request):
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


@pytest.fixture
async def rt(database_url, tmp_path, broker_url):
    runtime = Runtime.create(make_settings(database_url, tmp_path, redis_url=broker_url))
    await runtime.start(migrate=False, engines=False)
    yield runtime
    await runtime.stop()


def job(org):
    return jobs.NewJob(queue_id=org.queue.id, job_type="t")


async def status_event_ids(rt, org) -> list[int]:
    """Stamped status-change event ids of a tenant, waiting for the relay."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        async with rt.db.read() as session:
            stored = await stored_events(
                session,
                Event.organization_id == org.organization.id,
                Event.type == "job.status_changed",
            )
        seqs = [e["seq"] for e in stored]
        if all(s is not None for s in seqs) or loop.time() > deadline:
            return sorted(s for s in seqs if s is not None)
        await asyncio.sleep(0.02)


def error_code(msg: dict) -> str:
    """The code of a subscription's error, sent as an error or as a result with errors."""
    errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
    return str(errors[0]["extensions"]["code"])


async def data(sub, field: str) -> dict:
    msg = await sub.next()
    assert msg["type"] == "next", msg
    return msg["payload"]["data"][field]


async def test_replay_from_a_cursor_then_live(rt) -> None:
    org = await new_org(rt.services)
    admin = admin_of(org)
    made = await jobs.enqueue(rt.services, admin, [job(org)] * 5)
    ids = await status_event_ids(rt, org)
    assert len(ids) == 5
    async with (
        served(rt) as base,
        subscribe(base, org.api_key.secret, STATUS, {"after": str(ids[1])}) as sub,
    ):
        replayed = [await data(sub, "jobStatusChanged") for _ in range(3)]
        assert [int(e["eventId"]) for e in replayed] == ids[2:]
        assert [e["jobId"] for e in replayed] == [str(j.id) for j in made[2:]]
        [fresh] = await jobs.enqueue(rt.services, admin, [job(org)])
        live = await data(sub, "jobStatusChanged")
        assert live["jobId"] == str(fresh.id) and int(live["eventId"]) > ids[-1]
        await sub.nothing_for(0.3)


async def test_the_seam_delivers_each_event_once_in_order(rt) -> None:
    """Events committed while a subscriber switches from replay to live: none lost, none
    twice, in order."""
    org = await new_org(rt.services)
    admin = admin_of(org)
    await jobs.enqueue(rt.services, admin, [job(org)] * 20)
    first = (await status_event_ids(rt, org))[0]
    stop = asyncio.Event()

    async def writer() -> None:
        while not stop.is_set():
            await jobs.enqueue(rt.services, admin, [job(org)] * 3)
            await asyncio.sleep(0.005)

    async with served(rt) as base:
        task = asyncio.create_task(writer())
        try:
            await asyncio.sleep(0.1)
            async with subscribe(
                base, org.api_key.secret, STATUS, {"after": str(first - 1)}
            ) as sub:
                got: list[int] = []
                while len(got) < 120:
                    got.append(int((await data(sub, "jobStatusChanged"))["eventId"]))
                stop.set()
                await task
                expected = await status_event_ids(rt, org)
                while len(got) < len(expected):
                    got.append(int((await data(sub, "jobStatusChanged"))["eventId"]))
                await sub.nothing_for(0.3)
        finally:
            stop.set()
            await task
    assert got == expected  # every event, once, in seq order


async def test_an_expired_cursor_must_resync(rt) -> None:
    org = await new_org(rt.services)
    await jobs.enqueue(rt.services, admin_of(org), [job(org)] * 3)
    ids = await status_event_ids(rt, org)
    async with rt.db.write() as session:
        assert await event_log.prune(session, rt.services.clock() + timedelta(seconds=1), 100)
    async with served(rt) as base:
        async with subscribe(base, org.api_key.secret, STATUS, {"after": str(ids[0])}) as sub:
            assert error_code(await sub.next()) == "RESYNC_REQUIRED"
        async with subscribe(base, org.api_key.secret, STATUS, {"after": "x"}) as sub:
            assert error_code(await sub.next()) == "BAD_USER_INPUT"


async def test_workflow_progress_carries_status_and_stats(rt) -> None:
    org = await new_org(rt.services)
    admin = admin_of(org)
    definition = {
        "name": "two",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    wf = await workflows.create(rt.services, admin, org.project.id, definition, start=True)
    async with (
        served(rt) as base,
        subscribe(base, org.api_key.secret, PROGRESS, {"id": str(wf.id), "after": "0"}) as sub,
    ):
        await wait_for_subscribers(rt, 1)
        await run(rt.services, admin, await worker_for(rt.services, admin, org.queue.id))
        seen = []
        while not seen or seen[-1]["workflowStatus"] != "SUCCEEDED":
            seen.append(await data(sub, "workflowProgress"))
    job_events = [e for e in seen if e["jobId"]]
    assert [e["jobStatus"] for e in job_events] == ["PROCESSING", "SUCCEEDED"] * 2
    assert [e["stats"]["completed"] for e in job_events] == [0, 1, 1, 2]
    assert seen[-1]["stats"]["completionPercentage"] == 100.0
    ids = [int(e["eventId"]) for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def yearly(org) -> ScheduleSpec:
    """A schedule that does not fire on its own during a test (ticks come from triggers)."""
    return ScheduleSpec(
        name="s",
        kind=ScheduleKind.CRON,
        expression="0 0 1 1 *",
        queue_id=org.queue.id,
        job_type="t",
    )


async def test_scheduler_ticks(rt) -> None:
    org = await new_org(rt.services)
    admin = admin_of(org)
    s = await schedules.create(rt.services, admin, yearly(org))
    async with (
        served(rt) as base,
        subscribe(base, org.api_key.secret, TICKS, {"id": str(s.id)}) as sub,
    ):
        await wait_for_subscribers(rt, 1)
        await scheduler.trigger(rt.services, admin, s.id)
        tick = await data(sub, "schedulerTicks")
    assert tick["scheduleId"] == str(s.id) and tick["manual"] is True
    assert tick["jobId"] and tick["nextRunAt"].startswith(f"{s.next_run_at.year}-01-01")


@pytest.mark.parametrize(
    ("query", "kind"),
    [(PROGRESS, "workflow"), (TICKS, "schedule"), (STATUS, "workflow_filter")],
)
async def test_foreign_subscriptions_are_not_found(rt, query, kind) -> None:
    mine, theirs = await new_org(rt.services, "Mine"), await new_org(rt.services, "Theirs")
    other = admin_of(theirs)
    wf = await workflows.create(
        rt.services,
        other,
        theirs.project.id,
        {"name": "w", "jobs": [{"name": "a", "job_type": "t"}]},
    )
    sched = await schedules.create(rt.services, other, yearly(theirs))
    variables = {
        "workflow": {"id": str(wf.id)},
        "schedule": {"id": str(sched.id)},
        "workflow_filter": {"workflow": str(wf.id)},
    }[kind]
    async with served(rt) as base, subscribe(base, mine.api_key.secret, query, variables) as sub:
        assert error_code(await sub.next()) == "NOT_FOUND"


async def test_unfiltered_streams_never_carry_another_tenant(rt) -> None:
    mine, theirs = await new_org(rt.services, "Mine"), await new_org(rt.services, "Theirs")
    async with (
        served(rt) as base,
        subscribe(base, mine.api_key.secret, STATUS, {"after": "0"}) as status,
        subscribe(base, mine.api_key.secret, TICKS) as ticks,
    ):
        await wait_for_subscribers(rt, 2)
        other = admin_of(theirs)
        await jobs.enqueue(rt.services, other, [job(theirs)] * 3)
        spec = ScheduleSpec(
            name="s",
            kind=ScheduleKind.CRON,
            expression="0 0 1 1 *",
            queue_id=theirs.queue.id,
            job_type="t",
        )
        await scheduler.trigger(
            rt.services, other, (await schedules.create(rt.services, other, spec)).id
        )
        [own] = await jobs.enqueue(rt.services, admin_of(mine), [job(mine)])
        assert (await data(status, "jobStatusChanged"))["jobId"] == str(own.id)
        await status.nothing_for(0.3)
        await ticks.nothing_for(0.1)


async def test_subscriptions_per_connection_are_capped(rt) -> None:
    rt.settings.subscriptions_per_connection = 3
    org = await new_org(rt.services)
    async with (
        served(rt) as base,
        websockets.connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        init = {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {org.api_key.secret}"},
        }
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for i in range(4):
            await ws.send(
                json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": STATUS}})
            )
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert msg["id"] == "3" and error_code(msg) == "RATE_LIMITED"
        await wait_for_subscribers(rt, 3)


async def test_legacy_protocol_is_refused(rt) -> None:
    async with served(rt) as base:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with websockets.connect(
                f"ws://{base}/graphql",
                subprotocols=["graphql-ws"],  # type: ignore[list-item]
            ) as ws:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406


async def test_a_slow_consumer_is_dropped_not_buffered(database_url, tmp_path, caplog) -> None:
    settings = make_settings(database_url, tmp_path, subscription_buffer=5)
    rt = Runtime.create(settings)
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        admin = admin_of(org)
        async with (
            served(rt) as base,
            websockets.connect(
                f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"], max_queue=1
            ) as ws,
        ):  # type: ignore[list-item]
            init = {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {org.api_key.secret}"},
            }
            await ws.send(json.dumps(init))
            await ws.recv()
            query = STATUS.replace("eventId jobId status", "eventId jobId status job { payload }")
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            await wait_for_subscribers(rt, 1)
            big = jobs.NewJob(queue_id=org.queue.id, job_type="t", payload={"x": "y" * 50_000})
            for _ in range(40):  # the client reads nothing meanwhile
                await jobs.enqueue(rt.services, admin, [big] * 5)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(20):
                    while True:
                        await ws.recv()
                        await asyncio.sleep(0.2)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
        assert rt.tail.subscribers == 0
        # closing it is routine: no traceback from a send racing the close
        assert not [r for r in caplog.records if r.exc_info], caplog.text
    finally:
        await rt.stop()


async def test_tasks_are_released_after_many_connections(rt) -> None:
    org = await new_org(rt.services)
    async with served(rt) as base:

        async def cycle() -> None:
            async with subscribe(base, org.api_key.secret, STATUS):
                pass

        for _ in range(5):
            await cycle()
        await asyncio.sleep(0.5)
        baseline = len(asyncio.all_tasks())
        for _ in range(100):
            await asyncio.gather(*(cycle() for _ in range(10)))  # 1,000 in all
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(asyncio.all_tasks()) > baseline and loop.time() < deadline:
            await asyncio.sleep(0.1)
        assert len(asyncio.all_tasks()) <= baseline
        assert rt.tail.subscribers == 0


async def test_claims_are_progress_too(rt) -> None:
    """Job events written by claims and acks carry the workflow's state (no gaps)."""
    org = await new_org(rt.services)
    admin = admin_of(org)
    wf = await workflows.create(
        rt.services,
        admin,
        org.project.id,
        {"name": "w", "jobs": [{"name": "a", "job_type": "t"}]},
        start=True,
    )
    w = await worker_for(rt.services, admin, org.queue.id)
    [claimed] = await executions.claim(rt.services, admin, w, None, 1)
    async with rt.db.read() as session:
        events = await stored_events(session, Event.type == "job.status_changed")
    assert events and all(e["payload"]["workflow"]["status"] == "RUNNING" for e in events)
    assert claimed.job.workflow_id == wf.id


AVAILABLE = (
    """subscription($queues: [ID!]) { jobsAvailable(queues: $queues) { eventId queueId } }"""
)


async def test_jobs_available_signals_ready_work_once_per_burst(rt) -> None:
    """A wake-up per queue with ready work: a burst of 300 new jobs wakes a worker a few
    times (signals already waiting are coalesced per queue), never once per job; other
    queues and other tenants' work send nothing."""
    org, other = await new_org(rt.services), await new_org(rt.services, "Other")
    admin = admin_of(org)
    await events_settled(rt)
    async with served(rt) as base:  # noqa: SIM117 (base is needed by the next line)
        async with subscribe(
            base, org.api_key.secret, AVAILABLE, {"queues": [str(org.queue.id)]}
        ) as sub:
            await wait_for_subscribers(rt, 1)
            await jobs.enqueue(rt.services, admin_of(other), [job(other)] * 5)
            await jobs.enqueue(rt.services, admin, [job(org)] * 300)
            await events_settled(rt)
            signals = []
            while True:
                try:
                    msg = await sub.next(timeout=1.0)
                except TimeoutError:
                    break
                signals.append(msg["payload"]["data"]["jobsAvailable"])
    assert 1 <= len(signals) <= 30, len(signals)
    assert {s["queueId"] for s in signals} == {str(org.queue.id)}
    async with rt.db.read() as session:
        stored = await stored_events(session, Event.organization_id == org.organization.id)
    newest = max(e["seq"] for e in stored)
    assert int(signals[-1]["eventId"]) == newest  # the last signal is the newest change


async def test_subscribers_asking_the_same_share_one_rendering_per_event(rt, monkeypatch) -> None:
    """Two clients with the same document and variables on one workflow cost one
    execution per event (and one per-event executor: the second takes the result before
    graphql-core makes one); a client asking for other fields gets its own, and every
    client receives exactly what it asked for."""
    renders: list[str] = []
    base_execute = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counted(self, serially=None):  # type: ignore[no-untyped-def]
        if isinstance(self.root_value, ev.WorkflowProgressEvent):
            renders.append(str(self.root_value.event_id))
        return base_execute(self, serially)

    copies: list[str] = []  # graphql-core's per-event executors
    base_copy = StrawberryGraphQLCoreExecutionContext.build_per_event_executor

    def copied(self, payload):  # type: ignore[no-untyped-def]
        if isinstance(payload, ev.WorkflowProgressEvent):
            copies.append(str(payload.event_id))
        return base_copy(self, payload)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counted)
    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "build_per_event_executor", copied)
    org = await new_org(rt.services)
    admin = admin_of(org)
    definition = {"name": "two", "jobs": [{"name": n, "job_type": "t"} for n in "ab"]}
    wf = await workflows.create(rt.services, admin, org.project.id, definition, start=True)
    other = """subscription($id: ID!) { workflowProgress(workflowId: $id) { eventId jobStatus } }"""
    key, variables = org.api_key.secret, {"id": str(wf.id)}
    async with (
        served(rt) as base,
        subscribe(base, key, PROGRESS, variables) as first,
        subscribe(base, key, PROGRESS, variables) as second,
        subscribe(base, key, other, variables) as third,
    ):
        await wait_for_subscribers(rt, 3)
        await run(rt.services, admin, await worker_for(rt.services, admin, org.queue.id))
        seen: dict[int, list[dict]] = {0: [], 1: [], 2: []}
        for n, sub in enumerate((first, second)):
            # until the workflow's own event (no job) says it succeeded
            while (
                not seen[n]
                or seen[n][-1]["jobId"]
                or seen[n][-1]["workflowStatus"] != ("SUCCEEDED")
            ):
                seen[n].append(await data(sub, "workflowProgress"))
        while len(seen[2]) < len(seen[0]):
            seen[2].append(await data(third, "workflowProgress"))
    assert seen[0] == seen[1]
    assert sorted(e["jobStatus"] for e in seen[0] if e["jobId"]) == [
        "PROCESSING",
        "PROCESSING",
        "SUCCEEDED",
        "SUCCEEDED",
    ]
    assert seen[2] == [{"eventId": e["eventId"], "jobStatus": e["jobStatus"]} for e in seen[0]]
    # one rendering per event for the two alike, one for the other document
    assert sorted(renders) == sorted([e["eventId"] for e in seen[0]] * 2)
    # and the subscriber that reuses a rendering costs no per-event executor either
    assert sorted(copies) == sorted(renders)
