"""Dependency edges between jobs: create, delete, check, and graph walks.

Validation reads only the graph reachable from the new edge's ends (bounded by the
size and depth limits), never all jobs.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import dag, records
from taskforge.domain.dependencies import child_outcome, evaluate_edge, validate_edge
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    TriggerRule,
)
from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.domain.events import DependencyCreated, DependencyDeleted
from taskforge.persistence.common import dependencies as repo
from taskforge.persistence.common import graph as graph_repo
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.tables import Job, JobDependency
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.job_events import record
from taskforge.services.resolution import NOT_STARTED, READY, reaggregate, rule_of

READ, WRITE = "job_dependency:read", "job_dependency:write"


class Direction(StrEnum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


@dataclass(frozen=True)
class Check:
    can_execute: bool
    total: int
    resolved: int
    pending: int
    failed: int
    dependency_status: DependencyStatus
    trigger_rule: TriggerRule


@dataclass(frozen=True)
class Subgraph:
    root: uuid.UUID
    jobs: list[records.GraphJob]
    edges: list[records.GraphEdge]


@retried
async def create(
    svc: Services,
    principal: Principal,
    parent_id: uuid.UUID,
    child_id: uuid.UUID,
    type_: DependencyType = DependencyType.SEQUENTIAL,
    condition: DependencyCondition = DependencyCondition.SUCCEEDED,
    expression: str | None = None,
) -> records.Edge:
    principal.require(WRITE)
    validate_edge(type_, condition, expression)
    if parent_id == child_id:
        raise InvalidInput("a job cannot depend on itself", field="childJobId")
    org, now, limits = principal.organization_id, svc.clock(), svc.settings.limits
    async with svc.write() as session:
        # both locked (in id order): the parent's status decides the new edge, and an
        # acknowledgement of the parent racing this would not see the uncommitted edge
        locked = {i: await jobs_repo.lock(session, org, i) for i in sorted((parent_id, child_id))}
        parent = found(locked[parent_id], "job", parent_id)
        child = found(locked[child_id], "job", child_id)
        if child.status not in NOT_STARTED:
            raise Conflict(
                f"job {child_id} has already started ({child.status.value}); only jobs that"
                " have not started can get dependencies",
                jobStatus=child.status.value,
            )
        if parent.workflow_id != child.workflow_id:
            raise InvalidInput("both jobs must belong to the same workflow (or to none)")
        if await repo.find(session, parent_id, child_id) is not None or (
            parent.map_parent_id == child_id  # a mapped child's implied edge
        ):
            raise Conflict(f"job {child_id} already depends on job {parent_id}")
        await _check_acyclic_and_bounded(
            session, org, parent, child, limits.workflow_jobs, limits.dependency_depth
        )
        edge = JobDependency(
            organization_id=org,
            parent_job_id=parent_id,
            child_job_id=child_id,
            dependency_type=type_,
            condition=condition,
            expression=expression,
            status=EdgeStatus.PENDING,
            created_at=now,
        )
        session.add(edge)
        await session.flush()
        # the parent may already have decided it (e.g. it has ended)
        decided = evaluate_edge(rule_of(edge), parent.status, parent.output)
        if decided is not EdgeStatus.PENDING:
            await repo.set_status(session, [edge.id], decided, now, f"parent:{parent.status}")
        events = await reaggregate(session, [child_id], now)
        events.append(edge_event(edge, DependencyCreated))
        await record(session, events)
        await session.refresh(edge)
    return records.Edge.of(edge)


@retried
async def delete(svc: Services, principal: Principal, edge_id: uuid.UUID) -> uuid.UUID:
    """Remove an edge; a child waiting only on it becomes claimable."""
    principal.require(WRITE)
    org, now = principal.organization_id, svc.clock()
    async with svc.write() as session:
        edge = found(await repo.get(session, org, edge_id), "dependency", edge_id)
        await repo.delete_edge(session, edge_id)
        events = await reaggregate(session, [edge.child_job_id], now)
        events.append(edge_event(edge, DependencyDeleted))
        await record(session, events)
    return edge_id


async def check(svc: Services, principal: Principal, job_id: uuid.UUID) -> Check:
    principal.require(READ)
    org = principal.organization_id
    async with svc.read() as session:
        job = found(await jobs_repo.get(session, org, job_id), "job", job_id)
        counts = (await repo.incoming_counts(session, [job_id]))[job_id]
    total = sum(counts.values())
    pending = counts.get(EdgeStatus.PENDING, 0)
    resolved = counts.get(EdgeStatus.RESOLVED, 0)
    # the job's rule reads the edges: ONE_SUCCESS may run with edges still pending
    ready, _, _ = child_outcome((s for s, n in counts.items() if n), job.trigger_rule)
    return Check(
        can_execute=job.status in NOT_STARTED and ready in READY and job.dependency_status in READY,
        total=total,
        resolved=resolved,
        pending=pending,
        failed=total - pending - resolved,
        dependency_status=job.dependency_status,
        trigger_rule=job.trigger_rule,
    )


async def graph(
    svc: Services,
    principal: Principal,
    job_id: uuid.UUID,
    direction: Direction = Direction.BOTH,
    max_depth: int | None = None,
) -> Subgraph:
    """The jobs and edges within ``max_depth`` steps of a job, one query per level."""
    principal.require(READ)
    org, limit = principal.organization_id, svc.settings.limits.dependency_depth
    depth = limit if max_depth is None else max_depth
    if not 0 <= depth <= limit:
        raise InvalidInput(f"maxDepth must be between 0 and {limit}", field="maxDepth")
    async with svc.read() as session:
        found(await jobs_repo.get(session, org, job_id), "job", job_id)
        start = str(job_id)  # a graph's rows carry their ids as text
        edges: dict[str, Any] = {}
        seen = {start}
        ways = {
            Direction.UPSTREAM: [True],
            Direction.DOWNSTREAM: [False],
            Direction.BOTH: [True, False],
        }[direction]
        for upstream in ways:
            frontier = [start]
            for _ in range(depth):
                if not frontier:
                    break
                step = await graph_repo.graph_step(session, org, frontier, upstream=upstream)
                edges.update((e.id, e) for e in step)
                ends = [e.parent_job_id if upstream else e.child_job_id for e in step]
                frontier = [j for j in dict.fromkeys(ends) if j not in seen]
                seen.update(frontier)
                if len(seen) > svc.settings.limits.workflow_jobs:
                    raise InvalidInput("the graph is larger than the limit; lower maxDepth")
        jobs = await graph_repo.graph_jobs(session, org, list(seen))
    # Every edge a step returns joins two reached jobs (its frontier end, and its other
    # end, which the step adds to ``seen``), so none needs filtering out.
    return Subgraph(job_id, jobs, list(edges.values()))


async def edges_of(
    svc: Services, principal: Principal, job_ids: list[uuid.UUID]
) -> list[records.Edge]:
    """Edges into or out of these jobs (DataLoader source)."""
    principal.require(READ)
    async with svc.read() as session:
        rows = await repo.edges_of_jobs(session, principal.organization_id, job_ids)
    return records.Edge.all(rows)


def edge_event(edge: JobDependency, kind: type[DependencyCreated]) -> DependencyCreated:
    return kind(
        organization_id=edge.organization_id,
        dependency_id=edge.id,
        parent_job_id=edge.parent_job_id,
        child_job_id=edge.child_job_id,
        status=EdgeStatus(edge.status),
    )


async def _reach(
    session: AsyncSession, org: uuid.UUID, start: uuid.UUID, upstream: bool, limit: int
) -> tuple[set[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID]]]:
    """Every job reachable from ``start`` one way, with the edges walked (bounded)."""
    nodes, edges = {start}, []
    frontier = [start]
    while frontier:
        step = await repo.edges_touching(session, org, frontier, upstream=upstream)
        edges += [(e.parent_job_id, e.child_job_id) for e in step]
        ends = [e.parent_job_id if upstream else e.child_job_id for e in step]
        frontier = [j for j in dict.fromkeys(ends) if j not in nodes]
        nodes.update(frontier)
        if len(nodes) > limit:
            raise InvalidInput(f"the dependency graph would exceed {limit} jobs", field="jobs")
    return nodes, edges


async def _check_acyclic_and_bounded(
    session: AsyncSession, org: uuid.UUID, parent: Job, child: Job, max_jobs: int, max_depth: int
) -> None:
    below, down_edges = await _reach(session, org, child.id, upstream=False, limit=max_jobs)
    if parent.id in below:
        path = _path(down_edges, child.id, parent.id)
        names = {j.id: j.name or str(j.id) for j in await jobs_repo.by_ids(session, org, path)}
        cycle = [names[j] for j in [parent.id, *path]]
        raise InvalidInput(
            f"dependency cycle: {' -> '.join(cycle)}", field="childJobId", cycle=cycle
        )
    above, up_edges = await _reach(session, org, parent.id, upstream=True, limit=max_jobs)
    if len(above | below) > max_jobs:
        raise InvalidInput(f"the dependency graph would exceed {max_jobs} jobs", field="jobs")
    levels = len(dag.topological_levels([str(n) for n in above], _str(up_edges))) + len(
        dag.topological_levels([str(n) for n in below], _str(down_edges))
    )
    if levels > max_depth:
        raise InvalidInput(
            f"the dependency graph would be {levels} levels deep (limit {max_depth})",
            field="jobs",
        )


def _str(edges: list[tuple[uuid.UUID, uuid.UUID]]) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in edges]


def _path(
    edges: list[tuple[uuid.UUID, uuid.UUID]], start: uuid.UUID, goal: uuid.UUID
) -> list[uuid.UUID]:
    """A shortest path start -> goal over these edges (BFS), both ends included."""
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for a, b in edges:
        children.setdefault(a, []).append(b)
    came: dict[uuid.UUID, uuid.UUID | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt in children.get(node, []):
            if nxt not in came:
                came[nxt] = node
                queue.append(nxt)
    path: list[uuid.UUID] = []
    at: uuid.UUID | None = goal
    while at is not None:
        path.append(at)
        at = came[at]
    return path[::-1]
