"""The dependency engine under concurrent acknowledgements on PostgreSQL: two parents of
one child ending in two transactions at once must release the child. Each decides its
own edge, then reads the child's edges; without a lock on the child, each read misses
the other's uncommitted edge and both leave the child WAITING for good."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased

from taskforge.domain.enums import JobStatus, Tier, WorkerType
from taskforge.persistence.common import dependencies as deps
from taskforge.persistence.common import executions as executions_repo
from taskforge.persistence.tables import Event, Job, JobDependency
from taskforge.services import (
    dependencies,
    executions,
    jobs,
    resolution,
    workers,
    workflow_reads,
    workflows,
)
from tests.conftest import admin_of, new_org
from tests.helpers import stored_events
from tests.stored_format import payloads

Parent = aliased(Job)


def meet_before(monkeypatch: pytest.MonkeyPatch, step: str, parties: int) -> None:
    """The first ``parties`` calls of the engine's ``step`` wait for each other (2 s at
    most) before running: both transactions have made their own changes, and neither
    has read the other's (uncommitted) ones. The interleaving that loses an update."""
    original = getattr(resolution, step)
    arrived: list[asyncio.Event] = []
    everyone = asyncio.Event()

    async def meet(*args: Any) -> Any:
        if len(arrived) < parties:
            arrived.append(asyncio.Event())
            if len(arrived) == parties:
                everyone.set()
            # past 2 s something else serialized the two: fine, the outcome is checked
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everyone.wait(), 2)
        return await original(*args)

    monkeypatch.setattr(resolution, step, meet)


async def acknowledge_at_once(svc: Any, admin: Any, claims: list[Any]) -> None:
    acks: list[Callable[[], Awaitable[Any]]] = [
        lambda c=c: executions.complete(svc, admin, [(c.execution_id, None)]) for c in claims
    ]
    results = await asyncio.gather(*(ack() for ack in acks))
    assert all(a.error is None for batch in results for a in batch)


async def register_workers(svc: Any, admin: Any, queue_id: Any, n: int = 2) -> list[Any]:
    out = []
    for k in range(1, n + 1):
        worker = await workers.register(
            svc, admin, f"w{k}", WorkerType.GENERAL, [workers.QueueWeight(queue_id, 1)]
        )
        out.append(worker)
    return out


async def two_parents_one_child(svc: Any, org: Any = None) -> tuple[Any, Any, Any, Any, Any]:
    """(organization, admin, parent a, parent b, child): standalone jobs, a -> child and
    b -> child (in ``org``, or a new organization)."""
    org = org or await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    a, b, child = await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 3
    )
    for parent in (a, b):
        await dependencies.create(svc, admin, parent.id, child.id)
    return org, admin, a, b, child


async def test_two_parents_ending_at_once_release_their_child(pg_runtime, monkeypatch) -> None:
    svc = pg_runtime.services
    org, admin, a, b, child = await two_parents_one_child(svc)
    w1, w2 = await register_workers(svc, admin, org.queue.id)
    first = await executions.claim(svc, admin, w1.id, None, 1)
    second = await executions.claim(svc, admin, w2.id, None, 1)
    assert {c.job.id for c in first + second} == {a.id, b.id}

    meet_before(monkeypatch, "aggregate", 2)
    await acknowledge_at_once(svc, admin, first + second)

    job = await jobs.get(svc, admin, child.id)
    assert (job.status.value, job.dependency_status.value) == ("PENDING", "SATISFIED")
    [claimed] = await executions.claim(svc, admin, w1.id, None, 10)
    assert claimed.job.id == child.id


async def test_a_fan_in_acknowledged_by_two_workers_at_once_completes(
    pg_runtime, monkeypatch
) -> None:
    svc = pg_runtime.services
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    definition = {
        "name": "fan-in",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t"},
            {"name": "sink", "job_type": "t", "depends_on": ["a", "b"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    w1, w2 = await register_workers(svc, admin, org.queue.id)
    first = await executions.claim(svc, admin, w1.id, None, 1)
    second = await executions.claim(svc, admin, w2.id, None, 1)
    assert len(first + second) == 2

    meet_before(monkeypatch, "aggregate", 2)
    await acknowledge_at_once(svc, admin, first + second)

    [sink] = await executions.claim(svc, admin, w1.id, None, 10)
    await executions.complete(svc, admin, [(sink.execution_id, None)])
    done = await workflow_reads.get(svc, admin, wf.id)
    assert done.status.value == "SUCCEEDED"


async def test_the_last_two_mapped_children_ending_at_once_end_their_template(
    pg_runtime, monkeypatch
) -> None:
    """A mapped child's edge into its template is implied (no row): the two acks still
    serialize (on the workflow's lock, and the template's), the later one sees the
    earlier's child ended, and the template ends exactly once."""
    svc = pg_runtime.services
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    definition = {
        "name": "map",
        "jobs": [
            {"name": "list", "job_type": "t"},
            {
                "name": "each",
                "job_type": "t",
                "map_over": "parents.list.output.items",
                "depends_on": ["list"],
            },
            {"name": "after", "job_type": "t", "depends_on": ["each"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    w1, w2 = await register_workers(svc, admin, org.queue.id)
    [parent] = await executions.claim(svc, admin, w1.id, None, 10)
    await executions.complete(svc, admin, [(parent.execution_id, {"items": [1, 2]})])
    first = await executions.claim(svc, admin, w1.id, None, 1)
    second = await executions.claim(svc, admin, w2.id, None, 1)
    assert sorted(c.job.name for c in first + second) == ["each[0]", "each[1]"]

    meet_before(monkeypatch, "aggregate", 2)
    await acknowledge_at_once(svc, admin, first + second)

    [after] = await executions.claim(svc, admin, w1.id, None, 10)
    assert after.job.name == "after"
    async with svc.read() as session:
        template = await session.scalar(
            select(Job.id).where(Job.workflow_id == wf.id, Job.name == "each")
        )
        rows = await session.execute(
            select(Event.type, Event.organization_id, Event.payload, Event.span).where(
                Event.type == "job.status_changed"
            )
        )
        ended = [p for row in rows for p in payloads(tuple(row))]
    template_ends = [e for e in ended if e["jobId"] == str(template) and e["status"] == "SUCCEEDED"]
    assert len(template_ends) == 1  # the template ended once


async def test_the_last_two_jobs_ending_at_once_end_their_workflow(pg_runtime, monkeypatch) -> None:
    """Each acknowledgement, holding the workflow's lock in turn, asks whether any job
    is still live. Asked in the statement that waited for the lock, the second saw the
    first's job as it was before the wait (live), and the workflow stayed RUNNING."""
    svc = pg_runtime.services
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    definition = {"name": "two", "jobs": [{"name": n, "job_type": "t"} for n in "ab"]}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    w1, w2 = await register_workers(svc, admin, org.queue.id)
    first = await executions.claim(svc, admin, w1.id, None, 1)
    second = await executions.claim(svc, admin, w2.id, None, 1)

    meet_before(monkeypatch, "refresh_workflows", 2)
    await acknowledge_at_once(svc, admin, first + second)

    assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "SUCCEEDED"


async def test_an_acknowledgement_that_deadlocks_with_a_cancel_runs_again(
    pg_runtime, monkeypatch
) -> None:
    """A cancel holds the workflow and waits for its running jobs; an acknowledgement
    holds its job and waits for the workflow. PostgreSQL aborts one of them (here the
    acknowledgement, which waited first): the use case runs again, and the job, which
    the cancel then ended, is reported as no longer running instead of an error."""
    svc = pg_runtime.services
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    definition = {"name": "one", "jobs": [{"name": "a", "job_type": "t"}]}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    [worker] = await register_workers(svc, admin, org.queue.id, 1)
    [claim] = await executions.claim(svc, admin, worker.id, None, 1)
    attempts = 0
    succeed_current = executions_repo.succeed_current

    async def counted(*args: Any) -> Any:
        nonlocal attempts
        attempts += 1
        return await succeed_current(*args)

    monkeypatch.setattr(executions_repo, "succeed_current", counted)
    cancel = await asyncpg.connect(pg_runtime.settings.database_url.replace("+asyncpg", ""))
    try:
        tx = cancel.transaction()
        await tx.start()
        await cancel.execute("SELECT 1 FROM workflows WHERE id = $1 FOR UPDATE", wf.id)
        ack = asyncio.create_task(executions.complete(svc, admin, [(claim.execution_id, None)]))
        # until the acknowledgement, holding its job, waits for the workflow
        while not await cancel.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ):
            assert not ack.done()
            await asyncio.sleep(0.01)
        await cancel.execute(
            "UPDATE jobs SET status = 'CANCELLED', finished_at = now() WHERE id = $1",
            claim.job.id,
        )
        await cancel.execute(
            "UPDATE job_executions SET status = 'CANCELLED' WHERE id = $1", claim.execution_id
        )
        await tx.commit()
        [result] = await asyncio.wait_for(ack, 10)
    finally:
        await cancel.close()
    assert attempts == 2
    assert result.error is not None and result.error.code == "CONFLICT"
    job = await jobs.get(svc, admin, claim.job.id)
    assert job.status.value == "CANCELLED"


async def test_random_workflows_drained_by_eight_concurrent_workers_all_succeed(
    pg_runtime,
) -> None:
    """Three random DAGs of 60 jobs, drained by 8 workers claiming and acknowledging at
    once: every job runs exactly once, never before its parents succeeded, and every
    workflow succeeds (no child left WAITING, no acknowledgement lost to a deadlock).
    (The jobs' own timestamps cannot show the order: each use case reads the clock when
    it begins, and a claim that began first may still take a child released since.)"""
    svc = pg_runtime.services
    org = await new_org(svc, "Busy", Tier.ENTERPRISE)
    admin = admin_of(org)
    rng = random.Random(7)
    flows = []
    for w in range(3):
        spec: list[dict[str, Any]] = []
        for i in range(60):
            earlier = [f"j{k}" for k in range(i)]
            parents = rng.sample(earlier, min(len(earlier), rng.choice([0, 1, 2, 3, 8])))
            # a fifth of the edges PARALLEL: claims then decide edges and lock children too
            kinds = ["PARALLEL" if rng.random() < 0.2 else "SEQUENTIAL" for _ in parents]
            edges = [{"job": p, "type": k} for p, k in zip(parents, kinds, strict=True)]
            spec.append({"name": f"j{i}", "job_type": "t", "dependencies": edges})
        definition = {"name": f"random-{w}", "jobs": spec}
        flows.append(await workflows.create(svc, admin, org.project.id, definition, start=True))
    runs: Counter[Any] = Counter()
    unfinished_parents: list[int] = []

    async def parents_not_succeeded(job_ids: list[Any]) -> int:
        """Read after the claim returned: a parent's acknowledgement (its claim, for a
        PARALLEL edge) commits before its child can be claimed, so by now every parent
        of a claimed job has SUCCEEDED (or started, for a PARALLEL edge)."""
        parallel = JobDependency.dependency_type == "PARALLEL"
        async with svc.read() as session:
            n = await session.scalar(
                select(func.count())
                .select_from(JobDependency)
                .join(Parent, Parent.id == JobDependency.parent_job_id)
                .where(
                    JobDependency.child_job_id.in_(job_ids),
                    or_(
                        and_(~parallel, Parent.status != "SUCCEEDED"),
                        and_(parallel, Parent.status.not_in(["PROCESSING", "SUCCEEDED"])),
                    ),
                )
            )
        return int(n or 0)

    async def worker(me: Any) -> None:
        idle = 0
        while idle < 20:
            got = await executions.claim(svc, admin, me.id, None, 5)
            if not got:
                idle += 1
                await asyncio.sleep(0.02)
                continue
            idle = 0
            runs.update(c.job.id for c in got)
            unfinished_parents.append(await parents_not_succeeded([c.job.id for c in got]))
            acks = await executions.complete(svc, admin, [(c.execution_id, None) for c in got])
            assert all(a.error is None for a in acks)

    drainers = await register_workers(svc, admin, org.queue.id, 8)
    await asyncio.wait_for(asyncio.gather(*(worker(w) for w in drainers)), 120)

    assert len(runs) == 180 and max(runs.values()) == 1
    for wf in flows:
        assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "SUCCEEDED"
    assert sum(unfinished_parents) == 0


async def test_a_dependency_created_while_its_parent_is_acknowledged_is_decided(
    pg_runtime, monkeypatch
) -> None:
    """createDependency(parent -> child) reads the running parent; the parent's
    acknowledgement runs meanwhile. Unless the two serialize on the parent, the
    acknowledgement cannot see the uncommitted edge, the edge is created PENDING after
    the parent ended, and the child waits for good."""
    svc = pg_runtime.services
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    parent, child = await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 2
    )
    [worker] = await register_workers(svc, admin, org.queue.id, 1)
    [running] = await executions.claim(svc, admin, worker.id, None, 1)
    assert running.job.id == parent.id
    acked: list[asyncio.Task[Any]] = []
    check = dependencies._check_acyclic_and_bounded

    async def meanwhile(*args: Any) -> Any:  # the parent is read; the edge not yet written
        acked.append(
            asyncio.create_task(executions.complete(svc, admin, [(running.execution_id, None)]))
        )
        await asyncio.wait(acked, timeout=0.5)  # done, or waiting for this transaction
        return await check(*args)

    monkeypatch.setattr(dependencies, "_check_acyclic_and_bounded", meanwhile)
    await dependencies.create(svc, admin, parent.id, child.id)
    await asyncio.wait_for(acked[0], 10)

    job = await jobs.get(svc, admin, child.id)
    assert (job.status.value, job.dependency_status.value) == ("PENDING", "SATISFIED")


async def test_a_parent_deleted_while_the_other_is_acknowledged_releases_the_child(
    pg_runtime, monkeypatch
) -> None:
    """Parents a and b of one child: a's acknowledgement has read the child's edges (b's
    still there) and not committed when b is deleted. Unless deleteJob waits for the
    child like the engine does, it reads a's edge as PENDING, and both leave the child
    WAITING on edges that are all resolved or gone."""
    svc = pg_runtime.services
    org, admin, a, b, child = await two_parents_one_child(svc)
    [worker] = await register_workers(svc, admin, org.queue.id, 1)
    [running] = await executions.claim(svc, admin, worker.id, None, 1)
    assert running.job.id == a.id
    deleted: list[asyncio.Task[Any]] = []
    refresh = resolution.refresh_workflows

    async def meanwhile(*args: Any) -> Any:  # a's engine has read the child's edges
        if not deleted:
            deleted.append(asyncio.create_task(jobs.delete(svc, admin, b.id)))
            await asyncio.wait(deleted, timeout=0.5)  # done, or waiting for this one
        return await refresh(*args)

    monkeypatch.setattr(resolution, "refresh_workflows", meanwhile)
    await executions.complete(svc, admin, [(running.execution_id, None)])
    await asyncio.wait_for(deleted[0], 10)

    job = await jobs.get(svc, admin, child.id)
    assert (job.status.value, job.dependency_status.value) == ("PENDING", "SATISFIED")


async def test_a_decision_locks_its_children_then_the_workflows_to_refresh(
    pg_runtime, pg_database
) -> None:
    """The statement deciding a batch's edges holds their children and the workflows the
    engine refreshes next (the refresh reads without a locking round trip of its own):
    another transaction can take neither until it ends."""
    svc = pg_runtime.services
    org = await new_org(svc, "Locks", Tier.ENTERPRISE)
    admin = admin_of(org)
    definition = {
        "name": "pair",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    ids = {j.name: j.id for j in await workflow_reads.jobs_of(svc, admin, [wf.id])}
    other = await asyncpg.connect(pg_database.replace("+asyncpg", ""))

    async def taken(table: str, row: Any) -> bool:
        try:
            async with other.transaction():
                await other.execute(f"SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE NOWAIT", row)
        except asyncpg.LockNotAvailableError:
            return True
        return False

    class Undo(Exception):
        pass

    try:
        with contextlib.suppress(Undo):
            async with svc.write() as session:
                moved = [(ids["a"], JobStatus.SUCCEEDED)]
                children, _ = await deps.decide(session, moved, svc.clock(), {wf.id})
                assert children == {ids["b"]}
                assert await taken("jobs", ids["b"]) and await taken("workflows", wf.id)
                raise Undo
        assert not await taken("workflows", wf.id)
    finally:
        await other.close()


@pytest.mark.parametrize("in_workflow", [True, False])
async def test_two_parents_of_a_one_success_join_succeeding_at_once_release_it_once(
    pg_runtime, monkeypatch, in_workflow
) -> None:
    """ONE_SUCCESS releases its join on the first success. Two parents succeeding in
    two transactions at once each decide their own edge; the second to lock the join
    then finds it released already: one release, one run, whatever the interleaving.
    In a workflow the workflow's lock serializes them too; standalone jobs (the rule set
    in the table: the API sets it in definitions) rely on the join's lock alone."""
    svc = pg_runtime.services
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    w1, w2 = await register_workers(svc, admin, org.queue.id)
    join_after = {"depends_on": ["a", "b"], "trigger_rule": "ONE_SUCCESS"}
    definition = {
        "name": "one-success",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t"},
            {"name": "join", "job_type": "t", **join_after},
        ],
    }
    for _ in range(4):
        if in_workflow:
            wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
            async with svc.read() as session:
                join_id = await session.scalar(
                    select(Job.id).where(Job.workflow_id == wf.id, Job.name == "join")
                )
        else:
            _, _, _, _, child = await two_parents_one_child(svc, org)
            join_id = child.id
            async with svc.write() as session:
                await session.execute(
                    update(Job).where(Job.id == join_id).values(trigger_rule="ONE_SUCCESS")
                )
        first = await executions.claim(svc, admin, w1.id, None, 1)
        second = await executions.claim(svc, admin, w2.id, None, 1)
        assert len(first + second) == 2 and join_id not in {c.job.id for c in first + second}

        meet_before(monkeypatch, "aggregate", 2)
        await acknowledge_at_once(svc, admin, first + second)

        join = await jobs.get(svc, admin, join_id)
        async with svc.read() as session:
            released = await stored_events(session, Event.type == "jobs.released")
        assert (join.status.value, join.dependency_status.value) == ("PENDING", "SATISFIED")
        assert sum(e["payload"]["jobIds"].count(str(join_id)) for e in released) == 1
        claimed = await executions.claim(svc, admin, w1.id, None, 10)
        assert [c.job.id for c in claimed] == [join_id]
        await executions.complete(svc, admin, [(claimed[0].execution_id, None)])
        assert await executions.claim(svc, admin, w2.id, None, 10) == []
        if in_workflow:
            assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "SUCCEEDED"
