"""Resolvers for dependencies and workflows."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from taskforge.domain.enums import DependencyCondition, DependencyType, WorkflowStatus
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.schema import workflow_types as w
from taskforge.schema.inputs import CreateDependencyInput, CreateWorkflowInput
from taskforge.services import dependencies, pagination, templates, workflow_reads, workflows
from taskforge.services.dependencies import Direction
from taskforge.services.workflows import ResumeAction

Info = strawberry.Info[Context, None]


async def create_dependency(info: Info, input: CreateDependencyInput) -> w.Dependency:
    principal = await info.context.principal()
    edge = await dependencies.create(
        info.context.svc,
        principal,
        ids.parse(input.parent_job_id, "parentJobId"),
        ids.parse(input.child_job_id, "childJobId"),
        DependencyType(input.type),
        DependencyCondition(input.condition),
        input.expression,
    )
    return w.Dependency.of(edge)


async def delete_dependency(info: Info, id: strawberry.ID) -> strawberry.ID:
    principal = await info.context.principal()
    await dependencies.delete(info.context.svc, principal, ids.parse(id))
    return id


async def check_dependencies(info: Info, job_id: strawberry.ID) -> w.DependencyCheck:
    principal = await info.context.principal()
    check = await dependencies.check(info.context.svc, principal, ids.parse(job_id, "jobId"))
    return w.DependencyCheck.of(check)


async def dependency_graph(
    info: Info,
    job_id: strawberry.ID,
    direction: w.DirectionEnum = Direction.BOTH,  # type: ignore[valid-type]
    max_depth: int | None = None,
) -> w.Graph:
    principal = await info.context.principal()
    svc = info.context.svc
    sub = await dependencies.graph(
        svc, principal, ids.parse(job_id, "jobId"), Direction(direction), max_depth
    )
    children = await workflow_reads.child_runs(svc, principal, sub.jobs)
    return w.Graph.build(sub.jobs, sub.edges, f"job {job_id}", children)


async def create_workflow(info: Info, input: CreateWorkflowInput) -> w.Workflow:
    principal = await info.context.principal()
    definition: Any = input.definition
    ref = input.template
    wf = await workflows.create(
        info.context.svc,
        principal,
        ids.parse(input.project_id, "projectId"),
        definition,
        input.start,
        input.idempotency_key,
        templates.ref_of(ref.name, ref.version) if ref is not None else None,
        input.input,
    )
    return w.Workflow.of(wf)


async def start_workflow(
    info: Info,
    id: strawberry.ID,
    input: Annotated[
        JSON | None,
        strawberry.argument(
            description="The run's input (a JSON object), replacing any given to "
            "createWorkflow; checked against the definition's input_schema."
        ),
    ] = None,
) -> w.Workflow:
    principal = await info.context.principal()
    wf = await workflows.start(info.context.svc, principal, ids.parse(id), input)
    return w.Workflow.of(wf)


async def cancel_workflow(info: Info, id: strawberry.ID) -> w.Workflow:
    principal = await info.context.principal()
    return w.Workflow.of(await workflows.cancel(info.context.svc, principal, ids.parse(id)))


async def retry_workflow(info: Info, id: strawberry.ID) -> w.Workflow:
    principal = await info.context.principal()
    return w.Workflow.of(await workflows.retry(info.context.svc, principal, ids.parse(id)))


async def resume_workflow(
    info: Info,
    id: strawberry.ID,
    action: w.ResumeActionEnum,  # type: ignore[valid-type]
) -> w.Workflow:
    principal = await info.context.principal()
    wf = await workflows.resume(info.context.svc, principal, ids.parse(id), ResumeAction(action))
    return w.Workflow.of(wf)


async def delete_workflow(info: Info, id: strawberry.ID) -> strawberry.ID:
    principal = await info.context.principal()
    await workflows.delete(info.context.svc, principal, ids.parse(id))
    return id


async def workflow(info: Info, id: strawberry.ID) -> w.Workflow:
    principal = await info.context.principal()
    # the definition is read only if selected (see Workflow.definition)
    row = await workflow_reads.get(info.context.svc, principal, ids.parse(id), definition=False)
    return w.Workflow.of(row)


async def workflows_(
    info: Info,
    first: int = 50,
    after: str | None = None,
    project_id: strawberry.ID | None = None,
    status: list[w.WorkflowStatusEnum] | None = None,  # type: ignore[valid-type]
) -> t.Connection[w.Workflow]:
    principal = await info.context.principal()
    listing = await workflow_reads.list_workflows(
        info.context.svc,
        principal,
        first=first,
        after=pagination.decode(after),
        project_id=ids.optional(project_id, "projectId"),
        statuses=[WorkflowStatus(s) for s in status] if status else None,
    )
    return t.Connection.build(listing, w.Workflow.of)  # type: ignore[arg-type]
