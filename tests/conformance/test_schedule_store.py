"""Both stores hand a success acknowledgement's schedule back with it (``Succeeded``): a
schedule learns of its runs' ends from what the statement returns, never from a query
per job."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from taskforge.domain.enums import WorkerType
from taskforge.persistence.common import executions as store_executions
from taskforge.persistence.common import schedules as store_schedules
from taskforge.services import executions, workers
from taskforge.services import jobs as job_service
from tests.conftest import admin_of


async def test_succeeded_rows_carry_their_schedule(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    fired, plain = await job_service.enqueue(svc, admin, [spec, spec])
    schedule_id = uuid.uuid4()  # no foreign key: any schedule id is kept as given
    async with svc.write() as session:
        await store_schedules.mark_jobs(session, [(fired.id, schedule_id)])
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    claimed = await executions.claim(svc, admin, worker.id, None, 2)
    async with svc.write() as session:
        done = await store_executions.succeed_current(
            session,
            org.organization.id,
            [(c.execution_id, None) for c in claimed],
            dt.datetime.now(dt.UTC),
        )
    assert {r.job_id: r.schedule_id for r in done} == {fired.id: schedule_id, plain.id: None}
