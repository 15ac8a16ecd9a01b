"""Two tenants: every operation with the other tenant's ids is NOT_FOUND and changes
nothing; lists and subscriptions never show the other tenant's data."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from taskforge.domain.enums import ScheduleKind, WorkerType
from taskforge.persistence.tables import (
    ApiKey,
    Event,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    Project,
    ScheduledJob,
    Worker,
    Workflow,
)
from taskforge.services import (
    dependencies,
    executions,
    job_events,
    jobs,
    schedules,
    workers,
    workflows,
)
from tests.conftest import admin_of
from tests.helpers import asgi_client, served, subscribe, wait_for_subscribers


async def snapshot(runtime, org_id) -> str:
    """Every row the tenant owns, serialised."""
    out = {}
    async with runtime.db.read() as session:
        for model in (
            Project,
            JobQueue,
            Job,
            ApiKey,
            Worker,
            JobExecution,
            Workflow,
            JobDependency,
            ScheduledJob,
        ):
            rows = await session.scalars(select(model).where(model.organization_id == org_id))
            out[model.__tablename__] = sorted(
                json.dumps(
                    {
                        c.name: str(getattr(r, c.key))
                        for c in model.__mapper__.columns
                        if c.name != "last_used_at"
                    },  # authenticating sets it
                    sort_keys=True,
                )
                for r in rows
            )
    return json.dumps(out)


@pytest.fixture
async def foreign(svc, other_org):
    """The other tenant's objects: a PENDING job, a worker holding a PROCESSING one."""
    admin = admin_of(other_org)
    spec = jobs.NewJob(queue_id=other_org.queue.id, job_type="secret")
    [running] = await jobs.enqueue(svc, admin, [spec])
    worker = await workers.register(
        svc, admin, "theirs", WorkerType.GENERAL, [workers.QueueWeight(other_org.queue.id)]
    )
    [claimed] = await executions.claim(svc, admin, worker.id, None, 1)
    assert claimed.job.id == running.id
    [job] = await jobs.enqueue(svc, admin, [spec])
    [child] = await jobs.enqueue(svc, admin, [spec])
    edge = await dependencies.create(svc, admin, job.id, child.id)
    definition = {"name": "theirs", "jobs": [{"name": "a", "job_type": "t"}]}
    flow = await workflows.create(svc, admin, other_org.project.id, definition)
    schedule = await schedules.create(
        svc,
        admin,
        schedules.ScheduleSpec(
            name="theirs",
            kind=ScheduleKind.CRON,
            expression="0 * * * *",
            queue_id=other_org.queue.id,
            job_type="secret",
        ),
    )
    return {
        "project": str(other_org.project.id),
        "queue": str(other_org.queue.id),
        "job": str(job.id),
        "key": str(other_org.api_key.key.id),
        "worker": str(worker.id),
        "execution": str(claimed.execution_id),
        "dependency": str(edge.id),
        "workflow": str(flow.id),
        "schedule": str(schedule.id),
    }


OPERATIONS = [
    ("query($id: ID!) { project(id: $id) { id } }", "project"),
    ("query($id: ID!) { queue(id: $id) { id } }", "queue"),
    ("query($id: ID!) { job(id: $id) { id } }", "job"),
    ("query($id: ID!) { queues(projectId: $id) { totalCount } }", "project"),
    ("query($id: ID!) { jobs(queueId: $id) { totalCount } }", "queue"),
    ("query($id: ID!) { jobs(projectId: $id) { totalCount } }", "project"),
    ('mutation($id: ID!) { createQueue(projectId: $id, name: "x") { id } }', "project"),
    ('mutation($id: ID!) { updateQueue(id: $id, name: "x", priority: 1) { id } }', "queue"),
    ("mutation($id: ID!) { deleteQueue(id: $id, force: true) }", "queue"),
    ('mutation($id: ID!) { enqueueJob(input: {queueId: $id, jobType: "x"}) { id } }', "queue"),
    ('mutation($id: ID!) { enqueueJobs(jobs: [{queueId: $id, jobType: "x"}]) { id } }', "queue"),
    (
        'mutation($id: ID!) { enqueueJob(input: {queueId: $id, jobType: "x", idempotencyKey: "k"})'
        " { id } }",
        "queue",
    ),
    (
        'mutation($id: ID!) { enqueueJobs(jobs: [{queueId: $id, jobType: "x",'
        ' idempotencyKey: "k"}]) { id } }',
        "queue",
    ),
    ("mutation($id: ID!) { cancelJob(id: $id) { id } }", "job"),
    ("mutation($id: ID!) { deleteJob(id: $id) }", "job"),
    ("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", "key"),
    (
        'mutation($id: ID!) { createApiKey(name: "k", permissions: ["admin"], projectId: $id) '
        "{ secret } }",
        "project",
    ),
    ("query($id: ID!) { worker(id: $id) { id } }", "worker"),
    ('mutation($id: ID!) { registerWorker(name: "w", queues: [{queueId: $id}]) { id } }', "queue"),
    ("mutation($id: ID!) { workerHeartbeat(workerId: $id) { leasesExtended } }", "worker"),
    ("mutation($id: ID!) { drainWorker(workerId: $id) { id } }", "worker"),
    ("mutation($id: ID!) { claimJobs(workerId: $id) { attempt } }", "worker"),
    ("mutation($id: ID!) { completeJob(executionId: $id) { id } }", "execution"),
    ('mutation($id: ID!) { failJob(executionId: $id, error: "x") { id } }', "execution"),
    ('mutation($id: ID!) { appendLogs(executionId: $id, entries: [{message: "x"}]) }', "execution"),
    ("mutation($id: ID!) { syncJobStatus(jobId: $id) { actions } }", "job"),
    ("query($id: ID!) { checkDependencies(jobId: $id) { canExecute } }", "job"),
    ("query($id: ID!) { dependencyGraph(jobId: $id) { roots } }", "job"),
    ("mutation($id: ID!) { deleteDependency(id: $id) }", "dependency"),
    ("query($id: ID!) { workflow(id: $id) { id } }", "workflow"),
    ("query($id: ID!) { workflows(projectId: $id) { totalCount } }", "project"),
    ("mutation($id: ID!) { startWorkflow(id: $id) { id } }", "workflow"),
    ("mutation($id: ID!) { cancelWorkflow(id: $id) { id } }", "workflow"),
    ("mutation($id: ID!) { retryWorkflow(id: $id) { id } }", "workflow"),
    ("mutation($id: ID!) { resumeWorkflow(id: $id, action: ABORT) { id } }", "workflow"),
    ("mutation($id: ID!) { deleteWorkflow(id: $id) }", "workflow"),
    (
        'mutation($id: ID!) { createWorkflow(input: {projectId: $id, definition: {name: "w",'
        ' jobs: [{name: "a", job_type: "t"}]}}) { id } }',
        "project",
    ),
    ("query($id: ID!) { schedule(id: $id) { id } }", "schedule"),
    ('mutation($id: ID!) { updateSchedule(id: $id, input: {name: "x"}) { id } }', "schedule"),
    ("mutation($id: ID!) { pauseSchedule(id: $id) { id } }", "schedule"),
    ("mutation($id: ID!) { resumeSchedule(id: $id) { id } }", "schedule"),
    ("mutation($id: ID!) { triggerSchedule(id: $id) { id } }", "schedule"),
    ('mutation($id: ID!) { triggerSchedule(id: $id, idempotencyKey: "k") { id } }', "schedule"),
    (
        'mutation($id: ID!) { backfillSchedule(id: $id, from: "2021-01-01T00:00:00Z",'
        ' to: "2021-01-02T00:00:00Z") { created } }',
        "schedule",
    ),
    (
        "mutation($id: ID!) { updateSchedule(id: $id, input: {overlapPolicy: CANCEL_PREVIOUS,"
        " jitter: 5, pauseAfterFailures: 2}) { id } }",
        "schedule",
    ),
    (
        'mutation($id: ID!) { createWorkflow(input: {projectId: $id, idempotencyKey: "k",'
        ' definition: {name: "w", jobs: [{name: "a", job_type: "t"}]}}) { id } }',
        "project",
    ),
    ("mutation($id: ID!) { deleteSchedule(id: $id) }", "schedule"),
    (
        'mutation($id: ID!) { createSchedule(input: {name: "s", type: CRON, expression:'
        ' "* * * * *", queueId: $id, jobType: "x"}) { id } }',
        "queue",
    ),
    (
        'mutation($id: ID!) { createSchedule(input: {name: "s", type: CRON, expression:'
        ' "* * * * *", projectId: $id, workflowDefinition: {name: "w", jobs: [{name: "a",'
        ' job_type: "t"}]}}) { id } }',
        "project",
    ),
]


@pytest.mark.parametrize("foreign_end", ["parentJobId", "childJobId"])
async def test_cross_tenant_edges_are_not_found(runtime, org, other_org, foreign, foreign_end):
    [own] = await jobs.enqueue(
        runtime.services, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="t")]
    )
    ends = {"parentJobId": str(own.id), "childJobId": str(own.id), foreign_end: foreign["job"]}
    orgs = (org.organization.id, other_org.organization.id)
    before = [await snapshot(runtime, o) for o in orgs]
    async with asgi_client(runtime, org.api_key.secret) as gql:
        query = (
            "mutation($p: ID!, $c: ID!) { createDependency(input: {parentJobId: $p,"
            " childJobId: $c}) { id } }"
        )
        assert await gql.error(query, {"p": ends["parentJobId"], "c": ends["childJobId"]}) == (
            "NOT_FOUND"
        )
    assert [await snapshot(runtime, o) for o in orgs] == before


@pytest.mark.parametrize("query,kind", OPERATIONS)
async def test_foreign_ids_are_not_found(runtime, org, other_org, foreign, query, kind) -> None:
    orgs = (org.organization.id, other_org.organization.id)
    before = [await snapshot(runtime, o) for o in orgs]
    async with asgi_client(runtime, org.api_key.secret) as gql:
        assert await gql.error(query, {"id": foreign[kind]}) == "NOT_FOUND"
    assert [await snapshot(runtime, o) for o in orgs] == before


async def test_lists_show_only_own_objects(runtime, org, other_org, foreign) -> None:
    async with asgi_client(runtime, org.api_key.secret) as gql:
        data = await gql.ok(
            "{ projects { totalCount edges { node { id } } } workflows { totalCount } "
            "schedules { totalCount } scheduleSummary { total } "
            "queues { totalCount edges { node { id } } } "
            "jobs { totalCount } viewer { organization { id } } }"
        )
    assert [e["node"]["id"] for e in data["projects"]["edges"]] == [str(org.project.id)]
    assert [e["node"]["id"] for e in data["queues"]["edges"]] == [str(org.queue.id)]
    assert data["jobs"]["totalCount"] == 0
    assert data["workflows"]["totalCount"] == 0
    assert data["schedules"]["totalCount"] == data["scheduleSummary"]["total"] == 0
    assert data["viewer"]["organization"]["id"] == str(org.organization.id)


async def test_subscription_never_sees_another_tenant(runtime, org, other_org, foreign) -> None:
    query = "subscription($id: ID) { jobStatusChanged(jobId: $id) { jobId status } }"
    async with served(runtime) as base:
        async with subscribe(base, org.api_key.secret, query, {"id": foreign["job"]}) as sub:
            msg = await sub.next()
            assert msg["type"] in {"error", "next"}
            errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"

        async with subscribe(base, org.api_key.secret, query) as mine:
            await wait_for_subscribers(runtime, 1)
            await jobs.cancel(runtime.services, admin_of(other_org), uuid.UUID(foreign["job"]))
            [own] = await jobs.enqueue(
                runtime.services,
                admin_of(org),
                [jobs.NewJob(queue_id=org.queue.id, job_type="mine")],
            )
            msg = await mine.next()
            assert msg["payload"]["data"]["jobStatusChanged"] == {
                "jobId": str(own.id),
                "status": "PENDING",
            }
            await mine.nothing_for(0.3)
    async with runtime.db.read() as session:
        foreign_events = await session.scalars(
            select(Event.seq).where(
                Event.organization_id == other_org.organization.id,
                Event.type == job_events.STATUS_CHANGED,
            )
        )
        assert all(seq is not None for seq in foreign_events)  # published, just not to us


async def test_batch_acks_with_foreign_ids_are_not_found(runtime, org, other_org, foreign) -> None:
    before = await snapshot(runtime, other_org.organization.id)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        for mutation in (
            "completeJobs(items: [{executionId: $id}])",
            'failJobs(items: [{executionId: $id, error: "x"}])',
        ):
            data = await gql.ok(
                f"mutation($id: ID!) {{ {mutation} {{ ok code }} }}", {"id": foreign["execution"]}
            )
            assert next(iter(data.values())) == [{"ok": False, "code": "NOT_FOUND"}]
        data = await gql.ok(
            """mutation($id: ID!) { acknowledgeJobs(executionIds: [$id],
                failed: [{executionId: $id, error: "x"}]) {
                acknowledged rejected { executionId code } } }""",
            {"id": foreign["execution"]},
        )
        assert data["acknowledgeJobs"] == {
            "acknowledged": 0,
            "rejected": [{"executionId": foreign["execution"], "code": "NOT_FOUND"}] * 2,
        }
        listed = await gql.ok("{ workers { totalCount } }")
        assert listed["workers"]["totalCount"] == 0
        report = await gql.ok("mutation { cleanupOrphans { failedExecutionIds } }")
        assert report["cleanupOrphans"]["failedExecutionIds"] == []
    assert await snapshot(runtime, other_org.organization.id) == before
