"""Both stores insert a fired job with its schedule (``jobs.schedule_id``, in the insert
itself, flow-controlled queues too) and hand a success acknowledgement's schedule back
with it (``Succeeded``): a schedule learns of its runs' ends from what the statement
returns, never from a query per job."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from taskforge.domain.enums import WorkerType
from taskforge.persistence.common import executions as store_executions
from taskforge.persistence.common import flow
from taskforge.persistence.tables import Job
from taskforge.services import executions, workers
from taskforge.services import jobs as job_service
from tests.conftest import admin_of


async def _insert(svc: Any, org: Any, schedule_ids: list[uuid.UUID | None]) -> list[uuid.UUID]:
    now = dt.datetime.now(dt.UTC)
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    rows = [job_service.job_row(svc, org.organization.id, spec, now) for _ in schedule_ids]
    for row, schedule_id in zip(rows, schedule_ids, strict=True):
        if schedule_id is not None:
            row["schedule_id"] = schedule_id
    async with svc.write() as session:
        made = await job_service.insert_jobs(session, org.organization.id, rows, now)
    return [j.id for j in made]


async def _schedules_of(svc: Any, ids: list[uuid.UUID]) -> list[uuid.UUID | None]:
    async with svc.read() as session:
        stored = dict(
            (await session.execute(select(Job.id, Job.schedule_id).where(Job.id.in_(ids)))).all()
        )
    return [stored[i] for i in ids]


async def test_fired_jobs_are_inserted_with_their_schedule(svc: Any, org: Any) -> None:
    schedule_id = uuid.uuid4()  # no foreign key: any schedule id is kept as given
    ids = await _insert(svc, org, [schedule_id, schedule_id])
    assert await _schedules_of(svc, ids) == [schedule_id, schedule_id]
    assert await _schedules_of(svc, await _insert(svc, org, [None])) == [None]
    async with svc.write() as session:  # a queue with flow control: the other statement
        await flow.flag_queues(session, org.organization.id, [org.queue.id])
    ids = await _insert(svc, org, [schedule_id])
    assert await _schedules_of(svc, ids) == [schedule_id]


async def test_succeeded_rows_carry_their_schedule(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    schedule_id = uuid.uuid4()
    fired, plain = await _insert(svc, org, [schedule_id, None])
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
    assert {r.job_id: r.schedule_id for r in done} == {fired: schedule_id, plain: None}
