"""Job administration on both backends: retryJob, updateJob, cancelJobs / retryJobs in
batches, execution(id) and an execution's paged logs; tenant isolation, bad input,
refused transitions and workflow consistency."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from taskforge.domain.enums import JobStatus, LogLevel, WorkerType
from taskforge.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from taskforge.persistence.tables import Job, JobExecution
from taskforge.services import executions, job_admin, jobs, workers, workflows
from taskforge.services.base import Principal
from taskforge.services.job_admin import JobFilter
from taskforge.services.workflows import ResumeAction
from tests.conftest import admin_of, new_org
from tests.helpers import asgi_client, stored_events
from tests.integration.test_isolation import foreign, snapshot  # noqa: F401
from tests.integration.workflow_driver import run, statuses, worker_for, workflow_status

J = JobStatus


async def enqueue(svc, admin, queue_id, n: int = 1, **kw) -> list:
    specs = [jobs.NewJob(queue_id=queue_id, job_type=kw.pop("job_type", "t"), **kw)] * n
    return await jobs.enqueue(svc, admin, specs)


async def fail_one(svc, admin, worker_id, retryable: bool = False):
    [claimed] = await executions.claim(svc, admin, worker_id, None, 1)
    await executions.fail(svc, admin, [(claimed.execution_id, ("boom", retryable))])
    return claimed


async def status_of(svc, admin, job_id) -> tuple[str, str | None]:
    job = await jobs.get(svc, admin, job_id)
    return job.status.value, job.status_reason


async def attempts_of(svc, job_id) -> list[str]:
    async with svc.read() as session:
        rows = await session.scalars(
            select(JobExecution.status)
            .where(JobExecution.job_id == job_id)
            .order_by(JobExecution.attempt_number)
        )
        return [s.value for s in rows]


# -- retryJob -------------------------------------------------------------------------


async def test_retry_failed_job_runs_again_with_history_kept(svc, org, admin) -> None:
    [job] = await enqueue(svc, admin, org.queue.id, max_attempts=1)
    w = await worker_for(svc, admin, org.queue.id)
    await fail_one(svc, admin, w)
    assert await status_of(svc, admin, job.id) == ("FAILED", "failed")
    again = await job_admin.retry(svc, admin, job.id)
    assert (again.status, again.attempts, again.max_attempts) == (J.PENDING, 1, 2)
    assert again.error is None and again.finished_at is None
    [claimed] = await executions.claim(svc, admin, w, None, 1)
    assert claimed.attempt == 2
    await executions.complete(svc, admin, [(claimed.execution_id, None)])
    assert await attempts_of(svc, job.id) == ["FAILED", "SUCCEEDED"]
    async with svc.read() as session:
        events = await stored_events(session)
    changes = [
        (e["payload"].get("previousStatus"), e["payload"]["status"])
        for e in events
        if e["type"] == "job.status_changed"
    ]
    assert ("FAILED", "PENDING") in changes


async def test_retry_cancelled_job(svc, org, admin) -> None:
    [job] = await enqueue(svc, admin, org.queue.id)
    await jobs.cancel(svc, admin, job.id)
    assert (await job_admin.retry(svc, admin, job.id)).status is J.PENDING
    w = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, w, None, 1)
    assert claimed.job.id == job.id


@pytest.mark.parametrize("state", ["PENDING", "SCHEDULED", "PROCESSING", "SUCCEEDED"])
async def test_retry_refuses_other_statuses(svc, org, admin, state) -> None:
    later = svc.clock() + timedelta(hours=1) if state == "SCHEDULED" else None
    [job] = await enqueue(svc, admin, org.queue.id, scheduled_for=later)
    if state in ("PROCESSING", "SUCCEEDED"):
        w = await worker_for(svc, admin, org.queue.id)
        [claimed] = await executions.claim(svc, admin, w, None, 1)
        if state == "SUCCEEDED":
            await executions.complete(svc, admin, [(claimed.execution_id, None)])
    assert (await jobs.get(svc, admin, job.id)).status.value == state
    with pytest.raises(Conflict):
        await job_admin.retry(svc, admin, job.id)
    assert (await jobs.get(svc, admin, job.id)).status.value == state


async def test_retry_reopens_dependents_the_engine_ended(svc, org, admin) -> None:
    from taskforge.services import dependencies

    [parent, child, grandchild, mine] = await enqueue(svc, admin, org.queue.id, 4)
    await dependencies.create(svc, admin, parent.id, child.id)
    await dependencies.create(svc, admin, child.id, grandchild.id)
    await dependencies.create(svc, admin, parent.id, mine.id)
    await jobs.cancel(svc, admin, mine.id)  # the user's decision: stays
    await jobs.cancel(svc, admin, parent.id)
    assert await status_of(svc, admin, grandchild.id) == ("CANCELLED", "dependency_failed")
    await job_admin.retry(svc, admin, parent.id)
    assert await status_of(svc, admin, child.id) == ("PENDING", "retried")
    assert await status_of(svc, admin, grandchild.id) == ("PENDING", "retried")
    assert await status_of(svc, admin, mine.id) == ("CANCELLED", "cancelled_by_user")
    w = await worker_for(svc, admin, org.queue.id)
    order = []
    while claimed := await executions.claim(svc, admin, w, None, 10):
        order += [c.job.id for c in claimed]
        await executions.complete(svc, admin, [(c.execution_id, None) for c in claimed])
    assert order == [parent.id, child.id, grandchild.id]


def chain(policy: str) -> dict:
    return {
        "name": "chain",
        "failure_policy": policy,
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
            {"name": "c", "job_type": "t", "depends_on": ["b"]},
        ],
    }


async def _named(svc, workflow_id, name: str):
    async with svc.read() as session:
        return await session.scalar(
            select(Job).where(Job.workflow_id == workflow_id, Job.name == name)
        )


async def test_retry_job_of_failed_workflow_reopens_it(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("FAIL_FAST"), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w, {"a": "fail"}) == [["a"]]
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    assert await statuses(svc, admin, wf.id) == {"a": "FAILED", "b": "CANCELLED", "c": "CANCELLED"}
    a = await _named(svc, wf.id, "a")
    await job_admin.retry(svc, admin, a.id)
    assert await workflow_status(svc, admin, wf.id) == "RUNNING"
    assert set((await statuses(svc, admin, wf.id)).values()) == {"PENDING"}
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_retry_job_of_paused_workflow_resumes_it(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("MANUAL"), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"a": "fail"})
    assert await workflow_status(svc, admin, wf.id) == "PAUSED"
    await job_admin.retry(svc, admin, (await _named(svc, wf.id, "a")).id)
    assert await workflow_status(svc, admin, wf.id) == "RUNNING"
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_retry_job_of_succeeded_workflow_is_a_conflict(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("FAIL_FAST"), start=True)
    c = await _named(svc, wf.id, "c")
    await jobs.cancel(svc, admin, c.id)  # the user's cancel is no failure
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w)
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
    with pytest.raises(Conflict):
        await job_admin.retry(svc, admin, c.id)
    assert await status_of(svc, admin, c.id) == ("CANCELLED", "cancelled_by_user")


async def test_retry_job_of_unstarted_workflow_waits_for_its_start(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("FAIL_FAST"))
    a = await _named(svc, wf.id, "a")
    await jobs.cancel(svc, admin, a.id)
    await job_admin.retry(svc, admin, a.id)
    assert await workflow_status(svc, admin, wf.id) == "PENDING"
    w = await worker_for(svc, admin, org.queue.id)
    assert await executions.claim(svc, admin, w, None, 10) == []  # held until the start
    await workflows.start(svc, admin, wf.id)
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]


async def test_retry_workflow_still_works(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("MANUAL"), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"a": "fail"})
    await workflows.resume(svc, admin, wf.id, ResumeAction.RETRY_FAILED)
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]


# -- updateJob ------------------------------------------------------------------------


async def test_update_moves_between_pending_and_scheduled(svc, org, admin) -> None:
    [job] = await enqueue(svc, admin, org.queue.id)
    later = svc.clock() + timedelta(hours=1)
    changed = await job_admin.update(svc, admin, job.id, priority=9, scheduled_for=later)
    assert (changed.status, changed.priority, changed.scheduled_for) == (J.SCHEDULED, 9, later)
    w = await worker_for(svc, admin, org.queue.id)
    assert await executions.claim(svc, admin, w, None, 1) == []
    now = await job_admin.update(svc, admin, job.id, scheduled_for=svc.clock())
    assert now.status is J.PENDING
    [claimed] = await executions.claim(svc, admin, w, None, 1)
    assert claimed.job.id == job.id and claimed.job.priority == 9


async def test_update_priority_orders_claims(svc, org, admin) -> None:
    [_, second] = await enqueue(svc, admin, org.queue.id, 2)
    await job_admin.update(svc, admin, second.id, priority=9)
    w = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, w, None, 1)
    assert claimed.job.id == second.id


@pytest.mark.parametrize("state", ["PROCESSING", "SUCCEEDED", "CANCELLED"])
async def test_update_refuses_started_or_ended(svc, org, admin, state) -> None:
    [job] = await enqueue(svc, admin, org.queue.id)
    if state == "CANCELLED":
        await jobs.cancel(svc, admin, job.id)
    else:
        w = await worker_for(svc, admin, org.queue.id)
        [claimed] = await executions.claim(svc, admin, w, None, 1)
        if state == "SUCCEEDED":
            await executions.complete(svc, admin, [(claimed.execution_id, None)])
    with pytest.raises(Conflict):
        await job_admin.update(svc, admin, job.id, priority=1)
    assert (await jobs.get(svc, admin, job.id)).priority == 5


# -- cancelJobs / retryJobs -----------------------------------------------------------


@pytest.fixture
def batches(svc, monkeypatch):
    """Small batches, counted."""
    svc.settings.bulk_batch_size = 4
    seen: list[int] = []
    original = job_admin.repo.next_batch

    async def counted(session, stmt, after, limit):
        rows = await original(session, stmt, after, limit)
        seen.append(len(rows))
        return rows

    monkeypatch.setattr(job_admin.repo, "next_batch", counted)
    return seen


async def test_cancel_jobs_in_batches_by_filter(svc, org, other_org, admin, batches) -> None:
    await enqueue(svc, admin, org.queue.id, 10, job_type="report")
    [other_type] = await enqueue(svc, admin, org.queue.id, job_type="mail")
    theirs = await enqueue(svc, admin_of(other_org), other_org.queue.id, 3, job_type="report")
    w = await worker_for(svc, admin, org.queue.id)
    [running] = await executions.claim(svc, admin, w, None, 1)  # the oldest: a report
    where = JobFilter(job_type="report")
    assert await job_admin.cancel_many(svc, admin, where) == 10
    assert batches == [4, 4, 2]  # one short transaction each
    listing = await jobs.list_jobs(svc, admin, first=100, after=None, job_type="report")
    assert {j.status for j in listing.items} == {J.CANCELLED}
    assert await attempts_of(svc, running.job.id) == ["CANCELLED"]
    assert (await jobs.get(svc, admin, other_type.id)).status is J.PENDING
    for job in theirs:  # another tenant's jobs are never touched
        assert (await jobs.get(svc, admin_of(other_org), job.id)).status is J.PENDING
    async with svc.read() as session:
        events = await stored_events(session)
    cancelled = [
        e
        for e in events
        if e["type"] == "job.status_changed" and e["payload"]["status"] == "CANCELLED"
    ]
    assert len(cancelled) == 10
    assert await job_admin.cancel_many(svc, admin, where) == 0


async def test_bulk_filters_combine(svc, org, admin, batches) -> None:
    old = await enqueue(svc, admin, org.queue.id, 3)
    cut = svc.clock()
    await asyncio.sleep(0.01)
    new = await enqueue(svc, admin, org.queue.id, 2)
    await enqueue(svc, admin, org.queue.id, 2, scheduled_for=svc.clock() + timedelta(hours=1))
    where = JobFilter(queue_id=org.queue.id, statuses=frozenset({J.PENDING}), created_after=cut)
    assert await job_admin.cancel_many(svc, admin, where) == 2
    assert {(await jobs.get(svc, admin, j.id)).status for j in new} == {J.CANCELLED}
    assert {(await jobs.get(svc, admin, j.id)).status for j in old} == {J.PENDING}
    only_done = JobFilter(queue_id=org.queue.id, statuses=frozenset({J.SUCCEEDED}))
    assert await job_admin.cancel_many(svc, admin, only_done) == 0


async def test_retry_jobs_reopens_failed_ones(svc, org, admin, batches) -> None:
    made = await enqueue(svc, admin, org.queue.id, 6, max_attempts=1)
    w = await worker_for(svc, admin, org.queue.id)
    claimed = await executions.claim(svc, admin, w, None, 5)
    await executions.fail(svc, admin, [(c.execution_id, ("x", False)) for c in claimed])
    where = JobFilter(queue_id=org.queue.id, statuses=frozenset({J.FAILED, J.PENDING}))
    assert await job_admin.retry_many(svc, admin, where) == 5
    assert {(await jobs.get(svc, admin, j.id)).status for j in made} == {J.PENDING}
    again = await executions.claim(svc, admin, w, None, 10)
    assert len(again) == 6 and sorted(c.attempt for c in again) == [1, 2, 2, 2, 2, 2]


async def test_retry_jobs_of_a_workflow(svc, org, admin, batches) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("FAIL_FAST"), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"a": "fail"})
    where = JobFilter(workflow_id=wf.id, statuses=frozenset({J.FAILED}))
    assert await job_admin.retry_many(svc, admin, where) == 3  # a, and b, c it ended
    assert await workflow_status(svc, admin, wf.id) == "RUNNING"
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_cancel_jobs_of_a_workflow(svc, org, admin, batches) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain("FAIL_FAST"), start=True)
    assert await job_admin.cancel_many(svc, admin, JobFilter(workflow_id=wf.id)) == 3
    assert set((await statuses(svc, admin, wf.id)).values()) == {"CANCELLED"}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"  # the user's cancels


@pytest.mark.parametrize(
    "where",
    [
        JobFilter(),
        JobFilter(statuses=frozenset()),
        JobFilter(job_type="no spaces"),
        JobFilter(job_type="x" * 201),
        JobFilter(
            created_after=datetime(2030, 1, 2, tzinfo=UTC),
            created_before=datetime(2030, 1, 1, tzinfo=UTC),
        ),
        JobFilter(created_before=datetime(2030, 1, 1)),  # no offset
    ],
)
async def test_bulk_refuses_bad_filters(svc, org, admin, where) -> None:
    [job] = await enqueue(svc, admin, org.queue.id)
    with pytest.raises(InvalidInput):
        await job_admin.cancel_many(svc, admin, where)
    with pytest.raises(InvalidInput):
        await job_admin.retry_many(svc, admin, where)
    assert (await jobs.get(svc, admin, job.id)).status is J.PENDING


async def test_bulk_with_foreign_ids_is_not_found(svc, org, other_org, admin) -> None:
    theirs = admin_of(other_org)
    [job] = await enqueue(svc, theirs, other_org.queue.id)
    wf = await workflows.create(svc, theirs, other_org.project.id, chain("FAIL_FAST"))
    for where in (JobFilter(queue_id=other_org.queue.id), JobFilter(workflow_id=wf.id)):
        with pytest.raises(NotFound):
            await job_admin.cancel_many(svc, admin, where)
        with pytest.raises(NotFound):
            await job_admin.retry_many(svc, admin, where)
    assert (await jobs.get(svc, theirs, job.id)).status is J.PENDING
    assert await workflow_status(svc, theirs, wf.id) == "PENDING"


async def test_read_only_key_is_forbidden(svc, org, admin) -> None:
    [job] = await enqueue(svc, admin, org.queue.id)
    reader = Principal(org.organization.id, frozenset({"jobs:read"}))
    for call in (
        job_admin.retry(svc, reader, job.id),
        job_admin.update(svc, reader, job.id, priority=1),
        job_admin.cancel_many(svc, reader, JobFilter(queue_id=org.queue.id)),
        job_admin.retry_many(svc, reader, JobFilter(queue_id=org.queue.id)),
    ):
        with pytest.raises(Forbidden):
            await call
    assert (await jobs.get(svc, admin, job.id)).status is J.PENDING


# -- execution(id), logs --------------------------------------------------------------


async def test_execution_and_paged_logs_by_minimum_level(svc, org, admin) -> None:
    await enqueue(svc, admin, org.queue.id)
    w = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, w, None, 1)
    levels = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR] * 3
    entries = [(lvl, f"m{i}", None) for i, lvl in enumerate(levels)]
    await executions.append_logs(svc, admin, claimed.execution_id, entries)
    got = await job_admin.execution(svc, admin, claimed.execution_id)
    assert (got.job_id, got.attempt_number, got.status.value) == (claimed.job.id, 1, "STARTED")
    page = await job_admin.logs(svc, admin, claimed.execution_id, first=5, after=None)
    assert [r.message for r in page.items] == ["m0", "m1", "m2", "m3", "m4"] and page.has_next
    assert await page.total() == 12
    rest = await job_admin.logs(svc, admin, claimed.execution_id, first=50, after=page.items[-1].id)
    assert [r.message for r in rest.items] == [f"m{i}" for i in range(5, 12)]
    assert not rest.has_next
    warn = await job_admin.logs(
        svc, admin, claimed.execution_id, first=50, after=None, level=LogLevel.WARN
    )
    assert {r.level for r in warn.items} == {LogLevel.WARN, LogLevel.ERROR}
    assert await warn.total() == 6
    with pytest.raises(InvalidInput):
        await job_admin.logs(svc, admin, claimed.execution_id, first=1000, after=None)


# -- GraphQL --------------------------------------------------------------------------

FOREIGN_OPERATIONS = [
    ("mutation($id: ID!) { retryJob(id: $id) { id } }", "job"),
    ("mutation($id: ID!) { updateJob(id: $id, priority: 1) { id } }", "job"),
    ("query($id: ID!) { execution(id: $id) { id } }", "execution"),
    ("query($id: ID!) { execution(id: $id) { logsConnection { totalCount } } }", "execution"),
    ("mutation($id: ID!) { cancelJobs(filter: {queueId: $id}) }", "queue"),
    ("mutation($id: ID!) { retryJobs(filter: {queueId: $id}) }", "queue"),
    ("mutation($id: ID!) { cancelJobs(filter: {workflowId: $id}) }", "workflow"),
    ("mutation($id: ID!) { retryJobs(filter: {workflowId: $id}) }", "workflow"),
]


@pytest.mark.parametrize("query,kind", FOREIGN_OPERATIONS)
async def test_foreign_ids_are_not_found(runtime, org, other_org, foreign, query, kind) -> None:  # noqa: F811
    orgs = (org.organization.id, other_org.organization.id)
    before = [await snapshot(runtime, o) for o in orgs]
    async with asgi_client(runtime, org.api_key.secret) as gql:
        assert await gql.error(query, {"id": foreign[kind]}) == "NOT_FOUND"
    assert [await snapshot(runtime, o) for o in orgs] == before


async def test_status_only_filter_never_touches_another_tenant(
    runtime,
    org,
    other_org,
    foreign,  # noqa: F811
) -> None:
    before = await snapshot(runtime, other_org.organization.id)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        data = await gql.ok("mutation { cancelJobs(filter: {statuses: [PENDING, PROCESSING]}) }")
        assert data == {"cancelJobs": 0}
        data = await gql.ok('mutation { retryJobs(filter: {jobType: "secret"}) }')
        assert data == {"retryJobs": 0}
    assert await snapshot(runtime, other_org.organization.id) == before


BAD_INPUT = [
    ('mutation { retryJob(id: "nope") { id } }', {}),
    ("mutation($id: ID!) { updateJob(id: $id, priority: 10) { id } }", {}),
    ("mutation($id: ID!) { updateJob(id: $id, priority: -1) { id } }", {}),
    ("mutation($id: ID!) { updateJob(id: $id) { id } }", {}),
    (
        "mutation($id: ID!, $t: DateTime) { updateJob(id: $id, scheduledFor: $t) { id } }",
        {"t": "1900-01-01T00:00:00Z"},
    ),
    ('mutation { updateJob(id: "nope", priority: 1) { id } }', {}),
    ("mutation { cancelJobs(filter: {}) }", {}),
    ("mutation { retryJobs(filter: {}) }", {}),
    ('mutation { cancelJobs(filter: {queueId: "nope"}) }', {}),
    ('mutation { retryJobs(filter: {workflowId: "nope"}) }', {}),
    ('mutation { cancelJobs(filter: {jobType: "bad type"}) }', {}),
    ("mutation { cancelJobs(filter: {statuses: []}) }", {}),
    (
        "mutation($a: DateTime, $b: DateTime) { cancelJobs(filter: {createdAfter: $a,"
        " createdBefore: $b}) }",
        {"a": "2030-01-02T00:00:00Z", "b": "2030-01-01T00:00:00Z"},
    ),
    (
        "mutation($a: DateTime) { retryJobs(filter: {createdBefore: $a}) }",
        {"a": "0001-01-01T00:00:00Z"},
    ),
    ('mutation($r: String) { cancelJobs(filter: {jobType: "t"}, reason: $r) }', {"r": "a\x00"}),
    ('mutation($r: String) { cancelJobs(filter: {jobType: "t"}, reason: $r) }', {"r": "x" * 201}),
    ('query { execution(id: "nope") { id } }', {}),
    ("query($e: ID!) { execution(id: $e) { logsConnection(first: 1000) { totalCount } } }", {}),
    ('query($e: ID!) { execution(id: $e) { logsConnection(after: "zz") { totalCount } } }', {}),
    (
        "query($e: ID!, $a: String) { execution(id: $e) { logsConnection(after: $a) {"
        " totalCount } } }",
        {"a": "\x00"},
    ),
]


@pytest.mark.parametrize("query,variables", BAD_INPUT)
async def test_bad_input_is_refused_and_writes_nothing(runtime, org, query, variables) -> None:
    svc, admin = runtime.services, admin_of(org)
    await enqueue(svc, admin, org.queue.id, job_type="t")
    w = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, w, None, 1)
    [waiting] = await enqueue(svc, admin, org.queue.id, job_type="t")
    before = await snapshot(runtime, org.organization.id)
    values = {"id": str(waiting.id), "e": str(claimed.execution_id), **variables}
    used = {k: v for k, v in values.items() if f"${k}" in query}
    async with asgi_client(runtime, org.api_key.secret) as gql:
        assert await gql.error(query, used) == "BAD_USER_INPUT"
    assert await snapshot(runtime, org.organization.id) == before


async def test_graphql_round_trip(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    [job] = await enqueue(svc, admin, org.queue.id, max_attempts=1)
    w = await worker_for(svc, admin, org.queue.id)
    claimed = await fail_one(svc, admin, w)
    await executions.append_logs(
        svc,
        admin,
        claimed.execution_id,
        [(LogLevel.INFO, "hello", None), (LogLevel.ERROR, "x", None)],
    )
    async with asgi_client(runtime, org.api_key.secret) as gql:
        data = await gql.ok(
            "mutation($id: ID!) { retryJob(id: $id) { status attempts maxAttempts } }",
            {"id": str(job.id)},
        )
        assert data["retryJob"] == {"status": "PENDING", "attempts": 1, "maxAttempts": 2}
        data = await gql.ok(
            "mutation($id: ID!) { updateJob(id: $id, priority: 8, scheduledFor:"
            ' "2999-01-01T00:00:00Z") { status priority } }',
            {"id": str(job.id)},
        )
        assert data["updateJob"] == {"status": "SCHEDULED", "priority": 8}
        query = """query($e: ID!, $a: String) { execution(id: $e) {
          attempt status logs { message }
          page: logsConnection(first: 1, after: $a) { totalCount
            edges { cursor node { level message } } pageInfo { hasNextPage endCursor } }
          errors: logsConnection(level: ERROR) { totalCount edges { node { message } } } } }"""
        data = (await gql.ok(query, {"e": str(claimed.execution_id)}))["execution"]
        assert data["attempt"] == 1 and data["status"] == "FAILED"
        assert [entry["message"] for entry in data["logs"]] == ["hello", "x"]  # deprecated, kept
        assert data["page"]["totalCount"] == 2 and data["page"]["pageInfo"]["hasNextPage"]
        assert data["page"]["edges"][0]["node"] == {"level": "INFO", "message": "hello"}
        assert data["errors"] == {"totalCount": 1, "edges": [{"node": {"message": "x"}}]}
        cursor = data["page"]["pageInfo"]["endCursor"]
        data = (await gql.ok(query, {"e": str(claimed.execution_id), "a": cursor}))["execution"]
        assert [e["node"]["message"] for e in data["page"]["edges"]] == ["x"]
        assert not data["page"]["pageInfo"]["hasNextPage"]
        data = await gql.ok(
            'mutation($q: ID!) { cancelJobs(filter: {queueId: $q}, reason: "cleanup") }',
            {"q": str(org.queue.id)},
        )
        assert data == {"cancelJobs": 1}
        data = await gql.ok("mutation { retryJobs(filter: {statuses: [CANCELLED]}) }")
        assert data == {"retryJobs": 1}


# -- batches and concurrent claims (PostgreSQL) ---------------------------------------


async def test_claims_proceed_between_bulk_batches(pg_runtime, monkeypatch) -> None:
    svc = pg_runtime.services
    svc.settings.bulk_batch_size = 50
    org = await new_org(svc, "Bulk")
    admin = admin_of(org)
    n = 1000
    for _ in range(n // 500):
        await enqueue(svc, admin, org.queue.id, 500)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id, 1)]
    )
    timeline: list[tuple[str, float]] = []
    original = job_admin._cancel_batch

    async def traced(*args, **kwargs):
        result = await original(*args, **kwargs)
        timeline.append(("batch", time.monotonic()))
        return result

    monkeypatch.setattr(job_admin, "_cancel_batch", traced)
    done = asyncio.Event()
    claimed: list = []

    async def claimer() -> None:
        while not done.is_set():
            got = await executions.claim(svc, admin, worker.id, None, 2)
            if got:
                claimed.extend(got)
                timeline.append(("claim", time.monotonic()))
            await asyncio.sleep(0)

    task = asyncio.create_task(claimer())
    cancelled = await job_admin.cancel_many(svc, admin, JobFilter(queue_id=org.queue.id))
    done.set()
    await task
    assert cancelled == n  # claimed jobs were PROCESSING when their batch came: cancelled too
    batch_times = [t for kind, t in timeline if kind == "batch"]
    assert len(batch_times) == n // 50 + 1  # the last, empty one ends the walk
    claims_during = [
        t for kind, t in timeline if kind == "claim" and batch_times[0] < t < batch_times[-2]
    ]
    assert claims_during, timeline  # other claims got jobs between batches
    async with svc.read() as session:
        left = await session.scalar(
            select(func.count()).select_from(Job).where(Job.status != JobStatus.CANCELLED)
        )
    assert left == 0
    assert {s for c in claimed for s in await attempts_of(svc, c.job.id)} == {"CANCELLED"}
