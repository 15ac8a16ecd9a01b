"""GraphQL types of Schedule.runs: a schedule's occurrences and what each created."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from taskforge.schema.types import Edge, Job, PageInfo
from taskforge.schema.workflow_types import Workflow
from taskforge.services import pagination, schedule_history

if TYPE_CHECKING:
    from taskforge.resolvers.context import Context


@strawberry.type(description="One occurrence of a schedule: fired, or backfilled and waiting.")
class ScheduleRun:
    occurrence: datetime = strawberry.field(
        description="The occurrence (the time the cron/interval named), not when it fired."
    )
    fired_at: datetime | None = strawberry.field(
        description="When the run was created (null: a backfilled occurrence still waiting "
        "its turn)."
    )
    _run: strawberry.Private[schedule_history.Run]

    @strawberry.field(
        description="The job it created (a job schedule), null when deleted since or not fired yet."
    )
    async def job(self, info: strawberry.Info[Context, None]) -> Job | None:
        if self._run.job_id is None:
            return None
        row = await info.context.loaders.job.load(self._run.job_id)
        return Job.of(row) if row is not None else None

    @strawberry.field(
        description="The workflow run it created (a workflow schedule), null when deleted "
        "since or not fired yet."
    )
    async def workflow(self, info: strawberry.Info[Context, None]) -> Workflow | None:
        if self._run.workflow_id is None:
            return None
        row = await info.context.loaders.workflow.load(self._run.workflow_id)
        return Workflow.of(row) if row is not None else None

    @classmethod
    def of(cls, run: schedule_history.Run) -> ScheduleRun:
        return cls(occurrence=run.occurrence, fired_at=run.fired_at, _run=run)


@strawberry.type(description="A page of a schedule's runs, newest occurrence first.")
class ScheduleRunConnection:
    edges: list[Edge[ScheduleRun]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: schedule_history.RunPage) -> ScheduleRunConnection:
        edges = [
            Edge(cursor=pagination.encode(run.occurrence, run.id), node=ScheduleRun.of(run))
            for run in page.items
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
