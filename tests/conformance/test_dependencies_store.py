"""The dependency operations of the store, specified once and checked on every store:
the same decisions, rows changed and errors on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from taskforge.domain.dependencies import child_outcome
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    JobStatus,
    TriggerRule,
)
from taskforge.domain.rows import PendingEdge
from taskforge.persistence.common import dependencies as deps
from taskforge.persistence.common import graph
from taskforge.persistence.tables import Job, JobDependency
from taskforge.services import jobs as job_service
from taskforge.services import workflows
from tests.conftest import admin_of

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def _jobs(svc: Any, org: Any, n: int) -> list[uuid.UUID]:
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    return [j.id for j in await job_service.enqueue(svc, admin_of(org), [spec] * n)]


def _edge(
    org: Any,
    parent: uuid.UUID,
    child: uuid.UUID,
    condition: DependencyCondition = DependencyCondition.SUCCEEDED,
    expression: str | None = None,
    status: EdgeStatus = EdgeStatus.PENDING,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "organization_id": org.organization.id,
        "parent_job_id": parent,
        "child_job_id": child,
        "dependency_type": DependencyType.SEQUENTIAL,
        "condition": condition,
        "expression": expression,
        "status": status,
        "created_at": NOW,
    }


async def _edges(svc: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[EdgeStatus, str | None]]:
    async with svc.read() as session:
        rows = await session.execute(
            select(JobDependency.id, JobDependency.status, JobDependency.resolved_by).where(
                JobDependency.id.in_(ids)
            )
        )
        return {i: (EdgeStatus(s), by) for i, s, by in rows}


async def test_decide_decides_by_status_and_leaves_expressions(svc: Any, org: Any) -> None:
    p, c1, c2, c3 = await _jobs(svc, org, 4)
    on_success = _edge(org, p, c1)
    on_failure = _edge(org, p, c2, DependencyCondition.FAILED)
    with_expression = _edge(org, p, c3, expression="output.ok == true")
    async with svc.write() as session:
        await deps.insert_edges(session, [on_success, on_failure, with_expression])
        pending = await deps.pending_out(session, [p])
        children, rest = await deps.decide(session, [(p, JobStatus.SUCCEEDED)], NOW)
    assert {e.id for e in pending} == {on_success["id"], on_failure["id"], with_expression["id"]}
    assert all(type(e) is PendingEdge for e in pending + rest)
    assert children == {c1, c2}
    assert rest == [
        PendingEdge(
            with_expression["id"],
            p,
            c3,
            DependencyType.SEQUENTIAL,
            DependencyCondition.SUCCEEDED,
            "output.ok == true",
        )
    ]
    edges = await _edges(svc, [on_success["id"], on_failure["id"], with_expression["id"]])
    assert edges == {
        on_success["id"]: (EdgeStatus.RESOLVED, "parent:SUCCEEDED"),
        on_failure["id"]: (EdgeStatus.CANCELLED, "parent:SUCCEEDED"),
        with_expression["id"]: (EdgeStatus.PENDING, None),
    }


async def test_set_status_changes_only_pending_edges(svc: Any, org: Any) -> None:
    p, c1, c2 = await _jobs(svc, org, 3)
    pending = _edge(org, p, c1)
    decided = _edge(org, p, c2, status=EdgeStatus.FAILED)
    async with svc.write() as session:
        await deps.insert_edges(session, [pending, decided])
        await deps.set_status(
            session, [pending["id"], decided["id"]], EdgeStatus.RESOLVED, NOW, "x"
        )
    assert await _edges(svc, [pending["id"], decided["id"]]) == {
        pending["id"]: (EdgeStatus.RESOLVED, "x"),
        decided["id"]: (EdgeStatus.FAILED, None),
    }


async def test_a_second_edge_between_two_jobs_is_a_unique_violation(svc: Any, org: Any) -> None:
    p, c = await _jobs(svc, org, 2)
    with pytest.raises(IntegrityError):
        async with svc.write() as session:
            await deps.insert_edges(session, [_edge(org, p, c), _edge(org, p, c)])


async def test_decide_children_releases_children_with_every_edge_resolved(
    svc: Any, org: Any
) -> None:
    p1, p2, ready, waiting, failed = await _jobs(svc, org, 5)
    async with svc.write() as session:
        await deps.insert_edges(
            session,
            [
                _edge(org, p1, ready, status=EdgeStatus.RESOLVED),
                _edge(org, p2, ready, status=EdgeStatus.RESOLVED),
                _edge(org, p1, waiting, status=EdgeStatus.RESOLVED),
                _edge(org, p2, waiting),
                _edge(org, p1, failed, status=EdgeStatus.FAILED),
            ],
        )
        await deps.lock_children(session, sorted([ready, waiting, failed]))
        present, rows, released = await deps.decide_children(session, [ready, waiting, failed], NOW)
    assert [(g.key, g.ids) for g in released] == [
        ((org.organization.id, org.project.id, org.queue.id, None), [ready])
    ]
    assert {r.id for r in rows} == {waiting, failed}
    assert EdgeStatus.PENDING in present[waiting]
    assert EdgeStatus.FAILED in present[failed]
    async with svc.read() as session:
        status = await session.scalar(select(Job.dependency_status).where(Job.id == ready))
    assert status is DependencyStatus.SATISFIED
    # released once: already SATISFIED, it is neither listed again nor returned
    async with svc.write() as session:
        _, rows, released = await deps.decide_children(session, [ready], NOW)
    assert (rows, released) == ([], [])


async def test_decide_children_lists_a_released_scheduled_child_as_not_due(
    svc: Any, org: Any
) -> None:
    """A child moved to a later start (SCHEDULED) is released all the same, in a group
    of its own that wakes no worker; one that has ended is not listed."""
    p, pending, scheduled, ended = await _jobs(svc, org, 4)
    async with svc.write() as session:
        await session.execute(
            update(Job).where(Job.id == scheduled).values(status=JobStatus.SCHEDULED)
        )
        await session.execute(update(Job).where(Job.id == ended).values(status=JobStatus.FAILED))
        await deps.insert_edges(
            session,
            [_edge(org, p, c, status=EdgeStatus.RESOLVED) for c in (pending, scheduled, ended)],
        )
        children = sorted([pending, scheduled, ended])
        await deps.lock_children(session, children)
        _, rows, released = await deps.decide_children(session, children, NOW)
    key = (org.organization.id, org.project.id, org.queue.id, None)
    assert sorted((g.key, g.ids, g.due) for g in released) == sorted(
        [(key, [pending], True), (key, [scheduled], False)]
    )
    assert rows == []


async def test_decide_children_reads_each_childs_rule_with_its_row(svc: Any, org: Any) -> None:
    """A rule other than ALL_SUCCESS gets every edge status present (ONE_SUCCESS: the
    RESOLVED above a FAILED); every edge RESOLVED releases a child only when its rule
    says so (ALL_FAILED: never); ALL_SUCCESS keeps its deciding statuses."""
    p1, p2, p3, one, all_failed, all_done, plain = await _jobs(svc, org, 7)
    R, F, X = EdgeStatus.RESOLVED, EdgeStatus.FAILED, EdgeStatus.CANCELLED
    edges = [
        _edge(org, p1, one, status=R),
        _edge(org, p2, one, status=F),
        _edge(org, p3, one),
        _edge(org, p1, all_failed, status=R),
        _edge(org, p2, all_failed, status=R),
        _edge(org, p1, all_done, status=R),
        _edge(org, p2, all_done, status=R),
        _edge(org, p1, plain, status=X),
        _edge(org, p2, plain, status=F),
    ]
    rules = {
        one: TriggerRule.ONE_SUCCESS,
        all_failed: TriggerRule.ALL_FAILED,
        all_done: TriggerRule.ALL_DONE,
    }
    children = [one, all_failed, all_done, plain]
    async with svc.write() as session:
        for child, rule in rules.items():
            await session.execute(update(Job).where(Job.id == child).values(trigger_rule=rule))
        await deps.insert_edges(session, edges)
        await deps.lock_children(session, sorted(children))
        present, rows, released = await deps.decide_children(session, children, NOW)
    assert [g.ids for g in released] == [[all_done]]
    assert {r.id: r.trigger_rule for r in rows} == {
        one: TriggerRule.ONE_SUCCESS,
        all_failed: TriggerRule.ALL_FAILED,
        plain: TriggerRule.ALL_SUCCESS,
    }
    assert present[one] == {R, F, EdgeStatus.PENDING}
    assert present[all_failed] == {R}
    assert F in present[plain]
    outcomes = {r.id: child_outcome(present[r.id], r.trigger_rule) for r in rows}
    assert outcomes == {
        one: (DependencyStatus.SATISFIED, None, None),
        all_failed: (DependencyStatus.FAILED, JobStatus.SKIPPED, "trigger_rule_not_met"),
        plain: (DependencyStatus.FAILED, JobStatus.CANCELLED, "dependency_failed"),
    }


async def test_not_started_in_workflow(svc: Any, org: Any) -> None:
    definition = {
        "name": "w",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"], "trigger_rule": "ALL_DONE"},
        ],
    }
    wf = await workflows.create(svc, admin_of(org), org.project.id, definition, start=True)
    async with svc.read() as session:
        rows = await deps.not_started_in_workflow(session, wf.id)
        other = await deps.not_started_in_workflow(session, uuid.uuid4())
    got = {(r.trigger_rule, r.dependency_status) for r in rows}
    assert got == {
        (TriggerRule.ALL_SUCCESS, DependencyStatus.NONE),
        (TriggerRule.ALL_DONE, DependencyStatus.WAITING),
    }
    assert other == []


async def test_set_dependency_status(svc: Any, org: Any) -> None:
    a, b = await _jobs(svc, org, 2)
    async with svc.write() as session:
        await deps.set_dependency_status(session, [a], DependencyStatus.WAITING, NOW)
    async with svc.read() as session:
        got = {i: s for i, s in await session.execute(select(Job.id, Job.dependency_status))}
    assert got[a] is DependencyStatus.WAITING
    assert got[b] is not DependencyStatus.WAITING


async def test_graph_steps_have_one_shape(svc: Any, org: Any) -> None:
    p, c = await _jobs(svc, org, 2)
    edge = _edge(org, p, c)
    async with svc.write() as session:
        await deps.insert_edges(session, [edge])
    async with svc.read() as session:
        # ids go in and come out as text, the form a graph is keyed and sent by
        down = await graph.graph_step(session, org.organization.id, [str(p)], upstream=False)
        up = await graph.graph_step(session, org.organization.id, [str(c)], upstream=True)
        other = await graph.graph_step(session, uuid.uuid4(), [str(p)], upstream=False)
    assert down == up
    assert [tuple(e) for e in down] == [
        (str(edge["id"]), str(p), str(c), "SEQUENTIAL", "SUCCEEDED", "PENDING")
    ]
    assert other == []
