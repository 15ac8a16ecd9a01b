"""Dependency edges between jobs on both backends: creation rules, resolution as the
parents run, PARALLEL starts, checks and graph walks."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from taskforge.domain.dependencies import child_outcome
from taskforge.domain.enums import DependencyCondition, DependencyType, EdgeStatus
from taskforge.domain.errors import Conflict, InvalidInput, NotFound
from taskforge.persistence.common import dependencies as deps_repo
from taskforge.persistence.tables import Event, Job, JobDependency
from taskforge.services import dependencies, executions, jobs
from taskforge.services.dependencies import Direction
from tests.integration.workflow_driver import worker_for


async def make(svc, admin, org, n: int) -> list[Job]:
    return list(
        await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * n)
    )


async def claim_ids(svc, admin, worker, limit=100) -> list:
    return [c for c in await executions.claim(svc, admin, worker, None, limit)]


async def status_of(svc, admin, job_id) -> tuple[str, str, str | None]:
    job = await jobs.get(svc, admin, job_id)
    return job.status.value, job.dependency_status.value, job.status_reason


async def edge_count(svc) -> tuple[int | None, int | None]:
    async with svc.read() as session:
        return (
            await session.scalar(select(func.count()).select_from(JobDependency)),
            await session.scalar(select(func.count()).select_from(Event)),
        )


async def test_child_waits_for_its_parent(svc, org, admin) -> None:
    a, b = await make(svc, admin, org, 2)
    edge = await dependencies.create(svc, admin, a.id, b.id)
    assert edge.status is EdgeStatus.PENDING
    assert await status_of(svc, admin, b.id) == ("PENDING", "WAITING", None)
    w = await worker_for(svc, admin, org.queue.id)
    [first] = await claim_ids(svc, admin, w)
    assert first.job.id == a.id  # b is not claimable
    assert await claim_ids(svc, admin, w) == []
    await executions.complete(svc, admin, [(first.execution_id, None)])
    assert await status_of(svc, admin, b.id) == ("PENDING", "SATISFIED", None)
    [second] = await claim_ids(svc, admin, w)
    assert second.job.id == b.id
    check = await dependencies.check(svc, admin, b.id)
    assert (check.total, check.resolved, check.pending, check.failed) == (1, 1, 0, 0)


async def test_parallel_edge_resolves_when_the_parent_starts(svc, org, admin) -> None:
    a, b = await make(svc, admin, org, 2)
    await dependencies.create(svc, admin, a.id, b.id, DependencyType.PARALLEL)
    w = await worker_for(svc, admin, org.queue.id)
    [first] = await claim_ids(svc, admin, w, limit=1)
    assert first.job.id == a.id
    [second] = await claim_ids(svc, admin, w)  # a is still running
    assert second.job.id == b.id


async def test_failed_parent_cancels_descendants(svc, org, admin) -> None:
    a, b, c = await make(svc, admin, org, 3)
    await dependencies.create(svc, admin, a.id, b.id)
    await dependencies.create(svc, admin, b.id, c.id)
    w = await worker_for(svc, admin, org.queue.id)
    [first] = await claim_ids(svc, admin, w)
    await executions.fail(svc, admin, [(first.execution_id, ("boom", False))])
    for job in (b, c):
        assert await status_of(svc, admin, job.id) == (
            "CANCELLED",
            "FAILED",
            "dependency_failed",
        )
    check = await dependencies.check(svc, admin, b.id)
    assert not check.can_execute and check.failed == 1


async def test_conditional_edge_on_output(svc, org, admin) -> None:
    a, yes, no = await make(svc, admin, org, 3)
    for child, want in ((yes, "valid"), (no, "invalid")):
        await dependencies.create(
            svc,
            admin,
            a.id,
            child.id,
            DependencyType.CONDITIONAL,
            expression=f'output.validation_status == "{want}"',
        )
    w = await worker_for(svc, admin, org.queue.id)
    [first] = await claim_ids(svc, admin, w)
    await executions.complete(svc, admin, [(first.execution_id, {"validation_status": "valid"})])
    assert await status_of(svc, admin, yes.id) == ("PENDING", "SATISFIED", None)
    assert await status_of(svc, admin, no.id) == ("SKIPPED", "FAILED", "branch_not_taken")


async def test_edge_onto_an_ended_parent_is_decided_at_once(svc, org, admin) -> None:
    a, b, c = await make(svc, admin, org, 3)
    w = await worker_for(svc, admin, org.queue.id)
    claimed = await claim_ids(svc, admin, w, limit=1)
    await executions.complete(svc, admin, [(claimed[0].execution_id, None)])
    edge = await dependencies.create(svc, admin, a.id, b.id)
    assert edge.status is EdgeStatus.RESOLVED
    assert await status_of(svc, admin, b.id) == ("PENDING", "SATISFIED", None)
    failed_on = await dependencies.create(
        svc, admin, a.id, c.id, condition=DependencyCondition.FAILED
    )
    assert failed_on.status is EdgeStatus.CANCELLED
    assert await status_of(svc, admin, c.id) == ("SKIPPED", "FAILED", "branch_not_taken")


async def test_deleting_the_only_edge_releases_the_child(svc, org, admin) -> None:
    a, b = await make(svc, admin, org, 2)
    edge = await dependencies.create(svc, admin, a.id, b.id)
    await dependencies.delete(svc, admin, edge.id)
    assert await status_of(svc, admin, b.id) == ("PENDING", "NONE", None)
    with pytest.raises(NotFound):
        await dependencies.delete(svc, admin, edge.id)


async def test_cycle_is_rejected_and_named(svc, org, admin) -> None:
    a, b, c = await make(svc, admin, org, 3)
    await dependencies.create(svc, admin, a.id, b.id)
    await dependencies.create(svc, admin, b.id, c.id)
    before = await edge_count(svc)
    with pytest.raises(InvalidInput) as exc:
        await dependencies.create(svc, admin, c.id, a.id)
    named = " -> ".join(str(j.id) for j in (c, a, b, c))
    assert exc.value.message == f"dependency cycle: {named}"
    assert await edge_count(svc) == before


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("self", InvalidInput),
        ("duplicate", Conflict),
        ("started", Conflict),
        ("unknown", NotFound),
        ("expression", InvalidInput),
    ],
)
async def test_bad_edges_write_nothing(svc, org, admin, case, error) -> None:
    a, b = await make(svc, admin, org, 2)
    await dependencies.create(svc, admin, a.id, b.id)
    c, d = await make(svc, admin, org, 2)
    if case == "started":
        w = await worker_for(svc, admin, org.queue.id)
        await claim_ids(svc, admin, w, limit=10)  # c and d are running
    before = await edge_count(svc)
    args = {
        "self": (c.id, c.id),
        "duplicate": (a.id, b.id),
        "started": (a.id, d.id),
        "unknown": (a.id, org.queue.id),
        "expression": (c.id, d.id),
    }[case]
    kind = DependencyType.CONDITIONAL if case == "expression" else DependencyType.SEQUENTIAL
    expression = "import os" if case == "expression" else None
    with pytest.raises(error):
        await dependencies.create(svc, admin, *args, kind, expression=expression)
    assert await edge_count(svc) == before


async def test_depth_and_size_limits(svc, org, admin) -> None:
    svc.settings.limits.dependency_depth = 3
    a, b, c, d = await make(svc, admin, org, 4)
    await dependencies.create(svc, admin, a.id, b.id)
    await dependencies.create(svc, admin, b.id, c.id)
    with pytest.raises(InvalidInput, match="levels deep"):
        await dependencies.create(svc, admin, c.id, d.id)
    svc.settings.limits.workflow_jobs = 3
    with pytest.raises(InvalidInput, match="exceed 3 jobs"):
        await dependencies.create(svc, admin, d.id, a.id)


async def test_graph_walks_each_direction(svc, org, admin) -> None:
    a, b, c, d = await make(svc, admin, org, 4)
    await dependencies.create(svc, admin, a.id, b.id)
    await dependencies.create(svc, admin, b.id, c.id)
    await dependencies.create(svc, admin, d.id, c.id)

    async def ids(direction, depth=None):
        sub = await dependencies.graph(svc, admin, b.id, direction, depth)
        return {uuid.UUID(j.id) for j in sub.jobs}, len(sub.edges)  # rows carry text ids

    assert await ids(Direction.UPSTREAM) == ({a.id, b.id}, 1)
    assert await ids(Direction.DOWNSTREAM) == ({b.id, c.id}, 1)
    assert await ids(Direction.BOTH) == ({a.id, b.id, c.id}, 2)
    assert await ids(Direction.BOTH, 0) == ({b.id}, 0)
    sub = await dependencies.graph(svc, admin, c.id, Direction.UPSTREAM)
    assert {j.id for j in sub.jobs} == {str(j) for j in (a.id, b.id, c.id, d.id)}
    assert len(sub.edges) == 3
    with pytest.raises(InvalidInput):
        await dependencies.graph(svc, admin, b.id, Direction.BOTH, 10_000)


async def test_the_engine_reads_every_mix_of_edge_statuses_as_its_outcome(svc, org, admin) -> None:
    """A child per subset of edge statuses: the engine's read of its incoming edges
    (on PostgreSQL the deciding statuses only, found in index order) decides it as
    the full set does."""
    subsets = [
        {s for i, s in enumerate(EdgeStatus) if mask >> i & 1}
        for mask in range(2 ** len(EdgeStatus))
    ]
    children = await make(svc, admin, org, len(subsets))
    parents = await make(svc, admin, org, len(EdgeStatus))
    now = dt.datetime.now(dt.UTC)
    async with svc.write() as session:
        for child, statuses in zip(children, subsets, strict=True):
            for parent, status in zip(parents, sorted(statuses), strict=False):
                session.add(
                    JobDependency(
                        id=uuid.uuid4(),
                        organization_id=org.organization.id,
                        parent_job_id=parent.id,
                        child_job_id=child.id,
                        dependency_type=DependencyType.SEQUENTIAL,
                        condition=DependencyCondition.SUCCEEDED,
                        status=status,
                        created_at=now,
                    )
                )
    async with svc.read() as session:
        read, rows = await deps_repo.children_state(session, [c.id for c in children])
    assert {r.id for r in rows} == {c.id for c in children}
    for child, statuses in zip(children, subsets, strict=True):
        assert child_outcome(read.get(child.id, set())) == child_outcome(statuses), statuses
    # the engine's form: what every edge RESOLVED decides is applied at once (PostgreSQL)
    async with svc.write() as session:
        read, rows, released = await deps_repo.decide_children(
            session, [c.id for c in children], now
        )
    satisfied = {i for group in released for i in group.ids}
    assert satisfied.isdisjoint(r.id for r in rows)
    assert satisfied | {r.id for r in rows} == {c.id for c in children}
    for child, statuses in zip(children, subsets, strict=True):
        job = await jobs.get(svc, admin, child.id)
        if child.id in satisfied:
            assert child_outcome(statuses)[0].value == "SATISFIED", statuses
            assert job.dependency_status.value == "SATISFIED"
        else:
            assert child_outcome(read.get(child.id, set())) == child_outcome(statuses), statuses
