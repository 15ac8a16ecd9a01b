"""Data between workflow steps: when workflow jobs become ready, the references in their
payload templates (``{{ input.x }}``, ``{{ parents.NAME.output.x }}``) are resolved into
their payloads, in the engine's transaction, before any worker can claim them.

Set-based like the engine: for the jobs one step released, one statement finds which of
their workflows have references (none: nothing more is read), one reads those jobs'
templates, one the inputs and one the parents' outputs they need. A reference that names
nothing, or a resolved payload over the payload limit, fails its job (FAILED, not
retried, its error naming the job and the path); the caller hands it to the engine as
any failure (services/resolution).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.config import Limits
from taskforge.domain import references, validation
from taskforge.domain.enums import JobStatus
from taskforge.domain.errors import InvalidInput
from taskforge.domain.events import Event
from taskforge.persistence.common import run_data as repo
from taskforge.services.base import PAYLOAD_BYTES, Principal, Services
from taskforge.services.job_events import status_event
from taskforge.services.workflow_flags import WorkflowFlags

READ = "jobs:read"
UNRESOLVED = "unresolved_reference"  # the failed job's status reason
TOO_LARGE = "payload_too_large"
_DEFAULT_PAYLOAD_BYTES: int = Limits.model_fields["payload_bytes"].default


async def on_ready(
    session: AsyncSession,
    ready: Iterable[tuple[uuid.UUID | None, Sequence[uuid.UUID]]],
    now: datetime,
) -> tuple[list[Event], list[Row[Any]]]:
    """Resolve the payloads of the jobs that just became ready, given as (workflow id,
    job ids) groups. Returns the events of the jobs that failed, and those jobs (for the
    engine to decide their children)."""
    groups = [(wf, ids) for wf, ids in ready if wf is not None and ids]
    if not groups:
        return [], []
    flagged = await _referencing(session, {wf for wf, _ in groups})
    if not flagged:
        return [], []
    rows = await repo.templates(session, [i for wf, ids in groups if wf in flagged for i in ids])
    if not rows:
        return [], []
    wanted = {row.id: _wanted(row.payload_template) for row in rows}
    reading = {r.workflow_id for r in rows if wanted[r.id][0]}
    inputs = await repo.inputs(session, reading) if reading else {}
    needing = [r.id for r in rows if wanted[r.id][1]]
    parents = await repo.parents(session, needing) if needing else {}
    limit = session.info.get(PAYLOAD_BYTES, _DEFAULT_PAYLOAD_BYTES)
    resolved: list[tuple[uuid.UUID, dict[str, Any]]] = []
    failed: list[tuple[Row[Any], str, str]] = []
    for row in rows:
        lookup = references.lookup_in(inputs.get(row.workflow_id), parents.get(row.id, {}))
        try:
            payload = references.resolve(row.payload_template, lookup)
            validation.json_payload(payload, limit, field="payload")
        except (references.Unresolved, ValueError) as exc:
            failed.append((row, UNRESOLVED, f"{row.name}: {exc}"))
        except InvalidInput as exc:
            size = exc.details.get("size")
            failed.append((row, TOO_LARGE, f"{row.name}: {_too_large(size, limit)}"))
        else:
            resolved.append((row.id, payload))
    await repo.set_payloads(session, resolved, now)
    events: list[Event] = []
    ended: list[Row[Any]] = []
    for row, reason, error in failed:  # rare: a statement each
        changed = await repo.fail_not_started(session, row.id, reason, error, now)
        if changed is not None:
            events.append(status_event(changed, JobStatus(row.status), reason))
            ended.append(changed)
    return events, ended


# whether a workflow's jobs' payloads have references (fixed when it is created)
_REFERENCING = WorkflowFlags(10_000)


async def _referencing(session: AsyncSession, workflow_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these workflows have references."""

    async def read(unknown: list[uuid.UUID]) -> set[uuid.UUID]:
        return set(await repo.referencing(session, unknown))

    return await _REFERENCING.having(workflow_ids, read)


def _wanted(template: Any) -> tuple[bool, bool]:
    """Whether the template reads the run's input, and whether it reads parents."""
    try:
        found = references.references(template)
    except ValueError:  # checked when saved; resolving it says what is wrong
        return True, True
    reads = {r.root for r in found}
    return references.INPUT in reads, references.PARENTS in reads


def _too_large(size: int | None, limit: int) -> str:
    what = f"is {size} bytes" if size is not None else "is not a valid payload"
    return f"the resolved payload {what}, over the limit of {limit} (TASKFORGE_LIMIT_PAYLOAD_BYTES)"


async def parent_outputs(
    svc: Services, principal: Principal, job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Each job's direct parents' outputs by job name (None for a parent without output),
    in one statement, within the caller's organization (``Job.parentOutputs``)."""
    principal.require(READ)
    async with svc.read() as session:
        return await outputs_in(session, principal.organization_id, job_ids)


async def outputs_in(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """``parent_outputs`` in the caller's transaction (a claim's)."""
    found = await repo.parents(session, job_ids, org_id)
    return {
        child: {name: output for name, (_, output) in by_name.items()}
        for child, by_name in found.items()
    }
