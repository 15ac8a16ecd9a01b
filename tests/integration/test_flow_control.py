"""Concurrency keys and rate limits on both backends: queue defaults and per-job rules,
what the API shows, claim order (eligibility, priority, round robin, age), the strategies,
throttling, bad input and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from taskforge.domain.enums import ExecutionStatus, JobStatus, WorkerType
from taskforge.domain.events import expand
from taskforge.domain.flow import Concurrency, ConcurrencyStrategy, RateLimit
from taskforge.persistence.tables import Event, Job, JobExecution, JobQueue
from taskforge.services import executions, jobs, queues, workers, workflows
from tests.conftest import admin_of
from tests.helpers import asgi_client

UPDATE_QUEUE = """mutation($id: ID!, $s: QueueSettingsInput!) {
  updateQueue(id: $id, settings: $s) {
    concurrency { key max strategy } rateLimit { key limit period }
  } }"""
QUEUE = """query($id: ID!) { queue(id: $id) {
  concurrency { key max strategy } rateLimit { key limit period } } }"""
ENQUEUE = """mutation($jobs: [EnqueueJobInput!]!) {
  enqueueJobs(jobs: $jobs) { id status statusReason concurrencyKey rateLimitKey } }"""
BATCH = """mutation($q: ID!, $p: [JSON!]!, $c: ConcurrencyInput, $r: RateLimitInput) {
  enqueueJobBatch(queueId: $q, jobType: "t", payloads: $p, concurrency: $c, rateLimit: $r) {
    jobs { id concurrencyKey rateLimitKey } } }"""
WAITING = """query($id: ID!) { job(id: $id) { statusReason rateLimitKey nextEligibleAt } }"""
JOB = """query($id: ID!) { job(id: $id) {
  status statusReason scheduledFor concurrencyKey rateLimitKey } }"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


@pytest.fixture
async def worker(svc, admin, org):
    return await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )


class Clock:
    """A settable clock for the services (claims, enqueues, throttling)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(svc) -> Clock:
    clock = Clock()
    svc.clock = clock
    return clock


async def set_rules(svc: Any, admin: Any, queue_id: uuid.UUID, **rules: Any) -> None:
    await queues.update_queue(svc, admin, queue_id, settings=rules)


async def enqueue(svc: Any, admin: Any, queue_id: uuid.UUID, *payloads: dict, **kw: Any) -> list:
    specs = [jobs.NewJob(queue_id=queue_id, job_type="t", payload=p, **kw) for p in payloads]
    return [j.id for j in await jobs.enqueue(svc, admin, specs)]


async def claim(svc: Any, admin: Any, worker: Any, n: int = 50) -> list[executions.Claimed]:
    return list(await executions.claim(svc, admin, worker.id, None, n))


async def complete(svc: Any, admin: Any, claimed: list[executions.Claimed]) -> None:
    acks = await executions.complete(svc, admin, [(c.execution_id, None) for c in claimed])
    assert all(a.error is None for a in acks)


def keys(claimed: list[executions.Claimed]) -> list[Any]:
    return [c.payload.get("c") for c in claimed]


async def test_queue_rules_are_shown_and_can_be_removed(gql, org) -> None:
    q = str(org.queue.id)
    assert (await gql.ok(QUEUE, {"id": q}))["queue"] == {"concurrency": None, "rateLimit": None}
    settings = {
        "concurrency": {"key": "payload.customer", "max": 2},
        "rateLimit": {"limit": 10, "period": 60},
    }
    got = (await gql.ok(UPDATE_QUEUE, {"id": q, "s": settings}))["updateQueue"]
    assert got == {
        "concurrency": {"key": "payload.customer", "max": 2, "strategy": "QUEUE"},
        "rateLimit": {"key": None, "limit": 10, "period": 60},
    }
    # another setting leaves the rules as they are; null removes one
    await gql.ok(UPDATE_QUEUE, {"id": q, "s": {"maxAttempts": 4}})
    got = (await gql.ok(UPDATE_QUEUE, {"id": q, "s": {"rateLimit": None}}))["updateQueue"]
    assert got["concurrency"]["max"] == 2 and got["rateLimit"] is None


async def test_jobs_show_their_key_values(gql, org) -> None:
    q = str(org.queue.id)
    await gql.ok(UPDATE_QUEUE, {"id": q, "s": {"concurrency": {"key": "payload.c", "max": 1}}})
    jobs_ = [
        {"queueId": q, "jobType": "t", "payload": {"c": "acme"}},
        {"queueId": q, "jobType": "t", "payload": {"c": 7}},
        {"queueId": q, "jobType": "t", "payload": {}},  # a missing path: the null group
        # its own rule replaces the queue's concurrency; its rate limit is its own
        {
            "queueId": q,
            "jobType": "t",
            "payload": {"c": "x", "tenant": "t1"},
            "concurrency": {"key": "payload.tenant", "max": 3},
            "rateLimit": {"key": "payload.c", "limit": 5, "period": 10},
        },
    ]
    got = (await gql.ok(ENQUEUE, {"jobs": jobs_}))["enqueueJobs"]
    assert [(j["concurrencyKey"], j["rateLimitKey"]) for j in got] == [
        ("acme", None),
        ("7", None),
        ("null", None),
        ("t1", "x"),
    ]
    assert all(j["status"] == "PENDING" for j in got)
    job = (await gql.ok(JOB, {"id": got[0]["id"]}))["job"]
    assert job["concurrencyKey"] == "acme" and job["rateLimitKey"] is None
    # enqueueJobBatch: one rule, each job's key from its own payload
    batch = await gql.ok(
        BATCH, {"q": q, "p": [{"c": "a"}, {"c": "b"}], "r": {"key": "c", "limit": 1, "period": 5}}
    )
    assert [(j["concurrencyKey"], j["rateLimitKey"]) for j in batch["enqueueJobBatch"]["jobs"]] == [
        ("a", "a"),
        ("b", "b"),
    ]


async def test_at_most_max_run_per_key_and_the_rest_wait_in_order(svc, admin, org, worker) -> None:
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 2))
    a = await enqueue(svc, admin, org.queue.id, *[{"c": "a", "n": i} for i in range(5)])
    await enqueue(svc, admin, org.queue.id, {"c": "b", "n": 0})
    first = await claim(svc, admin, worker)
    assert sorted(keys(first)) == ["a", "a", "b"]
    assert [c.job_id for c in first if c.payload["c"] == "a"] == a[:2]
    assert await claim(svc, admin, worker) == []  # a has 2 running, b none waiting
    await complete(svc, admin, [c for c in first if c.payload["c"] == "a"][:1])
    [nxt] = await claim(svc, admin, worker)
    assert nxt.job_id == a[2]  # in order


async def test_a_jobs_own_rule_puts_its_queue_on_the_flow_path(svc, admin, org, worker) -> None:
    rule = Concurrency.parse("payload.c", 1)
    await enqueue(svc, admin, org.queue.id, {"c": "a"}, {"c": "a"}, {"c": "b"}, concurrency=rule)
    async with svc.read() as session:
        queue = await session.get(JobQueue, org.queue.id)
        assert queue is not None and queue.flow_control
    assert sorted(keys(await claim(svc, admin, worker))) == ["a", "b"]
    # a plain job of the same queue runs beside them
    await enqueue(svc, admin, org.queue.id, {"c": "a"})
    assert keys(await claim(svc, admin, worker)) == ["a"]


async def test_round_robin_across_keys_within_a_priority(svc, admin, org, worker) -> None:
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 100))
    await enqueue(svc, admin, org.queue.id, *[{"c": "a"}] * 6)
    await enqueue(svc, admin, org.queue.id, *[{"c": "b"}] * 3)
    await enqueue(svc, admin, org.queue.id, {"c": "c"})
    got = await claim(svc, admin, worker, 7)
    assert keys(got) == ["a", "b", "c", "a", "b", "a", "b"]
    # a key idle until now joins the rotation where it stands, not ahead of it
    await enqueue(svc, admin, org.queue.id, *[{"c": "d"}] * 2)
    assert keys(await claim(svc, admin, worker, 5)) == ["a", "d", "a", "d", "a"]


async def test_eligibility_then_priority_then_round_robin(svc, admin, org, worker) -> None:
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 1))
    await enqueue(svc, admin, org.queue.id, {"c": "hot"}, {"c": "hot"}, {"c": "hot"}, priority=9)
    await enqueue(svc, admin, org.queue.id, {"c": "cold"}, {"c": "other"}, priority=1)
    got = await claim(svc, admin, worker)
    # the full key's backlog at a higher priority does not hold the others back
    assert keys(got) == ["hot", "cold", "other"]
    assert [c.job.priority for c in got] == [9, 1, 1]


async def test_a_claim_walks_on_past_a_full_keys_backlog(svc, admin, org, worker) -> None:
    """A small claim whose first walk meets only one key's jobs (a higher priority, max
    1) walks on to find the others."""
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 1))
    await enqueue(svc, admin, org.queue.id, *[{"c": "hot"}] * 20, priority=9)
    [low] = await enqueue(svc, admin, org.queue.id, {"c": "cold"}, priority=1)
    got = await claim(svc, admin, worker, 2)
    assert keys(got) == ["hot", "cold"] and got[1].job_id == low


async def test_the_small_key_finishes_long_before_the_busy_one(svc, admin, org, worker) -> None:
    """Fairness: 1,000 jobs of one key, 10 of another enqueued after them; each key may
    run many at once, so only the round robin keeps the 10 from waiting behind the 1,000."""
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 500))
    await enqueue(svc, admin, org.queue.id, *[{"c": "busy"}] * 1000)
    small = set(await enqueue(svc, admin, org.queue.id, *[{"c": "small"}] * 10))
    done: list[uuid.UUID] = []
    while got := await claim(svc, admin, worker, 10):
        await complete(svc, admin, got)
        done += [c.job_id for c in got]
    assert len(done) == 1010
    last_small = max(i for i, job in enumerate(done) if job in small)
    assert last_small < 25, last_small  # the 10 are done within the first 25 of 1,010


async def test_cancel_newest_cancels_a_new_job_of_a_full_key(svc, admin, org, runtime) -> None:
    rule = Concurrency.parse("payload.c", 2, ConcurrencyStrategy.CANCEL_NEWEST)
    await set_rules(svc, admin, org.queue.id, concurrency=rule)
    kept = await enqueue(svc, admin, org.queue.id, {"c": "a"}, {"c": "a"}, {"c": "b"})
    # in one batch too: the second b fills its key, the third finds it full
    late, second_b, third_b = await enqueue(
        svc, admin, org.queue.id, {"c": "a"}, {"c": "b"}, {"c": "b"}
    )
    async with svc.read() as session:
        rows = {j.id: j for j in await session.scalars(select(Job))}
    for cancelled in (late, third_b):
        assert rows[cancelled].status is JobStatus.CANCELLED
        assert rows[cancelled].status_reason == "concurrency_limit"
        assert rows[cancelled].finished_at is not None
    assert all(rows[j].status is JobStatus.PENDING for j in [*kept, second_b])
    assert await reasons(runtime, late) == [(None, "CANCELLED", "concurrency_limit")]


async def test_cancel_in_progress_replaces_the_oldest_running_job(
    svc, admin, org, worker, runtime
) -> None:
    rule = Concurrency.parse("payload.c", 1, ConcurrencyStrategy.CANCEL_IN_PROGRESS)
    await set_rules(svc, admin, org.queue.id, concurrency=rule)
    [first] = await enqueue(svc, admin, org.queue.id, {"c": "a"})
    [running] = await claim(svc, admin, worker)
    [second] = await enqueue(svc, admin, org.queue.id, {"c": "a"})
    async with svc.read() as session:
        old = await session.get(Job, first)
        attempt = await session.get(JobExecution, running.execution_id)
    assert old is not None and old.status is JobStatus.CANCELLED
    assert old.status_reason == "concurrency_replaced"
    assert attempt is not None and attempt.status is ExecutionStatus.CANCELLED
    # its worker is told, as after cancelJob
    beat = await workers.beat(svc, admin, worker.id, held=[running.execution_id])
    assert beat.cancelled == [running.execution_id]
    assert (await reasons(runtime, first))[-1] == (
        "PROCESSING",
        "CANCELLED",
        "concurrency_replaced",
    )
    # the new job runs in its place; a waiting one is replaced too (the newest wins)
    [third, fourth] = await enqueue(svc, admin, org.queue.id, {"c": "a"}, {"c": "a"})
    got = await claim(svc, admin, worker)
    assert [c.job_id for c in got] == [fourth]
    async with svc.read() as session:
        statuses = {j.id: (j.status, j.status_reason) for j in await session.scalars(select(Job))}
    assert statuses[second] == (JobStatus.CANCELLED, "concurrency_replaced")
    assert statuses[third] == (JobStatus.CANCELLED, "concurrency_replaced")


async def reasons(runtime: Any, job_id: uuid.UUID) -> list[tuple[Any, Any, Any]]:
    """(previous status, status, reason) of the job's status events, in order."""
    async with runtime.db.read() as session:
        rows = list(await session.scalars(select(Event).order_by(Event.id)))
    out = []
    for row in rows:
        if row.type != "job.status_changed":
            continue
        payloads = row.payload if row.span > 1 else [row.payload]
        if isinstance(payloads, dict):  # a packed run sharing a workflow state
            payloads = payloads["events"]
        out += [
            (p["previousStatus"], p["status"], p["reason"])
            for p in payloads
            if p["jobId"] == str(job_id)
        ]
    return out


async def test_rate_limit_throttles_and_staggers(
    svc, admin, org, worker, clock, runtime, gql
) -> None:
    await set_rules(svc, admin, org.queue.id, rate_limit=RateLimit.parse("payload.c", 2, 60))
    ids = await enqueue(svc, admin, org.queue.id, *[{"c": "a", "n": i} for i in range(5)])
    [other] = await enqueue(svc, admin, org.queue.id, {"c": "b"})
    got = await claim(svc, admin, worker)
    # b is a rate key of its own (rate keys are no round robin: by age)
    assert [c.job_id for c in got] == [ids[0], ids[1], other]
    async with svc.read() as session:
        rows = {j.id: j for j in await session.scalars(select(Job).where(Job.id.in_(ids[2:])))}
    start = clock.now
    # never dropped: waiting, SCHEDULED until the window frees a start, one after another
    assert [(rows[i].status, rows[i].status_reason) for i in ids[2:]] == [
        (JobStatus.SCHEDULED, "rate_limited")
    ] * 3
    assert [rows[i].scheduled_for for i in ids[2:]] == [
        start + timedelta(seconds=60),
        start + timedelta(seconds=60),
        start + timedelta(seconds=120),
    ]
    assert (await reasons(runtime, ids[2]))[-1] == ("PENDING", "SCHEDULED", "rate_limited")
    # visible: when it can next be claimed
    job = (await gql.ok(WAITING, {"id": str(ids[4])}))["job"]
    assert job["statusReason"] == "rate_limited" and job["rateLimitKey"] == "a"
    assert datetime.fromisoformat(job["nextEligibleAt"]) == start + timedelta(seconds=120)
    clock.advance(59)
    assert await claim(svc, admin, worker) == []
    clock.advance(1)
    got = await claim(svc, admin, worker)
    assert {c.job_id for c in got} == set(ids[2:4])  # one batch: one age, either order
    clock.advance(60)
    assert [c.job_id for c in await claim(svc, admin, worker)] == [ids[4]]


async def test_concurrency_and_rate_limit_together(svc, admin, org, worker, clock) -> None:
    await set_rules(
        svc,
        admin,
        org.queue.id,
        concurrency=Concurrency.parse("payload.c", 1),
        rate_limit=RateLimit.parse("payload.c", 2, 60),
    )
    ids = await enqueue(svc, admin, org.queue.id, *[{"c": "a"}] * 4)
    [one] = await claim(svc, admin, worker)
    assert one.job_id == ids[0] and await claim(svc, admin, worker) == []
    await complete(svc, admin, [one])
    [two] = await claim(svc, admin, worker)
    await complete(svc, admin, [two])
    # the key is free, its starts are used up: the next one waits for the window
    assert await claim(svc, admin, worker) == []
    async with svc.read() as session:
        third = await session.get(Job, ids[2])
    assert third is not None and third.status is JobStatus.SCHEDULED
    assert third.scheduled_for == clock.now + timedelta(seconds=60)


async def test_workflow_jobs_follow_their_queues_rules(svc, admin, org, worker) -> None:
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 1))
    definition = {
        "name": "fan",
        "jobs": [
            {"name": f"s{i}", "job_type": "t", "queue": org.queue.name, "payload": {"c": "a"}}
            for i in range(3)
        ],
    }
    await workflows.create(svc, admin, org.project.id, definition, start=True)
    got = await claim(svc, admin, worker)
    assert len(got) == 1 and got[0].job.concurrency_key == "a"


async def test_queues_without_rules_keep_the_plain_claim(svc, admin, org, worker) -> None:
    ids = await enqueue(svc, admin, org.queue.id, {"c": "a"}, {"c": "a"}, priority=5)
    [high] = await enqueue(svc, admin, org.queue.id, {"c": "a"}, priority=7)
    async with svc.read() as session:
        rows = list(await session.scalars(select(Job)))
        queue = await session.get(JobQueue, org.queue.id)
    assert queue is not None and not queue.flow_control
    assert {(j.fair_seq, j.concurrency_key, j.rate_key) for j in rows} == {(0, None, None)}
    assert [c.job_id for c in await claim(svc, admin, worker)] == [high, *ids]


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"concurrency": {"key": "payload.a +", "max": 1}}, "concurrency.key"),
        ({"concurrency": {"key": "__import__('os')", "max": 1}}, "concurrency.key"),
        ({"concurrency": {"max": 0}}, "concurrency.max"),
        ({"concurrency": {"max": -2}}, "concurrency.max"),
        ({"rateLimit": {"limit": 0, "period": 5}}, "rateLimit.limit"),
        ({"rateLimit": {"limit": 5, "period": 0}}, "rateLimit.period"),
        ({"rateLimit": {"limit": 5, "period": -1}}, "rateLimit.period"),
    ],
)
async def test_bad_rules_are_refused_with_their_field(gql, org, rules, field) -> None:
    q = str(org.queue.id)
    for body in (
        await gql.raw(UPDATE_QUEUE, {"id": q, "s": rules}),
        await gql.raw(ENQUEUE, {"jobs": [{"queueId": q, "jobType": "t", **rules}]}),
    ):
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["field"] == field, error
    assert (await gql.ok(QUEUE, {"id": q}))["queue"] == {"concurrency": None, "rateLimit": None}


async def test_tenants_do_not_share_keys_or_queues(svc, admin, org, other_org, worker) -> None:
    theirs = admin_of(other_org)
    rule = Concurrency.parse("payload.c", 1)
    await set_rules(svc, admin, org.queue.id, concurrency=rule)
    await set_rules(svc, theirs, other_org.queue.id, concurrency=rule)
    await enqueue(svc, admin, org.queue.id, {"c": "same"}, {"c": "same"})
    await enqueue(svc, theirs, other_org.queue.id, {"c": "same"})
    their_worker = await workers.register(
        svc, theirs, "w", WorkerType.GENERAL, [workers.QueueWeight(other_org.queue.id)]
    )
    # the same key value in another organization's queue is another group
    assert len(await claim(svc, theirs, their_worker)) == 1
    assert len(await claim(svc, admin, worker)) == 1
    # another tenant's queue is NOT_FOUND, with a rule or without
    for call in (
        set_rules(svc, theirs, org.queue.id, concurrency=rule),
        enqueue(svc, theirs, org.queue.id, {"c": "x"}, concurrency=rule),
    ):
        with pytest.raises(Exception) as caught:
            await call
        assert getattr(caught.value, "code", None) == "NOT_FOUND"


async def test_a_claim_that_read_stale_targets_runs_again(svc, admin, org, worker, monkeypatch):
    """A claim reads its queues' flow control before its transaction: one that read it
    before a queue got it, and then met keyed jobs on the plain path, runs again (on the
    flow path) rather than start more of a key than its max."""
    from taskforge.persistence.common import executions as executions_repo

    rule = Concurrency.parse("payload.c", 1)
    await enqueue(svc, admin, org.queue.id, *[{"c": "a"}] * 3, concurrency=rule)
    real = executions_repo.claim_targets
    calls = []

    async def stale(*args: Any, **kwargs: Any) -> Any:
        status, rows = await real(*args, **kwargs)
        calls.append(len(calls))
        if len(calls) == 1:  # as read before the queue was flagged
            rows = [SimpleNamespace(**{**_values(r), "flow_control": False}) for r in rows]
        return status, rows

    monkeypatch.setattr(executions_repo, "claim_targets", stale)
    got = await claim(svc, admin, worker)
    assert keys(got) == ["a"] and calls == [0, 1]


def _values(row: Any) -> dict[str, Any]:
    return dict(row._mapping) if hasattr(row, "_mapping") else dict(vars(row))


async def test_a_short_flow_claim_says_jobs_may_be_held_back(svc, admin, org, worker) -> None:
    await enqueue(svc, admin, org.queue.id, {"c": "x"})
    plain = await executions.claim(svc, admin, worker.id, None, 5)
    assert len(plain) == 1 and not plain.held_back  # no flow control: never
    await set_rules(svc, admin, org.queue.id, concurrency=Concurrency.parse("payload.c", 1))
    await enqueue(svc, admin, org.queue.id, {"c": "a"}, {"c": "a"})
    got = await executions.claim(svc, admin, worker.id, None, 5)
    assert len(got) == 1 and got.held_back
    full = await executions.claim(svc, admin, worker.id, None, 1)
    assert len(full) == 0 and full.held_back  # the second waits for the first


async def test_an_idempotent_repeat_names_the_same_rules(svc, admin, org) -> None:
    """A job's flow rules are inputs of its enqueue: a repeat of its idempotency key with
    other rules is another request (CONFLICT); with the same ones, the same job."""
    rule = Concurrency.parse("payload.c", 1)

    def spec(**kw: Any) -> jobs.NewJob:
        return jobs.NewJob(org.queue.id, "t", {"c": "a"}, idempotency_key="k", **kw)

    [first] = await jobs.enqueue(svc, admin, [spec(concurrency=rule)])
    [again] = await jobs.enqueue(svc, admin, [spec(concurrency=rule)])
    assert again.id == first.id and again.deduplicated and first.concurrency_key == "a"
    with pytest.raises(Exception) as caught:
        await jobs.enqueue(svc, admin, [spec(concurrency=Concurrency.parse("payload.c", 2))])
    assert getattr(caught.value, "code", None) == "CONFLICT"


async def test_a_throttled_workflow_job_s_event_counts_it_scheduled(
    svc, admin, org, worker
) -> None:
    """One claim starts a workflow job and throttles another of the same workflow: the
    throttled job's event carries the workflow's counts after both changes."""
    await set_rules(svc, admin, org.queue.id, rate_limit=RateLimit.parse("payload.c", 1, 60))
    definition = {
        "name": "rated",
        "jobs": [{"name": f"s{i}", "job_type": "t", "payload": {"c": "a"}} for i in range(3)],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    [started] = await claim(svc, admin, worker)
    async with svc.read() as session:
        rows = await session.scalars(
            select(Event).where(Event.type == "job.status_changed").order_by(Event.id)
        )
        stored = [{"seq": 0, "span": r.span, "payload": r.payload} for r in rows]
    payloads = [p for row in stored for p in expand(row)]
    throttled = [p["payload"] for p in payloads if p["payload"].get("reason") == "rate_limited"]
    assert len(throttled) == 2
    for event in throttled:
        assert event["workflow"]["stats"]["counts"]["SCHEDULED"] == 2, event
        assert event["workflow"]["stats"]["counts"]["PROCESSING"] == 1, event
        assert event["workflow"]["stats"]["counts"]["PENDING"] == 0, event
    assert started.job.workflow_id == wf.id
