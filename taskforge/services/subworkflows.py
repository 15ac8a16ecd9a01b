"""Sub-workflows: a workflow job runs its template as a child run and ends with it.

Three hooks, each inside the transaction of the change that calls it:

- ``start``: the resolution engine released jobs. Each workflow job among them moves to
  PROCESSING with its child run created and started (so it is never left PENDING and
  ready, and no worker can claim it), or, when the run cannot be created (template gone,
  nesting too deep, quota used up, a queue missing), FAILED saying why.
- ``child_ended``: a run's status became terminal. Its workflow job, if still waiting
  for it, SUCCEEDS (output ``{"workflowId", "outputs": {leaf name: output}}``) or FAILS
  naming the run; the engine then decides that job's edges, as after any job's end.
- ``cancel_children``: workflow jobs were cancelled or deleted; their live child runs
  are cancelled too, and theirs in turn.

Retrying a failed workflow job re-releases it, which starts a new child run: a job
waits for its current child run alone (``waits_on``), and a child run it no longer
waits for is not run again (``rerun_refused``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import transitions
from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.domain.errors import Conflict, TaskForgeError
from taskforge.domain.events import Event
from taskforge.domain.templates import MAX_NESTING, from_payload, nesting_error
from taskforge.domain.workflows import TERMINAL_WORKFLOW
from taskforge.persistence.common import templates as repo
from taskforge.persistence.tables import Job, Workflow, WorkflowTemplate
from taskforge.services.base import Services, services_of
from taskforge.services.job_events import PARENTS_MOVED, WORKFLOW_STATES, record, status_event
from taskforge.services.resolution import Moved, after_changes, set_workflow_status
from taskforge.services.workflows import create_in, end_all, parse

NOT_STARTED = "child_workflow_not_started"


async def start(
    session: AsyncSession,
    released: Sequence[tuple[uuid.UUID, Sequence[uuid.UUID]]],
    now: datetime,
) -> list[Event]:
    """Start the child runs of the workflow jobs among these just released jobs, given
    by workflow. A workflow's jobs never change after it is created, so whether it has
    workflow jobs is read once per process (``Services.subworkflow_hosts``): the
    release of any other workflow's jobs costs no query."""
    svc = services_of(session)
    hosts = await _hosts(svc, session, {w for w, _ in released})
    if not (job_ids := [i for w, ids in released if w in hosts for i in ids]):
        return []
    jobs = [j for j in await repo.workflow_jobs(session, job_ids) if j.status is JobStatus.PENDING]
    nesting = await repo.nesting_of(session, {j.workflow_id for j in jobs if j.workflow_id})
    events: list[Event] = []
    moved: list[Moved] = []
    for job in jobs:
        previous = transitions.move(job, JobStatus.PROCESSING)
        job.started_at = job.updated_at = now
        job.attempts += 1  # each child run is an attempt of the job
        try:
            async with session.begin_nested():  # a run that cannot start leaves nothing
                depth = nesting.get(job.workflow_id, 0) + 1 if job.workflow_id else 1
                if depth > MAX_NESTING:
                    raise nesting_error("payload.template")
                ref, run_input = from_payload(job.payload)
                org, project = job.organization_id, job.project_id
                row = await repo.get(session, org, project, ref.name, ref.version)
                if row is None:
                    raise ref.not_found("payload.template")
                await create_child_run(svc, session, job, row, depth, run_input, now)
        except TaskForgeError as exc:
            transitions.move(job, JobStatus.FAILED)
            job.status_reason, job.finished_at = NOT_STARTED, now
            job.error = f"the child workflow run could not start: {exc.message}"
            events.append(status_event(job, previous, NOT_STARTED))
        else:
            events.append(status_event(job, previous))
        moved.append(Moved.of(job))
    await session.flush()
    events += await after_changes(session, moved, now)
    # states read by that inner refresh would go stale before the caller records
    session.info.pop(WORKFLOW_STATES, None)
    return events


async def create_child_run(
    svc: Services,
    session: AsyncSession,
    job: Job,
    template: WorkflowTemplate,
    depth: int,
    run_input: dict[str, Any],
    now: datetime,
) -> Workflow:
    """The one place a workflow job's child run is created, started, from ``template``
    (the version the job's reference means now) at nesting ``depth``; created at ``now``,
    the instant the job starts (``waits_on``). ``run_input``: the job's ``input`` (its
    references resolved as the job became ready), the child run's input, held to the
    template's input schema like any run's."""
    origin = {
        "template_name": template.name,
        "template_version": template.version,
        "parent_job_id": job.id,
        "parent_workflow_id": job.workflow_id,
        "nesting": depth,
    }
    spec = parse(svc, template.definition)
    definition = dict(template.definition)  # the run's own copy
    org, project = job.organization_id, job.project_id
    return await create_in(
        session, org, project, spec, definition, True, now, origin=origin, input=run_input or None
    )


def waits_on(job: Job, run: Workflow) -> bool:
    """Whether a workflow job waits for this child run of its: it is running, and this
    is its current child run. ``start`` creates each child run at the instant it moves
    the job to PROCESSING, so the job's ``started_at`` is its current child's
    ``created_at`` (a retried job starts again, later, with a new child run)."""
    return job.status is JobStatus.PROCESSING and job.started_at == run.created_at


async def rerun_refused(session: AsyncSession, wf: Workflow) -> Conflict | None:
    """CONFLICT (to raise) when ``wf`` is a child run its workflow job does not wait
    for (the job ended with it, or waits for a newer child run): run again, it would
    decide nothing. A child run whose job was deleted runs again as any run does."""
    if wf.parent_job_id is None:
        return None
    job = await repo.lock_job(session, wf.organization_id, wf.parent_job_id)
    if job is None or waits_on(job, wf):
        return None
    why = "waits for a newer child run" if job.status is JobStatus.PROCESSING else "has ended"
    return Conflict(
        f"workflow {wf.id} is a child run of job {job.id}, which {why}; retry that job"
        " (retryJob, or retryWorkflow of its workflow) to start a new child run",
        current=wf.status.value,
    )


async def _hosts(
    svc: Services, session: AsyncSession, workflow_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these workflows have workflow jobs."""

    async def read(unknown: list[uuid.UUID]) -> set[uuid.UUID]:
        counts = await repo.subworkflow_counts(session, unknown)
        return {w for w, n in counts.items() if n > 0}

    return await svc.subworkflow_hosts.having(workflow_ids, read)


async def child_ended(session: AsyncSession, child: Workflow, now: datetime) -> None:
    """A child run ended: its workflow job ends with it if it waits for it (not if it
    ended already, e.g. cancelled, which cancelled the run, nor if the run is an earlier
    child of a retried job); records the events it causes."""
    job = await repo.lock_job(session, child.organization_id, child.parent_job_id)
    if job is None or not waits_on(job, child):
        return
    # the parent's state, and its ancestors' in turn, are no longer what an enclosing
    # engine refresh read (resolution.after_changes)
    session.info.setdefault(PARENTS_MOVED, []).append(job.workflow_id)
    if child.status is WorkflowStatus.SUCCEEDED:
        outputs = await repo.leaf_outputs(session, child.id)
        previous = transitions.move(job, JobStatus.SUCCEEDED)
        job.status_reason, job.error = None, None
        job.output = {"workflowId": str(child.id), "outputs": outputs}
    else:
        previous = transitions.move(job, JobStatus.FAILED)
        job.status_reason = f"child_workflow_{child.status.value.lower()}"
        job.error = f"child workflow run {child.id} ended {child.status.value}"
    job.finished_at = job.updated_at = now
    await session.flush()
    events: list[Event] = [status_event(job, previous, job.status_reason)]
    events += await after_changes(session, [Moved.of(job, job.output)], now)
    await record(session, events)


async def jobs_cancelled(
    session: AsyncSession,
    cancelled: Sequence[tuple[uuid.UUID, Sequence[uuid.UUID]]],
    now: datetime,
) -> list[Event]:
    """Jobs were cancelled (given by workflow): the workflow jobs among them cancel their
    live child runs (no query for workflows without workflow jobs)."""
    hosts = await _hosts(services_of(session), session, {w for w, _ in cancelled})
    if not (job_ids := [i for w, ids in cancelled if w in hosts for i in ids]):
        return []
    return await cancel_children(session, job_ids, "parent_job_cancelled", now)


async def cancel_children(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], reason: str, now: datetime
) -> list[Event]:
    """Cancel the live child runs of these (cancelled or deleted) jobs, with what is left
    of them."""
    events: list[Event] = []
    for child in await repo.live_children(session, job_ids):
        if child.status in TERMINAL_WORKFLOW:  # ended since, by one cancelled before it
            continue
        events += await end_all(session, child, reason, now)
        events.append(await set_workflow_status(session, child, WorkflowStatus.CANCELLED, now))
    return events


async def before_delete(session: AsyncSession, wf: Workflow, now: datetime) -> list[Event]:
    """A live run about to be deleted: its running workflow jobs are cancelled, with their
    child runs, and, if it is itself a child run, its workflow job fails (it would
    otherwise wait for it forever). The jobs first: the end of their child runs then
    decides nothing in the run (which a refresh could end before it is cancelled)."""
    events: list[Event] = []
    running = await repo.running_workflow_jobs(session, wf.id)
    for job in running:
        previous = transitions.move(job, JobStatus.CANCELLED)
        job.status_reason, job.finished_at, job.updated_at = "workflow_deleted", now, now
        events.append(status_event(job, previous, job.status_reason))
    await session.flush()
    ids = [j.id for j in running]
    events += await cancel_children(session, ids, "parent_workflow_deleted", now)
    if wf.parent_job_id is not None and wf.status not in TERMINAL_WORKFLOW:
        events.append(await set_workflow_status(session, wf, WorkflowStatus.CANCELLED, now))
    return events
