"""Projects, queues and jobs through the services, on both backends."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    ExecutionStatus,
    JobStatus,
    LogLevel,
)
from taskforge.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from taskforge.persistence.tables import (
    Event,
    ExecutionLog,
    Job,
    JobDependency,
    JobExecution,
    JobQueue,
)
from taskforge.services import job_events, jobs, queues, tenancy


def spec(org, **kw) -> jobs.NewJob:  # type: ignore[no-untyped-def]
    return jobs.NewJob(
        queue_id=kw.pop("queue_id", org.queue.id), job_type=kw.pop("job_type", "noop"), **kw
    )


async def count(svc, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with svc.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_enqueue_writes_job_and_event(svc, org, admin) -> None:
    [job] = await jobs.enqueue(svc, admin, [spec(org, payload={"n": 1}, priority=7)])
    assert job.status is JobStatus.PENDING
    assert job.dependency_status is DependencyStatus.NONE
    assert (job.payload, job.priority, job.project_id) == ({"n": 1}, 7, org.project.id)
    async with svc.read() as session:
        events = list(
            await session.scalars(select(Event).where(Event.type == job_events.STATUS_CHANGED))
        )
    assert [e.payload["jobId"] for e in events] == [str(job.id)]
    assert events[0].payload["status"] == "PENDING"
    assert events[0].organization_id == org.organization.id


async def test_future_jobs_are_scheduled(svc, org, admin) -> None:
    later = svc.clock() + timedelta(hours=1)
    [job] = await jobs.enqueue(svc, admin, [spec(org, scheduled_for=later)])
    assert job.status is JobStatus.SCHEDULED and job.scheduled_for == later


async def test_batch_is_all_or_nothing(svc, org, admin) -> None:
    good = spec(org)
    for bad in (
        spec(org, priority=10),
        spec(org, job_type="bad type"),
        spec(org, queue_id=uuid.uuid4()),
        spec(org, max_attempts=0),
    ):
        with pytest.raises((InvalidInput, NotFound)):
            await jobs.enqueue(svc, admin, [good, good, bad])
    assert await count(svc, Job) == 0
    assert await count(svc, Event, Event.type == job_events.STATUS_CHANGED) == 0
    created = await jobs.enqueue(svc, admin, [good] * 25)
    assert len(created) == 25 and await count(svc, Job) == 25


async def test_payload_and_batch_limits(svc, org, admin) -> None:
    limit = svc.settings.limits.payload_bytes
    with pytest.raises(InvalidInput, match="over the limit"):
        await jobs.enqueue(svc, admin, [spec(org, payload={"x": "y" * limit})])
    with pytest.raises(InvalidInput):
        await jobs.enqueue(svc, admin, [spec(org)] * (svc.settings.limits.batch_size + 1))
    with pytest.raises(InvalidInput):
        await jobs.enqueue(svc, admin, [])
    assert await count(svc, Job) == 0


async def test_cancel(svc, org, admin) -> None:
    [job] = await jobs.enqueue(svc, admin, [spec(org)])
    cancelled = await jobs.cancel(svc, admin, job.id, "not needed")
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.status_reason == "not needed" and cancelled.finished_at is not None
    with pytest.raises(InvalidTransition):
        await jobs.cancel(svc, admin, job.id)
    with pytest.raises(NotFound):
        await jobs.cancel(svc, admin, uuid.uuid4())
    async with svc.read() as session:
        statuses = list(
            await session.scalars(
                select(Event.payload)
                .where(Event.type == job_events.STATUS_CHANGED)
                .order_by(Event.id)
            )
        )
    assert [(p["status"], p["previousStatus"]) for p in statuses] == [
        ("PENDING", None),
        ("CANCELLED", "PENDING"),
    ]


async def test_cancel_ends_the_live_execution(svc, org, admin) -> None:
    [job] = await jobs.enqueue(svc, admin, [spec(org)])
    async with svc.write() as session:
        row = await session.get(Job, job.id)
        assert row is not None
        row.status = JobStatus.PROCESSING
        session.add(
            JobExecution(
                organization_id=org.organization.id,
                job_id=job.id,
                status=ExecutionStatus.STARTED,
                attempt_number=1,
                started_at=svc.clock(),
            )
        )
    await jobs.cancel(svc, admin, job.id)
    async with svc.read() as session:
        execution = await session.scalar(select(JobExecution).where(JobExecution.job_id == job.id))
    assert execution is not None and execution.status is ExecutionStatus.CANCELLED


async def test_delete_cascades_and_releases_children(svc, org, admin) -> None:
    parent, child, other_parent, grandchild = await jobs.enqueue(svc, admin, [spec(org)] * 4)
    async with svc.write() as session:
        execution = JobExecution(
            organization_id=org.organization.id,
            job_id=parent.id,
            status=ExecutionStatus.FAILED,
            attempt_number=1,
        )
        session.add(execution)
        await session.flush()
        session.add(ExecutionLog(execution_id=execution.id, level=LogLevel.INFO, message="hi"))
        for p, c in ((parent, child), (child, grandchild), (other_parent, grandchild)):
            session.add(
                JobDependency(
                    organization_id=org.organization.id,
                    parent_job_id=p.id,
                    child_job_id=c.id,
                    dependency_type=DependencyType.SEQUENTIAL,
                    condition=DependencyCondition.SUCCEEDED,
                )
            )
        for j in (child, grandchild):
            (await session.get(Job, j.id)).dependency_status = DependencyStatus.WAITING  # type: ignore[union-attr]

    await jobs.delete(svc, admin, parent.id)
    assert await count(svc, Job, Job.id == parent.id) == 0
    assert await count(svc, JobExecution) == 0
    assert await count(svc, ExecutionLog) == 0
    assert await count(svc, JobDependency) == 2
    # the child has no edge left: it no longer waits
    assert (await jobs.get(svc, admin, child.id)).dependency_status is DependencyStatus.NONE

    await jobs.delete(svc, admin, child.id)
    # still waits on other_parent
    assert (await jobs.get(svc, admin, grandchild.id)).dependency_status is DependencyStatus.WAITING
    with pytest.raises(NotFound):
        await jobs.delete(svc, admin, parent.id)
    assert await count(svc, Event, Event.type == "job.deleted") == 2


async def test_list_filters_and_pagination(svc, org, admin) -> None:
    q2 = await queues.create_queue(svc, admin, org.project.id, "second")
    await jobs.enqueue(svc, admin, [spec(org, job_type="a")] * 5)
    await jobs.enqueue(svc, admin, [spec(org, job_type="b", queue_id=q2.id)] * 3)
    [to_cancel] = await jobs.enqueue(svc, admin, [spec(org, job_type="c")])
    await jobs.cancel(svc, admin, to_cancel.id)

    seen: list[uuid.UUID] = []
    after = None
    while True:
        page = await jobs.list_jobs(svc, admin, first=4, after=after)
        seen += [j.id for j in page.items]
        if not page.has_next:
            break
        last = page.items[-1]
        after = (last.created_at, last.id)
    assert len(seen) == len(set(seen)) == 9

    by_queue = await jobs.list_jobs(svc, admin, first=50, after=None, queue_id=q2.id)
    assert {j.job_type for j in by_queue.items} == {"b"} and await by_queue.total() == 3
    by_status = await jobs.list_jobs(
        svc, admin, first=50, after=None, statuses=[JobStatus.CANCELLED]
    )
    assert [j.id for j in by_status.items] == [to_cancel.id]
    by_type = await jobs.list_jobs(svc, admin, first=50, after=None, job_type="a")
    assert await by_type.total() == 5
    with pytest.raises(InvalidInput):
        await jobs.list_jobs(svc, admin, first=svc.settings.limits.page_size + 1, after=None)


async def test_projects(svc, org, admin) -> None:
    project = await tenancy.create_project(svc, admin, "  Billing ", "invoices")
    assert project.name == "Billing"
    with pytest.raises(Conflict):
        await tenancy.create_project(svc, admin, "Billing", None)
    with pytest.raises(InvalidInput):
        await tenancy.create_project(svc, admin, " ", None)
    listing = await tenancy.list_projects(svc, admin, 10, None)
    assert {p.name for p in listing.items} == {"default", "Billing"}
    assert (await tenancy.get_project(svc, admin, project.id)).description == "invoices"


async def test_queue_lifecycle(svc, org, admin) -> None:
    queue = await queues.create_queue(
        svc, admin, org.project.id, "emails", 8, {"max_attempts": 5, "timeout_seconds": 30}
    )
    assert queue.priority == 8 and queue.settings["retry"]["max_attempts"] == 5
    with pytest.raises(Conflict):
        await queues.create_queue(svc, admin, org.project.id, "emails")
    with pytest.raises(InvalidInput):
        await queues.create_queue(svc, admin, org.project.id, "x", priority=-1)
    with pytest.raises(InvalidInput):
        await queues.create_queue(svc, admin, org.project.id, "x", settings={"max_attempts": 0})
    with pytest.raises(NotFound):
        await queues.create_queue(svc, admin, uuid.uuid4(), "x")

    updated = await queues.update_queue(
        svc, admin, queue.id, name="mail", priority=2, settings={"base_delay": 3.0}
    )
    assert (updated.name, updated.priority) == ("mail", 2)
    assert updated.settings["retry"] == {**queue.settings["retry"], "base_delay": 3.0}
    with pytest.raises(Conflict):
        await queues.update_queue(svc, admin, queue.id, name="default")

    [job] = await jobs.enqueue(svc, admin, [spec(org, queue_id=queue.id)])
    with pytest.raises(Conflict):
        await queues.delete_queue(svc, admin, queue.id)
    await jobs.cancel(svc, admin, job.id)
    await queues.delete_queue(svc, admin, queue.id)
    assert await count(svc, JobQueue, JobQueue.id == queue.id) == 0
    assert await count(svc, Job, Job.id == job.id) == 0
    with pytest.raises(NotFound):
        await queues.get_queue(svc, admin, queue.id)


async def test_force_delete_queue_with_active_jobs(svc, org, admin) -> None:
    queue = await queues.create_queue(svc, admin, org.project.id, "busy")
    await jobs.enqueue(svc, admin, [spec(org, queue_id=queue.id)] * 3)
    await queues.delete_queue(svc, admin, queue.id, force=True)
    assert await count(svc, Job) == 0
