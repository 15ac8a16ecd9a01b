"""GraphQL types of dependencies and workflows: edges, checks, graphs, workflows, stats."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import strawberry
from strawberry.scalars import JSON

from taskforge.domain import dag, records
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyType,
    EdgeStatus,
    FailurePolicy,
    JobStatus,
    WorkflowStatus,
)
from taskforge.domain.workflows import stats as workflow_stats
from taskforge.gc_pause import collection_paused
from taskforge.schema.template_types import WorkflowTemplateRef
from taskforge.schema.types import DependencyStatusEnum, Job, JobStatusEnum, TriggerRuleEnum
from taskforge.services import workflow_reads
from taskforge.services.dependencies import Check, Direction
from taskforge.services.workflows import ResumeAction

if TYPE_CHECKING:
    from taskforge.resolvers.context import Context

DependencyTypeEnum = strawberry.enum(DependencyType, name="DependencyType")
DependencyConditionEnum = strawberry.enum(DependencyCondition, name="DependencyCondition")
EdgeStatusEnum = strawberry.enum(EdgeStatus, name="EdgeStatus")
WorkflowStatusEnum = strawberry.enum(WorkflowStatus, name="WorkflowStatus")
FailurePolicyEnum = strawberry.enum(FailurePolicy, name="FailurePolicy")
DirectionEnum = strawberry.enum(Direction, name="GraphDirection")
ResumeActionEnum = strawberry.enum(ResumeAction, name="ResumeAction")


@strawberry.type
class Dependency:
    id: strawberry.ID
    parent_job_id: strawberry.ID
    child_job_id: strawberry.ID
    type: DependencyTypeEnum  # type: ignore[valid-type]
    condition: DependencyConditionEnum  # type: ignore[valid-type]
    expression: str | None
    status: EdgeStatusEnum  # type: ignore[valid-type]
    resolved_at: datetime | None
    resolved_by: str | None
    created_at: datetime

    @strawberry.field
    async def parent(self, info: strawberry.Info[Context, None]) -> Job | None:
        row = await info.context.loaders.job.load(uuid.UUID(self.parent_job_id))
        return Job.of(row) if row else None

    @strawberry.field
    async def child(self, info: strawberry.Info[Context, None]) -> Job | None:
        row = await info.context.loaders.job.load(uuid.UUID(self.child_job_id))
        return Job.of(row) if row else None

    @classmethod
    def of(cls, row: records.Edge) -> Dependency:
        return cls(
            id=strawberry.ID(str(row.id)),
            parent_job_id=strawberry.ID(str(row.parent_job_id)),
            child_job_id=strawberry.ID(str(row.child_job_id)),
            type=row.dependency_type,
            condition=row.condition,
            expression=row.expression,
            status=row.status,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            created_at=row.created_at,
        )


@strawberry.type
class DependencyCheck:
    can_execute: bool
    total: int
    resolved: int
    pending: int
    failed: int
    dependency_status: DependencyStatusEnum  # type: ignore[valid-type]
    trigger_rule: TriggerRuleEnum = strawberry.field(  # type: ignore[valid-type]
        description="The job's rule, which reads these counts' states: canExecute follows "
        "it (a ONE_SUCCESS job can run while some dependencies are still pending)."
    )

    @classmethod
    def of(cls, c: Check) -> DependencyCheck:
        return cls(
            can_execute=c.can_execute,
            total=c.total,
            resolved=c.resolved,
            pending=c.pending,
            failed=c.failed,
            dependency_status=c.dependency_status,
            trigger_rule=c.trigger_rule,
        )


@strawberry.type
class GraphNode:
    id: strawberry.ID
    name: str | None
    job_type: str
    status: JobStatusEnum  # type: ignore[valid-type]
    level: int
    child_workflow_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A workflow job's latest child run (null for other jobs, and until it starts).",
    )
    group: strawberry.ID | None = strawberry.field(
        default=None,
        description="A mapped job's template: the job with map_over that made it (null for"
        " other jobs).",
    )
    map_index: int | None = strawberry.field(
        default=None, description="A mapped job's position in its template's list."
    )


@strawberry.type(description="The jobs a template (a job with map_over) made, one per item.")
class GraphGroup:
    template_id: strawberry.ID = strawberry.field(description="The template's job id.")
    name: str | None = strawberry.field(description="The template's name.")
    count: int = strawberry.field(description="How many jobs it made.")
    job_ids: list[strawberry.ID] = strawberry.field(description="They, by their index.")


@strawberry.type
class GraphEdge:
    id: strawberry.ID
    parent_id: strawberry.ID
    child_id: strawberry.ID
    type: DependencyTypeEnum  # type: ignore[valid-type]
    condition: DependencyConditionEnum  # type: ignore[valid-type]
    status: EdgeStatusEnum  # type: ignore[valid-type]


class GraphData:
    """A graph's rows and what is derived from them, each computed once, on demand:
    a query asking for ``roots`` does not pay for the critical path or the exports."""

    def __init__(
        self,
        jobs: Sequence[records.GraphJob],
        edges: Sequence[records.GraphEdge],
        title: str,
        children: Mapping[str, str] | None = None,
    ) -> None:
        self.jobs, self.edges, self.title = jobs, edges, title
        self.children = children or {}  # workflow job id -> its child run's id
        with collection_paused():
            self.ids = [j.id for j in jobs]
            self.pairs = [(e.parent_job_id, e.child_job_id) for e in edges]

    @cached_property
    def levels(self) -> list[list[str]]:
        return dag.topological_levels(self.ids, self.pairs)

    @cached_property
    def views(self) -> tuple[list[dag.NodeView], list[dag.EdgeView]]:
        node, edge = dag.NodeView._make, dag.EdgeView._make
        nodes = [
            node((i, j.name or j.job_type, j.status, j.job_type, j.map_parent_id, j.map_index))
            for i, j in zip(self.ids, self.jobs, strict=True)
        ]
        edges = [
            edge((parent, child, e.dependency_type, e.condition, e.status))
            for (parent, child), e in zip(self.pairs, self.edges, strict=True)
        ]
        return nodes, edges

    @cached_property
    def groups(self) -> list[dict[str, Any]]:
        """The mapped children of each template (``dag.groups``): none at all, at no cost
        beyond a look at each job, in a graph without mapped jobs."""
        if all(j.map_parent_id is None for j in self.jobs):
            return []
        return dag.groups(
            (i, j.name or j.job_type, j.map_parent_id, j.map_index)
            for i, j in zip(self.ids, self.jobs, strict=True)
        )

    def critical_path(self) -> list[str]:
        return dag.critical_path(self.ids, self.pairs, dag.run_time_weights(self.jobs))

    def json(self) -> dict[str, Any]:
        """dag.to_json of the views, rendered straight from the rows (no views built)."""
        with collection_paused():
            nodes = [
                {"id": i, "label": j.name or j.job_type, "status": j.status, "jobType": j.job_type}
                for i, j in zip(self.ids, self.jobs, strict=True)
            ]
            for node, j in zip(nodes, self.jobs, strict=True) if self.groups else ():
                dag.node_json(node, j.map_parent_id, j.map_index)
            for node in nodes if self.children else ():
                if (child := self.children.get(node["id"])) is not None:
                    node["childWorkflowId"] = child
            edges = [
                {
                    "parent": parent,
                    "child": child,
                    "type": e.dependency_type,
                    "condition": e.condition,
                    "status": e.status,
                }
                for (parent, child), e in zip(self.pairs, self.edges, strict=True)
            ]
            return dag.json_document(nodes, edges, self.ids, self.pairs, self.groups)


@strawberry.type(description="A dependency graph with live statuses, and its exports.")
class Graph:
    _data: strawberry.Private[GraphData]

    @strawberry.field
    def nodes(self) -> list[GraphNode]:
        level_of = {n: i for i, level in enumerate(self._data.levels) for n in level}
        children = self._data.children
        return [
            GraphNode(
                id=strawberry.ID(j.id),
                name=j.name,
                job_type=j.job_type,
                status=JobStatus(j.status),
                level=level_of[j.id],
                child_workflow_id=strawberry.ID(c) if (c := children.get(j.id)) else None,
                group=None if j.map_parent_id is None else strawberry.ID(j.map_parent_id),
                map_index=j.map_index,
            )
            for j in self._data.jobs
        ]

    @strawberry.field(
        description="Mapped jobs grouped under their template (a job with map_over), one"
        " entry per template that made some."
    )
    def groups(self) -> list[GraphGroup]:
        return [
            GraphGroup(
                template_id=strawberry.ID(g["template"]),
                name=g["label"] if g["label"] != g["template"] else None,
                count=g["count"],
                job_ids=[strawberry.ID(i) for i in g["jobs"]],
            )
            for g in self._data.groups
        ]

    @strawberry.field
    def edges(self) -> list[GraphEdge]:
        return [
            GraphEdge(
                id=strawberry.ID(e.id),
                parent_id=strawberry.ID(e.parent_job_id),
                child_id=strawberry.ID(e.child_job_id),
                type=DependencyType(e.dependency_type),
                condition=DependencyCondition(e.condition),
                status=EdgeStatus(e.status),
            )
            for e in self._data.edges
        ]

    @strawberry.field
    def roots(self) -> list[strawberry.ID]:
        return [strawberry.ID(n) for n in dag.roots(self._data.ids, self._data.pairs)]

    @strawberry.field
    def leaves(self) -> list[strawberry.ID]:
        return [strawberry.ID(n) for n in dag.leaves(self._data.ids, self._data.pairs)]

    @strawberry.field(description="Jobs by topological level (level 0: the roots).")
    def levels(self) -> list[list[strawberry.ID]]:
        return [[strawberry.ID(n) for n in level] for level in self._data.levels]

    @strawberry.field(description="The longest chain by run time (1 per job not yet run).")
    def critical_path(self) -> list[strawberry.ID]:
        return [strawberry.ID(n) for n in self._data.critical_path()]

    @strawberry.field(
        description="Everything above as one JSON document: the cheap way to load a big graph."
    )
    def json(self) -> JSON:
        return self._data.json()  # type: ignore[return-value]

    @strawberry.field(description="Graphviz DOT, one node per job coloured by status.")
    def dot(self) -> str:
        return dag.to_dot(*self._data.views, title=self._data.title)

    @strawberry.field(description="A Mermaid flowchart, one node per job with its status.")
    def mermaid(self) -> str:
        return dag.to_mermaid(*self._data.views)

    @classmethod
    def build(
        cls,
        jobs: Sequence[records.GraphJob],
        edges: Sequence[records.GraphEdge],
        title: str,
        children: Mapping[str, str] | None = None,
    ) -> Graph:
        """``children``: each workflow job's child run (``workflow_reads.child_runs``)."""
        return cls(_data=GraphData(jobs, edges, title, children))


@strawberry.type
class StatusCount:
    status: JobStatusEnum  # type: ignore[valid-type]
    count: int


@strawberry.type
class WorkflowStats:
    total: int
    completed: int
    completion_percentage: float
    counts: list[StatusCount]

    @classmethod
    def of(cls, counts: Mapping[JobStatus, int]) -> WorkflowStats:
        s = workflow_stats(counts)
        return cls(
            total=s["total"],
            completed=s["completed"],
            completion_percentage=s["completionPercentage"],
            counts=[StatusCount(status=JobStatus(k), count=v) for k, v in s["counts"].items()],
        )


@strawberry.type
class Workflow:
    id: strawberry.ID
    project_id: strawberry.ID
    name: str
    description: str | None
    status: WorkflowStatusEnum  # type: ignore[valid-type]
    failure_policy: FailurePolicyEnum  # type: ignore[valid-type]
    timeout_seconds: int | None
    priority: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    deadline_at: datetime | None
    pruned_at: datetime | None = strawberry.field(
        description="When retention deleted the last of its jobs (its stats are those"
        " it had then; its graph and jobs are empty)."
    )
    template: WorkflowTemplateRef | None = strawberry.field(
        description="The template version its definition was copied from (null: given inline)."
    )
    parent_job_id: strawberry.ID | None = strawberry.field(
        description="A child run: the workflow job that started it (it ends with this run)."
    )
    parent_workflow_id: strawberry.ID | None = strawberry.field(
        description="A child run: the workflow of the job that started it."
    )
    nesting: int = strawberry.field(
        description="0 for a run started by a client or a schedule; a child run's is its"
        " parent's + 1 (at most 10)."
    )
    _definition: strawberry.Private[Any]
    input: JSON | None = strawberry.field(
        description="The run's input, which its jobs' payloads can reference "
        "({{ input.x }}); null: none was given."
    )
    deduplicated: bool = strawberry.field(
        default=False,
        description="True in the response of a createWorkflow whose idempotencyKey an "
        "earlier call used: this is the workflow that call created, and nothing new was "
        "created. False everywhere else.",
    )

    @strawberry.field(description="The definition the workflow was created from.")
    async def definition(self, info: strawberry.Info[Context, None]) -> JSON:
        if self._definition is not records.UNREAD:
            return self._definition  # type: ignore[no-any-return]
        # workflow(id) reads it only when selected: megabytes of JSON for a big workflow
        principal = await info.context.principal()
        value = await workflow_reads.definition(info.context.svc, principal, uuid.UUID(self.id))
        return value  # type: ignore[return-value]

    @strawberry.field(description="The workflow's jobs, oldest first.")
    async def jobs(self, info: strawberry.Info[Context, None]) -> list[Job]:
        rows = await info.context.loaders.workflow_jobs.load(uuid.UUID(self.id))
        return [Job.of(r) for r in rows]

    @strawberry.field(description="Jobs per status and the completion percentage.")
    async def stats(self, info: strawberry.Info[Context, None]) -> WorkflowStats:
        counts = await info.context.loaders.workflow_counts.load(uuid.UUID(self.id))
        return WorkflowStats.of(counts)

    @strawberry.field(description="Nodes, edges, roots, leaves, levels, critical path, exports.")
    async def graph(self, info: strawberry.Info[Context, None]) -> Graph:
        principal = await info.context.principal()
        svc = info.context.svc
        jobs, edges = await workflow_reads.graph_of(svc, principal, uuid.UUID(self.id))
        children = await workflow_reads.child_runs(svc, principal, jobs)
        return Graph.build(jobs, edges, self.name, children)

    @classmethod
    def of(cls, row: records.Workflow) -> Workflow:
        return cls(
            id=strawberry.ID(str(row.id)),
            project_id=strawberry.ID(str(row.project_id)),
            name=row.name,
            description=row.description,
            status=row.status,
            failure_policy=row.failure_policy,
            timeout_seconds=row.timeout_seconds,
            priority=row.priority,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            deadline_at=row.deadline_at,
            pruned_at=row.pruned_at,
            template=(
                WorkflowTemplateRef(name=row.template_name, version=row.template_version)
                if row.template_name is not None and row.template_version is not None
                else None
            ),
            parent_job_id=_optional_id(row.parent_job_id),
            parent_workflow_id=_optional_id(row.parent_workflow_id),
            nesting=row.nesting,
            _definition=row.definition,
            input=cast(JSON | None, row.input),
            deduplicated=row.deduplicated,
        )


def _optional_id(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))
