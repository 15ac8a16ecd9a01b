"""Idempotency keys under concurrency on PostgreSQL: concurrent first uses of one key,
each in its own session and connection, end with exactly one job or workflow, and
every caller gets it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from taskforge.persistence.tables import Job, Workflow
from taskforge.services import jobs, workflows
from tests.conftest import admin_of, new_org
from tests.helpers import asgi_client

FLOW = {"name": "etl", "jobs": [{"name": "a", "job_type": "t"}, {"name": "b", "job_type": "t"}]}


async def rows(runtime: Any, model: Any) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_fifty_concurrent_enqueues_with_one_key_create_one_job(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    spec = jobs.NewJob(org.queue.id, "send", {"to": "a@example.com"}, idempotency_key="once")
    made = await asyncio.gather(*(jobs.enqueue(svc, admin, [spec]) for _ in range(50)))
    ids = {job.id for [job] in made}
    assert len(ids) == 1
    assert sorted(job.deduplicated for [job] in made) == [False] + [True] * 49
    assert await rows(pg_runtime, Job) == 1


async def test_fifty_concurrent_enqueue_job_requests_create_one_job(pg_runtime) -> None:
    org = await new_org(pg_runtime.services)
    query = """mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "send",
      idempotencyKey: "http-once"}) { id deduplicated } }"""
    async with asgi_client(pg_runtime, org.api_key.secret) as gql:
        made = await asyncio.gather(*(gql.ok(query, {"q": str(org.queue.id)}) for _ in range(50)))
    assert len({m["enqueueJob"]["id"] for m in made}) == 1
    assert sum(not m["enqueueJob"]["deduplicated"] for m in made) == 1
    assert await rows(pg_runtime, Job) == 1


async def test_concurrent_batches_sharing_keys_in_any_order_never_deadlock(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    specs = [jobs.NewJob(org.queue.id, "t", {"n": i}, idempotency_key=f"k{i}") for i in range(20)]
    orders = [specs, specs[::-1], specs[5:] + specs[:5]] * 4
    made = await asyncio.gather(*(jobs.enqueue(svc, admin, order) for order in orders))
    by_key: dict[str, set[Any]] = {}
    for order, batch in zip(orders, made, strict=True):
        for spec, job in zip(order, batch, strict=True):
            assert job.payload == spec.payload
            by_key.setdefault(str(spec.idempotency_key), set()).add(job.id)
    assert all(len(ids) == 1 for ids in by_key.values())
    assert await rows(pg_runtime, Job) == 20


async def test_concurrent_uses_of_an_expired_key_create_one_new_job(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    spec = jobs.NewJob(org.queue.id, "t", idempotency_key="renewed")
    [old] = await jobs.enqueue(svc, admin, [spec])
    real = svc.clock
    svc.clock = lambda: real() + timedelta(hours=25)
    try:
        made = await asyncio.gather(*(jobs.enqueue(svc, admin, [spec]) for _ in range(20)))
    finally:
        svc.clock = real
    ids = {job.id for [job] in made}
    assert len(ids) == 1 and old.id not in ids
    assert sum(not job.deduplicated for [job] in made) == 1
    assert await rows(pg_runtime, Job) == 2


async def test_concurrent_create_workflows_with_one_key_create_one(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    made = await asyncio.gather(
        *(
            workflows.create(svc, admin, org.project.id, FLOW, True, idempotency_key="wf-once")
            for _ in range(20)
        )
    )
    assert len({wf.id for wf in made}) == 1
    assert sum(not wf.deduplicated for wf in made) == 1
    assert await rows(pg_runtime, Workflow) == 1
    assert await rows(pg_runtime, Job) == 2
