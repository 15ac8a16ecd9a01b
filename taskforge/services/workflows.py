"""Workflows: a DAG of jobs created from a definition in one transaction, then started,
cancelled, retried, resumed (MANUAL policy), timed out or deleted.

Jobs of a workflow that has not started wait with dependency status WAITING; starting
releases the roots. From then on the resolution engine moves the workflow along.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge import tracing
from taskforge.domain import records, run_input, transitions
from taskforge.domain.dependencies import SKIPPED_BY_OPERATOR, validate_edge
from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    ExecutionStatus,
    JobStatus,
    WorkflowStatus,
)
from taskforge.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    QuotaExceeded,
)
from taskforge.domain.events import Event, WorkflowDeleted
from taskforge.domain.queues import QueueSettings
from taskforge.domain.templates import WORKFLOW_JOB_TYPE, TemplateRef
from taskforge.domain.workflows import TERMINAL_WORKFLOW, WorkflowDefinition, parse_definition
from taskforge.metrics.server import pending
from taskforge.persistence.common import dependencies as deps
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import queues, tenancy
from taskforge.persistence.common import workflows as repo
from taskforge.persistence.tables import Job, JobQueue, Workflow
from taskforge.services import audit, flow, idempotency
from taskforge.services.base import Principal, Services, found, retried
from taskforge.services.job_events import record, status_event
from taskforge.services.resolution import (
    Moved,
    reaggregate,
    rederive,
    set_workflow_status,
    settle,
    workflow_event,
)

READ, WRITE = "jobs:read", "workflows:write"
NOT_ENDED = (JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.PROCESSING)
RERUN = (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.SKIPPED)


class ResumeAction(StrEnum):
    RETRY_FAILED = "RETRY_FAILED"
    SKIP_FAILED = "SKIP_FAILED"
    ABORT = "ABORT"


async def create(
    svc: Services,
    principal: Principal,
    project_id: uuid.UUID,
    definition: str | dict[str, Any] | None,
    start: bool = False,
    idempotency_key: str | None = None,
    template: TemplateRef | None = None,
    input: Any = None,
) -> records.Workflow:
    """Validate the whole definition (and the run's ``input``), then write the workflow,
    its jobs and edges. With ``idempotency_key``, a repeat within the window returns the
    first call's workflow (``deduplicated``); the key is the tenant's, whatever the
    project. ``template``, instead of a definition: the run copies that template
    version's definition."""
    from taskforge.services import templates  # imports this module

    principal.require(WRITE)
    if (definition is None) == (template is None):
        raise InvalidInput("give either a definition or a template", field="template")
    spec = parse(svc, definition) if definition is not None else None
    if input is not None:
        input = run_input.check(input, svc.settings.limits.payload_bytes)
    org, now = principal.organization_id, svc.clock()
    request = {"template": vars(template)} if template is not None else definition
    assert request is not None
    use = idempotency.workflow_use(project_id, request, start, idempotency_key, input)
    async with svc.write() as session:
        if use is not None and (
            earlier := await idempotency.earlier_workflow(svc, session, org, use, now)
        ):
            return records.Workflow.without_definition(earlier).replace(deduplicated=True)
        origin: dict[str, Any] = {}
        if template is not None:  # the version as it is now: later ones change no run
            found(await tenancy.project(session, org, project_id), "project", project_id)
            row, spec = await templates.for_run(svc, session, org, project_id, template)
            definition = dict(row.definition)
            origin = {"template_name": row.name, "template_version": row.version}
        assert spec is not None and definition is not None
        await templates.check(svc, session, org, project_id, spec)  # its templates exist
        wf = await create_in(
            session,
            org,
            project_id,
            spec,
            definition,
            start,
            now,
            workflow_id=use.workflow_id if use is not None else None,
            origin=origin,
            input=input,
        )
    return records.Workflow.of(wf)


def parse(svc: Services, definition: str | dict[str, Any]) -> WorkflowDefinition:
    """A definition validated as a whole (size, shape, graph, limits, expressions)."""
    limits = svc.settings.limits
    spec = parse_definition(
        definition,
        max_jobs=limits.workflow_jobs,
        max_depth=limits.dependency_depth,
        payload_bytes=limits.payload_bytes,
        max_bytes=limits.definition_bytes,
    )
    for e in spec.edges:  # compiles expressions: a bad one fails here, naming itself
        validate_edge(e.type, e.condition, e.expression)
    return spec


async def create_in(
    session: AsyncSession,
    org: uuid.UUID,
    project_id: uuid.UUID,
    spec: WorkflowDefinition,
    definition: str | dict[str, Any],
    start: bool,
    now: datetime,
    workflow_id: uuid.UUID | None = None,
    origin: Mapping[str, Any] | None = None,
    input: dict[str, Any] | None = None,
) -> Workflow:
    """Write a parsed workflow in the caller's transaction (also used by schedules);
    ``workflow_id``: its id, chosen beforehand (an idempotency key names it); ``origin``:
    the template and parent columns of a run made from a template (services/templates,
    services/subworkflows); ``input``: the run's input, checked against the definition's
    schema if it starts now (or else when it starts)."""
    if start:
        run_input.conform(input, spec.input_schema)
    found(await tenancy.project(session, org, project_id), "project", project_id)
    queue_of = await _queues(session, org, project_id, spec)
    if not await tenancy.consume_jobs_quota(session, org, len(spec.jobs), now):
        raise QuotaExceeded("the job quota of your subscription's period is used up")
    wf = Workflow(
        id=workflow_id or uuid.uuid4(),
        organization_id=org,
        project_id=project_id,
        name=spec.name,
        description=spec.description,
        definition=definition if isinstance(definition, dict) else {"source": definition},
        status=WorkflowStatus.PENDING,
        failure_policy=spec.failure_policy,
        timeout_seconds=spec.timeout_seconds,
        priority=spec.priority,
        created_at=now,
        updated_at=now,
        subworkflow_jobs=sum(1 for j in spec.jobs if j.workflow is not None),
        **(origin or {}),
        input=input,
        input_schema=spec.input_schema,
        payload_refs=spec.has_references,
        map_templates=spec.map_templates,
    )
    session.add(wf)
    await session.flush()
    ids = {j.name: uuid.uuid4() for j in spec.jobs}
    # each job's attempts continue its step span (tracing on, in a traced request)
    traces = tracing.step_spans(wf.id, wf.name, ids, ((e.parent, e.child) for e in spec.edges))
    rows = _job_rows(wf, spec, ids, queue_of, now, traces)
    if flow_queues := {q.id: q.settings for q in queue_of.values() if q.flow_control}:
        await flow.keyed_rows(session, rows, flow_queues)  # their queues' keys and turns
    await jobs_repo.insert_many(session, rows)
    if (notes := pending(session)) is not None:  # no status event per job: count them
        notes.created += [(queue_of[j.name].id, j.job_type) for j in spec.jobs]
    await deps.insert_edges(session, _edge_rows(org, spec, ids, now))
    events: list[Event] = [workflow_event(wf, None, _empty_stats(len(spec.jobs)))]
    if start:
        events += await _start(session, wf, now)
    await record(session, events)
    return wf


@retried
async def start(
    svc: Services, principal: Principal, workflow_id: uuid.UUID, input: Any = None
) -> records.Workflow:
    """Start a PENDING workflow; ``input`` (if given) replaces the run's input given at
    creation, and the input is checked against the definition's schema."""
    principal.require(WRITE)
    if input is not None:
        input = run_input.check(input, svc.settings.limits.payload_bytes)
    async with svc.write() as session:
        wf = await _locked(session, principal, workflow_id)
        if wf.status is not WorkflowStatus.PENDING:  # the others are resumed or retried
            raise InvalidTransition("workflow", workflow_id, wf.status.value, "RUNNING")
        if input is not None:
            wf.input = input
        run_input.conform(wf.input, wf.input_schema)
        await record(session, await _start(session, wf, svc.clock()))
    return records.Workflow.of(wf)


@retried
async def cancel(svc: Services, principal: Principal, workflow_id: uuid.UUID) -> records.Workflow:
    """Cancel every job that has not ended (running ones included)."""
    principal.require(WRITE)
    now = svc.clock()
    async with svc.write() as session:
        wf = await _locked(session, principal, workflow_id)
        transitions.check("workflow", workflow_id, wf.status, WorkflowStatus.CANCELLED)
        events = await end_all(session, wf, "cancelled_by_user", now)
        events.append(await set_workflow_status(session, wf, WorkflowStatus.CANCELLED, now))
        await record(session, events)
    return records.Workflow.of(wf)


@retried
async def retry(svc: Services, principal: Principal, workflow_id: uuid.UUID) -> records.Workflow:
    """Re-run failed, cancelled and skipped jobs and what depends on them; keep successes."""
    principal.require(WRITE)
    now = svc.clock()
    async with svc.write() as session:
        wf = await _locked(session, principal, workflow_id)
        _jobs_kept(wf)
        if wf.status not in (WorkflowStatus.FAILED, WorkflowStatus.CANCELLED):
            raise Conflict(
                f"workflow {workflow_id} is {wf.status.value}; only a FAILED or CANCELLED"
                " workflow can be retried (a PAUSED one is resumed)",
                current=wf.status.value,
            )
        await _waited_for(session, wf)
        jobs = {j.id: j for j in await repo.jobs(session, wf.id)}
        edges = await deps.edges_of_workflow(session, wf.id)
        again = _downstream({i for i, j in jobs.items() if j.status in RERUN}, edges)
        again = {i for i in again if jobs[i].status is not JobStatus.SUCCEEDED}
        events = await rerun(session, wf, [jobs[i] for i in again], edges, jobs, now)
        await record(session, events)
    return records.Workflow.of(wf)


@retried
async def resume(
    svc: Services, principal: Principal, workflow_id: uuid.UUID, action: ResumeAction
) -> records.Workflow:
    """The operator's answer to a paused (MANUAL) workflow."""
    principal.require(WRITE)
    now = svc.clock()
    async with svc.write() as session:
        wf = await _locked(session, principal, workflow_id)
        _jobs_kept(wf)
        if wf.status is not WorkflowStatus.PAUSED:
            raise Conflict(
                f"workflow {workflow_id} is {wf.status.value}; only a PAUSED workflow"
                " (MANUAL policy, after a failure) can be resumed",
                current=wf.status.value,
            )
        await _waited_for(session, wf)
        jobs = {j.id: j for j in await repo.jobs(session, wf.id)}
        failed = [j for j in jobs.values() if j.status is JobStatus.FAILED]
        if action is ResumeAction.ABORT:
            events = await end_all(session, wf, "workflow_aborted", now)
            events.append(await set_workflow_status(session, wf, WorkflowStatus.FAILED, now))
        elif action is ResumeAction.RETRY_FAILED:
            edges = await deps.edges_of_workflow(session, wf.id)
            events = await rerun(session, wf, failed, edges, jobs, now)
        else:  # SKIP_FAILED: the failed steps count as done; their children go on
            for job in failed:
                transitions.move(job, JobStatus.SKIPPED)
                job.status_reason, job.updated_at = SKIPPED_BY_OPERATOR, now
            await session.flush()
            events = [status_event(j, JobStatus.FAILED, SKIPPED_BY_OPERATOR) for j in failed]
            children = await _resolve_out(session, [j.id for j in failed], now)
            # a mapped child's implied edge into its template resolves by its status
            children |= {j.map_parent_id for j in failed if j.map_parent_id is not None}
            events.append(await set_workflow_status(session, wf, WorkflowStatus.RUNNING, now))
            events += await reaggregate(session, children, now)
            events += await rederive(session, wf, now)
        await record(session, events)
    return records.Workflow.of(wf)


@retried
async def delete(svc: Services, principal: Principal, workflow_id: uuid.UUID) -> uuid.UUID:
    """Delete a workflow with its jobs, their executions, logs and edges (FK cascade)."""
    principal.require(WRITE)
    async with svc.write() as session:
        wf = await _locked(session, principal, workflow_id)
        events: list[Event] = []
        if wf.status not in TERMINAL_WORKFLOW:  # its sub-workflows first
            from taskforge.services import subworkflows  # imports this module

            events = await subworkflows.before_delete(session, wf, svc.clock())
        event = workflow_event(wf, wf.status, _empty_stats(0), WorkflowDeleted)
        await session.delete(wf)
        await session.flush()
        await repo.forget_counts(session, workflow_id)
        await record(session, [*events, event])
        await audit.record(session, principal, "workflow.deleted", "workflow", workflow_id)
    return workflow_id


# -- steps shared by the use cases ---------------------------------------------------


async def _locked(session: AsyncSession, principal: Principal, workflow_id: uuid.UUID) -> Workflow:
    wf = await repo.lock(session, principal.organization_id, workflow_id)
    return found(wf, "workflow", workflow_id)


def _jobs_kept(wf: Workflow) -> None:
    """CONFLICT for a workflow retention has frozen: its jobs are deleted or going."""
    if wf.retained_counts is not None:
        raise Conflict(
            f"workflow {wf.id} cannot run again: its jobs were deleted by retention",
            current=wf.status.value,
        )


async def _waited_for(session: AsyncSession, wf: Workflow) -> None:
    """CONFLICT for a child run its workflow job no longer waits for (subworkflows)."""
    from taskforge.services import subworkflows  # imports this module

    if (refused := await subworkflows.rerun_refused(session, wf)) is not None:
        raise refused


async def _start(session: AsyncSession, wf: Workflow, now: datetime) -> list[Event]:
    """RUNNING, with a deadline if it has a timeout; the roots become claimable."""
    events = [await set_workflow_status(session, wf, WorkflowStatus.RUNNING, now)]
    wf.started_at = now
    if wf.timeout_seconds:
        wf.deadline_at = now + timedelta(seconds=wf.timeout_seconds)
    await session.flush()
    return events + await reaggregate(session, await repo.job_ids(session, wf.id), now)


async def end_all(session: AsyncSession, wf: Workflow, reason: str, now: datetime) -> list[Event]:
    """Every job of the workflow that has not ended is cancelled, running ones too."""
    events: list[Event] = []
    live = [j for j in await repo.jobs(session, wf.id) if j.status in NOT_ENDED]
    for job in live:
        previous = transitions.move(job, JobStatus.CANCELLED)
        job.status_reason = reason
        job.finished_at, job.updated_at = now, now
        events.append(status_event(job, previous, reason))
    await session.flush()
    # after the jobs' update, which waited for any reaper holding them: open attempts,
    # running or waiting for a retry, close with the jobs
    ids = [j.id for j in live]
    await jobs_repo.close_open_attempts(session, ids, ExecutionStatus.CANCELLED, now, reason)
    await deps.fail_pending_into(session, ids, now, reason)
    if running := [j.id for j in live if j.job_type == WORKFLOW_JOB_TYPE]:
        from taskforge.services import subworkflows  # imports this module

        events += await subworkflows.cancel_children(session, running, reason, now)
    return events


async def rerun(
    session: AsyncSession,
    wf: Workflow | None,
    jobs: list[Job],
    edges: list[Any],
    all_jobs: dict[uuid.UUID, Job],
    now: datetime,
) -> list[Event]:
    """Put jobs back to PENDING with a fresh attempt budget, re-decide their edges.

    ``wf``: the workflow of the jobs (locked), or None for jobs of no workflow
    (retryJob). A workflow that ended or paused runs again; one still RUNNING stays
    so; in one not started yet (PENDING) the jobs wait for its start, which releases
    them. ``edges``: at least the edges into ``jobs``; ``all_jobs``: at least their
    parents."""
    if not jobs:
        return []
    policies = await _retry_budgets(session, jobs[0].organization_id, jobs)
    events: list[Event] = []
    for job in jobs:
        previous = transitions.move(job, JobStatus.PENDING)
        job.status_reason, job.error, job.output = "retried", None, None
        if job.payload_template is not None:  # resolved again when it is released
            job.payload = job.payload_template
        job.finished_at = job.started_at = job.scheduled_for = None
        # attempts keep counting (history stays ordered); the budget starts again
        job.max_attempts = job.attempts + policies[job.id]
        job.dependency_status = DependencyStatus.WAITING
        job.updated_at = now
        events.append(status_event(job, previous, "retried"))
    await session.flush()
    ids = {j.id for j in jobs}
    await deps.reset_into(session, list(ids))
    parents = {e.parent_job_id for e in edges if e.child_job_id in ids} - ids
    if wf is not None and wf.status not in (WorkflowStatus.RUNNING, WorkflowStatus.PENDING):
        events.append(await set_workflow_status(session, wf, WorkflowStatus.RUNNING, now))
    moved = [Moved.of(all_jobs[p], all_jobs[p].output) for p in parents]
    more, _ = await settle(session, moved, now)
    events += more
    if wf is None or wf.status is not WorkflowStatus.PENDING:
        events += await reaggregate(session, ids, now)
    return events


async def _retry_budgets(
    session: AsyncSession, org: uuid.UUID, jobs: list[Job]
) -> dict[uuid.UUID, int]:
    rows = await queues.by_ids(session, org, list({j.queue_id for j in jobs}))
    per_queue = {q.id: QueueSettings.from_json(q.settings).retry.max_attempts for q in rows}
    return {j.id: j.max_attempts or per_queue.get(j.queue_id, 1) for j in jobs}


async def _resolve_out(
    session: AsyncSession, parent_ids: list[uuid.UUID], now: datetime
) -> set[uuid.UUID]:
    """Pending edges out of these jobs resolve by the operator's word."""
    edges = await deps.pending_out(session, parent_ids)
    await deps.set_status(session, [e.id for e in edges], EdgeStatus.RESOLVED, now, "operator")
    return {e.child_job_id for e in edges}


def _downstream(start: set[uuid.UUID], edges: list[Any]) -> set[uuid.UUID]:
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for e in edges:
        children.setdefault(e.parent_job_id, []).append(e.child_job_id)
    seen, queue = set(start), deque(start)
    while queue:
        for nxt in children.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


async def _queues(
    session: AsyncSession, org: uuid.UUID, project_id: uuid.UUID, spec: WorkflowDefinition
) -> dict[str, JobQueue]:
    """Each job's queue, by name or id within the project; 'default' when none is named."""
    rows = await queues.by_projects(session, org, [project_id])
    by_key = {q.name: q for q in rows} | {str(q.id): q for q in rows}
    out: dict[str, JobQueue] = {}
    for i, job in enumerate(spec.jobs):
        key = job.queue or "default"
        if key not in by_key and job.workflow is not None and job.queue is None and rows:
            # a workflow job runs in no queue: it is listed in the project's first one
            out[job.name] = min(rows, key=lambda q: (q.created_at, q.id))
            continue
        if key not in by_key:
            raise InvalidInput(
                f"job {job.name!r}: no queue {key!r} in this project", field=f"jobs[{i}].queue"
            )
        out[job.name] = by_key[key]
    return out


def _job_rows(
    wf: Workflow,
    spec: WorkflowDefinition,
    ids: dict[str, uuid.UUID],
    queue_of: dict[str, JobQueue],
    now: datetime,
    traces: dict[str, str],
) -> list[dict[str, Any]]:
    return [
        {
            "id": ids[j.name],
            "organization_id": wf.organization_id,
            "project_id": wf.project_id,
            "queue_id": queue_of[j.name].id,
            "workflow_id": wf.id,
            "name": j.name,
            "job_type": j.job_type,
            "payload": j.payload,
            # kept to resolve its references from at each release (services/run_data)
            "payload_template": j.payload if j.has_references else None,
            "priority": j.priority,
            "max_attempts": j.max_attempts,
            "trigger_rule": j.trigger_rule,
            "status": JobStatus.PENDING,
            # held until the workflow starts
            "dependency_status": DependencyStatus.WAITING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "trace_context": traces.get(j.name),
            # a template of mapped children (services/mapping), else None
            "map_over": j.map_over,
        }
        for j in spec.jobs
    ]


def _edge_rows(
    org: uuid.UUID, spec: WorkflowDefinition, ids: dict[str, uuid.UUID], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "organization_id": org,
            "parent_job_id": ids[e.parent],
            "child_job_id": ids[e.child],
            "dependency_type": e.type,
            "condition": e.condition,
            "expression": e.expression,
            "status": EdgeStatus.PENDING,
            "created_at": now,
        }
        for e in spec.edges
    ]


def _empty_stats(total: int) -> dict[str, Any]:
    return {"total": total, "counts": {}, "completed": 0, "completionPercentage": 0.0}


__all__ = ["ResumeAction"]
