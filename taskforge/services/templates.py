"""Workflow templates: saving a new version (refused when it would include itself or
nest too deep), reading versions, and resolving what runs and workflow jobs refer to.

A template belongs to a project, as its runs do (its jobs name the project's queues).
A version never changes once saved: runs copy the definition when they are created.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records
from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.domain.templates import (
    MAX_NESTING,
    Node,
    TemplateRef,
    cycle_error,
    depths,
    find_cycle,
    nesting_error,
    resolve,
)
from taskforge.domain.templates import version as check_version
from taskforge.domain.workflows import WorkflowDefinition, load_definition
from taskforge.persistence.common import templates as repo
from taskforge.persistence.common import tenancy
from taskforge.persistence.tables import ScheduledJob, WorkflowTemplate
from taskforge.services import audit
from taskforge.services.base import Principal, Services, found
from taskforge.services.pagination import Cursor, Listing, paginate
from taskforge.services.workflows import parse

READ, WRITE = "jobs:read", "workflows:write"
_RUN: Node = ("", 0)  # the node of a run's own definition, which no reference can name


async def create(
    svc: Services, principal: Principal, project_id: uuid.UUID, definition: str | dict[str, Any]
) -> records.WorkflowTemplate:
    """Save the definition as the next version of the template its ``name`` names."""
    principal.require(WRITE)
    data = load_definition(definition, svc.settings.limits.definition_bytes)
    spec = parse(svc, data)
    org, now = principal.organization_id, svc.clock()
    try:
        async with svc.write() as session:
            found(await tenancy.project(session, org, project_id), "project", project_id)
            # saves of one project in turn: the version number and the cycle check see
            # the previous save (two saves referring to each other cannot both pass)
            await repo.lock_saves(session, project_id)
            latest = await repo.latest_versions(session, org, project_id, [spec.name])
            version = latest.get(spec.name, 0) + 1
            await check(svc, session, org, project_id, spec, (spec.name, version))
            row = WorkflowTemplate(
                id=uuid.uuid4(),
                organization_id=org,
                project_id=project_id,
                name=spec.name,
                version=version,
                description=spec.description,
                definition=data,
                job_count=len(spec.jobs),
                created_by=str(principal.user_id or principal.api_key_id or "") or None,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            details = {"name": spec.name, "version": version}
            await audit.record(
                session,
                principal,
                "workflow_template.created",
                "workflow_template",
                row.id,
                details=details,
            )
    except IntegrityError as exc:  # a save that did not take the lock: never ours
        raise Conflict(f"template {spec.name!r} was saved concurrently; try again") from exc
    return records.WorkflowTemplate.of(row)


async def get(
    svc: Services,
    principal: Principal,
    project_id: uuid.UUID,
    name: str,
    version: int | None = None,
) -> records.WorkflowTemplate:
    """One version of a template (its latest when ``version`` is None)."""
    principal.require(READ)
    ref = _ref(name, version, "name", "version")
    async with svc.read() as session:
        project = await tenancy.project(session, principal.organization_id, project_id)
        found(project, "project", project_id)
        row = await repo.get(session, principal.organization_id, project_id, ref.name, ref.version)
    if row is None:
        raise ref.not_found()
    return records.WorkflowTemplate.of(row)


async def list_templates(
    svc: Services,
    principal: Principal,
    *,
    first: int,
    after: Cursor | None,
    project_id: uuid.UUID | None = None,
    name: str | None = None,
    all_versions: bool = False,
) -> Listing[records.WorkflowTemplate]:
    """Templates newest first: the latest version of each name, or every version."""
    principal.require(READ)
    org = principal.organization_id
    if project_id is not None:
        async with svc.read() as session:
            found(await tenancy.project(session, org, project_id), "project", project_id)
    stmt = repo.listing(org, project_id, name, latest_only=not all_versions)
    return await paginate(svc, stmt, WorkflowTemplate, first, after, records.WorkflowTemplate.all)


def ref_of(name: str, version: int | None, field: str = "template") -> TemplateRef:
    """A client's reference to a template, checked (``field``: where it was given)."""
    return _ref(name, version, f"{field}.name", f"{field}.version")


def _ref(name: str, version: int | None, name_field: str, version_field: str) -> TemplateRef:
    if not name.strip():
        raise InvalidInput(f"{name_field} must be a non-empty string", field=name_field)
    pinned = None if version is None else check_version(version, version_field)
    return TemplateRef(name.strip(), pinned)


async def for_run(
    svc: Services,
    session: AsyncSession,
    org: uuid.UUID,
    project_id: uuid.UUID,
    ref: TemplateRef,
    field: str | None = "template",
) -> tuple[WorkflowTemplate, WorkflowDefinition]:
    """The template version a run refers to (its latest when unpinned) and its parsed
    definition; NOT_FOUND naming ``field`` when there is none (another tenant's too)."""
    row = await repo.get(session, org, project_id, ref.name, ref.version)
    if row is None:
        raise ref.not_found(field)
    return row, parse(svc, row.definition)


async def check(
    svc: Services,
    session: AsyncSession,
    org: uuid.UUID,
    project_id: uuid.UUID,
    spec: WorkflowDefinition,
    itself: Node | None = None,
) -> None:
    """The templates ``spec``'s workflow jobs refer to exist, and following references
    (pinned versions, and the latest of the others: the versions a run would start)
    never leads back to a template on the way nor nests deeper than MAX_NESTING.
    ``itself``: the (name, version) ``spec`` is being saved as (its own latest version
    from now on); None for a run's definition. Two queries per level of nesting, at most
    MAX_NESTING levels read: a chain reaching further is refused there."""
    start = itself or _RUN
    latest: dict[str, int] = {itself[0]: itself[1]} if itself else {}
    refs: dict[Node, list[Node]] = {}
    fields: dict[Node, str] = {}  # the first of start's jobs referring to each target
    via: dict[Node, str | None] = {}  # ... and the one through which a node was found
    todo: dict[Node, WorkflowDefinition] = {start: spec}
    level = 0  # of the nodes in todo: how deep a run of them would nest
    while todo:
        unpinned = {
            j.workflow.name
            for s in todo.values()
            for j in s.jobs
            if j.workflow is not None and j.workflow.version is None
        }
        latest |= await repo.latest_versions(session, org, project_id, unpinned - latest.keys())
        wanted: dict[Node, TemplateRef] = {}
        for node, s in todo.items():
            out = refs[node] = []
            for i, job in enumerate(s.jobs):
                if job.workflow is None:
                    continue
                field = f"jobs[{i}].workflow.template" if node == start else None
                target = resolve(job.workflow, latest)
                if target is None:
                    raise job.workflow.not_found(field)
                if field is not None:
                    fields.setdefault(target, field)
                via.setdefault(target, field if node == start else via.get(node))
                out.append(target)
                if target not in refs and target not in todo:
                    wanted.setdefault(target, job.workflow)
        level += 1
        if wanted and level > MAX_NESTING:  # a run of them would nest too deep
            raise nesting_error(via.get(next(iter(wanted))) or "definition")
        have = {
            (r.name, r.version): r
            for r in await repo.versions(session, org, project_id, list(wanted))
        }
        for node, ref in wanted.items():
            if node not in have:
                raise ref.not_found(fields.get(node))
        todo = {node: parse(svc, have[node].definition) for node in wanted}
    if (cycle := find_cycle(start, refs)) is not None:
        where = fields.get(cycle[1], "definition") if cycle[0] == start else "definition"
        raise cycle_error(cycle, where, _label)
    levels = depths(start, refs)  # up to MAX_NESTING + 1: too deep
    if levels[start] > MAX_NESTING:
        deepest = max(refs[start], key=levels.__getitem__)
        raise nesting_error(fields.get(deepest, "definition"))


def _label(node: Node) -> str:
    return f"{node[0]} v{node[1]}"


# -- schedules targeting a template ------------------------------------------------------
# A schedule keeps its template reference where an inline definition goes, as
# ``{"template": {"name", "version"}}`` (a definition never has a "template" key).


def schedule_target(ref: TemplateRef) -> dict[str, Any]:
    """What a schedule that runs ``ref`` stores as its workflow definition."""
    return {"template": {"name": ref.name, "version": ref.version}}


def target_of(definition: Mapping[str, Any] | None) -> TemplateRef | None:
    """The template a schedule's stored workflow definition refers to (None: inline)."""
    ref = (definition or {}).get("template")
    if not isinstance(ref, Mapping):
        return None
    return TemplateRef(str(ref.get("name")), ref.get("version"))


async def check_target(
    svc: Services, session: AsyncSession, org: uuid.UUID, s: ScheduledJob
) -> WorkflowDefinition | None:
    """A schedule's template, if it names one, exists in its project (NOT_FOUND naming
    ``workflowTemplate``): it fires the version current at each occurrence. An inline
    definition's workflow jobs are checked as a run's are. Returns the definition an
    occurrence would run now (None: a job schedule)."""
    if s.workflow_definition is None or s.project_id is None:
        return None
    if (ref := target_of(s.workflow_definition)) is not None:
        return (await for_run(svc, session, org, s.project_id, ref, "workflowTemplate"))[1]
    source = s.workflow_definition.get("source", s.workflow_definition)
    spec = parse(svc, source)
    await check(svc, session, org, s.project_id, spec)
    return spec


async def scheduled_run(
    svc: Services, session: AsyncSession, s: ScheduledJob
) -> tuple[Any, WorkflowDefinition, dict[str, Any] | None]:
    """What an occurrence of a workflow schedule creates: the definition (its template's,
    as it is now), parsed, and the run's template columns (None: an inline definition)."""
    definition = s.workflow_definition or {}
    if (ref := target_of(definition)) is None:
        source = definition.get("source", definition)
        return source, parse(svc, source), None
    row, spec = await for_run(svc, session, s.organization_id, s.project_id, ref)
    origin = {"template_name": row.name, "template_version": row.version}
    return dict(row.definition), spec, origin
