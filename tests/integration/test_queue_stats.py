"""Queue.stats on both databases: exact figures for a queue with jobs in every state,
the count limit, the throughput per minute, one statement for a page of queues, and
only the caller's jobs counted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from taskforge.domain.enums import WorkerType
from taskforge.services import executions, fleet, jobs, queue_stats, queues, workers, workflows
from taskforge.services.workers import QueueWeight
from tests.conftest import admin_of, new_org
from tests.helpers import asgi_client
from tests.integration.test_workflow_data import statements

STATS = """query($id: ID!, $minutes: Int!) { queue(id: $id) { stats {
  waiting running scheduled succeededLastHour failedLastHour oldestWaitingAge countLimit
  throughput(minutes: $minutes) { minute succeeded failed } } } }"""


class Clock:
    """The services' clock, moved by the test."""

    def __init__(self, svc: Any, now: datetime) -> None:
        self.now = now
        svc.clock = lambda: self.now


@dataclass
class Scene:
    queue_id: uuid.UUID
    now: datetime  # when it is read: 30 s into a minute
    clock: Clock


async def _claim(svc: Any, admin: Any, worker_id: uuid.UUID, n: int) -> list[Any]:
    claimed = await executions.claim(svc, admin, worker_id, None, n)
    assert len(claimed) == n
    return claimed


@pytest.fixture
async def scene(svc, org, admin) -> Scene:
    """A queue with jobs in every state, built along a controlled clock. At ``now``:
    waiting 4 (3 plain, the workflow's second step), running 2, scheduled 3 (2 delayed
    starts, 1 retry backoff), succeeded in the last hour 3 (2 at -50 min, the workflow's
    first step at -3 min; 1 more at -2 h), failed 1 (-30 min), 1 cancelled, 1 workflow
    job waiting on its parent. The oldest waiting job is the workflow's (-4 min)."""
    now = datetime.now(UTC).replace(second=30, microsecond=0) + timedelta(minutes=2)
    clock = Clock(svc, now - timedelta(hours=2))
    # a backoff of an hour: the retried job stays SCHEDULED
    q = await queues.create_queue(
        svc, admin, org.project.id, "stats", settings={"base_delay": 3600, "max_delay": 7200}
    )
    w = await workers.register(svc, admin, "w", WorkerType.GENERAL, [QueueWeight(q.id, 1)])
    one = [jobs.NewJob(queue_id=q.id, job_type="t")]

    async def at(minutes_before: float) -> None:
        clock.now = now - timedelta(minutes=minutes_before)

    await jobs.enqueue(svc, admin, one)  # -2 h: succeeds outside the last hour
    [c] = await _claim(svc, admin, w.id, 1)
    await executions.complete(svc, admin, [(c.execution_id, None)])
    await at(50)
    await jobs.enqueue(svc, admin, one * 2)
    done = await _claim(svc, admin, w.id, 2)
    await executions.complete(svc, admin, [(c.execution_id, None) for c in done])
    await at(30)
    await jobs.enqueue(svc, admin, one)
    [c] = await _claim(svc, admin, w.id, 1)
    await executions.fail(svc, admin, [(c.execution_id, ("boom", False))])
    await at(20)
    await jobs.enqueue(svc, admin, one)
    [c] = await _claim(svc, admin, w.id, 1)
    await executions.fail(svc, admin, [(c.execution_id, ("again", True))])  # backoff
    await at(10)
    await jobs.enqueue(svc, admin, one * 2)
    await _claim(svc, admin, w.id, 2)  # left running
    await at(5)
    [cancelled] = await jobs.enqueue(svc, admin, one)
    await jobs.cancel(svc, admin, cancelled.id)
    later = now + timedelta(hours=1)
    await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=q.id, job_type="t", scheduled_for=later)] * 2
    )
    await at(4)
    chain = {
        "name": "chain",
        "jobs": [
            {"name": "a", "job_type": "t", "queue": "stats"},
            {"name": "b", "job_type": "t", "queue": "stats", "depends_on": ["a"]},
            {"name": "c", "job_type": "t", "queue": "stats", "depends_on": ["b"]},
        ],
    }
    await workflows.create(svc, admin, org.project.id, chain, start=True)
    await at(3)
    [c] = await _claim(svc, admin, w.id, 1)
    assert c.job.name == "a"
    await executions.complete(svc, admin, [(c.execution_id, None)])
    for minutes in (2.5, 1.5, 0.5):
        await at(minutes)
        await jobs.enqueue(svc, admin, one)
    # another queue of the tenant and another tenant's queue, busy alike: not counted
    other = await queues.create_queue(svc, admin, org.project.id, "other")
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=other.id, job_type="t")] * 3)
    globex = await new_org(svc, "Globex")
    await jobs.enqueue(
        svc, admin_of(globex), [jobs.NewJob(queue_id=globex.queue.id, job_type="t")] * 3
    )
    clock.now = now
    return Scene(q.id, now, clock)


async def stats(runtime: Any, org: Any, queue_id: uuid.UUID, minutes: int = 60) -> dict[str, Any]:
    async with asgi_client(runtime, org.api_key.secret) as gql:
        data = await gql.ok(STATS, {"id": str(queue_id), "minutes": minutes})
    result: dict[str, Any] = data["queue"]["stats"]
    return result


def request_reads(seen: list[str]) -> list[str]:
    """The SELECTs a request sent (the relay shares the engine: its reads are left out)."""
    return [
        s
        for s in seen
        if s.lstrip().upper().startswith("SELECT")
        and "outbox_cursor" not in s
        and "FROM events" not in s
    ]


def minute(at: datetime) -> str:
    return at.replace(second=0).isoformat()


def nonzero(points: list[dict[str, Any]]) -> dict[int, tuple[int, int]]:
    return {
        i: (p["succeeded"], p["failed"])
        for i, p in enumerate(points)
        if p["succeeded"] or p["failed"]
    }


async def test_figures_of_a_queue_in_every_state(runtime, org, scene) -> None:
    got = await stats(runtime, org, scene.queue_id)
    points = got.pop("throughput")
    assert got == {
        "waiting": 4,
        "running": 2,
        "scheduled": 3,
        "succeededLastHour": 3,
        "failedLastHour": 1,
        "oldestWaitingAge": 240.0,
        "countLimit": 10_000,
    }
    # an hour of minutes, oldest first, the current one last; zeros included
    assert len(points) == 60
    assert points[0]["minute"] == minute(scene.now - timedelta(minutes=59))
    assert points[-1]["minute"] == minute(scene.now)
    assert nonzero(points) == {9: (2, 0), 29: (0, 1), 56: (1, 0)}
    # the last 15 minutes: the workflow step's success only
    last = (await stats(runtime, org, scene.queue_id, 15))["throughput"]
    assert [p["minute"] for p in last] == [p["minute"] for p in points[-15:]]
    assert nonzero(last) == {11: (1, 0)}


async def test_figures_follow_the_clock(runtime, org, scene) -> None:
    """51 minutes later the earlier outcomes have left the last hour and the minutes
    shown; the oldest waiting job is that much older."""
    scene.clock.now = scene.now + timedelta(minutes=51)
    got = await stats(runtime, org, scene.queue_id, 60)
    assert (got["succeededLastHour"], got["failedLastHour"]) == (1, 0)  # the step at -3 min
    assert got["oldestWaitingAge"] == 240.0 + 51 * 60
    assert nonzero(got["throughput"]) == {5: (1, 0)}


async def test_due_scheduled_jobs_wait(runtime, org, scene) -> None:
    """A SCHEDULED job whose time has come is claimable (a claim promotes it): it counts
    as waiting, no longer as scheduled. The retry falls due 40 min after ``now``, the
    delayed starts an hour after."""
    scene.clock.now = scene.now + timedelta(minutes=45)
    got = await stats(runtime, org, scene.queue_id, 1)
    assert (got["waiting"], got["scheduled"]) == (5, 2)
    # the workflow's step still waits longest
    assert got["oldestWaitingAge"] == 240.0 + 45 * 60
    scene.clock.now = scene.now + timedelta(hours=1)  # at the delayed starts' time: due
    got = await stats(runtime, org, scene.queue_id, 1)
    assert (got["waiting"], got["scheduled"], got["running"]) == (7, 0, 2)


async def test_a_due_job_waits_since_its_time(runtime, svc, org, admin) -> None:
    t = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    clock = Clock(svc, t)
    delayed = jobs.NewJob(
        queue_id=org.queue.id, job_type="t", scheduled_for=t + timedelta(minutes=10)
    )
    await jobs.enqueue(svc, admin, [delayed])
    clock.now = t + timedelta(minutes=5)
    got = await stats(runtime, org, org.queue.id, 1)
    assert (got["waiting"], got["scheduled"], got["oldestWaitingAge"]) == (0, 1, None)
    clock.now = t + timedelta(minutes=10)  # due at its very time
    got = await stats(runtime, org, org.queue.id, 1)
    assert (got["waiting"], got["scheduled"], got["oldestWaitingAge"]) == (1, 0, 0.0)
    clock.now = t + timedelta(minutes=12)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    clock.now = t + timedelta(minutes=15)
    got = await stats(runtime, org, org.queue.id, 1)
    # it has waited since 10 min, the ready job since 12 min
    assert (got["waiting"], got["scheduled"], got["oldestWaitingAge"]) == (2, 0, 300.0)
    # a paused queue's jobs still wait
    await fleet.pause_queue(svc, admin, org.queue.id)
    got = await stats(runtime, org, org.queue.id, 1)
    assert (got["waiting"], got["oldestWaitingAge"]) == (2, 300.0)
    # past the limit, the sum of both kinds stops at it too
    svc.settings.queue_stats_limit = 1
    got = await stats(runtime, org, org.queue.id, 1)
    assert (got["waiting"], got["oldestWaitingAge"]) == (1, 300.0)


async def test_each_figure_stops_at_the_limit(runtime, svc, org, scene) -> None:
    svc.settings.queue_stats_limit = 2
    got = await stats(runtime, org, scene.queue_id)
    assert {k: v for k, v in got.items() if k != "throughput"} == {
        "waiting": 2,
        "running": 2,
        "scheduled": 2,
        "succeededLastHour": 2,
        "failedLastHour": 1,
        # the next 2 to be claimed, in claim order: the workflow's step is first (oldest)
        "oldestWaitingAge": 240.0,
        "countLimit": 2,
    }
    # of each outcome the latest ones in the span: the two successes at -50 min and the
    # step's at -3 min are three, so one at -50 min is left out
    assert nonzero(got["throughput"]) == {9: (1, 0), 29: (0, 1), 56: (1, 0)}
    svc.settings.queue_stats_limit = 1
    assert nonzero((await stats(runtime, org, scene.queue_id))["throughput"]) == {
        29: (0, 1),
        56: (1, 0),
    }


async def test_an_idle_queue(runtime, org) -> None:
    got = await stats(runtime, org, org.queue.id, 1)
    assert got["waiting"] == got["running"] == got["succeededLastHour"] == 0
    assert got["oldestWaitingAge"] is None
    assert [(p["succeeded"], p["failed"]) for p in got["throughput"]] == [(0, 0)]


async def test_minutes_out_of_range_is_bad_input(runtime, org) -> None:
    async with asgi_client(runtime, org.api_key.secret) as gql:
        for minutes in (0, -1, 61):
            body = await gql.raw(STATS, {"id": str(org.queue.id), "minutes": minutes})
            [error] = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["extensions"]["field"] == "minutes"
        ok = await gql.ok(STATS, {"id": str(org.queue.id), "minutes": 60})
        assert len(ok["queue"]["stats"]["throughput"]) == 60


async def test_only_the_callers_queues_are_counted(runtime, svc, org, admin) -> None:
    globex = await new_org(svc, "Globex")
    await jobs.enqueue(
        svc, admin_of(globex), [jobs.NewJob(queue_id=globex.queue.id, job_type="t")] * 2
    )
    async with asgi_client(runtime, org.api_key.secret) as gql:
        assert await gql.error(STATS, {"id": str(globex.queue.id), "minutes": 5}) == "NOT_FOUND"
    # the service leaves another tenant's queue out, whatever it is asked
    assert await queue_stats.figures(svc, admin, [globex.queue.id, org.queue.id]) == {
        org.queue.id: queue_stats.Figures(org.queue.id, 0, 0, 0, 0, 0, None, 10_000)
    }
    assert list(await queue_stats.throughput(svc, admin, [globex.queue.id], 5)) == []
    mine = await queue_stats.figures(svc, admin_of(globex), [globex.queue.id])
    assert mine[globex.queue.id].waiting == 2


async def test_a_page_of_queues_reads_its_stats_in_fixed_statements(
    runtime, svc, org, admin
) -> None:
    query = (
        "{ queues(first: 50) { edges { node { name stats { waiting running scheduled "
        "succeededLastHour failedLastHour oldestWaitingAge countLimit "
        "throughput(minutes: 5) { succeeded failed } } } } } }"
    )

    async def reads(n_queues: int) -> tuple[int, int]:
        while len((await queues.list_queues(svc, admin, None, 100, None)).items) < n_queues:
            q = await queues.create_queue(svc, admin, org.project.id, f"q{uuid.uuid4().hex[:6]}")
            await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=q.id, job_type="t")])
        async with asgi_client(runtime, org.api_key.secret) as gql:
            await gql.ok("{ viewer { permissions } }")  # the key is known: no lookup
            with statements(runtime) as seen:
                data = await gql.ok(query)
        edges = data["queues"]["edges"]
        assert len(edges) == n_queues
        assert sum(e["node"]["stats"]["waiting"] for e in edges) == n_queues - 1
        selects = request_reads(seen)
        return len(selects), len([s for s in selects if "count(*)" in s.lower()])

    few = await reads(2)
    many = await reads(12)
    # the queues page, their figures, their throughput: whatever the number of queues
    assert few == many == (3, 2), (few, many)


async def test_many_spans_cost_one_read(runtime, org, scene) -> None:
    """Aliases of throughput with different spans, on a page of queues: the longest span
    is read once (one statement) and each shorter one is its end, minute for minute."""
    spans = [1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 40, 45, 50, 55, 59, 60]
    fields = " ".join(
        f"t{m}: throughput(minutes: {m}) {{ minute succeeded failed }}" for m in spans
    )
    page = "{ queues(first: 50) { edges { node { id stats { waiting %s } } } } }"
    one = page % "t15: throughput(minutes: 15) { minute }"
    many = page % fields
    async with asgi_client(runtime, org.api_key.secret) as gql:
        await gql.ok("{ viewer { permissions } }")  # the key is known: no lookup
        with statements(runtime) as seen:
            await gql.ok(one)
        with statements(runtime) as seen_many:
            data = await gql.ok(many)
    assert len(request_reads(seen_many)) == len(request_reads(seen)) == 3
    [stats_of] = [
        e["node"]["stats"]
        for e in data["queues"]["edges"]
        if e["node"]["id"] == str(scene.queue_id)
    ]
    longest = stats_of["t60"]
    assert nonzero(longest) == {9: (2, 0), 29: (0, 1), 56: (1, 0)}
    for m in spans:
        assert stats_of[f"t{m}"] == longest[60 - m :], m
