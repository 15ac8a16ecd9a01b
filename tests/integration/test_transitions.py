"""The transition gate on both backends: a status change the table forbids raises, and
the transaction it happened in writes nothing (neither the row nor an event)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from taskforge.domain import transitions
from taskforge.domain.enums import ExecutionStatus, JobStatus, ScheduleStatus, WorkflowStatus
from taskforge.domain.errors import InvalidInput, InvalidTransition
from taskforge.persistence.common import executions as exec_repo
from taskforge.persistence.common import jobs as job_repo
from taskforge.persistence.common import schedules as schedule_repo
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import Event
from taskforge.services import executions, fires, jobs, schedules, workflow_reads, workflows
from taskforge.services.resolution import set_workflow_status
from taskforge.services.workflows import ResumeAction
from tests.integration.test_schedules import job_spec
from tests.integration.workflow_driver import run, statuses, worker_for, workflow_status


async def events(svc) -> int:
    async with svc.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def test_a_forbidden_job_transition_writes_nothing(svc, org, admin) -> None:
    [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, "t")])
    before = await events(svc)
    with pytest.raises(InvalidTransition):
        async with svc.write() as session:
            row = await job_repo.lock(session, org.organization.id, job.id)
            assert row is not None
            row.status_reason = "touched"  # the same transaction's other writes go too
            transitions.move(row, JobStatus.SUCCEEDED)
    stored = await jobs.get(svc, admin, job.id)
    assert (stored.status, stored.status_reason) == (JobStatus.PENDING, None)
    assert await events(svc) == before


async def test_a_finished_attempt_is_not_failed_again(svc, org, admin) -> None:
    [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(org.queue.id, "t")])
    worker = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, worker, None, 1)
    await executions.complete(svc, admin, [(claimed.execution_id, None)])
    before = await events(svc)
    with pytest.raises(InvalidTransition) as raised:
        async with svc.write() as session:
            execution = await exec_repo.get(session, org.organization.id, claimed.execution_id)
            row = await job_repo.lock(session, org.organization.id, job.id)
            assert execution is not None and row is not None
            try:
                await executions.fail_attempt(session, execution, row, "late", True, svc.clock())
            finally:  # refused before either row changed, even in this session
                assert (execution.status, execution.error) == (ExecutionStatus.SUCCEEDED, None)
                assert (row.status, row.error) == (JobStatus.SUCCEEDED, None)
    assert raised.value.details == {"current": "SUCCEEDED", "target": "SCHEDULED"}
    async with svc.read() as session:
        execution = await exec_repo.get(session, org.organization.id, claimed.execution_id)
        assert execution is not None
        assert (execution.status, execution.error) == (ExecutionStatus.SUCCEEDED, None)
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.SUCCEEDED
    assert await events(svc) == before


async def test_a_forbidden_workflow_transition_writes_nothing(svc, org, admin) -> None:
    definition = {"name": "w", "jobs": [{"name": "a", "job_type": "t"}]}
    wf = await workflows.create(svc, admin, org.project.id, definition)
    before = await events(svc)
    with pytest.raises(InvalidTransition):
        async with svc.write() as session:
            row = await wf_repo.lock(session, org.organization.id, wf.id)
            await set_workflow_status(session, row, WorkflowStatus.SUCCEEDED, svc.clock())
    stored = await workflow_reads.get(svc, admin, wf.id)
    assert (stored.status, stored.finished_at) == (WorkflowStatus.PENDING, None)
    assert await events(svc) == before


async def test_a_forbidden_schedule_transition_writes_nothing(svc, org, admin) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    await schedules.pause(svc, admin, s.id)
    before = await events(svc)
    with pytest.raises(InvalidTransition):
        async with svc.write() as session:
            row = await schedule_repo.lock(session, org.organization.id, s.id)
            assert row is not None
            now = svc.clock()
            # PAUSED -> FAILED
            await fires._failed(session, row, now, now, InvalidInput("queue gone"))
    async with svc.read() as session:
        stored = await schedule_repo.get(session, org.organization.id, s.id)
        assert stored is not None
        assert (stored.status, stored.last_error) == (ScheduleStatus.PAUSED, None)
        assert stored.next_run_at is not None
    assert await events(svc) == before


async def test_the_operator_skips_a_failed_job(svc, org, admin) -> None:
    """FAILED -> SKIPPED is an operator's transition of the table: it goes through."""
    definition = {
        "name": "m",
        "failure_policy": "MANUAL",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    worker = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, worker, {"a": "fail"})
    assert await workflow_status(svc, admin, wf.id) == "PAUSED"
    await workflows.resume(svc, admin, wf.id, ResumeAction.SKIP_FAILED)
    await run(svc, admin, worker)
    assert await statuses(svc, admin, wf.id) == {"a": "SKIPPED", "b": "SUCCEEDED"}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
