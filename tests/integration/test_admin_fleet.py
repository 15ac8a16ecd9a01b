"""Administration of projects, queues, workers and assignments, and retention: every
operation on both databases, another tenant's ids NOT_FOUND with nothing changed, bad
input refused with nothing written, CONFLICT where the rules say."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from taskforge.domain.enums import (
    DependencyStatus,
    ExecutionStatus,
    JobStatus,
    LogLevel,
    WorkerStatus,
    WorkerType,
)
from taskforge.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from taskforge.domain.events import QueueResumed
from taskforge.domain.tenancy import MEMBER_PERMISSIONS
from taskforge.persistence.tables import (
    Event,
    ExecutionLog,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
    Project,
    QueueWorkerAssignment,
    Worker,
)
from taskforge.realtime import filters
from taskforge.services import (
    dependencies,
    executions,
    fleet,
    jobs,
    queues,
    retention,
    tenancy,
    workers,
    workflows,
)
from taskforge.services.base import Principal
from tests.conftest import admin_of
from tests.helpers import asgi_client
from tests.integration.test_isolation import snapshot


def member_of(org: Any) -> Principal:
    return Principal(org.organization.id, MEMBER_PERMISSIONS, user_id=org.admin.id)


async def enqueue(svc, principal, queue_id, n: int = 1) -> list[Any]:
    return await jobs.enqueue(svc, principal, [jobs.NewJob(queue_id, "t") for _ in range(n)])


async def register(svc, principal, *queue_ids: uuid.UUID, name: str = "w") -> Any:
    return await workers.register(
        svc, principal, name, WorkerType.GENERAL, [workers.QueueWeight(q) for q in queue_ids]
    )


async def claim(svc, principal, worker_id, limit: int = 10) -> list[Any]:
    return await executions.claim(svc, principal, worker_id, None, limit)


async def count(runtime, model, *where) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def everything(runtime, org_id) -> str:
    """The tenant's rows, assignments included (snapshot covers the rest)."""
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(QueueWorkerAssignment)
            .join(Worker, Worker.id == QueueWorkerAssignment.worker_id)
            .where(Worker.organization_id == org_id)
        )
        assigned = sorted(
            (str(a.queue_id), str(a.worker_id), a.weight, a.is_active) for (a,) in rows
        )
    return await snapshot(runtime, org_id) + repr(assigned)


# -- projects ------------------------------------------------------------------------


async def test_update_project_renames_and_describes(svc, admin, org) -> None:
    other = await tenancy.create_project(svc, admin, "other", None)
    updated = await fleet.update_project(svc, admin, other.id, "renamed", "what it is for")
    assert (updated.name, updated.description) == ("renamed", "what it is for")
    kept = await fleet.update_project(svc, admin, other.id, None, None)
    assert (kept.name, kept.description) == ("renamed", "what it is for")
    with pytest.raises(Conflict):
        await fleet.update_project(svc, admin, other.id, org.project.name)


@pytest.mark.parametrize(
    ("name", "description", "field"),
    [
        ("  ", None, "name"),
        ("x" * 201, None, "name"),
        (None, "d" * 2001, "description"),
        ("a\x00b", None, "name"),
    ],
)
async def test_update_project_bad_input_writes_nothing(
    svc, runtime, admin, org, name, description, field
) -> None:
    before = await everything(runtime, org.organization.id)
    with pytest.raises(InvalidInput) as err:
        await fleet.update_project(svc, admin, org.project.id, name, description)
    assert err.value.details.get("field", field) == field
    assert await everything(runtime, org.organization.id) == before


async def test_delete_project_refused_while_jobs_are_unfinished(svc, runtime, admin, org) -> None:
    await enqueue(svc, admin, org.queue.id)
    before = await everything(runtime, org.organization.id)
    with pytest.raises(Conflict):
        await fleet.delete_project(svc, admin, org.project.id)
    assert await everything(runtime, org.organization.id) == before


async def test_delete_project_is_for_admins(svc, runtime, org) -> None:
    before = await everything(runtime, org.organization.id)
    with pytest.raises(Forbidden):
        await fleet.delete_project(svc, member_of(org), org.project.id, force=True)
    assert await everything(runtime, org.organization.id) == before


async def test_delete_project_with_force_cascades_and_releases_children_elsewhere(
    svc, runtime, admin, org
) -> None:
    # a worker registered in the project, a running job with logs, a pending one, and a
    # job of another project waiting on one of them
    worker = await register(svc, admin, org.queue.id)
    [running, waiting_parent] = await enqueue(svc, admin, org.queue.id, 2)
    [claimed] = await claim(svc, admin, worker.id, 1)
    await executions.append_logs(svc, admin, claimed.execution_id, [(LogLevel.INFO, "hi", None)])
    elsewhere = await tenancy.create_project(svc, admin, "elsewhere", None)
    queue = await queues.create_queue(svc, admin, elsewhere.id, "q")
    [child] = await enqueue(svc, admin, queue.id)
    await dependencies.create(svc, admin, waiting_parent.id, child.id)
    assert (await jobs.get(svc, admin, child.id)).dependency_status is DependencyStatus.WAITING

    await fleet.delete_project(svc, admin, org.project.id, force=True)

    with pytest.raises(NotFound):
        await tenancy.get_project(svc, admin, org.project.id)
    assert await count(runtime, JobQueue, JobQueue.project_id == org.project.id) == 0
    assert await count(runtime, Job, Job.project_id == org.project.id) == 0
    assert await count(runtime, JobExecution, JobExecution.job_id == running.id) == 0
    assert await count(runtime, ExecutionLog) == 0
    assert await count(runtime, JobDependency) == 0
    # the child no longer waits on a parent that is gone; the worker stays, unassigned
    assert (await jobs.get(svc, admin, child.id)).dependency_status is not DependencyStatus.WAITING
    kept = await workers.get(svc, admin, worker.id)
    assert kept.project_id is None
    assert await count(runtime, QueueWorkerAssignment) == 0
    assert await count(runtime, Project, Project.organization_id == org.organization.id) == 1


async def test_project_operations_on_another_tenant_are_not_found(
    svc, runtime, admin, org, other_org
) -> None:
    await enqueue(svc, admin_of(other_org), other_org.queue.id)
    theirs = other_org.project.id
    before = await everything(runtime, other_org.organization.id)
    with pytest.raises(NotFound):
        await fleet.update_project(svc, admin, theirs, "mine now")
    for force in (False, True):
        with pytest.raises(NotFound):
            await fleet.delete_project(svc, admin, theirs, force)
    assert await everything(runtime, other_org.organization.id) == before


# -- queues --------------------------------------------------------------------------


async def test_a_paused_queue_accepts_jobs_and_starts_none(svc, runtime, admin, org) -> None:
    worker = await register(svc, admin, org.queue.id)
    paused = await fleet.pause_queue(svc, admin, org.queue.id)
    assert paused.paused_at is not None
    assert (await fleet.pause_queue(svc, admin, org.queue.id)).paused_at == paused.paused_at
    [job] = await enqueue(svc, admin, org.queue.id)  # accepted
    assert await claim(svc, admin, worker.id) == []
    assert await executions.claim(svc, admin, worker.id, [org.queue.id], 10) == []
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.PENDING

    resumed = await fleet.resume_queue(svc, admin, org.queue.id)
    assert resumed.paused_at is None
    [claimed] = await claim(svc, admin, worker.id)
    assert claimed.job.id == job.id
    types = await _event_types(runtime, org.organization.id)
    assert types.count("queue.paused") == 1 and types.count("queue.resumed") == 1


async def _event_types(runtime, org_id) -> list[str]:
    async with runtime.db.read() as session:
        return list(
            await session.scalars(
                select(Event.type).where(Event.organization_id == org_id).order_by(Event.id)
            )
        )


def test_a_resumed_queue_wakes_its_workers() -> None:
    org, queue, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    resumed = QueueResumed(org, queue, uuid.uuid4(), "q")
    assert QueueResumed.type in filters.JOBS_AVAILABLE
    assert filters.jobs_available([queue])(resumed)
    assert filters.jobs_available(None)(resumed)
    assert not filters.jobs_available([other])(resumed)


async def test_pause_and_resume_of_another_tenants_queue_are_not_found(
    svc, runtime, admin, other_org
) -> None:
    before = await everything(runtime, other_org.organization.id)
    for op in (fleet.pause_queue, fleet.resume_queue):
        with pytest.raises(NotFound):
            await op(svc, admin, other_org.queue.id)
    assert await everything(runtime, other_org.organization.id) == before


async def test_queue_retention_setting(svc, runtime, admin, org) -> None:
    queue = await queues.create_queue(svc, admin, org.project.id, "kept", 5, {"retention_days": 3})
    assert queue.retention_days == 3
    changed = await queues.update_queue(svc, admin, queue.id, settings={"retention_days": 0})
    assert changed.retention_days is None
    before = await everything(runtime, org.organization.id)
    for days in (-1, 3651):
        with pytest.raises(InvalidInput):
            await queues.update_queue(svc, admin, queue.id, settings={"retention_days": days})
        with pytest.raises(InvalidInput):
            await queues.create_queue(svc, admin, org.project.id, "n", 5, {"retention_days": days})
    assert await everything(runtime, org.organization.id) == before


# -- workers and assignments ---------------------------------------------------------


async def _offline(svc, admin, worker_id) -> None:
    later = svc.clock() + timedelta(seconds=svc.settings.heartbeat_timeout_seconds + 5)
    clock, svc.clock = svc.clock, lambda: later
    try:
        await workers.mark_silent_offline(svc)
    finally:
        svc.clock = clock
    assert (await workers.get(svc, admin, worker_id)).status is WorkerStatus.OFFLINE


async def test_delete_worker_only_when_offline_history_kept(svc, runtime, admin, org) -> None:
    worker = await register(svc, admin, org.queue.id)
    await enqueue(svc, admin, org.queue.id)
    [claimed] = await claim(svc, admin, worker.id)
    await executions.complete(svc, admin, [(claimed.execution_id, None)])
    with pytest.raises(Conflict):
        await fleet.delete_worker(svc, admin, worker.id)
    await workers.drain(svc, admin, worker.id)
    with pytest.raises(Conflict):
        await fleet.delete_worker(svc, admin, worker.id)
    await _offline(svc, admin, worker.id)

    await fleet.delete_worker(svc, admin, worker.id)
    with pytest.raises(NotFound):
        await workers.get(svc, admin, worker.id)
    assert await count(runtime, QueueWorkerAssignment) == 0
    async with runtime.db.read() as session:
        execution = await session.get(JobExecution, claimed.execution_id)
    assert execution is not None and execution.worker_id is None
    assert execution.status is ExecutionStatus.SUCCEEDED
    assert "worker.deleted" in await _event_types(runtime, org.organization.id)


async def test_assignments_apply_to_the_next_claim(svc, admin, org) -> None:
    second = await queues.create_queue(svc, admin, org.project.id, "second")
    worker = await register(svc, admin, org.queue.id)
    [job] = await enqueue(svc, admin, second.id)
    assert await claim(svc, admin, worker.id) == []

    assigned = await fleet.assign_queue(svc, admin, worker.id, second.id, 3)
    assert assigned.id == worker.id
    mine = {a.queue_id: a for a in await workers.assignments_of(svc, admin, [worker.id])}
    assert mine[second.id].weight == 3 and mine[second.id].is_active
    with pytest.raises(Conflict):
        await fleet.assign_queue(svc, admin, worker.id, second.id)

    await fleet.update_assignment(svc, admin, worker.id, second.id, is_active=False)
    assert await claim(svc, admin, worker.id) == []
    await fleet.update_assignment(svc, admin, worker.id, second.id, weight=7, is_active=True)
    mine = {a.queue_id: a for a in await workers.assignments_of(svc, admin, [worker.id])}
    assert (mine[second.id].weight, mine[second.id].is_active) == (7, True)
    [claimed] = await claim(svc, admin, worker.id)
    assert claimed.job.id == job.id

    await enqueue(svc, admin, second.id)
    await fleet.unassign_queue(svc, admin, worker.id, second.id)
    assert await claim(svc, admin, worker.id) == []
    with pytest.raises(NotFound):
        await fleet.unassign_queue(svc, admin, worker.id, second.id)
    with pytest.raises(NotFound):
        await fleet.update_assignment(svc, admin, worker.id, second.id, weight=2)


@pytest.mark.parametrize("weight", [0, -1, 101])
async def test_assignment_weight_bad_input_writes_nothing(svc, runtime, admin, org, weight) -> None:
    second = await queues.create_queue(svc, admin, org.project.id, "second")
    worker = await register(svc, admin, org.queue.id)
    before = await everything(runtime, org.organization.id)
    with pytest.raises(InvalidInput):
        await fleet.assign_queue(svc, admin, worker.id, second.id, weight)
    with pytest.raises(InvalidInput):
        await fleet.update_assignment(svc, admin, worker.id, org.queue.id, weight=weight)
    assert await everything(runtime, org.organization.id) == before


async def test_worker_operations_on_another_tenant_are_not_found(
    svc, runtime, admin, org, other_org
) -> None:
    theirs = admin_of(other_org)
    their_worker = await register(svc, theirs, other_org.queue.id)
    await _offline(svc, theirs, their_worker.id)
    mine = await register(svc, admin, org.queue.id)
    before = await everything(runtime, other_org.organization.id)
    mine_before = await everything(runtime, org.organization.id)
    with pytest.raises(NotFound):
        await fleet.delete_worker(svc, admin, their_worker.id)
    # their worker with my queue, my worker with their queue, theirs with theirs
    for worker_id, queue_id in (
        (their_worker.id, org.queue.id),
        (mine.id, other_org.queue.id),
        (their_worker.id, other_org.queue.id),
    ):
        with pytest.raises(NotFound):
            await fleet.assign_queue(svc, admin, worker_id, queue_id)
        with pytest.raises(NotFound):
            await fleet.update_assignment(svc, admin, worker_id, queue_id, weight=2)
        with pytest.raises(NotFound):
            await fleet.unassign_queue(svc, admin, worker_id, queue_id)
    assert await everything(runtime, other_org.organization.id) == before
    assert await everything(runtime, org.organization.id) == mine_before


async def test_offline_workers_are_pruned_after_their_retention(svc, runtime, admin, org) -> None:
    old = await register(svc, admin, org.queue.id, name="old")
    recent = await register(svc, admin, org.queue.id, name="recent")
    live = await register(svc, admin, org.queue.id, name="live")
    await _offline(svc, admin, old.id)
    await _offline(svc, admin, recent.id)
    days = svc.settings.worker_retention_days
    async with runtime.db.write() as session:
        await session.execute(
            update(Worker)
            .where(Worker.id.in_([old.id, live.id]))
            .values(last_heartbeat=svc.clock() - timedelta(days=days + 1))
        )
        await session.execute(
            update(Worker).where(Worker.id == live.id).values(status=WorkerStatus.ONLINE)
        )
    assert await retention.prune_workers(svc) == 1
    with pytest.raises(NotFound):
        await workers.get(svc, admin, old.id)
    await workers.get(svc, admin, recent.id)
    await workers.get(svc, admin, live.id)
    assert (
        await count(runtime, QueueWorkerAssignment, QueueWorkerAssignment.worker_id == old.id) == 0
    )


# -- retention -----------------------------------------------------------------------


async def _finish(svc, admin, worker_id, n: int) -> list[uuid.UUID]:
    done = []
    for claimed in await claim(svc, admin, worker_id, n):
        await executions.append_logs(svc, admin, claimed.execution_id, [(LogLevel.INFO, "x", None)])
        await executions.complete(svc, admin, [(claimed.execution_id, None)])
        done.append(claimed.job.id)
    return done


async def _age(runtime, job_ids, days: float, svc) -> None:
    async with runtime.db.write() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(job_ids))
            .values(finished_at=svc.clock() - timedelta(days=days))
        )


async def test_retention_deletes_only_what_expired(svc, runtime, admin, org, other_org) -> None:
    default = svc.settings.job_retention_days
    short = await queues.create_queue(svc, admin, org.project.id, "short", 5, {"retention_days": 2})
    worker = await register(svc, admin, org.queue.id, short.id)
    await enqueue(svc, admin, org.queue.id, 4)
    await enqueue(svc, admin, short.id, 2)
    finished = await _finish(svc, admin, worker.id, 6)
    by_queue: dict[uuid.UUID, list[uuid.UUID]] = {}
    for job_id in finished:
        by_queue.setdefault((await jobs.get(svc, admin, job_id)).queue_id, []).append(job_id)
    old, recent, parent, other_parent = by_queue[org.queue.id]
    short_old, short_recent = by_queue[short.id]
    await _age(runtime, [old, parent, other_parent], default + 1, svc)
    await _age(runtime, [recent], default - 1, svc)
    await _age(runtime, [short_old], 3, svc)
    await _age(runtime, [short_recent], 1, svc)
    # an old finished parent whose child has not run is kept; one whose child finished goes
    [waiting] = await enqueue(svc, admin, short.id)
    async with runtime.db.write() as session:
        session.add_all(
            [
                JobDependency(
                    organization_id=org.organization.id,
                    parent_job_id=parent,
                    child_job_id=waiting.id,
                    dependency_type="SEQUENTIAL",
                    condition="SUCCEEDED",
                    status="RESOLVED",
                ),
                JobDependency(
                    organization_id=org.organization.id,
                    parent_job_id=other_parent,
                    child_job_id=recent,
                    dependency_type="SEQUENTIAL",
                    condition="SUCCEEDED",
                    status="RESOLVED",
                ),
            ]
        )
    # an old unfinished job, an old workflow job and another tenant's expired job stay
    [pending] = await enqueue(svc, admin, org.queue.id)
    wf = await workflows.create(
        svc, admin, org.project.id, {"name": "wf", "jobs": [{"name": "a", "job_type": "t"}]}
    )
    theirs = admin_of(other_org)
    their_worker = await register(svc, theirs, other_org.queue.id)
    await enqueue(svc, theirs, other_org.queue.id)
    [their_old] = await _finish(svc, theirs, their_worker.id, 1)
    await _age(runtime, [their_old], default + 1, svc)
    async with runtime.db.write() as session:
        await session.execute(
            update(Job)
            .where(Job.workflow_id == wf.id)
            .values(status=JobStatus.CANCELLED, finished_at=svc.clock() - timedelta(days=400))
        )
    wf_jobs = await count(runtime, Job, Job.workflow_id == wf.id)

    assert await retention.sweep(svc) == (4, 0)

    gone = {old, other_parent, short_old, their_old}
    assert await count(runtime, Job, Job.id.in_(gone)) == 0
    assert await count(runtime, JobExecution, JobExecution.job_id.in_(gone)) == 0
    assert await count(runtime, ExecutionLog) == len(finished) + 1 - len(gone)
    kept = [recent, parent, short_recent, waiting.id, pending.id]
    assert await count(runtime, Job, Job.id.in_(kept)) == len(kept)
    assert await count(runtime, Job, Job.workflow_id == wf.id) == wf_jobs
    async with runtime.db.read() as session:
        edges = list(await session.scalars(select(JobDependency.parent_job_id)))
    assert edges == [parent]  # the other edge went with its parent
    assert await retention.sweep(svc) == (0, 0)


async def test_retention_batches_are_bounded(svc, runtime, admin, org) -> None:
    worker = await register(svc, admin, org.queue.id)
    await enqueue(svc, admin, org.queue.id, 5)
    finished = await _finish(svc, admin, worker.id, 5)
    await _age(runtime, finished, svc.settings.job_retention_days + 1, svc)
    assert await retention.delete_expired_jobs(svc, 2) == 2
    assert await count(runtime, Job) == 3
    assert await retention.delete_expired_jobs(svc, 10) == 3


# -- GraphQL -------------------------------------------------------------------------

PAUSE = "mutation($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }"
RESUME = "mutation($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }"


async def test_graphql_administration(runtime, org, other_org) -> None:
    async with asgi_client(runtime, org.api_key.secret) as gql:
        q = str(org.queue.id)
        assert (await gql.ok(PAUSE, {"id": q}))["pauseQueue"]["isPaused"] is True
        data = await gql.ok("query($id: ID!) { queue(id: $id) { isPaused } }", {"id": q})
        assert data["queue"]["isPaused"] is True
        assert (await gql.ok(RESUME, {"id": q}))["resumeQueue"] == {
            "id": q,
            "isPaused": False,
            "pausedAt": None,
        }
        data = await gql.ok(
            'mutation($id: ID!) { updateProject(id: $id, name: "p2", description: "d") '
            "{ name description } }",
            {"id": str(org.project.id)},
        )
        assert data["updateProject"] == {"name": "p2", "description": "d"}
        data = await gql.ok(
            'mutation($p: ID!) { createQueue(projectId: $p, name: "r", '
            "settings: {retentionDays: 9}) { id settings { retentionDays } } }",
            {"p": str(org.project.id)},
        )
        second = data["createQueue"]["id"]
        assert data["createQueue"]["settings"]["retentionDays"] == 9
        worker = await gql.ok(
            'mutation($q: ID!) { registerWorker(name: "w", queues: [{queueId: $q}]) { id } }',
            {"q": q},
        )
        w = worker["registerWorker"]["id"]
        data = await gql.ok(
            "mutation($w: ID!, $q: ID!) { assignQueue(workerId: $w, queueId: $q, weight: 4) "
            "{ queues { queueId weight isActive } } }",
            {"w": w, "q": second},
        )
        assert {"queueId": second, "weight": 4, "isActive": True} in data["assignQueue"]["queues"]
        data = await gql.ok(
            "mutation($w: ID!, $q: ID!) { updateAssignment(workerId: $w, queueId: $q, "
            "isActive: false) { queues { queueId isActive } } }",
            {"w": w, "q": second},
        )
        assert {"queueId": second, "isActive": False} in data["updateAssignment"]["queues"]
        data = await gql.ok(
            "mutation($w: ID!, $q: ID!) { unassignQueue(workerId: $w, queueId: $q) "
            "{ queues { queueId } } }",
            {"w": w, "q": second},
        )
        assert data["unassignQueue"]["queues"] == [{"queueId": q}]
        assert (
            await gql.error("mutation($id: ID!) { deleteWorker(id: $id) }", {"id": w}) == "CONFLICT"
        )
        await gql.ok(
            'mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t"}) { id } }',
            {"q": q},
        )
        assert (
            await gql.error(
                "mutation($id: ID!) { deleteProject(id: $id) }", {"id": str(org.project.id)}
            )
            == "CONFLICT"
        )
        # another tenant's ids: NOT_FOUND
        theirs = {"id": str(other_org.queue.id)}
        assert await gql.error(PAUSE, theirs) == "NOT_FOUND"
        assert await gql.error(RESUME, theirs) == "NOT_FOUND"
        assert (
            await gql.error(
                "mutation($id: ID!) { deleteProject(id: $id, force: true) }",
                {"id": str(other_org.project.id)},
            )
            == "NOT_FOUND"
        )


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('mutation { pauseQueue(id: "nope") { id } }', None),
        ('mutation { resumeQueue(id: "a\\u0000") { id } }', None),
        ('mutation { deleteWorker(id: "nope") }', None),
        ('mutation { deleteProject(id: "nope") }', None),
        ('mutation($id: ID!) { updateProject(id: $id, name: "") { id } }', "project"),
        ('mutation($id: ID!) { updateProject(id: $id, name: "a\\u0000b") { id } }', "project"),
        (
            "mutation($id: ID!) { updateQueue(id: $id, settings: {retentionDays: 4000}) { id } }",
            "queue",
        ),
        ('mutation($q: ID!) { assignQueue(workerId: "x", queueId: $q) { id } }', "queue"),
        ('mutation($q: ID!) { unassignQueue(workerId: "x", queueId: $q) { id } }', "queue"),
        ('mutation($q: ID!) { updateAssignment(workerId: "x", queueId: $q) { id } }', "queue"),
    ],
)
async def test_graphql_bad_input(runtime, org, query, variables) -> None:
    values = {
        None: None,
        "project": {"id": str(org.project.id)},
        "queue": {"id": str(org.queue.id), "q": str(org.queue.id)},
    }[variables]
    if values and "$q" in query:
        values = {"q": str(org.queue.id)}
    elif values and "$id" in query:
        values = {"id": values["id"]}
    before = await everything(runtime, org.organization.id)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        assert await gql.error(query, values) == "BAD_USER_INPUT"
    assert await everything(runtime, org.organization.id) == before
