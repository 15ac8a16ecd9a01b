"""The dependency resolution engine, run inside the transaction of every job change.

Event-driven and set-based: a batch of jobs that started or ended evaluates only
its own PENDING outgoing edges; the children those edges decide are re-aggregated
from their incoming edges, and children that can no longer run end SKIPPED or
CANCELLED and become the next frontier. Then the workflows touched are re-derived
(failure policies, status). No statement reads more than the jobs in hand, except
the per-workflow status count.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import transitions
from taskforge.domain.dependencies import (
    SPARED_BY_FAIL_FAST,
    TERMINAL,
    EdgeRule,
    child_outcome,
    evaluate_edge,
)
from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    FailurePolicy,
    JobStatus,
    WorkflowStatus,
)
from taskforge.domain.events import Event, WorkflowStats, WorkflowStatusChanged
from taskforge.domain.expressions import Expression, compile_expression
from taskforge.domain.workflows import TERMINAL_WORKFLOW, derive_status, stats
from taskforge.persistence.common import dependencies as deps
from taskforge.persistence.common import workflows as wf_repo
from taskforge.services import run_data, schedule_runs
from taskforge.services.job_events import (
    PARENTS_MOVED,
    WORKFLOW_STATES,
    released_event,
    released_events,
    status_event,
)

NOT_STARTED = (JobStatus.PENDING, JobStatus.SCHEDULED)
READY = (DependencyStatus.NONE, DependencyStatus.SATISFIED)


@lru_cache(maxsize=1024)
def _expression(source: str) -> Expression:
    return compile_expression(source)  # validated when the edge was created


def rule_of(edge: Any) -> EdgeRule:
    expression = _expression(edge.expression) if edge.expression else None
    return EdgeRule(edge.dependency_type, edge.condition, expression)


@dataclass(frozen=True)
class Moved:
    """A job whose status just changed, as the engine needs it."""

    id: uuid.UUID
    status: JobStatus
    workflow_id: uuid.UUID | None = None
    output: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, row: Any, output: Mapping[str, Any] | None = None) -> Moved:
        return cls(row.id, row.status, row.workflow_id, output)


async def after_changes(
    session: AsyncSession, moved: Iterable[Moved], now: datetime
) -> list[Event]:
    """Resolve edges and workflows after jobs moved; returns the events to write."""
    moved = list(moved)
    if not moved:
        return []
    parents_moved: list[uuid.UUID] = session.info.setdefault(PARENTS_MOVED, [])
    seen = len(parents_moved)
    # a start decides PARALLEL edges only; a workflow's status moves when jobs end
    workflow_ids = {m.workflow_id for m in moved if m.workflow_id and m.status in TERMINAL}
    failing = {m.workflow_id for m in moved if m.workflow_id and m.status is JobStatus.FAILED}
    policies = await wf_repo.policies(session, failing) if failing else {}

    def held(m: Moved) -> bool:  # MANUAL: a failure waits for the operator
        return m.status is JobStatus.FAILED and policies.get(m.workflow_id) is FailurePolicy.MANUAL

    # the first decision also locks the workflows to refresh (one round trip less)
    deciding = [m for m in moved if not held(m)]
    locked = frozenset(workflow_ids) if deciding else frozenset()
    events, ended = await settle(session, deciding, now, locked)
    workflow_ids |= {m.workflow_id for m in ended if m.workflow_id is not None}
    # the states read by the refresh of workflows it left as they were are what the
    # events recorded next carry (every caller records them at once): not read again
    unchanged: dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]] = {}
    events += await refresh_workflows(session, workflow_ids, failing, now, locked, unchanged)
    if cancelled := [
        (m.workflow_id, [m.id]) for m in moved if m.status is JobStatus.CANCELLED and m.workflow_id
    ]:
        events += await _cancel_children(session, cancelled, now)
    for moved_since in parents_moved[seen:]:  # by a child run this ended: read again
        unchanged.pop(moved_since, None)
    session.info[WORKFLOW_STATES] = unchanged
    return events


async def settle(
    session: AsyncSession,
    moved: list[Moved],
    now: datetime,
    workflows: frozenset[uuid.UUID] = frozenset(),
) -> tuple[list[Event], list[Moved]]:
    """Decide the edges these jobs' changes can decide, transitively; the first
    decision locks ``workflows`` after its children (for ``refresh_workflows``).

    Returns the events and the jobs the engine itself ended (SKIPPED / CANCELLED).
    """
    events: list[Event] = []
    ended: list[Moved] = []
    frontier = {m.id: m for m in moved}
    while frontier:
        decided: dict[tuple[EdgeStatus, JobStatus], list[uuid.UUID]] = defaultdict(list)
        parents = [(m.id, m.status) for m in frontier.values()]
        # ended jobs of workflows may be mapped children, deciding their templates
        mapped = [m.id for m in frontier.values() if m.workflow_id and m.status in TERMINAL]
        children, rest = await deps.decide(session, parents, now, workflows, mapped)
        workflows = frozenset()  # held from here on
        locked = frozenset(children)  # decide locked them
        for edge in rest:
            parent = frontier[edge.parent_job_id]
            status = evaluate_edge(rule_of(edge), parent.status, parent.output)
            if status is not EdgeStatus.PENDING:
                decided[(status, parent.status)].append(edge.id)
                children.add(edge.child_job_id)
        for (status, parent_status), ids in decided.items():
            await deps.set_status(session, ids, status, now, f"parent:{parent_status.value}")
        if not children:
            break
        child_events, frontier = await aggregate(session, children, now, locked)
        events += child_events
        ended += frontier.values()
    return events, ended


async def aggregate(
    session: AsyncSession,
    children: set[uuid.UUID],
    now: datetime,
    locked: frozenset[uuid.UUID] = frozenset(),
) -> tuple[list[Event], dict[uuid.UUID, Moved]]:
    """Re-aggregate the children's incoming edges; end those that can no longer run.
    ``locked``: those of them this transaction has locked already."""
    if unlocked := children - locked:  # an expression edge's child; a deadlock is retried
        await deps.lock_children(session, sorted(unlocked))
    incoming, found, released = await deps.decide_children(session, children, now)
    events: list[Event] = [
        released_event(*group.key, group.ids, DependencyStatus.SATISFIED)
        for group in released
        if group.due  # a SCHEDULED one wakes no worker
    ]
    # released jobs by workflow, SCHEDULED ones too (claimed later, without passing here
    # again): their payload references resolve, then a workflow job among them starts
    # its child run
    made_ready = [(group.workflow_id, group.ids) for group in released]
    rows = {r.id: r for r in found}
    to_dep: dict[DependencyStatus, list[uuid.UUID]] = defaultdict(list)
    to_end: dict[tuple[JobStatus, str], list[uuid.UUID]] = defaultdict(list)
    for child, row in rows.items():
        dependency, end, reason = child_outcome(incoming.get(child, set()), row.trigger_rule)
        if dependency is not row.dependency_status:
            to_dep[dependency].append(child)
        if end is not None and reason is not None and row.status in NOT_STARTED:
            to_end[(end, reason)].append(child)
    for dependency, ids in to_dep.items():
        await deps.set_dependency_status(session, ids, dependency, now)
        if dependency in READY:  # claimable now (PENDING: wakes workers) or at its start
            ready = [rows[i] for i in ids if rows[i].status is JobStatus.PENDING]
            events += released_events(ready, dependency)
            made_ready += [(rows[i].workflow_id, [i]) for i in ids if rows[i].status in NOT_STARTED]
    frontier: dict[uuid.UUID, Moved] = {}
    for (status, reason), ids in to_end.items():
        changed = await deps.end_not_started(session, ids, status, reason, now)
        await deps.fail_pending_into(session, [r.id for r in changed], now, reason)
        for r in changed:
            events.append(status_event(r, rows[r.id].status, reason))
            frontier[r.id] = Moved.of(r)
    # map templates among them expand into their children, or end (services/mapping)
    if any(w is not None for w, _ in made_ready):
        from taskforge.services import mapping  # imports this module

        mapped, made_ready, templates = await mapping.on_ready(session, made_ready, now)
        if templates:
            events = mapping.without_templates(events, templates) + mapped
    # payload references resolve as jobs become ready; a job whose cannot has failed
    resolved_events, unresolved = await run_data.on_ready(session, made_ready, now)
    events += resolved_events
    if unresolved:
        events += await after_changes(session, moved_rows(unresolved), now)
    # a workflow job still waiting (its input resolved) starts its child run
    if starting := [(w, ids) for w, ids in made_ready if w is not None]:
        events += await _start_children(session, starting, now)
    return events, frontier


async def refresh_workflows(
    session: AsyncSession,
    workflow_ids: set[uuid.UUID],
    failed: set[uuid.UUID],
    now: datetime,
    locked: frozenset[uuid.UUID] = frozenset(),
    unchanged: dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]] | None = None,
) -> list[Event]:
    """Apply FAIL_FAST and re-derive the status of each workflow touched (``locked``:
    those this transaction holds already). ``unchanged``: gets the status and job
    counts of each workflow this leaves as read (none of its jobs or its status moved)."""
    events: list[Event] = []
    for row in await wf_repo.lock_for_refresh(session, workflow_ids, locked):
        if row.status in TERMINAL_WORKFLOW or row.status is WorkflowStatus.PENDING:
            if unchanged is not None:
                unchanged[row.id] = (row.status, row.counts)
            continue
        if row.id in failed and row.failure_policy is FailurePolicy.FAIL_FAST:
            events += await end_workflow_jobs(session, row.id, "workflow_failed", now)
        elif row.id not in failed and row.live:
            # nothing failed and jobs are still live: the status cannot change
            if unchanged is not None:
                unchanged[row.id] = (row.status, row.counts)
            continue
        events += await rederive(session, await wf_repo.locked(session, row.id), now)
    return events


async def end_workflow_jobs(
    session: AsyncSession, workflow_id: uuid.UUID, reason: str, now: datetime
) -> list[Event]:
    """FAIL_FAST: cancel what has not started in a workflow (running jobs finish), except
    the jobs with edges whose trigger rule a failure may still satisfy (clean-up and
    notification steps). The edges out of the jobs cancelled are then decided, so the
    jobs spared run or end by their rule, and the workflow ends."""
    waiting = await deps.not_started_in_workflow(session, workflow_id)
    spared = {r.id for r in waiting if _spared(r)}
    doomed = [r.id for r in waiting if r.id not in spared]
    changed = await deps.end_not_started(session, doomed, JobStatus.CANCELLED, reason, now)
    await deps.fail_pending_into(session, [r.id for r in changed], now, reason)
    events: list[Event] = [status_event(r, JobStatus.PENDING, reason) for r in changed]
    if spared and changed:  # else no job that has not started waits on those edges
        more, _ = await settle(session, moved_rows(changed), now)
        events += more
    return events


def _spared(row: Any) -> bool:
    # a job without edges (dependency status NONE once started) ignores its rule
    return (
        row.trigger_rule in SPARED_BY_FAIL_FAST
        and row.dependency_status is not DependencyStatus.NONE
    )


async def rederive(session: AsyncSession, wf: Any, now: datetime) -> list[Event]:
    counts = await wf_repo.status_counts(session, wf.id)
    # the rules ask which (status, reason) pairs occur, not how often
    present = [pair for pair, n in counts.items() if n > 0]
    new = derive_status(wf.status, wf.failure_policy, present)
    if new is wf.status:
        return []
    return [await set_workflow_status(session, wf, new, now, counts)]


async def set_workflow_status(
    session: AsyncSession,
    wf: Any,
    new: WorkflowStatus,
    now: datetime,
    counts: Mapping[tuple[JobStatus, str | None], int] | None = None,
) -> WorkflowStatusChanged:
    previous = wf.status
    transitions.move(wf, new)
    wf.updated_at = now
    if new in TERMINAL_WORKFLOW:
        wf.finished_at = now
        if wf.schedule_id is not None and new is not WorkflowStatus.CANCELLED:
            await schedule_runs.ended(
                session, [(wf.schedule_id, new is WorkflowStatus.SUCCEEDED)], now
            )
    if counts is None:
        counts = await wf_repo.status_counts(session, wf.id)
    per_status: Counter[JobStatus] = Counter()
    for (status, _), n in counts.items():
        per_status[status] += n
    event = workflow_event(wf, previous, stats(per_status))
    if new in TERMINAL_WORKFLOW and getattr(wf, "parent_job_id", None) is not None:
        from taskforge.services import subworkflows  # imports this module

        await subworkflows.child_ended(session, wf, now)  # its workflow job ends with it
    return event


def workflow_event(
    wf: Any,
    previous: WorkflowStatus | None,
    summary: dict[str, Any],
    kind: type[WorkflowStatusChanged] = WorkflowStatusChanged,
) -> WorkflowStatusChanged:
    """The workflow's status change (``kind``: or its deletion); ``summary`` as
    ``domain.workflows.stats`` gives it."""
    return kind(
        organization_id=wf.organization_id,
        workflow_id=wf.id,
        project_id=wf.project_id,
        status=WorkflowStatus(wf.status),
        previous_status=WorkflowStatus(previous) if previous else None,
        stats=WorkflowStats.decode(summary),
    )


async def _start_children(
    session: AsyncSession,
    released: Sequence[tuple[uuid.UUID, Sequence[uuid.UUID]]],
    now: datetime,
) -> list[Event]:
    """The workflow jobs among these released jobs (by workflow) start their child runs
    (no query for workflows known to have none; see services/subworkflows)."""
    from taskforge.services import subworkflows  # imports this module

    return await subworkflows.start(session, released, now)


async def _cancel_children(
    session: AsyncSession,
    cancelled: Sequence[tuple[uuid.UUID, Sequence[uuid.UUID]]],
    now: datetime,
) -> list[Event]:
    """Cancelled workflow jobs (these jobs, by workflow) cancel their live child runs."""
    from taskforge.services import subworkflows  # imports this module

    return await subworkflows.jobs_cancelled(session, cancelled, now)


def moved_rows(rows: Iterable[Row[Any]]) -> list[Moved]:
    return [Moved.of(r) for r in rows]


async def reaggregate(
    session: AsyncSession, children: Iterable[uuid.UUID], now: datetime
) -> list[Event]:
    """Recompute these jobs' dependency status from their edges (after edges were added,
    removed or reset), ending and propagating what can no longer run."""
    events, frontier = await aggregate(session, set(children), now)
    more, ended = await settle(session, list(frontier.values()), now)
    workflows = {m.workflow_id for m in [*frontier.values(), *ended] if m.workflow_id}
    return events + more + await refresh_workflows(session, workflows, set(), now)
