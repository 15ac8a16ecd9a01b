"""Dynamic fan-out: a workflow job with ``map_over`` is a template, run once per item of
a list in a parent's output or the run's input.

One hook, ``on_ready``, inside the transaction of the engine's release
(services/resolution.aggregate), for the templates among the jobs it just released:

- released the first time (its own dependencies met), a template **expands**: its list
  is resolved and one child per item is inserted (name ``T[i]``, the template's job
  type, queue, priority and attempts; its payload resolved with ``{{ item }}`` and
  ``{{ index }}``), and the template goes back to waiting (WAITING): its trigger rule
  now waits for its children too. Each child's edge into its template is implied by
  its ``map_parent_id``, not a row: its state is read off the child's status
  (``domain.dependencies.mapped_edge``), a probe of the children's index per status, so
  an expansion inserts no edges and a child's end updates none (the engine re-decides
  the template as for any edge decided). Graph reads, retries and the live view show
  these edges as if they were rows (persistence/common/mapped_edges). A list that is not one,
  a reference that names nothing, a child's payload that cannot resolve or is too large,
  a workflow pushed over ``TASKFORGE_LIMIT_WORKFLOW_JOBS`` or a quota used up fail the
  template (FAILED, naming it and why), and no child is made.
- released again (its children decided its rule), it **ends SUCCEEDED** at once, output
  ``{"count": n, "outputs": [...]}`` (its children's outputs by index, only when
  n <= ``OUTPUTS_UP_TO``: else ``{"count": n}``), which releases its downstream as any
  job's end does. An empty list ends it so at once.

A template is never claimable: it is released and expanded (or ended) in the same
transaction, and waits (WAITING) in between. Whether a workflow has templates is fixed
at creation (``workflows.map_templates``), so the process remembers it: the release of
other workflows' jobs asks nothing more (``Services.map_hosts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import references, transitions, validation
from taskforge.domain.enums import (
    DependencyStatus,
    JobStatus,
)
from taskforge.domain.errors import InvalidInput
from taskforge.domain.events import Event, JobsReleased
from taskforge.domain.workflows import mapped_name
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import mapping as repo
from taskforge.persistence.common import queues, tenancy
from taskforge.persistence.common import run_data as run_data_repo
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import Job
from taskforge.services import flow
from taskforge.services.base import PAYLOAD_BYTES, Services, services_of
from taskforge.services.job_events import WORKFLOW_STATES, status_event
from taskforge.services.resolution import Moved, after_changes

OUTPUTS_UP_TO = 1000  # a template's output lists its children's outputs up to this many
# the failed template's status reasons
UNRESOLVED = "unresolved_reference"
NOT_A_LIST = "map_over_not_a_list"
TOO_MANY = "map_over_limit"
TOO_LARGE = "payload_too_large"
NO_QUOTA = "quota_exceeded"

Ready = Sequence[tuple[uuid.UUID | None, Sequence[uuid.UUID]]]


class _Refused(Exception):
    """A template that cannot expand: its status reason and error."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(error)
        self.reason, self.error = reason, error


async def on_ready(
    session: AsyncSession, ready: Ready, now: datetime
) -> tuple[list[Event], list[tuple[uuid.UUID | None, list[uuid.UUID]]], set[uuid.UUID]]:
    """Expand or end the templates among these just released jobs (given by workflow).
    Returns the events, the released jobs that are not templates (by workflow), and the
    templates handled (their release is no claimable job)."""
    svc = services_of(session)
    hosts = await _hosts(svc, session, {w for w, _ in ready if w is not None})
    rest = [(w, list(ids)) for w, ids in ready]
    if not hosts or not (candidates := [i for w, ids in ready if w in hosts for i in ids]):
        return [], rest, set()
    found = await repo.templates(session, candidates)
    templates = [t for t in found if t.status is JobStatus.PENDING]
    if not templates:
        return [], rest, set()
    handled = {t.id for t in templates}
    rest = [(w, [i for i in ids if i not in handled]) for w, ids in rest]
    expanding = [t for t in templates if t.map_count is None]
    inputs: dict[uuid.UUID, Any] = {}
    parents: dict[uuid.UUID, Any] = {}
    if expanding:
        inputs = await run_data_repo.inputs(session, {t.workflow_id for t in expanding})  # type: ignore[misc]
        parents = await run_data_repo.parents(session, [t.id for t in expanding])
    events: list[Event] = []
    moved: list[Moved] = []
    for t in templates:
        if t.map_count is not None:  # its children decided its rule
            events.append(await _succeed(session, t, t.map_count, now))
            moved.append(Moved.of(t, t.output))
            continue
        assert t.workflow_id is not None
        lookup = references.lookup_in(inputs.get(t.workflow_id), parents.get(t.id, {}))
        try:
            made = await _expand(svc, session, t, lookup, now)
        except _Refused as refused:
            previous = transitions.move(t, JobStatus.FAILED)
            t.status_reason, t.error = refused.reason, refused.error
            t.finished_at = t.updated_at = now
            events.append(status_event(t, previous, refused.reason))
            moved.append(Moved.of(t))
            continue
        if not made:  # an empty list: nothing to wait for
            events.append(await _succeed(session, t, 0, now))
            moved.append(Moved.of(t, t.output))
        else:
            events += [status_event(row, None) for row in made]
    await session.flush()
    if moved:
        events += await after_changes(session, moved, now)
        # states read by that inner refresh would go stale before the caller records
        session.info.pop(WORKFLOW_STATES, None)
    return events, rest, handled


def without_templates(events: list[Event], handled: set[uuid.UUID]) -> list[Event]:
    """The events, with the templates handled left out of the releases (they are no
    claimable jobs: workers have nothing to wake for)."""
    out: list[Event] = []
    for e in events:
        if type(e) is JobsReleased and not handled.isdisjoint(e.job_ids):
            kept = tuple(i for i in e.job_ids if i not in handled)
            if kept:
                out.append(replace(e, job_ids=kept))
            continue
        out.append(e)
    return out


async def _expand(
    svc: Services, session: AsyncSession, t: Job, lookup: references.Lookup, now: datetime
) -> list[dict[str, Any]]:
    """Insert the template's children (their edges into it are implied); returns their
    rows (none for an empty list, and then nothing was written). _Refused: nothing
    written."""
    source = references.map_source(t.map_over or "")
    field = f"{t.name}: map_over {source.source}"
    try:
        items = lookup(source)
    except references.Unresolved as exc:
        raise _Refused(UNRESOLVED, f"{t.name}: map_over {exc}") from None
    if not isinstance(items, list):
        kind = "null" if items is None else "an object" if isinstance(items, dict) else "a value"
        raise _Refused(NOT_A_LIST, f"{field} is {kind}, not a list")
    if not items:
        return []
    limit = svc.settings.limits.workflow_jobs
    assert t.workflow_id is not None
    # the workflow locked (as the engine locks it) and its jobs counted: two expansions
    # (or spawns) of one workflow cannot both pass the limit
    (state,) = await wf_repo.lock_for_refresh(session, [t.workflow_id])
    total = sum(state.counts.values()) + len(items)
    if total > limit:
        raise _Refused(
            TOO_MANY,
            f"{field} has {len(items)} items: the workflow would hold {total} jobs, over"
            f" the limit of {limit} (TASKFORGE_LIMIT_WORKFLOW_JOBS)",
        )
    shared, rows = _rows(t, items, lookup, session.info.get(PAYLOAD_BYTES), now)
    if not await tenancy.consume_jobs_quota(session, t.organization_id, len(rows), now):
        raise _Refused(NO_QUOTA, f"{field}: the job quota of your subscription's period is used up")
    (queue,) = await queues.by_ids(session, t.organization_id, [t.queue_id])
    if queue.flow_control:  # the queue's keys and round-robin turns, as for any job
        rows, shared = [{**shared, **row} for row in rows], {}
        await flow.keyed_rows(session, rows, {queue.id: queue.settings})
    await jobs_repo.insert_added(session, rows, shared)
    t.map_count = len(rows)
    t.dependency_status = DependencyStatus.WAITING  # now its children's too
    t.updated_at = now
    return [{**shared, **row} for row in rows] if shared else rows


def _rows(
    t: Job, items: list[Any], lookup: references.Lookup, limit: int | None, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The children's rows: the columns they share, and each one's own (its payload
    resolved with its item; _Refused: one cannot)."""
    rows: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        name = mapped_name(t.name or t.job_type, index)
        try:
            payload = references.resolve(
                t.payload, references.with_item(lookup, item, index), references.MAPPED_ROOTS
            )
            if limit is not None:
                validation.json_payload(payload, limit, field="payload")
        except (references.Unresolved, ValueError) as exc:
            raise _Refused(UNRESOLVED, f"{name}: {exc}") from None
        except InvalidInput as exc:
            raise _Refused(TOO_LARGE, f"{name}: {exc.message}") from None
        rows.append({"id": uuid.uuid4(), "name": name, "payload": payload, "map_index": index})
    shared = {
        "organization_id": t.organization_id,
        "project_id": t.project_id,
        "queue_id": t.queue_id,
        "workflow_id": t.workflow_id,
        "job_type": t.job_type,
        "payload_template": None,  # resolved once: its item never changes
        "priority": t.priority,
        "max_attempts": t.max_attempts,
        "status": JobStatus.PENDING,
        # no incoming edge: claimable at once
        "dependency_status": DependencyStatus.NONE,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "trace_context": t.trace_context,
        "map_parent_id": t.id,
    }
    return shared, rows


async def _succeed(session: AsyncSession, t: Job, count: int, now: datetime) -> Event:
    """The template ends SUCCEEDED, no worker involved; its output counts its children
    (and lists their outputs, up to OUTPUTS_UP_TO)."""
    output: dict[str, Any] = {"count": count}
    if count <= OUTPUTS_UP_TO:
        output["outputs"] = await repo.children_outputs(session, t.id) if count else []
    t.map_count = count
    previous = transitions.move(t, JobStatus.PROCESSING)
    transitions.move(t, JobStatus.SUCCEEDED)
    t.status_reason, t.error, t.output = None, None, output
    t.started_at = t.finished_at = t.updated_at = now
    return status_event(t, previous)


async def _hosts(
    svc: Services, session: AsyncSession, workflow_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these workflows have map templates."""

    async def read(unknown: list[uuid.UUID]) -> set[uuid.UUID]:
        counts = await repo.template_counts(session, unknown)
        return {w for w, n in counts.items() if n > 0}

    return await svc.map_hosts.having(workflow_ids, read)
