"""SQLite dependencies: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.dependencies import (
    RELEASED_WHEN_ALL_RESOLVED,
    SKIPPED_BY_OPERATOR,
    EdgeRule,
    evaluate_edge,
    mapped_edge,
)
from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    FailurePolicy,
    JobStatus,
)
from taskforge.domain.rows import PendingEdge, Released
from taskforge.domain.transitions import NOT_STARTED
from taskforge.persistence.common.dependencies import ENGINE_COLUMNS
from taskforge.persistence.tables import Job, JobDependency, Workflow

JOBS: Table = Job.__table__  # type: ignore[assignment]


EDGES: Table = JobDependency.__table__  # type: ignore[assignment]
WORKFLOWS: Table = Workflow.__table__  # type: ignore[assignment]
# the probes of a template's children, one per (status, skipped by the operator or not:
# None where the reason does not matter), each deciding one state of their implied edges
_MAPPED_PROBES: tuple[tuple[JobStatus, bool | None], ...] = tuple(
    (status, operator)
    for status in JobStatus
    for operator in ((False, True) if status is JobStatus.SKIPPED else (None,))
)


async def insert_edges(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    await session.execute(insert(EDGES), rows)
    return


async def pending_out(session: AsyncSession, parent_ids: Sequence[uuid.UUID]) -> list[PendingEdge]:
    if not parent_ids:
        return []
    stmt = select(
        EDGES.c.id,
        EDGES.c.parent_job_id,
        EDGES.c.child_job_id,
        EDGES.c.dependency_type,
        EDGES.c.condition,
        EDGES.c.expression,
    ).where(EDGES.c.parent_job_id.in_(parent_ids), EDGES.c.status == EdgeStatus.PENDING)
    return [PendingEdge(*r) for r in await session.execute(stmt)]


async def decide(
    session: AsyncSession,
    parents: Sequence[tuple[uuid.UUID, JobStatus]],
    now: datetime,
    workflows: Iterable[uuid.UUID] = (),  # one write transaction at a time: no lock
    mapped: Iterable[uuid.UUID] = (),
) -> tuple[set[uuid.UUID], list[PendingEdge]]:
    status_of = dict(parents)
    decided: dict[tuple[EdgeStatus, JobStatus], list[uuid.UUID]] = defaultdict(list)
    children: set[uuid.UUID] = set()
    rest: list[PendingEdge] = []
    for edge in await pending_out(session, list(status_of)):
        if edge.expression is not None:
            rest.append(edge)
            continue
        parent_status = status_of[edge.parent_job_id]
        outcome = evaluate_edge(EdgeRule(edge.dependency_type, edge.condition), parent_status)
        if outcome is not EdgeStatus.PENDING:
            decided[(outcome, parent_status)].append(edge.id)
            children.add(edge.child_job_id)
    for (outcome, parent_status), ids in decided.items():
        await set_status(session, ids, outcome, now, f"parent:{parent_status.value}")
    # a mapped child that ended decides its template (its edge into it is implied)
    if maybe := list(mapped):
        stmt = select(JOBS.c.map_parent_id).where(
            JOBS.c.id.in_(maybe), JOBS.c.map_parent_id.is_not(None)
        )
        children |= set(await session.scalars(stmt))
    return children, rest


async def set_status(
    session: AsyncSession,
    edge_ids: Sequence[uuid.UUID],
    status: EdgeStatus,
    now: datetime,
    by: str,
) -> None:
    if not edge_ids:
        return
    await session.execute(
        update(EDGES)
        .where(EDGES.c.id.in_(edge_ids), EDGES.c.status == EdgeStatus.PENDING)
        .values(status=status, resolved_at=now, resolved_by=by)
    )


async def lock_children(session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
    return None  # one write transaction at a time: nothing to serialize


async def children_state(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any]]:
    ids = list(child_ids)
    if not ids:
        return {}, []
    probes = [
        exists()
        .where(EDGES.c.child_job_id == JOBS.c.id, EDGES.c.status == status)
        .label(status.value)
        for status in EdgeStatus
    ]
    found = await session.execute(select(JOBS.c.id, *probes).where(JOBS.c.id.in_(ids)))
    present = {r.id: {s for s in EdgeStatus if r._mapping[s.value]} for r in found}
    rows = list(
        await session.execute(select(*ENGINE_COLUMNS, JOBS.c.map_count).where(JOBS.c.id.in_(ids)))
    )
    if templates := [r.id for r in rows if r.map_count is not None]:
        for template, statuses in (await _mapped_present(session, templates)).items():
            present[template] = present.get(template, set()) | statuses
    return present, rows


def _mapped_probe(status: JobStatus, operator: bool | None) -> Any:
    child = JOBS.alias("child")
    where = [child.c.map_parent_id == JOBS.c.id, child.c.status == status]
    if operator is not None:
        skipped = child.c.status_reason == SKIPPED_BY_OPERATOR
        where.append(skipped if operator else or_(child.c.status_reason.is_(None), ~skipped))
    return exists().where(and_(*where))


async def _mapped_present(
    session: AsyncSession, template_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[EdgeStatus]]:
    """The states of these expanded templates' children's implied edges (a probe of
    idx_jobs_map_children per child status)."""
    probes = [
        _mapped_probe(status, operator).label(f"p{i}")
        for i, (status, operator) in enumerate(_MAPPED_PROBES)
    ]
    stmt = (
        select(JOBS.c.id, WORKFLOWS.c.failure_policy, *probes)
        .select_from(JOBS.outerjoin(WORKFLOWS, WORKFLOWS.c.id == JOBS.c.workflow_id))
        .where(JOBS.c.id.in_(template_ids))
    )
    out: dict[uuid.UUID, set[EdgeStatus]] = {}
    for r in await session.execute(stmt):
        held = r.failure_policy == FailurePolicy.MANUAL  # a failure waits for the operator
        out[r.id] = {
            mapped_edge(status, SKIPPED_BY_OPERATOR if operator else None, held)
            for i, (status, operator) in enumerate(_MAPPED_PROBES)
            if r._mapping[f"p{i}"]
        }
    return out


async def decide_children(
    session: AsyncSession, child_ids: Iterable[uuid.UUID], now: datetime
) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any], list[Released]]:
    present, rows = await children_state(session, child_ids)
    # every incoming edge RESOLVED, and a rule that then releases: SATISFIED here,
    # reported only in the released groups
    done = {
        r.id
        for r in rows
        if present.get(r.id) == {EdgeStatus.RESOLVED}
        and r.trigger_rule in RELEASED_WHEN_ALL_RESOLVED
    }
    changed = [
        r for r in rows if r.id in done and r.dependency_status is not DependencyStatus.SATISFIED
    ]
    await set_dependency_status(session, [r.id for r in changed], DependencyStatus.SATISFIED, now)
    groups: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID | None, bool], list[uuid.UUID]]
    groups = defaultdict(list)
    for r in changed:
        if r.status in NOT_STARTED:
            due = r.status is JobStatus.PENDING
            groups[(r.organization_id, r.project_id, r.queue_id, r.workflow_id, due)].append(r.id)
    released = [Released(*key[:4], ids, due=key[4]) for key, ids in groups.items()]
    rest = [r for r in rows if r.id not in done]
    return {r.id: present[r.id] for r in rest if r.id in present}, rest, released


async def set_dependency_status(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], status: DependencyStatus, now: datetime
) -> None:
    if not job_ids:
        return
    await session.execute(
        update(JOBS).where(JOBS.c.id.in_(job_ids)).values(dependency_status=status, updated_at=now)
    )
