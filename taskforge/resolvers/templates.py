"""Resolvers of workflow templates."""

from __future__ import annotations

from typing import Any

import strawberry

from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import template_types as tt
from taskforge.schema import types as t
from taskforge.services import pagination, templates

Info = strawberry.Info[Context, None]


async def create_workflow_template(
    info: Info, input: tt.CreateWorkflowTemplateInput
) -> tt.WorkflowTemplate:
    principal = await info.context.principal()
    definition: Any = input.definition
    row = await templates.create(
        info.context.svc, principal, ids.parse(input.project_id, "projectId"), definition
    )
    return tt.WorkflowTemplate.of(row)


async def workflow_template(
    info: Info, project_id: strawberry.ID, name: str, version: int | None = None
) -> tt.WorkflowTemplate:
    """One version of a template of the project; the latest when `version` is omitted."""
    principal = await info.context.principal()
    row = await templates.get(
        info.context.svc, principal, ids.parse(project_id, "projectId"), name, version
    )
    return tt.WorkflowTemplate.of(row)


async def workflow_templates(
    info: Info,
    first: int = 50,
    after: str | None = None,
    project_id: strawberry.ID | None = None,
    name: str | None = None,
    all_versions: bool = False,
) -> t.Connection[tt.WorkflowTemplate]:
    """Templates, newest first: the latest version of each name, or every version
    (`allVersions`); of one project or name."""
    principal = await info.context.principal()
    listing = await templates.list_templates(
        info.context.svc,
        principal,
        first=first,
        after=pagination.decode(after),
        project_id=ids.optional(project_id, "projectId"),
        name=name,
        all_versions=all_versions,
    )
    return t.Connection.build(listing, tt.WorkflowTemplate.of)  # type: ignore[arg-type]
