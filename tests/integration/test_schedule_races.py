"""Schedule policies under concurrency on PostgreSQL: two scheduler replicas (separate
runtimes, each with its own pool) ticking together never start a second run of a SKIP
schedule while one is live; backfills run twice, concurrently, create each occurrence
once, and racing replicas fire each once; CANCEL_PREVIOUS never deadlocks a tick with
the acknowledgements of the runs it cancels; failures acknowledged concurrently are all
counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from taskforge.domain.enums import JobStatus, OverlapPolicy, ScheduleKind, Tier, WorkflowStatus
from taskforge.persistence.common import schedules as schedules_repo
from taskforge.persistence.database import is_retryable
from taskforge.persistence.tables import Job, ScheduleFire, Workflow
from taskforge.runtime import Runtime
from taskforge.services import backfill, base, executions, scheduler, schedules, workflows
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import _reset_pg, admin_of, make_settings, new_org
from tests.integration.test_execution import make_worker

START = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)
FLOW = {"name": "etl", "jobs": [{"name": "a", "job_type": "t"}]}


class Replicas:
    """Two runtimes on the PostgreSQL test database, as two scheduler replicas would be
    (each with its own pool), on one clock."""

    def __init__(self, runtimes: list[Runtime]) -> None:
        self.runtimes, self.now = runtimes, START
        for rt in runtimes:
            rt.services.clock = lambda: self.now

    @property
    def svcs(self) -> list[Any]:
        return [rt.services for rt in self.runtimes]

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def replicas(pg_database: str, tmp_path: Path) -> AsyncIterator[Replicas]:
    await _reset_pg(pg_database)
    runtimes = [
        Runtime.create(make_settings(pg_database, tmp_path, db_pool_size=10)) for _ in range(2)
    ]
    for rt in runtimes:
        await rt.start(migrate=False, engines=False)
    try:
        yield Replicas(runtimes)
    finally:
        for rt in runtimes:
            await rt.stop()


async def live_workflows(svc: Any) -> dict[Any, int]:
    async with svc.read() as session:
        rows = await session.execute(
            select(Workflow.schedule_id, func.count())
            .where(Workflow.status.in_([WorkflowStatus.PENDING, WorkflowStatus.RUNNING]))
            .group_by(Workflow.schedule_id)
        )
        return {sid: n for sid, n in rows}


async def count(svc: Any, model: Any, *where: Any) -> int:
    async with svc.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_two_replicas_never_start_a_second_run_while_one_is_live(replicas) -> None:
    a, b = replicas.svcs
    org = await new_org(a, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    made = [
        await schedules.create(
            a,
            admin,
            ScheduleSpec(
                name=f"s{i}",
                kind=ScheduleKind.CRON,
                expression="*/1 * * * * *",
                workflow_definition=FLOW,
                project_id=org.project.id,
            ),
        )
        for i in range(6)
    ]
    assert {s.overlap_policy for s in made} == {OverlapPolicy.SKIP}
    cancelled = 0
    for second in range(1, 31):
        replicas.advance(1)
        work = [scheduler.tick(a), scheduler.tick(b)]
        if second % 5 == 0:  # runs end while the replicas tick
            async with a.read() as session:
                running = list(
                    await session.scalars(
                        select(Workflow.id).where(Workflow.status == WorkflowStatus.RUNNING)
                    )
                )
            work += [workflows.cancel(b, admin, w) for w in running]
            cancelled += len(running)
        await asyncio.gather(*work)
        live = await live_workflows(a)
        assert all(n == 1 for n in live.values()), live
    # after each end the next run started, one at a time: every run fired was cancelled
    # or is the one live now
    fired = await count(a, ScheduleFire)
    assert fired == await count(a, Workflow) == cancelled + sum(live.values())
    assert cancelled == 6 * len(made)
    skipped = [(await schedules.get(a, admin, s.id)).skipped_count for s in made]
    assert all(n > 0 for n in skipped)


async def test_a_backfill_run_twice_concurrently_creates_each_occurrence_once(replicas) -> None:
    a, b = replicas.svcs
    org = await new_org(a, "Backfill", Tier.ENTERPRISE)
    admin = admin_of(org)
    s = await schedules.create(
        a,
        admin,
        ScheduleSpec(
            name="minutely",
            kind=ScheduleKind.CRON,
            expression="* * * * *",
            queue_id=org.queue.id,
            job_type="report",
        ),
    )
    start, end = START - timedelta(hours=5), START - timedelta(minutes=1)
    reports = await asyncio.gather(
        *(backfill.backfill(svc, admin, s.id, start, end) for svc in (a, b, a, b))
    )
    occurrences = reports[0].occurrences
    assert occurrences == 299  # 04:01 to 08:59
    assert {r.occurrences for r in reports} == {occurrences}
    assert sum(r.created for r in reports) == occurrences
    assert all(r.created + r.already_fired == occurrences for r in reports)
    assert await count(a, ScheduleFire) == occurrences
    # the replicas fire them together, each once, while another backfill comes
    for _ in range(40):
        replicas.advance(1)
        work = [scheduler.tick(a), scheduler.tick(b), backfill.backfill(b, admin, s.id, start, end)]
        *_, again = await asyncio.gather(*work)
        assert again.created == 0
    assert await count(a, Job) == occurrences
    async with a.read() as session:
        linked = list(await session.scalars(select(ScheduleFire.job_id)))
    assert len(set(linked)) == occurrences and None not in linked


async def test_cancel_previous_ticks_and_acknowledgements_never_block_each_other(
    replicas,
) -> None:
    a, b = replicas.svcs
    org = await new_org(a, "Cancel", Tier.ENTERPRISE)
    admin = admin_of(org)
    made = [
        await schedules.create(
            a,
            admin,
            ScheduleSpec(
                name=f"c{i}",
                kind=ScheduleKind.CRON,
                expression="*/1 * * * * *",
                queue_id=org.queue.id,
                job_type="t",
                overlap_policy=OverlapPolicy.CANCEL_PREVIOUS,
                pause_after_failures=1000,
            ),
        )
        for i in range(5)
    ]
    worker = await make_worker(a, admin, org.queue.id)

    async def work_off() -> None:
        claimed = await executions.claim(b, admin, worker.id, None, 10)
        half = len(claimed) // 2
        await asyncio.gather(
            executions.complete(a, admin, [(c.execution_id, None) for c in claimed[:half]]),
            executions.fail(b, admin, [(c.execution_id, ("x", False)) for c in claimed[half:]]),
        )

    for _ in range(20):
        replicas.advance(1)
        async with asyncio.timeout(30):  # a deadlock would hold until PostgreSQL broke it
            await asyncio.gather(scheduler.tick(a), scheduler.tick(b), work_off())
    async with a.read() as session:
        live = await session.execute(
            select(Job.schedule_id, func.count())
            .where(Job.status.in_([JobStatus.PENDING, JobStatus.PROCESSING]))
            .group_by(Job.schedule_id)
        )
        assert all(n == 1 for _, n in live)
    assert await count(a, Job, Job.status_reason == "schedule_overlap") > 0
    await scheduler.tick(a)  # the ones postponed last (their run was held by an ack)
    for s in made:
        # every occurrence fired or was skipped (a postponed one is owed to the next tick,
        # where CANCEL_PREVIOUS fires only the newest)
        fired = len(await _fires(a, s.id))
        skipped = (await schedules.get(a, admin, s.id)).skipped_count
        assert fired + skipped == 20 and fired >= 10


async def _fires(svc: Any, schedule_id: Any) -> list[Any]:
    async with svc.read() as session:
        stmt = select(ScheduleFire.fire_at).where(ScheduleFire.schedule_id == schedule_id)
        return list(await session.scalars(stmt))


async def test_failures_acknowledged_concurrently_are_all_counted(replicas) -> None:
    a, b = replicas.svcs
    org = await new_org(a, "Failures", Tier.ENTERPRISE)
    admin = admin_of(org)
    s = await schedules.create(
        a,
        admin,
        ScheduleSpec(
            name="flaky",
            kind=ScheduleKind.CRON,
            expression="*/1 * * * * *",
            queue_id=org.queue.id,
            job_type="t",
            pause_after_failures=12,
        ),
    )
    for _ in range(12):
        replicas.advance(1)
        await scheduler.tick(a)
    worker = await make_worker(a, admin, org.queue.id)
    claimed = await executions.claim(a, admin, worker.id, None, 12)
    assert len(claimed) == 12
    await asyncio.gather(
        *(
            executions.fail(svc, admin, [(c.execution_id, ("boom", False))])
            for svc, c in zip([a, b] * 6, claimed, strict=True)
        )
    )
    s = await schedules.get(a, admin, s.id)
    assert s.consecutive_failures == 12
    assert s.paused_reason == "paused after 12 consecutive failed runs"


@pytest.fixture
def deadlocks(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """The transactions PostgreSQL aborted to break a lock cycle (use cases retry them,
    so only this shows that one happened)."""
    seen: list[BaseException] = []

    def retryable(exc: BaseException) -> bool:
        if found := is_retryable(exc):
            seen.append(exc)
        return found

    monkeypatch.setattr(base, "is_retryable", retryable)
    return seen


async def _job_schedules(svc: Any, admin: Any, org: Any, n: int, **kw: Any) -> list[Any]:
    return [
        await schedules.create(
            svc,
            admin,
            ScheduleSpec(
                name=f"j{i}",
                kind=ScheduleKind.CRON,
                expression="*/1 * * * * *",
                queue_id=org.queue.id,
                job_type="t",
                **kw,
            ),
        )
        for i in range(n)
    ]


async def test_a_success_takes_no_lock_on_its_schedule(replicas) -> None:
    """Nothing to reset: acknowledging a scheduled job's success does not wait for its
    schedule row (held here by another transaction)."""
    a, b = replicas.svcs
    org = await new_org(a, "Success", Tier.ENTERPRISE)
    admin = admin_of(org)
    [s] = await _job_schedules(a, admin, org, 1, pause_after_failures=3)
    replicas.advance(1)
    await scheduler.tick(a)
    worker = await make_worker(a, admin, org.queue.id)
    [c] = await executions.claim(a, admin, worker.id, None, 1)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with b.write() as session:
            await schedules_repo.lock(session, org.organization.id, s.id)
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        async with asyncio.timeout(5):
            [ack] = await executions.complete(a, admin, [(c.execution_id, None)])
        assert ack.error is None
    finally:
        release.set()
        await holder


async def test_batches_failing_runs_of_several_schedules_lock_them_in_order(
    replicas, deadlocks
) -> None:
    """Two acknowledgements fail jobs of the same schedules, listed in opposite orders:
    the schedules are counted in id order, so neither waits on the other in a cycle."""
    a, b = replicas.svcs
    org = await new_org(a, "Order", Tier.ENTERPRISE)
    admin = admin_of(org)
    made = await _job_schedules(a, admin, org, 4, pause_after_failures=1000)
    worker = await make_worker(a, admin, org.queue.id)
    for _ in range(10):
        replicas.advance(2)  # two runs of each schedule
        await scheduler.tick(a)
        claimed = await executions.claim(a, admin, worker.id, None, 8)
        assert len(claimed) == 8
        async with a.read() as session:
            stmt = select(Job.id, Job.schedule_id).where(Job.id.in_([c.job.id for c in claimed]))
            schedule_of = dict((await session.execute(stmt)).all())
        by_schedule: dict[Any, list[Any]] = {}
        for c in claimed:
            by_schedule.setdefault(schedule_of[c.job.id], []).append(c)
        firsts = [cs[0] for cs in by_schedule.values()]
        seconds = [cs[1] for cs in by_schedule.values() if len(cs) > 1]
        await asyncio.gather(
            executions.fail(a, admin, [(c.execution_id, ("x", False)) for c in firsts]),
            executions.fail(b, admin, [(c.execution_id, ("x", False)) for c in reversed(seconds)]),
        )
    assert deadlocks == []
    counts = [(await schedules.get(a, admin, s.id)).consecutive_failures for s in made]
    assert sum(counts) == await count(a, Job, Job.status == JobStatus.FAILED)


async def test_cancel_previous_of_workflows_never_waits_on_their_acknowledgements(
    replicas, deadlocks
) -> None:
    """CANCEL_PREVIOUS on workflow targets while a worker acknowledges their jobs: an
    acknowledgement holds its job and then waits for its workflow; the tick takes the
    workflow, its live jobs and their attempts without waiting, or leaves that schedule
    to the next tick. No lock cycle, so PostgreSQL never has to break one."""
    a, b = replicas.svcs
    org = await new_org(a, "CancelFlows", Tier.ENTERPRISE)
    admin = admin_of(org)
    flow = {
        "name": "fan",
        "jobs": [{"name": n, "job_type": "t"} for n in "abcd"]
        + [{"name": "z", "job_type": "t", "depends_on": ["a", "b"]}],
    }
    made = [
        await schedules.create(
            a,
            admin,
            ScheduleSpec(
                name=f"w{i}",
                kind=ScheduleKind.CRON,
                expression="*/1 * * * * *",
                workflow_definition=flow,
                project_id=org.project.id,
                overlap_policy=OverlapPolicy.CANCEL_PREVIOUS,
            ),
        )
        for i in range(4)
    ]
    worker = await make_worker(a, admin, org.queue.id)

    async def work_off() -> None:
        claimed = await executions.claim(b, admin, worker.id, None, 40)
        await asyncio.gather(
            *(
                executions.complete(a if i % 2 else b, admin, [(c.execution_id, None)])
                for i, c in enumerate(claimed)
            )
        )

    for _ in range(15):
        replicas.advance(1)
        async with asyncio.timeout(30):
            await asyncio.gather(scheduler.tick(a), scheduler.tick(b), work_off(), work_off())
    assert deadlocks == []
    async with a.read() as session:
        live = await session.execute(
            select(Workflow.schedule_id, func.count())
            .where(Workflow.status.in_([WorkflowStatus.PENDING, WorkflowStatus.RUNNING]))
            .group_by(Workflow.schedule_id)
        )
        assert all(n == 1 for _, n in live)
    assert await count(a, Workflow, Workflow.status == WorkflowStatus.CANCELLED) > 0
    await scheduler.tick(a)  # those postponed last (a run held by an acknowledgement)
    for s in made:
        fired = len(await _fires(a, s.id))
        skipped = (await schedules.get(a, admin, s.id)).skipped_count
        assert fired + skipped == 15 and fired >= 3
