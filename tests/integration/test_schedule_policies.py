"""Schedule policies on both backends with a controllable clock: overlap policies on job
and workflow targets, jitter, pauseAfterFailures (every way a run ends), backfills
(idempotent, rated, within quotas and rate limits), cron macros, bad input, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from taskforge.domain.enums import (
    ExecutionStatus,
    JobStatus,
    MisfirePolicy,
    OverlapPolicy,
    ScheduleKind,
    ScheduleStatus,
    WorkflowStatus,
)
from taskforge.domain.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from taskforge.domain.schedule_policies import jitter
from taskforge.domain.templates import TemplateRef
from taskforge.persistence.tables import (
    Event,
    Job,
    ScheduledJob,
    ScheduleFire,
    Subscription,
    Workflow,
)
from taskforge.services import (
    backfill,
    executions,
    jobs,
    scheduler,
    schedules,
    templates,
    workflows,
)
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of
from tests.integration.test_execution import Clock, make_worker
from tests.integration.test_schedules import count, fires, job_spec, run_until

START = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)  # a Monday, off any boundary
FLOW = {"name": "nightly", "jobs": [{"name": "a", "job_type": "t"}]}
TEMPLATE = {"name": "etl", "jobs": [{"name": "x", "job_type": "t"}, {"name": "y", "job_type": "t"}]}


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def clock(svc):
    c = Clock(svc)
    c.now = START
    return c


def flow_spec(org, expression="*/5 * * * *", **kw) -> ScheduleSpec:
    return ScheduleSpec(
        name=kw.pop("name", "wf"),
        kind=ScheduleKind.CRON,
        expression=expression,
        workflow_definition=kw.pop("definition", FLOW),
        project_id=org.project.id,
        **kw,
    )


async def events_of(svc, type_: str) -> list[dict]:
    async with svc.read() as session:
        rows = await session.scalars(select(Event).where(Event.type == type_).order_by(Event.id))
        # a run of events of one type is stored as one row, its payloads listed
        return [
            p for e in rows for p in (e.payload if isinstance(e.payload, list) else [e.payload])
        ]


async def set_quota(svc, org, jobs_per_month: int | None) -> None:
    async with svc.write() as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(max_jobs_per_month=jobs_per_month)
        )


async def _backfill_next(svc, schedule_id):
    async with svc.read() as session:
        return await session.scalar(
            select(ScheduledJob.backfill_next_at).where(ScheduledJob.id == schedule_id)
        )


async def job_rows(svc, *where) -> list[Job]:
    async with svc.read() as session:
        return list(await session.scalars(select(Job).where(*where).order_by(Job.created_at)))


async def workflow_rows(svc) -> list[Workflow]:
    async with svc.read() as session:
        return list(await session.scalars(select(Workflow).order_by(Workflow.created_at)))


async def fire_rows(svc, schedule_id) -> list[ScheduleFire]:
    async with svc.read() as session:
        stmt = select(ScheduleFire).where(ScheduleFire.schedule_id == schedule_id)
        return list(await session.scalars(stmt.order_by(ScheduleFire.fire_at)))


# --- overlap -------------------------------------------------------------------------------


async def test_a_workflow_schedule_skips_while_its_run_is_live(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, flow_spec(org))
    assert s.overlap_policy is OverlapPolicy.SKIP  # the default of a workflow target
    await run_until(svc, clock, at(9, 16), step=60)
    assert await fires(svc, s.id) == [at(9, 5)]  # 09:10 and 09:15 came while it ran
    [run] = await workflow_rows(svc)
    assert run.status is WorkflowStatus.RUNNING and run.schedule_id == s.id
    s = await schedules.get(svc, admin, s.id)
    assert (s.skipped_count, s.runs_count, s.next_run_at) == (2, 1, at(9, 20))
    assert s.last_workflow_id == run.id
    skipped = await events_of(svc, "schedule.missed")
    assert [(e["occurrence"], e["skipped"], e["reason"]) for e in skipped] == [
        (at(9, 10).isoformat(), 1, "schedule_overlap"),
        (at(9, 15).isoformat(), 1, "schedule_overlap"),
    ]
    assert skipped[-1]["nextRunAt"] == at(9, 20).isoformat()
    await workflows.cancel(svc, admin, run.id)  # the run ends: the next one fires
    await run_until(svc, clock, at(9, 21), step=60)
    assert await fires(svc, s.id) == [at(9, 5), at(9, 20)]


async def test_skip_fires_one_of_a_catch_up(svc, org, admin, clock) -> None:
    """FIRE_ALL after downtime fires every missed run, but under SKIP the first one is
    live for the others: one fires, the rest are skipped."""
    s = await schedules.create(svc, admin, flow_spec(org, misfire_policy=MisfirePolicy.FIRE_ALL))
    clock.now = at(9, 21)
    await scheduler.tick(svc)
    assert await fires(svc, s.id) == [at(9, 5)]
    s = await schedules.get(svc, admin, s.id)
    assert s.skipped_count == 3 and s.next_run_at == at(9, 25)


async def test_a_job_schedule_overlaps_by_default(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    assert s.overlap_policy is OverlapPolicy.ALLOW_ALL
    await run_until(svc, clock, at(9, 11), step=60)
    assert len(await job_rows(svc, Job.status == JobStatus.PENDING)) == 2


async def test_skip_on_a_job_target_waits_for_the_job(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, overlap_policy=OverlapPolicy.SKIP))
    worker = await make_worker(svc, admin, org.queue.id)
    await run_until(svc, clock, at(9, 6), step=60)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    await run_until(svc, clock, at(9, 11), step=60)  # PROCESSING is live too
    assert await fires(svc, s.id) == [at(9, 5)]
    await executions.complete(svc, admin, [(c.execution_id, None)])
    await run_until(svc, clock, at(9, 16), step=60)
    assert await fires(svc, s.id) == [at(9, 5), at(9, 15)]


async def test_buffer_one_holds_one_and_fires_it_when_the_run_ends(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, overlap_policy=OverlapPolicy.BUFFER_ONE))
    await run_until(svc, clock, at(9, 16), step=60)
    assert await fires(svc, s.id) == [at(9, 5)]
    s = await schedules.get(svc, admin, s.id)
    assert (s.buffered_fire_at, s.skipped_count) == (at(9, 10), 1)  # 09:15 skipped
    [first] = await job_rows(svc)
    clock.now = at(9, 17)
    await scheduler.tick(svc)  # still live: nothing
    assert await fires(svc, s.id) == [at(9, 5)]
    await jobs.cancel(svc, admin, first.id)
    await scheduler.tick(svc)  # not due (09:20), but its held occurrence now fires
    assert await fires(svc, s.id) == [at(9, 5), at(9, 10)]
    s = await schedules.get(svc, admin, s.id)
    assert s.buffered_fire_at is None and s.next_run_at == at(9, 20) and s.runs_count == 2
    await run_until(svc, clock, at(9, 21), step=60)
    s = await schedules.get(svc, admin, s.id)
    assert s.buffered_fire_at == at(9, 20) and s.skipped_count == 1


async def test_buffer_one_under_the_rate_limit_fires_the_owed_then_the_held(
    svc, org, admin, clock
) -> None:
    """An occurrence the rate limit deferred is fired before the held one (never replaced
    by it), and the occurrences the throttled tick skipped are counted once."""
    s = await schedules.create(
        svc,
        admin,
        job_spec(
            org,
            expression="* * * * *",
            overlap_policy=OverlapPolicy.BUFFER_ONE,
            misfire_policy=MisfirePolicy.FIRE_ALL,
            rate_limit_per_minute=1,
        ),
    )
    other = await schedules.create(svc, admin, job_spec(org, expression="@yearly", name="o"))
    clock.now = at(9, 3) + timedelta(milliseconds=500)
    await scheduler.trigger(svc, admin, other.id)  # takes this minute's window of "report"
    await scheduler.tick(svc)  # 09:01 fires (owed), 09:02 held, 09:03 skipped
    state = await schedules.get(svc, admin, s.id)
    assert (state.pending_fire_at, state.buffered_fire_at, state.skipped_count) == (
        at(9, 1),
        at(9, 2),
        1,
    )
    clock.advance(1)
    await scheduler.tick(svc)  # no live run, but the held one waits behind the owed one
    state = await schedules.get(svc, admin, s.id)
    assert (state.pending_fire_at, state.buffered_fire_at) == (at(9, 1), at(9, 2))
    clock.now = at(9, 4) + timedelta(milliseconds=500)
    await scheduler.tick(svc)
    assert await fires(svc, s.id) == [at(9, 1)]
    state = await schedules.get(svc, admin, s.id)
    assert (state.pending_fire_at, state.buffered_fire_at) == (None, at(9, 2))
    assert state.skipped_count == 2  # 09:03 (once) and 09:04
    [first] = await job_rows(svc, Job.schedule_id == s.id)
    await jobs.cancel(svc, admin, first.id)
    await run_until(svc, clock, at(9, 5, 1))
    assert await fires(svc, s.id) == [at(9, 1), at(9, 2)]
    state = await schedules.get(svc, admin, s.id)
    assert (state.buffered_fire_at, state.skipped_count) == (at(9, 5), 2)


async def test_a_deferred_catch_up_counts_what_it_skipped_once(svc, org, admin, clock) -> None:
    """SKIP under the rate limit: the throttled tick skips the rest of a catch-up; the
    deferred occurrence fires later without those being skipped (and counted) again."""
    s = await schedules.create(
        svc,
        admin,
        flow_spec(
            org,
            expression="* * * * *",
            misfire_policy=MisfirePolicy.FIRE_ALL,
            rate_limit_per_minute=1,
        ),
    )
    clock.now = at(9, 4) + timedelta(milliseconds=500)
    await scheduler.trigger(svc, admin, s.id)  # this minute's window, and the last run
    [manual] = await workflow_rows(svc)
    await workflows.cancel(svc, admin, manual.id)
    await scheduler.tick(svc)  # 09:01 owed, 09:02 to 09:04 skipped
    state = await schedules.get(svc, admin, s.id)
    assert (state.pending_fire_at, state.skipped_count) == (at(9, 1), 3)
    assert schedules.upcoming(svc, state, 3) == [at(9, 1), at(9, 5), at(9, 6)]
    clock.now = at(9, 5) + timedelta(milliseconds=500)
    await scheduler.tick(svc)  # 09:01 fires, 09:05 is skipped (09:01 is live)
    assert await fires(svc, s.id) == [at(9, 1), at(9, 4) + timedelta(milliseconds=500)]
    state = await schedules.get(svc, admin, s.id)
    assert (state.pending_fire_at, state.skipped_count, state.next_run_at) == (
        None,
        4,
        at(9, 6),
    )


async def test_cancel_previous_cancels_a_running_job(svc, org, admin, clock) -> None:
    s = await schedules.create(
        svc, admin, job_spec(org, overlap_policy=OverlapPolicy.CANCEL_PREVIOUS)
    )
    worker = await make_worker(svc, admin, org.queue.id)
    await run_until(svc, clock, at(9, 6), step=60)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    await run_until(svc, clock, at(9, 11), step=60)
    assert await fires(svc, s.id) == [at(9, 5), at(9, 10)]
    first, second = await job_rows(svc)
    assert (first.status, first.status_reason) == (JobStatus.CANCELLED, "schedule_overlap")
    assert second.status is JobStatus.PENDING and second.schedule_id == s.id
    [attempt] = await executions.executions_of(svc, admin, [first.id])
    assert attempt.status is ExecutionStatus.CANCELLED  # the worker is told
    cancelled = [
        e for e in await events_of(svc, "job.status_changed") if e["jobId"] == str(c.job.id)
    ]
    assert cancelled[-1]["status"] == "CANCELLED" and cancelled[-1]["reason"] == "schedule_overlap"
    s = await schedules.get(svc, admin, s.id)
    assert s.last_job_id == second.id and s.skipped_count == 0


async def test_cancel_previous_cancels_a_running_workflow(svc, org, admin, clock) -> None:
    definition = {
        "name": "two",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    s = await schedules.create(
        svc,
        admin,
        flow_spec(org, definition=definition, overlap_policy=OverlapPolicy.CANCEL_PREVIOUS),
    )
    await run_until(svc, clock, at(9, 11), step=60)
    first, second = await workflow_rows(svc)
    assert first.status is WorkflowStatus.CANCELLED and second.status is WorkflowStatus.RUNNING
    reasons = {j.status_reason for j in await job_rows(svc, Job.workflow_id == first.id)}
    assert reasons == {"schedule_overlap"}
    s = await schedules.get(svc, admin, s.id)
    assert s.consecutive_failures == 0  # a cancelled run is no failure


async def test_a_policy_change_to_allow_all_releases_the_held_occurrence(
    svc, org, admin, clock
) -> None:
    s = await schedules.create(svc, admin, job_spec(org, overlap_policy=OverlapPolicy.BUFFER_ONE))
    await run_until(svc, clock, at(9, 11), step=60)
    spec = ScheduleSpec(overlap_policy=OverlapPolicy.ALLOW_ALL)
    spec.changed = {"overlap_policy"}
    await schedules.update(svc, admin, s.id, spec)
    await scheduler.tick(svc)
    assert await fires(svc, s.id) == [at(9, 5), at(9, 10)]


async def test_a_trigger_beside_a_live_run_leaves_the_policy_watching_that_run(
    svc, org, admin, clock
) -> None:
    """SKIP: the timetable's run is live, a trigger runs beside it and ends; the next
    occurrence is still skipped (the timetable's run is live), and once that run ended a
    trigger's run is the one the policy waits for."""
    s = await schedules.create(svc, admin, flow_spec(org))
    await run_until(svc, clock, at(9, 6), step=60)
    [timetable] = await workflow_rows(svc)
    manual = await scheduler.trigger_run(svc, admin, s.id)
    assert manual.workflow is not None
    assert (await schedules.get(svc, admin, s.id)).last_workflow_id == timetable.id
    await workflows.cancel(svc, admin, manual.workflow.id)
    await run_until(svc, clock, at(9, 11), step=60)
    assert await fires(svc, s.id) == [at(9, 5), manual.workflow.created_at]
    assert (await schedules.get(svc, admin, s.id)).skipped_count == 1  # 09:10
    await workflows.cancel(svc, admin, timetable.id)
    again = await scheduler.trigger_run(svc, admin, s.id)
    assert again.workflow is not None
    assert (await schedules.get(svc, admin, s.id)).last_workflow_id == again.workflow.id
    await run_until(svc, clock, at(9, 16), step=60)
    assert (await schedules.get(svc, admin, s.id)).skipped_count == 2  # waits for the trigger's


async def test_cancel_previous_cancels_the_timetables_run_not_a_triggers(
    svc, org, admin, clock
) -> None:
    s = await schedules.create(
        svc, admin, flow_spec(org, overlap_policy=OverlapPolicy.CANCEL_PREVIOUS)
    )
    await run_until(svc, clock, at(9, 6), step=60)
    [timetable] = await workflow_rows(svc)
    manual = await scheduler.trigger_run(svc, admin, s.id)
    assert manual.workflow is not None
    await run_until(svc, clock, at(9, 11), step=60)
    status = {w.id: w.status for w in await workflow_rows(svc)}
    assert status[timetable.id] is WorkflowStatus.CANCELLED
    assert status[manual.workflow.id] is WorkflowStatus.RUNNING  # asked for: left running
    assert sorted(status.values()) == [WorkflowStatus.CANCELLED, *[WorkflowStatus.RUNNING] * 2]


# --- jitter ------------------------------------------------------------------------------


async def test_jitter_delays_each_occurrence_the_same_way_everywhere(
    svc, org, admin, clock
) -> None:
    s = await schedules.create(svc, admin, job_spec(org, jitter=240))
    delays = [jitter(s.id, at(9, m), 240) for m in (5, 10, 15)]
    assert delays[0] > timedelta(milliseconds=1)  # 1 chance in 240,000
    assert s.next_occurrence_at == at(9, 5) and s.next_run_at == at(9, 5) + delays[0]
    upcoming = schedules.upcoming(svc, s, 3)
    assert upcoming == [at(9, m) + d for m, d in zip((5, 10, 15), delays, strict=True)]
    clock.now = s.next_run_at - timedelta(milliseconds=1)
    await scheduler.tick(svc)
    assert await fires(svc, s.id) == []
    clock.now = s.next_run_at
    await scheduler.tick(svc)
    assert await fires(svc, s.id) == [at(9, 5)]  # the occurrence keeps its nominal time
    s = await schedules.get(svc, admin, s.id)
    assert s.next_occurrence_at == at(9, 10) and s.next_run_at == at(9, 10) + delays[1]
    spec = ScheduleSpec(jitter=0)
    spec.changed = {"jitter"}
    s = await schedules.update(svc, admin, s.id, spec)
    assert s.jitter_seconds == 0 and s.next_run_at == s.next_occurrence_at == at(9, 10)


async def test_a_jitter_longer_than_the_interval_keeps_every_run_in_order(
    svc, org, admin, clock
) -> None:
    """Each delay stays short of the next occurrence: nothing piles up behind a late
    one, nothing is missed, runs fire in order."""
    s = await schedules.create(
        svc,
        admin,
        job_spec(org, expression="* * * * *", jitter=86_400, misfire_policy=MisfirePolicy.SKIP),
    )
    await run_until(svc, clock, at(9, 10), step=1)
    rows = await fire_rows(svc, s.id)
    assert [r.fire_at for r in rows] == [at(9, m) for m in range(1, 10)]
    for r in rows:  # due short of the next occurrence; fired by the first tick after
        assert r.fire_at <= r.fired_at < r.fire_at + timedelta(minutes=1, seconds=1)
    assert [r.fired_at for r in rows] == sorted(r.fired_at for r in rows)
    assert len({(r.fired_at - r.fire_at).seconds for r in rows}) > 3  # spread
    s = await schedules.get(svc, admin, s.id)
    assert s.next_occurrence_at == at(9, 10) < s.next_run_at < at(9, 11)


# --- pause after failures ------------------------------------------------------------


async def _run_once(svc, admin, worker, schedule_id, ok: bool) -> None:
    await scheduler.trigger(svc, admin, schedule_id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    if ok:
        await executions.complete(svc, admin, [(c.execution_id, {"done": True})])
    else:
        await executions.fail(svc, admin, [(c.execution_id, ("boom", False))])


async def test_consecutive_failed_runs_pause_a_schedule_and_say_why(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, pause_after_failures=2))
    worker = await make_worker(svc, admin, org.queue.id)
    for ok in (False, True, False):  # a success starts the count again
        await _run_once(svc, admin, worker, s.id, ok)
        clock.advance(1)
    s = await schedules.get(svc, admin, s.id)
    assert (s.status, s.consecutive_failures, s.paused_reason) == (ScheduleStatus.ACTIVE, 1, None)
    await _run_once(svc, admin, worker, s.id, False)
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.PAUSED and s.consecutive_failures == 2
    assert s.paused_reason == "paused after 2 consecutive failed runs"
    [paused] = await events_of(svc, "schedule.paused")
    assert paused["reason"] == s.paused_reason and paused["status"] == "PAUSED"
    clock.advance(600)
    await scheduler.tick(svc)
    assert len(await fires(svc, s.id)) == 4  # paused: nothing more
    s = await schedules.resume(svc, admin, s.id)
    assert (s.status, s.consecutive_failures, s.paused_reason) == (ScheduleStatus.ACTIVE, 0, None)


async def test_one_batch_failing_runs_of_several_schedules_counts_each_run(
    svc, org, admin, clock
) -> None:
    """The failures of one acknowledgement are counted per schedule, once, when it
    commits: three runs of one schedule reach its limit of 3 (one pause, one event), two
    of another stay under it, and a later success resets that one."""
    three = await schedules.create(
        svc, admin, job_spec(org, expression="*/1 * * * * *", name="a", pause_after_failures=3)
    )
    two = await schedules.create(
        svc, admin, job_spec(org, expression="*/1 * * * * *", name="b", pause_after_failures=3)
    )
    clock.advance(3)
    await scheduler.tick(svc)
    worker = await make_worker(svc, admin, org.queue.id)
    claimed = await executions.claim(svc, admin, worker.id, None, 10)
    of = {j.id: j.schedule_id for j in await job_rows(svc)}
    batch = [c for c in claimed if of[c.job.id] == three.id]
    batch += [c for c in claimed if of[c.job.id] == two.id][:2]
    assert len(batch) == 5
    await executions.fail(svc, admin, [(c.execution_id, ("x", False)) for c in batch[::-1]])
    a, b = [await schedules.get(svc, admin, s.id) for s in (three, two)]
    assert (a.status, a.consecutive_failures, a.paused_reason) == (
        ScheduleStatus.PAUSED,
        3,
        "paused after 3 consecutive failed runs",
    )
    assert (b.status, b.consecutive_failures) == (ScheduleStatus.ACTIVE, 2)
    assert len(await events_of(svc, "schedule.paused")) == 1
    [left] = [c for c in claimed if c not in batch]
    await executions.complete(svc, admin, [(left.execution_id, None)])
    assert (await schedules.get(svc, admin, two.id)).consecutive_failures == 0


async def test_a_retried_attempt_is_no_failed_run_but_an_expired_last_one_is(
    svc, org, admin, clock
) -> None:
    s = await schedules.create(svc, admin, job_spec(org, pause_after_failures=1, max_attempts=2))
    worker = await make_worker(svc, admin, org.queue.id)
    await scheduler.trigger(svc, admin, s.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1, lease_seconds=30)
    await executions.fail(svc, admin, [(c.execution_id, ("flaky", True))])  # retried
    assert (await schedules.get(svc, admin, s.id)).consecutive_failures == 0
    clock.advance(3600)  # the retry falls due
    [c] = await executions.claim(svc, admin, worker.id, None, 1, lease_seconds=30)
    clock.advance(60)
    assert await executions.reap(svc) == 1  # the lease expired on the last attempt
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.PAUSED
    assert s.paused_reason == "paused after 1 consecutive failed runs"


async def test_failed_workflow_runs_count_too(svc, org, admin, clock) -> None:
    s = await schedules.create(
        svc, admin, flow_spec(org, pause_after_failures=1, overlap_policy=OverlapPolicy.ALLOW_ALL)
    )
    worker = await make_worker(svc, admin, org.queue.id)
    await scheduler.trigger(svc, admin, s.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    assert (await schedules.get(svc, admin, s.id)).status is ScheduleStatus.ACTIVE
    await executions.fail(svc, admin, [(c.execution_id, ("boom", False))])
    [run] = await workflow_rows(svc)
    assert run.status is WorkflowStatus.FAILED
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.PAUSED and s.consecutive_failures == 1


async def test_runs_of_no_schedule_touch_no_schedule(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, pause_after_failures=1))
    worker = await make_worker(svc, admin, org.queue.id)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="report")])
    [c] = await executions.claim(svc, admin, worker.id, None, 1)
    assert c.job.id and (await job_rows(svc))[0].schedule_id is None
    await executions.fail(svc, admin, [(c.execution_id, ("boom", False))])
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.ACTIVE and s.consecutive_failures == 0


# --- backfill ----------------------------------------------------------------------------


async def test_a_backfill_fires_each_past_occurrence_once(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    report = await backfill.backfill(svc, admin, s.id, at(4), at(8))
    assert (report.occurrences, report.created, report.already_fired) == (5, 5, 0)
    step = timedelta(seconds=1 / svc.settings.schedule_backfill_per_second)
    assert (report.first_run_at, report.last_run_at) == (START, START + 4 * step)
    again = await backfill.backfill(svc, admin, s.id, at(3, 30), at(8, 30))
    assert (again.occurrences, again.created, again.already_fired) == (5, 0, 5)
    assert again.first_run_at is None
    assert await job_rows(svc) == []  # runs start at the backfill rate, from the engine
    await scheduler.tick(svc)
    assert len(await job_rows(svc)) == 1
    clock.advance(1)
    await scheduler.tick(svc)
    made = await job_rows(svc)
    assert len(made) == 5 and {j.schedule_id for j in made} == {s.id}
    rows = await fire_rows(svc, s.id)
    assert [r.fire_at for r in rows] == [at(h) for h in range(4, 9)]
    assert all(r.job_id and r.backfill_due_at is None for r in rows)
    assert {r.job_id for r in rows} == {j.id for j in made}
    fired = await events_of(svc, "schedule.fired")
    assert len(fired) == 5 and all(e["backfill"] and not e["manual"] for e in fired)
    s = await schedules.get(svc, admin, s.id)
    # outside the timetable: no run counted, next run as it was, not the last run
    assert (s.runs_count, s.next_run_at, s.last_job_id) == (0, at(10), None)
    clock.advance(60)
    await scheduler.tick(svc)
    assert len(await job_rows(svc)) == 5


async def test_occurrences_the_timetable_fired_are_not_backfilled(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    await run_until(svc, clock, at(11, 1), step=60)
    report = await backfill.backfill(svc, admin, s.id, at(9), at(11))
    assert (report.occurrences, report.created, report.already_fired) == (3, 1, 2)
    clock.advance(1)
    await scheduler.tick(svc)
    assert await fires(svc, s.id) == [at(9), at(10), at(11)]
    assert len(await job_rows(svc)) == 3


async def test_backfills_queue_at_the_rate_and_after_each_other(svc, org, admin, clock) -> None:
    svc.settings.schedule_backfill_per_second = 2
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    first = await backfill.backfill(svc, admin, s.id, at(0), at(3))
    second = await backfill.backfill(svc, admin, s.id, at(4), at(5))
    assert first.last_run_at == START + timedelta(seconds=1.5)
    assert second.first_run_at == START + timedelta(seconds=2)
    assert second.last_run_at == START + timedelta(seconds=2.5)
    # 2 a second, counted from the last backfilled fire, at most one second's worth a
    # tick: the first three were due at 0, 0.5 and 1 s, but only two fire at once
    for seconds, made in ((1, 2), (0.5, 3), (2, 5)):
        clock.advance(seconds)
        await scheduler.tick(svc)
        assert len(await job_rows(svc)) == made
    waiting = [r.fire_at for r in await fire_rows(svc, s.id) if r.backfill_due_at]
    assert waiting == [at(5)]  # in turn: the first backfill, then the second
    clock.advance(0.5)
    await scheduler.tick(svc)
    assert len(await job_rows(svc)) == 6
    assert (await _backfill_next(svc, s.id)) is None  # its queue is empty


async def test_a_backfill_keeps_to_the_rate_limit(svc, org, admin, clock) -> None:
    s = await schedules.create(
        svc, admin, job_spec(org, expression="0 * * * *", rate_limit_per_minute=2)
    )
    await backfill.backfill(svc, admin, s.id, at(4), at(8))
    clock.advance(5)
    assert await scheduler.tick(svc) == 2
    assert len(await job_rows(svc)) == 2
    # held back for the next window: nothing handled, so the engine sleeps meanwhile
    assert await scheduler.tick(svc) == 0
    clock.now = at(9, 1, 1)
    await scheduler.tick(svc)
    assert len(await job_rows(svc)) == 4


async def test_a_paused_schedule_backfill_waits_for_resume(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    await schedules.pause(svc, admin, s.id)
    report = await backfill.backfill(svc, admin, s.id, at(4), at(5))
    assert report.created == 2
    assert await _backfill_next(svc, s.id) is None  # walked by no tick while paused
    clock.advance(5)
    await scheduler.tick(svc)
    assert await job_rows(svc) == []
    await schedules.resume(svc, admin, s.id)
    await scheduler.tick(svc)  # from the resume on, at the backfill rate
    assert len(await job_rows(svc)) == 1
    clock.advance(1)
    await scheduler.tick(svc)
    assert len(await job_rows(svc)) == 2


async def test_a_backlog_fires_at_the_rate_after_a_pause_or_downtime(
    svc, org, admin, clock
) -> None:
    """Due times are not fixed when the backfill is asked for: after a pause (or the
    engine down for a while) its backlog fires at most a second's worth at once, then
    at the rate, counted from the last backfilled fire."""
    svc.settings.schedule_backfill_per_second = 4
    s = await schedules.create(svc, admin, job_spec(org, expression="*/1 * * * *"))
    assert (await backfill.backfill(svc, admin, s.id, at(8), at(8, 19))).created == 20

    async def backfilled() -> list[datetime]:  # when each backfilled run was created
        return [r.fired_at for r in await fire_rows(svc, s.id) if r.fire_at < at(9) and r.job_id]

    await scheduler.tick(svc)
    assert len(await backfilled()) == 1
    await schedules.pause(svc, admin, s.id)
    clock.advance(60)
    await scheduler.tick(svc)
    assert len(await backfilled()) == 1
    await schedules.resume(svc, admin, s.id)
    made = []
    for seconds in (0, 0.1, 0.25, 0.25, 60, 0.5, 1):  # 60: as if the engine was down
        clock.advance(seconds)
        await scheduler.tick(svc)
        made.append(len(await backfilled()))
    assert made == [2, 2, 3, 4, 8, 10, 14]
    fired_at = await backfilled()
    assert max(fired_at.count(t) for t in fired_at) == 4  # a second's worth at once


async def test_a_throttled_backfill_holds_up_no_other_tenants(
    svc, org, admin, other_org, clock
) -> None:
    """A backfill the rate limit holds back moves to the next rate window: another
    tenant's, queued behind it, fires at once, whatever the batch size."""
    svc.settings.scheduler_batch = 2
    throttled = await schedules.create(
        svc,
        admin,
        job_spec(org, expression="* * * * *", job_type="slow", rate_limit_per_minute=1),
    )
    for i in range(3):  # more backfilling schedules of the tenant than a batch holds
        other = await schedules.create(
            svc, admin, job_spec(org, expression="* * * * *", name=f"more{i}")
        )
        await backfill.backfill(svc, admin, other.id, at(8), at(8, 2))
    await backfill.backfill(svc, admin, throttled.id, at(8), at(8, 30))
    b = admin_of(other_org)
    theirs = await schedules.create(svc, b, job_spec(other_org, expression="0 * * * *"))
    clock.advance(5)
    assert (await backfill.backfill(svc, b, theirs.id, at(5), at(7))).created == 3
    clock.advance(1)
    for _ in range(4):  # the engine ticks again at once while batches are full
        await scheduler.tick(svc)
    assert len(await job_rows(svc, Job.schedule_id == theirs.id)) == 3
    assert await _backfill_next(svc, throttled.id) == at(9, 1)  # the next rate window
    clock.now = at(9, 1, 1)
    for _ in range(4):
        await scheduler.tick(svc)
    fired = [r for r in await fire_rows(svc, throttled.id) if r.job_id]
    assert len(fired) == 2  # one a minute


async def test_a_backfill_leaves_the_timetable_its_own_occurrences(svc, org, admin, clock) -> None:
    """The next occurrence (due, inside its jitter, not fired yet) and one held by
    BUFFER_ONE are the timetable's: a backfill reaching them records neither."""
    s = await schedules.create(svc, admin, job_spec(org, expression="*/5 * * * *", jitter=240))
    delay = jitter(s.id, at(9, 5), 240, timedelta(minutes=5))
    assert delay > timedelta(milliseconds=2)  # 1 chance in 120,000
    clock.now = at(9, 5) + delay / 2
    report = await backfill.backfill(svc, admin, s.id, at(8, 55), clock.now)
    assert (report.occurrences, report.created) == (2, 2)  # 08:55 and 09:00
    clock.now = at(9, 5) + delay
    await scheduler.tick(svc)
    state = await schedules.get(svc, admin, s.id)
    assert await fires(svc, s.id) == [at(8, 55), at(9), at(9, 5)]
    assert state.runs_count == 1 and state.last_job_id is not None  # the timetable's run
    held = await schedules.create(
        svc,
        admin,
        job_spec(
            org, expression="*/5 * * * *", name="held", overlap_policy=OverlapPolicy.BUFFER_ONE
        ),
    )
    await run_until(svc, clock, at(9, 15, 1), step=60)
    held = await schedules.get(svc, admin, held.id)
    assert held.buffered_fire_at is not None
    report = await backfill.backfill(svc, admin, held.id, held.buffered_fire_at, clock.now)
    assert (report.occurrences, report.created) == (0, 0)


async def test_a_schedule_paused_by_its_failures_holds_its_backfill(svc, org, admin, clock) -> None:
    s = await schedules.create(
        svc, admin, job_spec(org, expression="0 * * * *", pause_after_failures=1)
    )
    await backfill.backfill(svc, admin, s.id, at(6), at(8))
    await scheduler.tick(svc)  # one of three, at the backfill rate
    worker = await make_worker(svc, admin, org.queue.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 5)
    await executions.fail(svc, admin, [(c.execution_id, ("boom", False))])
    assert (await schedules.get(svc, admin, s.id)).status is ScheduleStatus.PAUSED
    assert await _backfill_next(svc, s.id) is None
    clock.advance(5)
    await scheduler.tick(svc)
    assert len(await job_rows(svc)) == 1
    await schedules.resume(svc, admin, s.id)
    await run_until(svc, clock, clock.now + timedelta(seconds=2))
    assert len(await job_rows(svc)) == 3


async def test_a_workflow_backfill_ignores_the_overlap_policy(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, flow_spec(org, expression="@hourly"))
    assert s.overlap_policy is OverlapPolicy.SKIP
    await backfill.backfill(svc, admin, s.id, at(5), at(7))
    clock.advance(5)
    await scheduler.tick(svc)
    runs = await workflow_rows(svc)
    assert len(runs) == 3 and {w.status for w in runs} == {WorkflowStatus.RUNNING}
    assert {w.schedule_id for w in runs} == {s.id}
    await run_until(svc, clock, at(10, 0, 1), step=60)  # its own 10:00 is not held back
    assert await fires(svc, s.id) == [at(5), at(6), at(7), at(10)]


async def test_backfill_bad_input_and_states(svc, org, admin, other_org, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="*/1 * * * * *"))
    cases = [
        (at(8), START + timedelta(seconds=1), "to", "in the future"),
        (at(8), at(7), "from", "must not be after"),
        (at(6), at(8), "to", "holds 7201 occurrences, over the 1000"),
    ]
    for start, end, field, needle in cases:
        with pytest.raises(InvalidInput) as err:
            await backfill.backfill(svc, admin, s.id, start, end)
        assert err.value.details["field"] == field and needle in err.value.message
    most = await backfill.backfill(svc, admin, s.id, at(8), at(8, 16, 39))
    assert most.created == 1000
    with pytest.raises(NotFound):  # another tenant's schedule
        await backfill.backfill(svc, admin_of(other_org), s.id, at(7), at(8))
    await schedules.delete(svc, admin, s.id)
    with pytest.raises(NotFound):
        await backfill.backfill(svc, admin, s.id, at(7), at(8))
    failed = await schedules.create(svc, admin, job_spec(org, name="failed"))
    async with svc.write() as session:
        await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.id == failed.id)
            .values(status=ScheduleStatus.FAILED)
        )
    with pytest.raises(Conflict, match="FAILED"):
        await backfill.backfill(svc, admin, failed.id, at(7), at(8))
    assert await count(svc, ScheduleFire) == 0  # the deleted schedule's waiting ones too


async def test_a_completed_schedule_is_backfilled(svc, org, admin, clock) -> None:
    once = await schedules.create(
        svc, admin, job_spec(org, ScheduleKind.ONCE, "2026-03-02T09:00:10Z", name="once")
    )
    await run_until(svc, clock, START + timedelta(seconds=11))
    assert (await schedules.get(svc, admin, once.id)).status is ScheduleStatus.COMPLETED
    report = await backfill.backfill(svc, admin, once.id, at(8), at(9, 0, 10))
    assert (report.occurrences, report.created, report.already_fired) == (1, 0, 1)
    hourly = await schedules.create(
        svc, admin, job_spec(org, expression="0 * * * *", max_runs=1, name="hourly")
    )
    await run_until(svc, clock, at(10, 0, 30), step=60)
    hourly = await schedules.get(svc, admin, hourly.id)
    assert hourly.status is ScheduleStatus.COMPLETED
    assert (await backfill.backfill(svc, admin, hourly.id, at(7), at(9))).created == 3
    clock.advance(1)
    await scheduler.tick(svc)
    assert await fires(svc, hourly.id) == [at(7), at(8), at(9), at(10)]


async def test_a_backfilled_run_that_cannot_start_is_dropped_saying_why(
    svc, org, admin, clock
) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    await backfill.backfill(svc, admin, s.id, at(4), at(5))
    async with svc.write() as session:  # the quota is used up meanwhile
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(max_jobs_per_month=0)
        )
    clock.advance(1)
    await scheduler.tick(svc)
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.ACTIVE and s.next_run_at == at(10)  # the timetable goes on
    assert s.last_error is not None and "2026-03-02T05:00:00+00:00 did not run" in s.last_error
    assert await fire_rows(svc, s.id) == []  # dropped: a later backfill may record them again
    missed = await events_of(svc, "schedule.missed")
    assert [(e["reason"], e["occurrence"]) for e in missed] == [
        ("backfill_failed", at(4).isoformat()),
        ("backfill_failed", at(5).isoformat()),
    ]
    async with svc.write() as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(max_jobs_per_month=None)
        )
    assert (await backfill.backfill(svc, admin, s.id, at(4), at(5))).created == 2


async def test_a_backfill_beyond_the_job_quota_is_refused_whole(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    async with svc.write() as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(max_jobs_per_month=3)
        )
    with pytest.raises(QuotaExceeded, match="backfilling 5 occurrences takes 5 jobs; 3"):
        await backfill.backfill(svc, admin, s.id, at(4), at(8))
    assert await count(svc, ScheduleFire) == 0
    assert (await backfill.backfill(svc, admin, s.id, at(4), at(6))).created == 3


async def test_a_template_schedule_backfill_counts_its_templates_jobs(
    svc, org, admin, clock
) -> None:
    """The quota check reads the template's definition (two jobs a run), not the stored
    reference."""
    await templates.create(svc, admin, org.project.id, TEMPLATE)
    s = await schedules.create(
        svc, admin, flow_spec(org, "@hourly", definition=None, workflow_template=TemplateRef("etl"))
    )
    await set_quota(svc, org, 5)
    with pytest.raises(QuotaExceeded, match="backfilling 3 occurrences takes 6 jobs; 5"):
        await backfill.backfill(svc, admin, s.id, at(4), at(6))
    assert (await backfill.backfill(svc, admin, s.id, at(4), at(5))).created == 2
    clock.advance(1)
    await scheduler.tick(svc)
    runs = await workflow_rows(svc)
    assert len(runs) == 2 and {w.template_name for w in runs} == {"etl"}


# --- input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"jitter": -1}, "jitter"),
        ({"jitter": 86_401}, "jitter"),
        ({"pause_after_failures": 0}, "pauseAfterFailures"),
        ({"pause_after_failures": 1001}, "pauseAfterFailures"),
        ({"expression": "@reboot"}, "expression"),
    ],
)
async def test_bad_policies_write_nothing(svc, org, admin, clock, changes, field) -> None:
    before = await count(svc, ScheduledJob), await count(svc, Event)
    with pytest.raises(InvalidInput) as err:
        await schedules.create(svc, admin, job_spec(org, **changes))
    assert err.value.details["field"] == field
    s = await schedules.create(svc, admin, job_spec(org))
    spec = ScheduleSpec(**changes)
    spec.changed = set(changes)
    with pytest.raises(InvalidInput):
        await schedules.update(svc, admin, s.id, spec)
    assert await count(svc, ScheduledJob) == before[0] + 1


async def test_a_cron_macro_schedule_fires(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="@hourly"))
    assert s.next_run_at == at(10)
    await run_until(svc, clock, at(11, 0, 30), step=600)
    assert await fires(svc, s.id) == [at(10), at(11)]
