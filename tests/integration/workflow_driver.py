"""A test driver for workflows: a worker that claims and acknowledges by job name."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from taskforge.domain.enums import WorkerType
from taskforge.persistence.common import workflows as wf_repo
from taskforge.services import executions, workers, workflow_reads
from taskforge.services.workers import QueueWeight

# name -> what the job does: "ok", "fail" (not retryable), or an output dict
Outcome = str | dict[str, Any]


async def worker_for(svc, admin, queue_id: uuid.UUID, name: str = "w") -> uuid.UUID:
    w = await workers.register(svc, admin, name, WorkerType.GENERAL, [QueueWeight(queue_id, 1)])
    return w.id


async def step(
    svc,
    admin,
    worker_id: uuid.UUID,
    outcomes: dict[str, Outcome] | Callable[[str], Outcome] | None = None,
    limit: int = 100,
) -> list[str]:
    """Claim what is claimable and finish it; returns the names run, in claim order."""
    claimed = await executions.claim(svc, admin, worker_id, None, limit)
    done, failed = [], []
    for c in claimed:
        name = c.job.name or c.job.job_type
        what = (outcomes(name) if callable(outcomes) else (outcomes or {}).get(name)) or "ok"
        if what == "fail":
            failed.append((c.execution_id, (f"{name} failed", False)))
        else:
            done.append((c.execution_id, what if isinstance(what, dict) else None))
    if done:
        await executions.complete(svc, admin, done)
    if failed:
        await executions.fail(svc, admin, failed)
    return [c.job.name or "" for c in claimed]


async def run(svc, admin, worker_id, outcomes=None, limit: int = 100) -> list[list[str]]:
    """Steps until nothing is claimable; returns the waves of names."""
    waves = []
    while names := await step(svc, admin, worker_id, outcomes, limit):
        waves.append(sorted(names))
    return waves


async def statuses(svc, admin, workflow_id: uuid.UUID) -> dict[str, str]:
    async with svc.read() as session:
        jobs = await wf_repo.jobs(session, workflow_id)
    return {j.name: j.status.value for j in jobs}


async def workflow_status(svc, admin, workflow_id: uuid.UUID) -> str:
    return (await workflow_reads.get(svc, admin, workflow_id)).status.value
