"""Idempotency keys on enqueueJob, enqueueJobs, createWorkflow and triggerSchedule, on
both databases: a repeat within the window returns what the first call created (marked
deduplicated in that response only), other inputs under the key are CONFLICT, keys are
per tenant and scope, expire, and never slow or change an enqueue without one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from taskforge.domain.enums import ScheduleKind
from taskforge.domain.errors import Conflict, InvalidInput, NotFound
from taskforge.persistence.tables import Event, IdempotencyKey, Job, Subscription, Workflow
from taskforge.services import jobs, queues, retention, scheduler, schedules, workflows
from tests.conftest import admin_of
from tests.helpers import asgi_client

ENQUEUE = """mutation($q: ID!, $k: String, $p: JSON, $prio: Int! = 5) {
  enqueueJob(input: {queueId: $q, jobType: "send", payload: $p, priority: $prio,
    idempotencyKey: $k}) { id deduplicated payload priority }
}"""
ENQUEUE_MANY = """mutation($j: [EnqueueJobInput!]!) {
  enqueueJobs(jobs: $j) { id deduplicated payload }
}"""
CREATE_WORKFLOW = """mutation($p: ID!, $d: JSON!, $k: String, $s: Boolean! = false) {
  createWorkflow(input: {projectId: $p, definition: $d, start: $s, idempotencyKey: $k}) {
    id deduplicated status jobs { id } }
}"""
TRIGGER = """mutation($id: ID!, $k: String) {
  triggerSchedule(id: $id, idempotencyKey: $k) {
    id runsCount
    triggered { deduplicated job { id deduplicated jobType } workflow { id deduplicated } }
  }
}"""
FLOW = {"name": "etl", "jobs": [{"name": "a", "job_type": "t"}, {"name": "b", "job_type": "t"}]}


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def count(runtime, model: Any, org: Any) -> int:
    async with runtime.db.read() as session:
        stmt = select(func.count()).select_from(model)
        stmt = stmt.where(model.organization_id == org.organization.id)
        return int(await session.scalar(stmt))


async def jobs_used(runtime, org) -> int:
    async with runtime.db.read() as session:
        stmt = select(Subscription.jobs_used).where(
            Subscription.organization_id == org.organization.id
        )
        return int(await session.scalar(stmt))


async def error_of(gql, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await gql.raw(query, variables)
    assert body.get("errors"), body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


@pytest.fixture
def clock(svc) -> Iterator[Callable[[timedelta], None]]:
    """Move the services' clock forward by a delta (from the real time)."""
    real = svc.clock

    def move(delta: timedelta) -> None:
        svc.clock = lambda: real() + delta

    yield move
    svc.clock = real


# -- enqueueJob ----------------------------------------------------------------------


async def test_a_repeat_returns_the_first_job_marked_deduplicated(gql, runtime, org) -> None:
    q, payload = str(org.queue.id), {"to": "a@example.com", "n": [1, 2]}
    events_before = await count(runtime, Event, org)
    first = (await gql.ok(ENQUEUE, {"q": q, "k": "order-17", "p": payload}))["enqueueJob"]
    # the same inputs, the payload's keys in another order: the same request
    again = (await gql.ok(ENQUEUE, {"q": q, "k": "order-17", "p": {"n": [1, 2], **payload}}))[
        "enqueueJob"
    ]
    assert first["deduplicated"] is False
    assert again == {**first, "deduplicated": True}
    assert await count(runtime, Job, org) == 1
    assert await jobs_used(runtime, org) == 1  # the quota counts the job once
    assert await count(runtime, Event, org) - events_before == 1  # one status event
    # transient: a later read of the job says false
    read = await gql.ok("query($id: ID!) { job(id: $id) { deduplicated } }", {"id": first["id"]})
    assert read["job"]["deduplicated"] is False


async def test_without_a_key_every_enqueue_creates_a_job(gql, runtime, org) -> None:
    q = str(org.queue.id)
    made = [(await gql.ok(ENQUEUE, {"q": q}))["enqueueJob"] for _ in range(2)]
    assert made[0]["id"] != made[1]["id"]
    assert [m["deduplicated"] for m in made] == [False, False]
    assert await count(runtime, IdempotencyKey, org) == 0


async def test_an_enqueue_without_a_key_runs_no_statement_of_keys(
    svc, runtime, org, monkeypatch
) -> None:
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    keys = runtime.db.store.keys  # PostgreSQL's guard insert runs on the driver connection
    guard = keys.insert_new

    async def insert_new(session: Any, rows: Any) -> Any:
        seen.append("guard insert into idempotency_keys")
        return await guard(session, rows)

    monkeypatch.setattr(keys, "insert_new", insert_new)
    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        spec = jobs.NewJob(queue_id=org.queue.id, job_type="t")
        await jobs.enqueue(svc, admin_of(org), [spec, spec])
        keyed = jobs.NewJob(queue_id=org.queue.id, job_type="t", idempotency_key="k")
        plain_statements = list(seen)
        await jobs.enqueue(svc, admin_of(org), [keyed])
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert not any("idempotency_keys" in s for s in plain_statements)
    assert any("idempotency_keys" in s for s in seen[len(plain_statements) :])


@pytest.mark.parametrize(
    "change",
    [{"p": {"to": "b@example.com"}}, {"prio": 9}],
    ids=["payload", "priority"],
)
async def test_other_inputs_under_a_used_key_are_a_conflict(gql, runtime, org, change) -> None:
    q = str(org.queue.id)
    await gql.ok(ENQUEUE, {"q": q, "k": "k1", "p": {"to": "a@example.com"}})
    ext = await error_of(gql, ENQUEUE, {"q": q, "k": "k1", "p": {"to": "a@example.com"}, **change})
    assert ext["code"] == "CONFLICT" and ext["field"] == "idempotencyKey"
    assert await count(runtime, Job, org) == 1


async def test_keys_are_scoped_to_their_queue(svc, gql, runtime, org) -> None:
    other = await queues.create_queue(svc, admin_of(org), org.project.id, "second")
    a = (await gql.ok(ENQUEUE, {"q": str(org.queue.id), "k": "same"}))["enqueueJob"]
    b = (await gql.ok(ENQUEUE, {"q": str(other.id), "k": "same"}))["enqueueJob"]
    assert a["id"] != b["id"] and not b["deduplicated"]
    assert await count(runtime, Job, org) == 2


async def test_bad_keys_are_refused_naming_the_field(gql, runtime, org) -> None:
    q = str(org.queue.id)
    for bad in ("", "   ", "x" * 256, "nul\x00inside"):
        ext = await error_of(gql, ENQUEUE, {"q": q, "k": bad})
        assert ext["code"] == "BAD_USER_INPUT", bad
        assert ext["field"] == "idempotencyKey", bad
    assert await count(runtime, Job, org) == 0
    longest = (await gql.ok(ENQUEUE, {"q": q, "k": "é" * 255}))["enqueueJob"]
    assert (await gql.ok(ENQUEUE, {"q": q, "k": "é" * 255}))["enqueueJob"]["id"] == longest["id"]


async def test_after_the_window_a_key_creates_a_new_job(svc, org, clock) -> None:
    admin = admin_of(org)
    spec = jobs.NewJob(queue_id=org.queue.id, job_type="t", idempotency_key="daily")
    [first] = await jobs.enqueue(svc, admin, [spec])
    clock(timedelta(hours=23, minutes=59))
    [inside] = await jobs.enqueue(svc, admin, [spec])
    assert (inside.id, inside.deduplicated) == (first.id, True)
    clock(timedelta(hours=24, seconds=1))  # TASKFORGE_IDEMPOTENCY_HOURS: 24
    [later] = await jobs.enqueue(svc, admin, [spec])
    assert later.id != first.id and later.deduplicated is False
    # the key now names the new job, for a window from its use
    clock(timedelta(hours=47))
    [again] = await jobs.enqueue(svc, admin, [spec])
    assert (again.id, again.deduplicated) == (later.id, True)
    # and other inputs are judged against the new use: still CONFLICT
    with pytest.raises(Conflict):
        await jobs.enqueue(
            svc, admin, [jobs.NewJob(org.queue.id, "t", {"x": 1}, idempotency_key="daily")]
        )


async def test_the_window_is_a_setting(svc, org, clock) -> None:
    svc.settings.idempotency_hours = 1
    spec = jobs.NewJob(queue_id=org.queue.id, job_type="t", idempotency_key="hourly")
    [first] = await jobs.enqueue(svc, admin_of(org), [spec])
    clock(timedelta(minutes=61))
    [later] = await jobs.enqueue(svc, admin_of(org), [spec])
    assert later.id != first.id


async def test_a_key_whose_job_was_deleted_is_free_again(svc, org) -> None:
    admin = admin_of(org)
    spec = jobs.NewJob(queue_id=org.queue.id, job_type="t", idempotency_key="gone")
    [first] = await jobs.enqueue(svc, admin, [spec])
    await jobs.delete(svc, admin, first.id)
    [second] = await jobs.enqueue(svc, admin, [spec])
    assert second.id != first.id and second.deduplicated is False
    [third] = await jobs.enqueue(svc, admin, [spec])
    assert (third.id, third.deduplicated) == (second.id, True)


async def test_a_failed_enqueue_keeps_no_key(svc, runtime, org) -> None:
    admin = admin_of(org)
    missing = jobs.NewJob(queue_id=uuid.uuid4(), job_type="t", idempotency_key="k")
    with pytest.raises(NotFound):
        await jobs.enqueue(svc, admin, [missing])
    assert await count(runtime, IdempotencyKey, org) == 0


# -- enqueueJobs ---------------------------------------------------------------------


async def test_a_batch_returns_earlier_jobs_and_creates_the_rest_in_order(
    gql, runtime, org
) -> None:
    q = str(org.queue.id)
    [old] = (
        await gql.ok(ENQUEUE_MANY, {"j": [{"queueId": q, "jobType": "t", "idempotencyKey": "a"}]})
    )["enqueueJobs"]
    used = await jobs_used(runtime, org)
    batch = [
        {"queueId": q, "jobType": "t", "payload": {"n": 0}},  # no key
        {"queueId": q, "jobType": "t", "idempotencyKey": "a"},  # used before
        {"queueId": q, "jobType": "t", "payload": {"n": 2}, "idempotencyKey": "b"},  # new
        {"queueId": q, "jobType": "t", "payload": {"n": 2}, "idempotencyKey": "b"},  # same call
    ]
    made = (await gql.ok(ENQUEUE_MANY, {"j": batch}))["enqueueJobs"]
    assert [m["deduplicated"] for m in made] == [False, True, False, True]
    assert made[1]["id"] == old["id"]
    assert made[3]["id"] == made[2]["id"] != made[0]["id"]
    assert [m["payload"] for m in made] == [{"n": 0}, {}, {"n": 2}, {"n": 2}]
    assert await count(runtime, Job, org) == 3
    assert await jobs_used(runtime, org) - used == 2
    # the whole batch again: nothing new
    again = (await gql.ok(ENQUEUE_MANY, {"j": batch[1:]}))["enqueueJobs"]
    assert [m["id"] for m in again] == [m["id"] for m in made[1:]]
    assert all(m["deduplicated"] for m in again)
    assert await count(runtime, Job, org) == 3


async def test_one_key_with_two_requests_in_a_batch_creates_nothing(gql, runtime, org) -> None:
    q = str(org.queue.id)
    batch = [
        {"queueId": q, "jobType": "t", "idempotencyKey": "free"},
        {"queueId": q, "jobType": "t", "payload": {"n": 1}, "idempotencyKey": "dup"},
        {"queueId": q, "jobType": "t", "payload": {"n": 2}, "idempotencyKey": "dup"},
    ]
    assert (await error_of(gql, ENQUEUE_MANY, {"j": batch}))["code"] == "CONFLICT"
    assert await count(runtime, Job, org) == 0
    assert await count(runtime, IdempotencyKey, org) == 0


async def test_a_conflict_in_a_batch_creates_nothing(gql, runtime, org) -> None:
    q = str(org.queue.id)
    await gql.ok(ENQUEUE, {"q": q, "k": "taken", "p": {"v": 1}})
    batch = [
        {"queueId": q, "jobType": "t", "idempotencyKey": "fresh"},
        {"queueId": q, "jobType": "send", "payload": {"v": 2}, "idempotencyKey": "taken"},
    ]
    assert (await error_of(gql, ENQUEUE_MANY, {"j": batch}))["code"] == "CONFLICT"
    assert await count(runtime, Job, org) == 1
    assert await count(runtime, IdempotencyKey, org) == 1


# -- tenancy -------------------------------------------------------------------------


async def test_one_key_in_two_organizations_is_two_jobs(runtime, org, other_org) -> None:
    made = []
    for tenant in (org, other_org):
        async with asgi_client(runtime, tenant.api_key.secret) as gql:
            q = str(tenant.queue.id)
            made.append((await gql.ok(ENQUEUE, {"q": q, "k": "shared"}))["enqueueJob"])
    assert made[0]["id"] != made[1]["id"]
    assert [m["deduplicated"] for m in made] == [False, False]


async def test_another_tenants_key_reads_nothing_of_theirs(svc, runtime, org, other_org) -> None:
    theirs = admin_of(other_org)
    spec = jobs.NewJob(queue_id=other_org.queue.id, job_type="t", idempotency_key="secret")
    [job] = await jobs.enqueue(svc, theirs, [spec])
    wf = await workflows.create(svc, theirs, other_org.project.id, FLOW, idempotency_key="secret")
    schedule = await schedules.create(svc, theirs, _schedule_spec(other_org))
    await scheduler.trigger_run(svc, theirs, schedule.id, "secret")
    async with asgi_client(runtime, org.api_key.secret) as gql:
        # their queue, project and schedule with their keys: NOT_FOUND, nothing of theirs
        body = await gql.raw(ENQUEUE, {"q": str(other_org.queue.id), "k": "secret"})
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert str(job.id) not in str(body)
        body = await gql.raw(
            CREATE_WORKFLOW, {"p": str(other_org.project.id), "d": FLOW, "k": "secret"}
        )
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert str(wf.id) not in str(body)
        assert await gql.error(TRIGGER, {"id": str(schedule.id), "k": "secret"}) == "NOT_FOUND"
    assert await count(runtime, IdempotencyKey, org) == 0
    assert await count(runtime, Job, org) == 0


# -- createWorkflow ------------------------------------------------------------------


async def test_a_repeated_create_workflow_returns_the_first(gql, runtime, org) -> None:
    args = {"p": str(org.project.id), "d": FLOW, "k": "nightly-2026-01-01", "s": True}
    first = (await gql.ok(CREATE_WORKFLOW, args))["createWorkflow"]
    again = (await gql.ok(CREATE_WORKFLOW, args))["createWorkflow"]
    assert first["deduplicated"] is False and first["status"] == "RUNNING"
    assert again == {**first, "deduplicated": True}
    assert await count(runtime, Workflow, org) == 1
    assert await count(runtime, Job, org) == 2
    read = await gql.ok(
        "query($id: ID!) { workflow(id: $id) { deduplicated } }", {"id": first["id"]}
    )
    assert read["workflow"]["deduplicated"] is False
    # other inputs under the key: CONFLICT (another definition, or not started)
    other = {**args, "d": {**FLOW, "name": "other"}}
    assert (await error_of(gql, CREATE_WORKFLOW, other))["code"] == "CONFLICT"
    assert (await error_of(gql, CREATE_WORKFLOW, {**args, "s": False}))["code"] == "CONFLICT"
    assert await count(runtime, Workflow, org) == 1


async def test_a_workflow_key_is_free_after_the_window_or_a_delete(svc, org, clock) -> None:
    admin = admin_of(org)
    first = await workflows.create(svc, admin, org.project.id, FLOW, idempotency_key="w")
    clock(timedelta(hours=25))
    second = await workflows.create(svc, admin, org.project.id, FLOW, idempotency_key="w")
    assert second.id != first.id and not second.deduplicated
    await workflows.delete(svc, admin, second.id)
    third = await workflows.create(svc, admin, org.project.id, FLOW, idempotency_key="w")
    assert third.id not in (first.id, second.id) and not third.deduplicated


async def test_bad_workflow_keys_are_refused(gql, runtime, org) -> None:
    for bad in ("", "k" * 256):
        args = {"p": str(org.project.id), "d": FLOW, "k": bad}
        ext = await error_of(gql, CREATE_WORKFLOW, args)
        assert (ext["code"], ext["field"]) == ("BAD_USER_INPUT", "idempotencyKey")
    assert await count(runtime, Workflow, org) == 0


# -- triggerSchedule -----------------------------------------------------------------


def _schedule_spec(org: Any, **extra: Any) -> schedules.ScheduleSpec:
    fields: dict[str, Any] = {
        "name": "nightly",
        "kind": ScheduleKind.CRON,
        "expression": "0 3 * * *",
        "queue_id": org.queue.id,
        "job_type": "report",
    }
    return schedules.ScheduleSpec(**{**fields, **extra})


async def test_trigger_returns_what_it_created_and_a_repeat_creates_nothing(
    svc, gql, runtime, org
) -> None:
    s = await schedules.create(svc, admin_of(org), _schedule_spec(org))
    plain = (await gql.ok(TRIGGER, {"id": str(s.id)}))["triggerSchedule"]
    assert plain["runsCount"] == 1 and plain["triggered"]["deduplicated"] is False
    assert plain["triggered"]["job"]["jobType"] == "report"
    assert plain["triggered"]["workflow"] is None
    first = (await gql.ok(TRIGGER, {"id": str(s.id), "k": "run-1"}))["triggerSchedule"]
    again = (await gql.ok(TRIGGER, {"id": str(s.id), "k": "run-1"}))["triggerSchedule"]
    assert first["runsCount"] == again["runsCount"] == 2
    assert again["triggered"]["deduplicated"] is True
    assert again["triggered"]["job"] == {**first["triggered"]["job"], "deduplicated": True}
    assert await count(runtime, Job, org) == 2
    # any other response of a schedule has no trigger
    read = await gql.ok(
        "query($id: ID!) { schedule(id: $id) { triggered { deduplicated } } }", {"id": str(s.id)}
    )
    assert read["schedule"]["triggered"] is None


async def test_a_repeated_trigger_takes_no_rate(svc, runtime, org) -> None:
    s = await schedules.create(svc, admin_of(org), _schedule_spec(org, rate_limit_per_minute=1))
    first = await scheduler.trigger_run(svc, admin_of(org), s.id, "once")
    for _ in range(3):  # past the limit of 1 a minute, were they counted
        again = await scheduler.trigger_run(svc, admin_of(org), s.id, "once")
        assert again.deduplicated and again.job is not None and first.job is not None
        assert again.job.id == first.job.id
    assert await count(runtime, Job, org) == 1


async def test_a_workflow_schedule_trigger_returns_its_workflow(svc, gql, runtime, org) -> None:
    spec = _schedule_spec(
        org, queue_id=None, job_type=None, project_id=org.project.id, workflow_definition=FLOW
    )
    s = await schedules.create(svc, admin_of(org), spec)
    first = (await gql.ok(TRIGGER, {"id": str(s.id), "k": "wf"}))["triggerSchedule"]["triggered"]
    again = (await gql.ok(TRIGGER, {"id": str(s.id), "k": "wf"}))["triggerSchedule"]["triggered"]
    assert first["job"] is None and first["workflow"]["deduplicated"] is False
    assert again["workflow"] == {"id": first["workflow"]["id"], "deduplicated": True}
    assert await count(runtime, Workflow, org) == 1


async def test_trigger_keys_are_scoped_to_their_schedule(svc, org) -> None:
    admin = admin_of(org)
    a = await schedules.create(svc, admin, _schedule_spec(org))
    b = await schedules.create(svc, admin, _schedule_spec(org, name="other"))
    ran = [await scheduler.trigger_run(svc, admin, s.id, "k") for s in (a, b)]
    assert not any(r.deduplicated for r in ran)
    assert ran[0].job is not None and ran[1].job is not None and ran[0].job.id != ran[1].job.id


async def test_a_bad_trigger_key_is_refused(svc, gql, org) -> None:
    s = await schedules.create(svc, admin_of(org), _schedule_spec(org))
    ext = await error_of(gql, TRIGGER, {"id": str(s.id), "k": ""})
    assert (ext["code"], ext["field"]) == ("BAD_USER_INPUT", "idempotencyKey")
    with pytest.raises(InvalidInput):
        await scheduler.trigger_run(svc, admin_of(org), s.id, "x" * 256)


# -- retention -----------------------------------------------------------------------


async def test_retention_purges_expired_keys_only(svc, runtime, org, clock) -> None:
    admin = admin_of(org)
    await jobs.enqueue(
        svc, admin, [jobs.NewJob(org.queue.id, "t", idempotency_key=f"old-{i}") for i in range(3)]
    )
    clock(timedelta(hours=20))
    await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, "t", idempotency_key="young")])
    clock(timedelta(hours=25))
    assert await retention.purge_idempotency_keys(svc, limit=2) == 2  # bounded batches
    await retention.sweep(svc)
    async with runtime.db.read() as session:
        left = list(await session.scalars(select(IdempotencyKey.key)))
    assert left == ["young"]


async def test_a_deleted_jobs_key_is_free_for_another_request(svc, org) -> None:
    first_spec = jobs.NewJob(org.queue.id, "sync", {"c": 1}, idempotency_key="k-gone")
    [first] = await jobs.enqueue(svc, admin_of(org), [first_spec])
    await jobs.delete(svc, admin_of(org), first.id)
    other = jobs.NewJob(org.queue.id, "sync", {"c": 2}, idempotency_key="k-gone")
    [new] = await jobs.enqueue(svc, admin_of(org), [other])
    assert new.id != first.id and not new.deduplicated
    [again] = await jobs.enqueue(svc, admin_of(org), [other])  # the key names it now
    assert again.id == new.id and again.deduplicated
    with pytest.raises(Conflict):
        await jobs.enqueue(svc, admin_of(org), [first_spec])
