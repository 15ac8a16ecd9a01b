"""Schedules on both backends with a controllable clock: every type, misfires, pause and
resume, max runs, rate-limit deferral, workflow targets, triggers, and racing engines."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from taskforge.domain import tenancy as tenancy_rules
from taskforge.domain.enums import (
    MisfirePolicy,
    OverlapPolicy,
    ScheduleKind,
    ScheduleStatus,
    Tier,
)
from taskforge.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    QuotaExceeded,
    RateLimited,
)
from taskforge.persistence.tables import Event, Job, ScheduledJob, ScheduleFire, Workflow
from taskforge.runtime import Runtime
from taskforge.services import scheduler, schedules
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of, new_org
from tests.integration.test_execution import Clock

START = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)  # a Monday, off any boundary


@pytest.fixture
def clock(svc):
    c = Clock(svc)
    c.now = START
    return c


def job_spec(org, kind=ScheduleKind.CRON, expression="*/5 * * * *", **kw) -> ScheduleSpec:
    return ScheduleSpec(
        name=kw.pop("name", "s"),
        kind=kind,
        expression=expression,
        queue_id=org.queue.id,
        job_type=kw.pop("job_type", "report"),
        **kw,
    )


async def count(svc, model, *where) -> int:
    async with svc.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def fires(svc, schedule_id) -> list[datetime]:
    async with svc.read() as session:
        rows = await session.scalars(
            select(ScheduleFire.fire_at)
            .where(ScheduleFire.schedule_id == schedule_id)
            .order_by(ScheduleFire.fire_at)
        )
        return list(rows)


async def run_until(svc, clock, until: datetime, step: float = 1.0) -> None:
    """Tick every ``step`` seconds of simulated time up to ``until``."""
    while clock.now < until:
        clock.advance(step)
        await scheduler.tick(svc)


async def test_cron_fires_each_occurrence_once_without_drift(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    assert s.next_run_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    await run_until(svc, clock, START + timedelta(minutes=16), step=7)  # late, uneven ticks
    assert await fires(svc, s.id) == [datetime(2026, 3, 2, 9, m, tzinfo=UTC) for m in (5, 10, 15)]
    s = await schedules.get(svc, admin, s.id)
    assert s.runs_count == 3 and s.next_run_at == datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    assert await count(svc, Job, Job.job_type == "report") == 3


async def test_a_tick_fires_payloads_that_are_not_objects(svc, org, admin, clock) -> None:
    """A payload is any JSON value, as for enqueueJob: one that is not an object does
    not fail the tick, nor hold back the other schedules due in it."""
    made = [
        await schedules.create(svc, admin, job_spec(org, name=f"s{i}", payload=p))
        for i, p in enumerate([["a", 1], "text", 7, {"k": "v"}])
    ]
    await run_until(svc, clock, START + timedelta(minutes=6), step=60)
    for s in made:
        assert await fires(svc, s.id) == [datetime(2026, 3, 2, 9, 5, tzinfo=UTC)]
    async with svc.read() as session:
        payloads = list(await session.scalars(select(Job.payload).where(Job.job_type == "report")))
    assert sorted(map(str, payloads)) == sorted(map(str, [["a", 1], "text", 7, {"k": "v"}]))


async def test_six_fields_fire_every_second(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="*/1 * * * * *"))
    await run_until(svc, clock, START + timedelta(seconds=5))
    assert len(await fires(svc, s.id)) == 5


async def test_recurring_interval_counts_from_creation(svc, org, admin, clock) -> None:
    s = await schedules.create(
        svc, admin, job_spec(org, ScheduleKind.RECURRING, "1h30m", max_runs=2)
    )
    assert s.next_run_at == START + timedelta(minutes=90)
    await run_until(svc, clock, START + timedelta(hours=5), step=600)
    assert await fires(svc, s.id) == [START + timedelta(minutes=90 * k) for k in (1, 2)]
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.COMPLETED and s.next_run_at is None


async def test_once_fires_once_and_completes(svc, org, admin, clock) -> None:
    past = "2026-03-02T10:00:00+01:00"  # 09:00 UTC, just before START
    s = await schedules.create(
        svc, admin, job_spec(org, ScheduleKind.ONCE, "2026-03-02T11:00:00+01:00")
    )
    assert s.next_run_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    await run_until(svc, clock, START + timedelta(hours=2), step=300)
    s = await schedules.get(svc, admin, s.id)
    assert s.status is ScheduleStatus.COMPLETED and s.runs_count == 1
    with pytest.raises(InvalidInput, match="future"):
        await schedules.create(svc, admin, job_spec(org, ScheduleKind.ONCE, past))


@pytest.mark.parametrize(
    ("policy", "runs"),
    [(MisfirePolicy.SKIP, 0), (MisfirePolicy.FIRE_ONCE, 1), (MisfirePolicy.FIRE_ALL, 12)],
)
async def test_misfire_policies_after_downtime(svc, org, admin, clock, policy, runs) -> None:
    s = await schedules.create(svc, admin, job_spec(org, misfire_policy=policy))
    clock.advance(3690)  # an hour with no scheduler: 09:05 to 10:00 missed (grace 60 s)
    await scheduler.tick(svc)
    s = await schedules.get(svc, admin, s.id)
    assert s.runs_count == runs
    assert s.next_run_at == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)  # from the timetable


async def test_pause_then_resume_is_not_a_burst(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="* * * * *"))
    await schedules.pause(svc, admin, s.id)
    await run_until(svc, clock, START + timedelta(minutes=30), step=30)
    assert await fires(svc, s.id) == []
    with pytest.raises(InvalidTransition):
        await schedules.pause(svc, admin, s.id)
    await schedules.resume(svc, admin, s.id)
    await scheduler.tick(svc)
    assert len(await fires(svc, s.id)) == 1  # FIRE_ONCE: one run for all it missed
    await run_until(svc, clock, START + timedelta(minutes=33), step=30)
    assert len(await fires(svc, s.id)) == 4


async def test_update_recomputes_next_run(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    spec = ScheduleSpec(expression="0 12 * * *", timezone="Asia/Kolkata")
    spec.changed = {"expression", "timezone"}
    s = await schedules.update(svc, admin, s.id, spec)
    assert s.next_run_at == datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
    assert [r.isoformat() for r in schedules.upcoming(svc, s, 2)] == [
        "2026-03-03T06:30:00+00:00",
        "2026-03-04T06:30:00+00:00",
    ]


async def test_update_to_a_queue_not_found_is_not_found(svc, org, other_org, admin) -> None:
    """A queue that does not exist, or is another tenant's, is NOT_FOUND (a missing
    one was a foreign-key violation, INTERNAL), and the schedule keeps its queue."""
    s = await schedules.create(svc, admin, job_spec(org))
    for queue_id in (uuid.uuid4(), other_org.queue.id):
        spec = ScheduleSpec(queue_id=queue_id, max_runs=12)
        spec.changed = {"queue_id", "max_runs"}
        with pytest.raises(NotFound):
            await schedules.update(svc, admin, s.id, spec)
    s = await schedules.get(svc, admin, s.id)
    assert s.queue_id == org.queue.id and s.max_runs is None


async def test_rate_limit_defers_and_never_drops(svc, org, admin, clock) -> None:
    a = await schedules.create(svc, admin, job_spec(org, name="a", rate_limit_per_minute=1))
    b = await schedules.create(svc, admin, job_spec(org, name="b", rate_limit_per_minute=1))
    clock.now = datetime(2026, 3, 2, 9, 5, 0, 100000, tzinfo=UTC)
    await scheduler.tick(svc)
    rows = {x.name: x for x in [await schedules.get(svc, admin, i) for i in (a.id, b.id)]}
    deferred = next(x for x in rows.values() if x.runs_count == 0)
    assert deferred.deferrals == 1
    assert deferred.pending_fire_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert deferred.next_run_at == datetime(2026, 3, 2, 9, 6, tzinfo=UTC)
    clock.now = datetime(2026, 3, 2, 9, 6, 0, 100000, tzinfo=UTC)
    await scheduler.tick(svc)
    assert await fires(svc, deferred.id) == [datetime(2026, 3, 2, 9, 5, tzinfo=UTC)]
    deferred = await schedules.get(svc, admin, deferred.id)
    assert deferred.pending_fire_at is None
    assert deferred.next_run_at == datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
    with pytest.raises(RateLimited):  # this minute's one job is used
        await scheduler.trigger(svc, admin, deferred.id)


async def test_trigger_runs_now_once(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    s = await scheduler.trigger(svc, admin, s.id)
    assert s.runs_count == 1 and s.next_run_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert await fires(svc, s.id) == [START]
    async with svc.read() as session:
        fired = (await session.scalars(select(Event).where(Event.type == "schedule.fired"))).one()
    assert fired.payload["manual"] is True and fired.payload["jobId"]


async def test_workflow_target_creates_started_workflows(svc, org, admin, clock) -> None:
    definition = {
        "name": "nightly",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    spec = ScheduleSpec(
        name="wf",
        kind=ScheduleKind.RECURRING,
        expression="10m",
        workflow_definition=definition,
        project_id=org.project.id,
        overlap_policy=OverlapPolicy.ALLOW_ALL,  # runs overlap (a workflow's default: SKIP)
    )
    s = await schedules.create(svc, admin, spec)
    await run_until(svc, clock, START + timedelta(minutes=21), step=60)
    assert await count(svc, Workflow, Workflow.status == "RUNNING") == 2
    assert len(await fires(svc, s.id)) == 2
    with pytest.raises(InvalidInput):
        bad = ScheduleSpec(
            name="bad",
            kind=ScheduleKind.RECURRING,
            expression="10m",
            workflow_definition={"name": "x", "jobs": []},
            project_id=org.project.id,
        )
        await schedules.create(svc, admin, bad)


async def test_ticks_write_events(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    await run_until(svc, clock, START + timedelta(minutes=6), step=60)
    async with svc.read() as session:
        [fired] = (await session.scalars(select(Event).where(Event.type == "schedule.fired"))).all()
    assert fired.payload["scheduleId"] == str(s.id)
    assert fired.payload["occurrence"] == "2026-03-02T09:05:00+00:00"
    assert fired.payload["nextRunAt"] == "2026-03-02T09:10:00+00:00"
    assert fired.payload["jobId"] is not None


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"expression": "61 * * * *"}, "minute"),
        ({"expression": "* * *"}, "5 or 6 fields"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": ScheduleKind.RECURRING, "expression": "5 parsecs"}, "interval"),
        ({"priority": 10}, "priority"),
        ({"job_type": None}, "target"),
        (
            {"workflow_definition": {"name": "x", "jobs": [{"name": "a", "job_type": "t"}]}},
            "target",
        ),
    ],
)
async def test_bad_schedules_write_nothing(svc, org, admin, clock, spec, field) -> None:
    base = {
        "name": "s",
        "kind": ScheduleKind.CRON,
        "expression": "* * * * *",
        "queue_id": org.queue.id,
        "job_type": "t",
    }
    before = await count(svc, ScheduledJob), await count(svc, Event)
    with pytest.raises(InvalidInput) as exc:
        await schedules.create(svc, admin, ScheduleSpec(**{**base, **spec}))
    assert field.lower() in exc.value.message.lower()
    assert (await count(svc, ScheduledJob), await count(svc, Event)) == before


async def test_delete_is_soft_and_final(svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="* * * * *"))
    await schedules.delete(svc, admin, s.id)
    await run_until(svc, clock, START + timedelta(minutes=3), step=60)
    assert await fires(svc, s.id) == []
    assert await count(svc, ScheduledJob, ScheduledJob.deleted_at.is_not(None)) == 1
    with pytest.raises(NotFound):
        await schedules.get(svc, admin, s.id)
    summary = await schedules.summary(svc, admin)
    assert summary.total == 0


async def test_summary_and_quota(svc, org, admin, clock, monkeypatch) -> None:
    monkeypatch.setitem(
        tenancy_rules.TIER_LIMITS, Tier.STARTER, tenancy_rules.TierLimits(10, 5, max_schedules=2)
    )
    a = await schedules.create(svc, admin, job_spec(org, name="a"))
    await schedules.create(svc, admin, job_spec(org, name="b"))
    with pytest.raises(QuotaExceeded):
        await schedules.create(svc, admin, job_spec(org, name="c"))
    await schedules.pause(svc, admin, a.id)
    clock.advance(600)
    summary = await schedules.summary(svc, admin)
    assert (summary.total, summary.active, summary.paused, summary.due_now) == (2, 1, 1, 1)


async def test_racing_engines_fire_each_occurrence_once(settings) -> None:
    """Three engines (separate runtimes, as separate replicas would be) tick together
    on the same schedules: exactly one job per occurrence."""
    runtimes = [Runtime.create(settings) for _ in range(3)]
    for rt in runtimes:
        await rt.start(migrate=False, engines=False)
    try:
        svcs = [rt.services for rt in runtimes]
        now = {"t": START}
        for svc in svcs:
            svc.clock = lambda: now["t"]
        org = await new_org(svcs[0], "Race", Tier.ENTERPRISE)
        admin = admin_of(org)
        ids = [
            (
                await schedules.create(
                    svcs[0], admin, job_spec(org, expression="*/1 * * * * *", name=f"s{i}")
                )
            ).id
            for i in range(10)
        ]
        for _ in range(20):
            now["t"] += timedelta(seconds=1)
            await asyncio.gather(*(scheduler.tick(svc) for svc in svcs))
        for sid in ids:
            assert len(await fires(svcs[0], sid)) == 20
        assert await count(svcs[0], Job) == 200
    finally:
        for rt in runtimes:
            await rt.stop()


async def test_engine_loop_sleeps_until_due_and_wakes_on_changes(settings) -> None:
    """The real loop with the real clock: a long max sleep, yet a new schedule fires on
    time because creating it wakes the loop, which then sleeps until the due time."""
    settings.scheduler_max_sleep = 30.0
    rt = Runtime.create(settings, scheduler=True)
    await rt.start(migrate=False)
    try:
        svc = rt.services
        org = await new_org(svc, "Loop", Tier.ENTERPRISE)
        engine = rt.engines[-1]
        await asyncio.sleep(0.2)  # the loop is now in its long sleep
        s = await schedules.create(
            svc, admin_of(org), job_spec(org, expression="*/1 * * * * *", name="fast")
        )
        deadline = asyncio.get_running_loop().time() + 10
        while len(await fires(svc, s.id)) < 3:
            assert asyncio.get_running_loop().time() < deadline, "the loop did not wake"
            await asyncio.sleep(0.1)
        late = [(f.fired_at - f.fire_at).total_seconds() for f in await _fire_rows(svc, s.id)]
        assert max(late) < 1.0
        assert isinstance(engine, scheduler.Scheduler) and engine.ticks >= 3
    finally:
        await rt.stop()


async def _fire_rows(svc, schedule_id) -> list[ScheduleFire]:
    async with svc.read() as session:
        rows = await session.scalars(
            select(ScheduleFire).where(ScheduleFire.schedule_id == schedule_id)
        )
        return list(rows)


@pytest.mark.parametrize(
    ("policy", "runs"),
    [(MisfirePolicy.SKIP, 0), (MisfirePolicy.FIRE_ONCE, 1), (MisfirePolicy.FIRE_ALL, 3)],
)
async def test_a_short_pause_is_missed_time_too(svc, org, admin, clock, policy, runs) -> None:
    """Seconds missed while paused follow the misfire policy even inside the grace
    period (which is for engine lateness), so resuming never replays a burst."""
    s = await schedules.create(
        svc, admin, job_spec(org, expression="*/1 * * * * *", misfire_policy=policy)
    )
    await run_until(svc, clock, START + timedelta(seconds=2))
    before = len(await fires(svc, s.id))
    await schedules.pause(svc, admin, s.id)
    clock.advance(3)  # 3 occurrences pass while paused
    await schedules.resume(svc, admin, s.id)
    await scheduler.tick(svc)
    assert len(await fires(svc, s.id)) - before == runs
    s = await schedules.get(svc, admin, s.id)
    assert s.next_run_at is not None and s.next_run_at > clock.now
