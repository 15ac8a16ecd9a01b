"""Per-request DataLoaders, each one batched query scoped to the caller's tenant.

They know the services and how to get the caller, not the request context that owns
them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from taskforge.domain import records
from taskforge.services import (
    dependencies,
    executions,
    jobs,
    queue_stats,
    queues,
    run_data,
    schedule_history,
    tenancy,
    workers,
    workflow_reads,
)
from taskforge.services.base import Principal, Services

R = TypeVar("R")


class Loaders:
    def __init__(
        self, svc: Services, principal: Callable[[], Awaitable[Principal]], cache: bool
    ) -> None:
        self._svc, self._principal = svc, principal
        self.queue = DataLoader(self._by_id(queues.by_ids), cache=cache)
        self.project = DataLoader(self._by_id(tenancy.projects_by_ids), cache=cache)
        self.job = DataLoader(self._by_id(jobs.by_ids), cache=cache)
        self.queues_by_project = DataLoader(self._queues_by_project, cache=cache)
        self.worker = DataLoader(self._by_id(workers.by_ids), cache=cache)
        self.assignments = DataLoader(
            self._grouped(workers.assignments_of, "worker_id"), cache=cache
        )
        self.executions = DataLoader(self._grouped(executions.executions_of, "job_id"), cache=cache)
        self.logs = DataLoader(self._grouped(executions.logs_of, "execution_id"), cache=cache)
        self.edges = DataLoader(self._edges, cache=cache)
        self.workflow = DataLoader(self._by_id(workflow_reads.by_ids), cache=cache)
        self.workflow_counts = DataLoader(self._workflow_counts, cache=cache)
        self.workflow_jobs = DataLoader(
            self._grouped(workflow_reads.jobs_of, "workflow_id"), cache=cache
        )
        # workflow job id -> its latest child run (Job.childWorkflow)
        self.child_workflow = DataLoader(self._child_workflow, cache=cache)
        # (queue id, job type) -> whether an online worker runs it (Job.waitingForHandler)
        self.handled = DataLoader(self._handled, cache=cache)
        # a workflow job's direct parents' outputs by name (Job.parentOutputs)
        self.parent_outputs = DataLoader(self._parent_outputs, cache=cache)
        # queue id -> its figures (Queue.stats); (queue id, minutes) -> its throughput
        self.queue_stats = DataLoader(self._queue_stats, cache=cache)
        self.throughput = DataLoader(self._throughput, cache=cache)
        # (schedule id, first, after) -> a page of its runs (Schedule.runs)
        self.schedule_runs = DataLoader(self._schedule_runs, cache=cache)

    async def _schedule_runs(
        self, keys: list[schedule_history.PageKey]
    ) -> list[schedule_history.RunPage]:
        return await schedule_history.pages(self._svc, await self._principal(), keys)

    async def _queue_stats(self, ids: list[uuid.UUID]) -> list[queue_stats.Figures | None]:
        found = await queue_stats.figures(self._svc, await self._principal(), ids)
        return [found.get(i) for i in ids]

    async def _throughput(
        self, keys: list[tuple[uuid.UUID, int]]
    ) -> list[list[queue_stats.Point] | None]:
        """One read of the longest span asked for, whatever the queues and spans: a
        shorter span is the end of it (its points are the same minutes)."""
        longest = max(minutes for _, minutes in keys)
        points = await queue_stats.throughput(
            self._svc, await self._principal(), [queue_id for queue_id, _ in keys], longest
        )
        return [
            points[queue_id][longest - minutes :] if queue_id in points else None
            for queue_id, minutes in keys
        ]

    async def _parent_outputs(self, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        principal = await self._principal()
        found = await run_data.parent_outputs(self._svc, principal, ids)
        return [found.get(i, {}) for i in ids]

    async def _handled(self, keys: list[tuple[uuid.UUID, str]]) -> list[bool]:
        return await workers.handled(self._svc, await self._principal(), keys)

    def _by_id(
        self, fetch: Callable[..., Coroutine[Any, Any, Sequence[R]]]
    ) -> Callable[[list[uuid.UUID]], Coroutine[Any, Any, list[R | None]]]:
        async def load(ids: list[uuid.UUID]) -> list[R | None]:
            principal = await self._principal()
            rows = await fetch(self._svc, principal, ids)
            found = {row.id: row for row in rows}  # type: ignore[attr-defined]
            return [found.get(i) for i in ids]

        return load

    def _grouped(
        self, fetch: Callable[..., Coroutine[Any, Any, Sequence[R]]], key: str
    ) -> Callable[[list[uuid.UUID]], Coroutine[Any, Any, list[list[R]]]]:
        async def load(ids: list[uuid.UUID]) -> list[list[R]]:
            principal = await self._principal()
            grouped: dict[uuid.UUID, list[R]] = defaultdict(list)
            for row in await fetch(self._svc, principal, ids):
                grouped[getattr(row, key)].append(row)
            return [grouped[i] for i in ids]

        return load

    async def _child_workflow(self, ids: list[uuid.UUID]) -> list[records.Workflow | None]:
        principal = await self._principal()
        children = await workflow_reads.latest_children_of(self._svc, principal, ids)
        return [children.get(i) for i in ids]

    async def _workflow_counts(self, ids: list[uuid.UUID]) -> list[dict[Any, int]]:
        principal = await self._principal()
        counts = await workflow_reads.counts_of(self._svc, principal, ids)
        return [counts.get(i, {}) for i in ids]

    async def _edges(self, ids: list[uuid.UUID]) -> list[list[records.Edge]]:
        """Edges touching each job (in or out): one query for the whole batch."""
        principal = await self._principal()
        grouped: dict[uuid.UUID, list[records.Edge]] = defaultdict(list)
        for edge in await dependencies.edges_of(self._svc, principal, ids):
            grouped[edge.parent_job_id].append(edge)
            grouped[edge.child_job_id].append(edge)
        return [grouped[i] for i in ids]

    async def _queues_by_project(self, ids: list[uuid.UUID]) -> list[list[records.Queue]]:
        principal = await self._principal()
        grouped: dict[uuid.UUID, list[records.Queue]] = defaultdict(list)
        for row in await queues.by_projects(self._svc, principal, ids):
            grouped[row.project_id].append(row)
        return [grouped[i] for i in ids]
