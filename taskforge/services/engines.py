"""Background engines run by every `serve` process; each is safe to run in many."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from taskforge.domain.enums import WorkflowStatus
from taskforge.domain.events import Event
from taskforge.domain.workflows import TERMINAL_WORKFLOW
from taskforge.lifecycle import Failures, finish
from taskforge.persistence.common import event_log
from taskforge.persistence.common import workflows as workflow_repo
from taskforge.services import executions, organizations, workers
from taskforge.services.base import Services, retried
from taskforge.services.job_events import record
from taskforge.services.resolution import set_workflow_status
from taskforge.services.retention import sweep as retention_sweep
from taskforge.services.workflows import end_all

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``step`` every ``interval`` seconds; stops between steps, never mid-query."""

    def __init__(self, name: str, step: Callable[[], Awaitable[object]], interval: float) -> None:
        self.name, self._step, self._interval = name, step, interval
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        failures = Failures(log, f"{self.name} step")
        while not self._stopping.is_set():
            try:
                await self._step()
                failures.succeeded()
            except Exception as exc:
                failures.failed(exc)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._stopping.wait()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace: float = 5.0) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        await finish(task, grace)


def reaper(svc: Services) -> Periodic:
    """Fails attempts past their lease or deadline; marks silent workers OFFLINE."""

    async def step() -> None:
        while await executions.reap(svc) > 0:
            pass
        await workers.mark_silent_offline(svc)

    return Periodic("lease-reaper", step, svc.settings.reaper_interval)


def workflow_timeouts(svc: Services) -> Periodic:
    """Fails live workflows past their deadline and cancels what they have left."""

    async def step() -> None:
        while await time_out(svc) > 0:
            pass

    return Periodic("workflow-timeouts", step, svc.settings.reaper_interval)


def event_pruning(svc: Services) -> Periodic:
    """Deletes events older than the retention window (resume cursors below resync)."""

    async def step() -> None:
        before = svc.clock() - timedelta(hours=svc.settings.event_retention_hours)
        while True:
            async with svc.write() as session:
                if await event_log.prune(session, before, 10_000) < 10_000:
                    return

    return Periodic("event-pruning", step, 60.0)


def retention(svc: Services) -> Periodic:
    """Deletes finished jobs past their retention and workers offline past theirs, in
    bounded batches (services/retention)."""

    async def step() -> None:
        await retention_sweep(svc)

    return Periodic("retention", step, svc.settings.retention_interval)


def count_folding(svc: Services) -> Periodic:
    """Folds each busy workflow's job count changes into one row per status (a store
    that counts a workflow's jobs instead folds nothing and returns 0)."""

    async def step() -> None:
        while await fold_counts(svc, limit=100) >= 100:
            pass

    return Periodic("workflow-count-folding", step, 10.0)


def organization_removal(svc: Services) -> Periodic:
    """Removes what deleted organizations own, in bounded batches, then the organizations."""

    async def step() -> None:
        await organizations.remove_deleted(svc)

    return Periodic("organization-removal", step, 10.0)


# -- steps -----------------------------------------------------------------------


@retried
async def time_out(svc: Services, batch: int = 100) -> int:
    """Engine step: live workflows past their deadline fail; what is left is cancelled."""
    now = svc.clock()
    async with svc.write() as session:
        overdue = await workflow_repo.overdue(session, now, batch)
        events: list[Event] = []
        for wf in overdue:
            if wf.status in TERMINAL_WORKFLOW:  # a parent or child run of one before it
                continue
            events += await end_all(session, wf, "workflow_timeout", now)
            events.append(await set_workflow_status(session, wf, WorkflowStatus.FAILED, now))
        await record(session, events)
    return len(overdue)


async def fold_counts(svc: Services, over: int = 64, limit: int = 100) -> int:
    """Fold the job count changes of busy workflows (see the store's workflows.fold_counts)."""
    async with svc.write() as session:
        return await workflow_repo.fold_counts(session, over, limit)
