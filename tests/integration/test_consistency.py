"""A job and its latest execution agree after every operation that ends or changes the
job, on both backends; a cancelled or skipped job stays so, and the repairs
(syncJobStatus, cleanupOrphans, the reaper) never revive it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from taskforge.domain.enums import DependencyType, ExecutionStatus, JobStatus
from taskforge.domain.errors import Conflict
from taskforge.domain.executions import consistent
from taskforge.persistence.common import executions as exec_repo
from taskforge.persistence.tables import Job, JobExecution
from taskforge.services import (
    consistency,
    dependencies,
    engines,
    executions,
    jobs,
    queues,
    workflow_reads,
    workflows,
)
from taskforge.services.workflows import ResumeAction
from tests.integration.test_execution import Clock, enqueue, make_worker

E, J = ExecutionStatus, JobStatus
RETRY = {"max_attempts": 3, "base_delay": 10, "multiplier": 1, "max_delay": 10, "jitter": False}


@pytest.fixture
def clock(svc: Any) -> Clock:
    return Clock(svc)


async def pair(svc: Any, job_id: uuid.UUID) -> tuple[JobStatus, ExecutionStatus | None] | None:
    """(job status, latest execution status), or None when the job is gone."""
    async with svc.read() as session:
        job = await session.get(Job, job_id)
        if job is None:
            return None
        latest = await exec_repo.latest(session, job_id)
    return job.status, latest.status if latest else None


async def all_consistent(svc: Any, org_id: uuid.UUID) -> None:
    async with svc.read() as session:
        ids = list(await session.scalars(select(Job.id).where(Job.organization_id == org_id)))
    for job_id in ids:
        got = await pair(svc, job_id)
        assert got is not None and consistent(*got), (job_id, got)


async def history(svc: Any, job_id: uuid.UUID) -> list[ExecutionStatus]:
    async with svc.read() as session:
        rows = await session.scalars(
            select(JobExecution.status)
            .where(JobExecution.job_id == job_id)
            .order_by(JobExecution.attempt_number)
        )
        return list(rows)


async def retrying_queue(svc: Any, org: Any, admin: Any) -> Any:
    return await queues.create_queue(svc, admin, org.project.id, "r", settings=RETRY)


async def in_backoff(svc: Any, admin: Any, worker: uuid.UUID, job_id: uuid.UUID) -> None:
    """Claim the job and fail its attempt retryably: SCHEDULED, the attempt RETRYING."""
    [c] = [c for c in await executions.claim(svc, admin, worker, None, 10) if c.job.id == job_id]
    [ack] = await executions.fail(svc, admin, [(c.execution_id, ("boom", True))])
    assert ack.error is None
    assert await pair(svc, job_id) == (J.SCHEDULED, E.RETRYING)


# -- finding 10: the two ways a decision was undone ---------------------------------


async def test_a_job_cancelled_in_retry_backoff_stays_cancelled(svc, org, admin, clock) -> None:
    queue = await retrying_queue(svc, org, admin)
    worker = (await make_worker(svc, admin, queue.id)).id
    [job] = await enqueue(svc, admin, queue.id)
    await in_backoff(svc, admin, worker, job.id)
    await jobs.cancel(svc, admin, job.id, "not needed")
    assert await pair(svc, job.id) == (J.CANCELLED, E.CANCELLED)
    assert await consistency.sync_job_status(svc, admin, job.id) == []
    clock.advance(3600)  # long past the retry's time
    assert await executions.claim(svc, admin, worker, None, 10) == []
    assert await consistency.sync_job_status(svc, admin, job.id) == []
    assert (await consistency.cleanup_orphans(svc, admin)).requeued_job_ids == []
    assert await executions.claim(svc, admin, worker, None, 10) == []
    assert await pair(svc, job.id) == (J.CANCELLED, E.CANCELLED)
    [attempt] = await executions.executions_of(svc, admin, [job.id])
    assert attempt.error == "boom"  # the attempt keeps why it failed


async def test_an_operator_skip_of_a_failed_job_stays(svc, org, admin) -> None:
    definition = {
        "name": "two steps",
        "failure_policy": "MANUAL",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    worker = (await make_worker(svc, admin, org.queue.id)).id
    [c] = await executions.claim(svc, admin, worker, None, 10)
    await executions.fail(svc, admin, [(c.execution_id, ("bad", False))])
    assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "PAUSED"
    await workflows.resume(svc, admin, wf.id, ResumeAction.SKIP_FAILED)
    assert await pair(svc, c.job.id) == (J.SKIPPED, E.FAILED)
    assert await consistency.sync_job_status(svc, admin, c.job.id) == []
    assert (await consistency.cleanup_orphans(svc, admin)).failed_execution_ids == []
    assert await pair(svc, c.job.id) == (J.SKIPPED, E.FAILED)
    # the rest of the workflow goes on from the skipped step
    [b] = await executions.claim(svc, admin, worker, None, 10)
    assert b.job.name == "b"
    await all_consistent(svc, org.organization.id)


# -- jobs: cancel in every state, stale acknowledgements, lease expiry, delete -------


async def test_cancel_in_every_state_closes_the_open_attempt(svc, org, admin, clock) -> None:
    queue = await retrying_queue(svc, org, admin)
    worker = (await make_worker(svc, admin, queue.id)).id
    [waiting, running, due, other] = await enqueue(svc, admin, queue.id, 4)
    [twice] = await enqueue(svc, admin, queue.id, priority=9)  # claimed first when due
    [later] = await enqueue(svc, admin, queue.id, scheduled_for=clock.now.replace(year=2100))
    await jobs.cancel(svc, admin, waiting.id)
    await jobs.cancel(svc, admin, later.id)
    assert await pair(svc, waiting.id) == (J.CANCELLED, None)
    assert await pair(svc, later.id) == (J.CANCELLED, None)
    claimed = {c.job.id: c for c in await executions.claim(svc, admin, worker, None, 4)}
    assert set(claimed) == {running.id, due.id, twice.id, other.id}
    await jobs.cancel(svc, admin, running.id)
    assert await pair(svc, running.id) == (J.CANCELLED, E.CANCELLED)
    # its worker's late acknowledgements are stale and change nothing
    for ack in (
        await executions.complete(svc, admin, [(claimed[running.id].execution_id, None)]),
        await executions.fail(svc, admin, [(claimed[running.id].execution_id, ("x", True))]),
    ):
        assert isinstance(ack[0].error, Conflict)
    await executions.fail(
        svc, admin, [(claimed[j].execution_id, ("boom", True)) for j in (due.id, twice.id)]
    )
    await executions.complete(svc, admin, [(claimed[other.id].execution_id, None)])
    clock.advance(10)
    # a retry that came due is promoted and waits, PENDING, with its attempt RETRYING
    [again] = await executions.claim(svc, admin, worker, None, 1)
    assert again.job.id == twice.id
    assert await pair(svc, due.id) == (J.PENDING, E.RETRYING)
    await jobs.cancel(svc, admin, due.id)
    assert await pair(svc, due.id) == (J.CANCELLED, E.CANCELLED)
    # only the latest attempt is open: the earlier one stays as it was
    await executions.fail(svc, admin, [(again.execution_id, ("boom", True))])
    await jobs.cancel(svc, admin, twice.id)
    assert await history(svc, twice.id) == [E.RETRYING, E.CANCELLED]
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []
    assert await executions.reap(svc) == 0
    await all_consistent(svc, org.organization.id)


async def test_lease_expiry_and_timeouts_end_in_consistent_pairs(svc, org, admin, clock) -> None:
    timed = await queues.create_queue(
        svc, admin, org.project.id, "t", settings={"timeout_seconds": 5, "max_attempts": 1}
    )
    worker = (await make_worker(svc, admin, org.queue.id, timed.id)).id
    [leased] = await enqueue(svc, admin, org.queue.id)
    [slow] = await enqueue(svc, admin, timed.id)
    [cancelled] = await enqueue(svc, admin, org.queue.id)
    await executions.claim(svc, admin, worker, None, 10, lease_seconds=30)
    await jobs.cancel(svc, admin, cancelled.id)
    clock.advance(31)
    assert await executions.reap(svc) == 2  # the cancelled job's attempt is closed already
    assert await pair(svc, leased.id) == (J.SCHEDULED, E.RETRYING)
    assert await pair(svc, slow.id) == (J.FAILED, E.FAILED)
    assert await pair(svc, cancelled.id) == (J.CANCELLED, E.CANCELLED)
    await all_consistent(svc, org.organization.id)


async def test_the_reaper_never_revives_a_job_that_ended(svc, org, admin, clock) -> None:
    """An attempt left running under a cancelled or skipped job (as an older version could
    leave it) closes when its lease expires; the job stays as it is."""
    worker = (await make_worker(svc, admin, org.queue.id)).id
    [a, b] = await enqueue(svc, admin, org.queue.id, 2)
    await executions.claim(svc, admin, worker, None, 10, lease_seconds=30)
    async with svc.write() as session:
        (await session.get(Job, a.id)).status = J.CANCELLED
        (await session.get(Job, b.id)).status = J.SKIPPED
    clock.advance(31)
    assert await executions.reap(svc) == 2
    assert await pair(svc, a.id) == (J.CANCELLED, E.CANCELLED)
    assert await pair(svc, b.id) == (J.SKIPPED, E.CANCELLED)
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []


async def test_delete_leaves_no_pair_behind(svc, org, admin) -> None:
    queue = await retrying_queue(svc, org, admin)
    worker = (await make_worker(svc, admin, queue.id)).id
    [job] = await enqueue(svc, admin, queue.id)
    await in_backoff(svc, admin, worker, job.id)
    await jobs.delete(svc, admin, job.id)
    assert await pair(svc, job.id) is None
    assert await history(svc, job.id) == []


async def test_the_engine_ends_a_job_waiting_for_its_retry_with_its_attempt(
    svc, org, admin, clock
) -> None:
    """A job waiting for its retry may still gain a dependency; when that edge can no
    longer resolve, the engine cancels or skips the job, and closes its attempt."""
    queue = await retrying_queue(svc, org, admin)
    worker = (await make_worker(svc, admin, queue.id)).id
    [cancelled] = await enqueue(svc, admin, queue.id)
    await in_backoff(svc, admin, worker, cancelled.id)
    [skipped] = await enqueue(svc, admin, queue.id)
    await in_backoff(svc, admin, worker, skipped.id)
    [parent] = await enqueue(svc, admin, org.queue.id)
    await dependencies.create(svc, admin, parent.id, cancelled.id)
    await dependencies.create(
        svc, admin, parent.id, skipped.id, DependencyType.CONDITIONAL, expression="ok == true"
    )
    parent_worker = (await make_worker(svc, admin, org.queue.id, name="p")).id
    [c] = await executions.claim(svc, admin, parent_worker, None, 1)
    await executions.fail(svc, admin, [(c.execution_id, ("no", False))])
    assert await pair(svc, cancelled.id) == (J.CANCELLED, E.CANCELLED)
    assert await pair(svc, skipped.id) == (J.SKIPPED, E.CANCELLED)  # branch not taken
    await all_consistent(svc, org.organization.id)
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []


# -- workflows: cancel, FAIL_FAST, abort, timeout, retry, resume --------------------


def _chain(policy: str, queue: str = "default") -> dict[str, Any]:
    return {
        "name": "chain",
        "failure_policy": policy,
        "jobs": [
            {"name": "a", "job_type": "t", "queue": queue, "priority": 9},
            {"name": "b", "job_type": "t", "queue": queue, "depends_on": ["a"]},
            {"name": "side", "job_type": "t", "queue": queue, "priority": 1},
        ],
    }


async def _side_in_backoff(svc: Any, org: Any, admin: Any, policy: str, **extra: Any) -> Any:
    """A workflow whose job 'side' waits for its retry, 'a' running; returns (workflow,
    worker, a's claim, side's id)."""
    queue = await retrying_queue(svc, org, admin)
    definition = {**_chain(policy, "r"), **extra}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    worker = (await make_worker(svc, admin, queue.id)).id
    claimed = {c.job.name: c for c in await executions.claim(svc, admin, worker, None, 10)}
    await executions.fail(svc, admin, [(claimed["side"].execution_id, ("boom", True))])
    side = claimed["side"].job.id
    assert await pair(svc, side) == (J.SCHEDULED, E.RETRYING)
    return wf, worker, claimed["a"], side


async def test_cancel_workflow_closes_attempts_waiting_for_retry(svc, org, admin, clock) -> None:
    wf, worker, a, side = await _side_in_backoff(svc, org, admin, "FAIL_FAST")
    await workflows.cancel(svc, admin, wf.id)
    assert await pair(svc, side) == (J.CANCELLED, E.CANCELLED)
    assert await pair(svc, a.job.id) == (J.CANCELLED, E.CANCELLED)
    await all_consistent(svc, org.organization.id)
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []
    # retried explicitly: the cancelled jobs run again, each with a new attempt
    await workflows.retry(svc, admin, wf.id)
    await all_consistent(svc, org.organization.id)
    again = {c.job.name: c for c in await executions.claim(svc, admin, worker, None, 10)}
    assert set(again) == {"a", "side"} and again["side"].attempt == 2
    await all_consistent(svc, org.organization.id)


async def test_fail_fast_cancels_a_job_waiting_for_its_retry(svc, org, admin, clock) -> None:
    wf, worker, a, side = await _side_in_backoff(svc, org, admin, "FAIL_FAST")
    await executions.fail(svc, admin, [(a.execution_id, ("bad", False))])
    assert await pair(svc, side) == (J.CANCELLED, E.CANCELLED)
    await all_consistent(svc, org.organization.id)
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []
    assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "FAILED"


async def test_abort_cancels_a_job_waiting_for_its_retry(svc, org, admin, clock) -> None:
    wf, worker, a, side = await _side_in_backoff(svc, org, admin, "MANUAL")
    await executions.fail(svc, admin, [(a.execution_id, ("bad", False))])
    assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "PAUSED"
    await workflows.resume(svc, admin, wf.id, ResumeAction.ABORT)
    assert await pair(svc, side) == (J.CANCELLED, E.CANCELLED)
    assert await pair(svc, a.job.id) == (J.FAILED, E.FAILED)
    await all_consistent(svc, org.organization.id)
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []


async def test_resume_retry_failed_gives_a_new_attempt(svc, org, admin, clock) -> None:
    wf, worker, a, side = await _side_in_backoff(svc, org, admin, "MANUAL")
    await executions.fail(svc, admin, [(a.execution_id, ("bad", False))])
    await workflows.resume(svc, admin, wf.id, ResumeAction.RETRY_FAILED)
    assert await pair(svc, a.job.id) == (J.PENDING, E.FAILED)
    assert await pair(svc, side) == (J.SCHEDULED, E.RETRYING)  # untouched
    await all_consistent(svc, org.organization.id)
    [again] = await executions.claim(svc, admin, worker, None, 10)
    assert again.job.id == a.job.id and again.attempt == 2


async def test_workflow_timeout_closes_attempts_waiting_for_retry(svc, org, admin, clock) -> None:
    wf, worker, a, side = await _side_in_backoff(svc, org, admin, "FAIL_FAST", timeout="1m")
    clock.advance(61)
    assert await engines.time_out(svc) == 1
    assert await pair(svc, side) == (J.CANCELLED, E.CANCELLED)
    assert await pair(svc, a.job.id) == (J.CANCELLED, E.CANCELLED)
    await all_consistent(svc, org.organization.id)
    assert await executions.reap(svc) == 0
    assert await executions.claim(svc, admin, worker, None, 10) == []
    await workflows.delete(svc, admin, wf.id)
    assert await pair(svc, side) is None


# -- the repairs: in the direction the table gives ----------------------------------


async def test_sync_closes_what_an_older_version_left_open(svc, org, admin, clock) -> None:
    """(CANCELLED, RETRYING) from before: the attempt closes, the job is not revived."""
    queue = await retrying_queue(svc, org, admin)
    worker = (await make_worker(svc, admin, queue.id)).id
    [job] = await enqueue(svc, admin, queue.id)
    await in_backoff(svc, admin, worker, job.id)
    async with svc.write() as session:
        (await session.get(Job, job.id)).status = J.CANCELLED
    assert await consistency.sync_job_status(svc, admin, job.id) == [
        "closed_execution_retrying_to_cancelled"
    ]
    assert await pair(svc, job.id) == (J.CANCELLED, E.CANCELLED)
    clock.advance(3600)
    assert await executions.claim(svc, admin, worker, None, 10) == []


async def test_cleanup_never_revives_and_follows_finished_attempts(svc, org, admin) -> None:
    queue = await retrying_queue(svc, org, admin)
    worker = (await make_worker(svc, admin, queue.id)).id
    [cancelled] = await enqueue(svc, admin, queue.id)
    await in_backoff(svc, admin, worker, cancelled.id)
    [skipped, done] = await enqueue(svc, admin, queue.id, 2)
    claimed = {c.job.id: c for c in await executions.claim(svc, admin, worker, None, 10)}
    async with svc.write() as session:  # what a crash or an older version left behind
        (await session.get(Job, cancelled.id)).status = J.CANCELLED
        (await session.get(Job, skipped.id)).status = J.SKIPPED
        execution = await session.get(JobExecution, claimed[done.id].execution_id)
        execution.status = E.SUCCEEDED  # the job's own update was lost: still PROCESSING
    report = await consistency.cleanup_orphans(svc, admin)
    assert report.requeued_job_ids == []
    assert set(report.failed_execution_ids) == {
        claimed[skipped.id].execution_id,
        await latest_id(svc, cancelled.id),
    }
    assert await pair(svc, cancelled.id) == (J.CANCELLED, E.CANCELLED)
    assert await pair(svc, skipped.id) == (J.SKIPPED, E.CANCELLED)
    assert await pair(svc, done.id) == (J.SUCCEEDED, E.SUCCEEDED)
    await all_consistent(svc, org.organization.id)


async def latest_id(svc: Any, job_id: uuid.UUID) -> uuid.UUID:
    async with svc.read() as session:
        latest = await exec_repo.latest(session, job_id)
    assert latest is not None
    return latest.id
