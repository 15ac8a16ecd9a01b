"""16 concurrent claimers on PostgreSQL (SKIP LOCKED): every job claimed exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from taskforge.domain.enums import JobStatus, Tier, WorkerType
from taskforge.services import executions, jobs, workers
from tests.conftest import admin_of, new_org


async def test_sixteen_claimers_five_thousand_jobs(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc, "Busy", Tier.ENTERPRISE)
    admin = admin_of(org)
    spec = jobs.NewJob(queue_id=org.queue.id, job_type="noop")
    expected: set[uuid.UUID] = set()
    for _ in range(5):
        expected |= {j.id for j in await jobs.enqueue(svc, admin, [spec] * 1000)}

    claims: Counter[uuid.UUID] = Counter()

    async def claimer(n: int) -> int:
        worker = await workers.register(
            svc, admin, f"w{n}", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
        )
        handled = 0
        while True:
            got = await executions.claim(svc, admin, worker.id, None, 10)
            if not got:
                return handled
            for c in got:
                claims[c.job.id] += 1
            acks = await executions.complete(svc, admin, [(c.execution_id, None) for c in got])
            assert all(a.error is None for a in acks)
            handled += len(got)

    handled = await asyncio.gather(*(claimer(n) for n in range(16)))
    assert sum(handled) == 5000
    assert set(claims) == expected
    assert max(claims.values()) == 1
    assert sum(1 for h in handled if h > 0) > 1  # the work was actually shared
    listing = await jobs.list_jobs(svc, admin, first=1, after=None, statuses=[JobStatus.SUCCEEDED])
    assert await listing.total() == 5000
