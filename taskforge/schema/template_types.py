"""GraphQL types of workflow templates: a version, references to one, and their inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from taskforge.domain import records


@strawberry.type(
    description="One version of a named workflow definition of a project. A version never "
    "changes: a new definition saved under the same name is the next version."
)
class WorkflowTemplate:
    id: strawberry.ID
    project_id: strawberry.ID
    name: str = strawberry.field(description="The definition's `name`.")
    version: int = strawberry.field(description="1 for the first definition of a name, then +1.")
    description: str | None
    definition: JSON = strawberry.field(description="The definition as given (YAML as data).")
    job_count: int
    created_by: str | None = strawberry.field(description="The user or API key that saved it.")
    created_at: datetime

    @classmethod
    def of(cls, row: records.WorkflowTemplate) -> WorkflowTemplate:
        return cls(
            id=strawberry.ID(str(row.id)),
            project_id=strawberry.ID(str(row.project_id)),
            name=row.name,
            version=row.version,
            description=row.description,
            definition=row.definition,  # type: ignore[arg-type]
            job_count=row.job_count,
            created_by=row.created_by,
            created_at=row.created_at,
        )


@strawberry.type(description="The template version a workflow run was copied from.")
class WorkflowTemplateRef:
    name: str
    version: int


@strawberry.type(description="A template a schedule runs: a version, or the latest (null).")
class WorkflowTemplateTarget:
    name: str
    version: int | None


@strawberry.input(description="A template of the run's project, by name.")
class WorkflowTemplateRefInput:
    name: str
    version: int | None = strawberry.field(
        default=None, description="A version (from 1); omitted: the latest."
    )


@strawberry.input
class CreateWorkflowTemplateInput:
    project_id: strawberry.ID
    definition: JSON = strawberry.field(
        description="A workflow definition (an object, or JSON or YAML text); its `name` "
        "names the template. Its workflow jobs (`workflow: {template, version}`) must name "
        "templates of the project that exist, and may not lead back to this one."
    )
