"""The event tail's dispatch: routed feeds get only their own workflow's or job's
events, filters run before anything is buffered, and a failing filter harms no one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from taskforge.realtime.tail import EventTail

ORG, OTHER = uuid.uuid4(), uuid.uuid4()
STATUS = "job.status_changed"


def event(seq: int, workflow: str | None, job: str, org: uuid.UUID = ORG, **payload: Any) -> Any:
    return {
        "seq": seq,
        "organizationId": str(org),
        "type": STATUS,
        "payload": {"workflowId": workflow, "jobId": job, "status": "PENDING", **payload},
    }


def drain(feed: Any) -> list[int]:
    got = []
    for event in feed.ready():
        got.append(event["seq"])
    return got


def test_routed_feeds_get_only_their_own_events() -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    w1, w2, job = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    flow1, _ = tail.attach(ORG, {STATUS}, route=("workflowId", w1))
    flow2, _ = tail.attach(ORG, {STATUS}, route=("workflowId", w2))
    one_job, _ = tail.attach(ORG, {STATUS}, route=("jobId", job))
    firehose, _ = tail.attach(ORG, {STATUS})
    pending_only, _ = tail.attach(ORG, {STATUS}, accept=lambda e: e["payload"]["x"] == 1)
    elsewhere, _ = tail.attach(OTHER, {STATUS}, route=("workflowId", w1))
    assert tail.subscribers == 6

    tail._dispatch(event(1, w1, str(uuid.uuid4()), x=1))
    tail._dispatch(event(2, w2, job, x=2))
    tail._dispatch(event(3, None, str(uuid.uuid4()), x=1))
    tail._dispatch(event(4, w1, str(uuid.uuid4()), org=OTHER, x=1))

    assert drain(flow1) == [1]
    assert drain(flow2) == [2]
    assert drain(one_job) == [2]
    assert drain(firehose) == [1, 2, 3]
    assert drain(pending_only) == [1, 3]  # filtered before buffering
    assert drain(elsewhere) == [4]  # another tenant's same workflow id: its own only

    for feed in (flow1, flow2, one_job, firehose, pending_only, elsewhere):
        tail.detach(feed)
    assert tail.subscribers == 0 and not tail._routed and not tail._feeds


def test_a_failing_filter_stops_only_its_own_feed(caplog: pytest.LogCaptureFixture) -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    broken, _ = tail.attach(ORG, {STATUS}, accept=lambda e: e["payload"]["missing"])
    fine, _ = tail.attach(ORG, {STATUS})
    tail._dispatch(event(1, None, str(uuid.uuid4())))
    assert drain(broken) == [] and drain(fine) == [1]
    assert tail.position == 1
    assert "subscription filter failed" in caplog.text


def test_routes_are_payload_fields_the_tail_knows() -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tail.attach(ORG, {STATUS}, route=("queueId", "q"))


def row(seq: int, span: int = 1) -> dict[str, Any]:
    """A decoded broker message of ``span`` events of one workflow's jobs."""
    payloads = [{"workflowId": None, "jobId": str(uuid.uuid4())} for _ in range(span)]
    return {
        "seq": seq,
        "span": span,
        "organizationId": str(ORG),
        "type": STATUS,
        "payload": payloads[0] if span == 1 else payloads,
    }


def test_rows_arriving_early_wait_for_the_missing_one_instead_of_being_dropped() -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    feed, _ = tail.attach(ORG, {STATUS})
    # another relay's rows 3-5 and 6 were published before this relay's 1-2
    tail._on_message(row(6))
    tail._on_message(row(3, span=3))
    assert drain(feed) == [] and tail.position == 0
    assert tail._wake.is_set()  # the table is read too, in case 1-2 never come
    tail._on_message(row(1, span=2))
    assert drain(feed) == [1, 2, 3, 4, 5, 6] and tail.position == 6
    assert not tail._early
    tail._on_message(row(3))  # late and already passed: ignored
    tail._on_message(row(7))
    assert drain(feed) == [7]


def test_rows_read_from_the_table_meanwhile_are_not_sent_twice() -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    feed, _ = tail.attach(ORG, {STATUS})
    tail._on_message(row(3))
    tail._on_message(row(5))
    tail.position = 3  # the table gave 1-3 (dispatched by the catch-up)
    tail._follow_early()
    assert drain(feed) == [] and list(tail._early) == [5]  # 4 is still missing
    tail._on_message(row(4))
    assert drain(feed) == [4, 5] and not tail._early


def test_a_row_no_feed_takes_is_passed_over_whole_without_expanding_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from taskforge.realtime import tail as module

    expanded: list[int] = []
    real = module.expand
    monkeypatch.setattr(module, "expand", lambda r: expanded.append(r["seq"]) or real(r))
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    other_type, _ = tail.attach(ORG, {"workflow.status_changed"})
    other_tenant, _ = tail.attach(OTHER, {STATUS})
    tail._on_message(row(1, span=3))  # nobody of ORG takes STATUS: skipped, position 3
    assert tail.position == 3 and expanded == []
    assert drain(other_type) == [] and drain(other_tenant) == []

    flow = str(uuid.uuid4())
    routed, _ = tail.attach(ORG, {STATUS}, route=("workflowId", flow))
    message = row(4, span=2)
    message["payload"][1]["workflowId"] = flow
    tail._on_message(message)  # a routed feed of ORG takes STATUS: expanded
    assert expanded == [4] and drain(routed) == [5] and tail.position == 5

    tail.detach(routed)
    tail.detach(routed)  # twice: the second is a no-op, not a negative count
    assert not tail._routed_types
    tail._on_message(row(6))
    assert expanded == [4] and tail.position == 6

    firehose, _ = tail.attach(ORG, {STATUS})
    tail._on_message(row(7, span=2))
    assert expanded == [4, 7] and drain(firehose) == [7, 8] and tail.position == 8


def test_the_seq_of_a_broker_message_is_read_without_decoding() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from taskforge.realtime.relay import encode
    from taskforge.realtime.tail import stamped

    stored = SimpleNamespace(
        seq=123456789,
        span=2,
        organization_id=ORG,
        topic="jobs",
        type=STATUS,
        payload='[{"a":1},{"a":2}]',
        created_at=datetime.now(UTC),
    )
    message = encode(stored)  # type: ignore[arg-type]
    assert stamped(message) == 123456789
    assert stamped(message.encode()) == 123456789
    assert stamped('{"other":1}') == 0 and stamped('{"seq":"x",') == 0


async def test_a_waiting_feed_holds_no_task_and_wakes_on_an_event() -> None:
    import asyncio

    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    feeds = [tail.attach(ORG, {STATUS})[0] for _ in range(10)]
    before = len(asyncio.all_tasks())
    waiting = [asyncio.create_task(feed.get()) for feed in feeds]
    await asyncio.sleep(0.01)
    # only the streams' own tasks: waiting costs no helper tasks per subscription
    assert len(asyncio.all_tasks()) == before + len(feeds)
    tail._dispatch(event(1, None, str(uuid.uuid4())))
    got = await asyncio.wait_for(asyncio.gather(*waiting), 1.0)
    assert [e["seq"] for e in got] == [1] * len(feeds)


async def test_an_overflowing_feed_hands_out_its_buffer_then_gives_up() -> None:
    import asyncio

    from taskforge.realtime.tail import Feed, SlowConsumer

    dropped: list[bool] = []
    feed = Feed(ORG, frozenset({STATUS}), size=2)
    feed.on_overflow = lambda: dropped.append(True)
    for seq in (1, 2, 3, 4):
        feed.offer(event(seq, None, str(uuid.uuid4())))
    assert feed.overflowed and dropped == [True]
    assert [(await feed.get())["seq"] for _ in range(2)] == [1, 2]
    with pytest.raises(SlowConsumer):
        await feed.get()

    waiting = Feed(ORG, frozenset({STATUS}), size=1)
    getter = asyncio.create_task(waiting.get())
    await asyncio.sleep(0.01)
    waiting.offer(event(1, None, str(uuid.uuid4())))
    assert (await getter)["seq"] == 1
    getter = asyncio.create_task(waiting.get())
    await asyncio.sleep(0.01)
    waiting.offer(event(2, None, str(uuid.uuid4())))  # fills it
    waiting.offer(event(3, None, str(uuid.uuid4())))  # overflows it
    assert (await getter)["seq"] == 2
    with pytest.raises(SlowConsumer):
        await asyncio.wait_for(waiting.get(), 1.0)
