"""Debounce under concurrency on PostgreSQL: concurrent enqueues of one key value leave
exactly one job waiting, batches sharing key values in any order never deadlock, the
group lock waits for its holder, and the lookup of a group's waiting jobs reads its
index range, not the queue."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from typing import Any

import asyncpg
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from taskforge.domain.enums import JobStatus
from taskforge.domain.flow import Debounce
from taskforge.persistence.common import debounce as repo
from taskforge.persistence.tables import Job
from taskforge.services import jobs
from tests.conftest import admin_of, new_org

RULE = Debounce.parse("payload.customer_id", 60)


def spec(org: Any, customer: str, rule: Debounce | None = RULE) -> jobs.NewJob:
    return jobs.NewJob(org.queue.id, "sync", {"customer_id": customer}, debounce=rule)


async def statuses(svc: Any, org: Any) -> dict[str, list[JobStatus]]:
    """Per key value, the statuses of the tenant's debounced jobs, oldest first."""
    async with svc.read() as session:
        rows = await session.execute(
            select(Job.debounce_key, Job.status)
            .where(Job.organization_id == org.organization.id, Job.debounce_key.is_not(None))
            .order_by(Job.created_at, Job.id)
        )
    found: dict[str, list[JobStatus]] = {}
    for key, status in rows:
        found.setdefault(key, []).append(status)
    return found


async def test_twenty_concurrent_enqueues_of_one_key_leave_one_job(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    created = await asyncio.gather(
        *(jobs.enqueue(svc, admin, [spec(org, "c-1")]) for _ in range(20))
    )
    assert len({job.id for [job] in created}) == 20
    [(key, found)] = (await statuses(svc, org)).items()
    assert key == "c-1" and len(found) == 20
    assert found.count(JobStatus.SCHEDULED) == 1
    assert found.count(JobStatus.CANCELLED) == 19
    async with svc.read() as session:
        reasons = await session.scalars(
            select(func.distinct(Job.status_reason)).where(Job.status == JobStatus.CANCELLED)
        )
        assert list(reasons) == ["debounced"]


async def test_concurrent_batches_sharing_keys_never_deadlock(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    keys = [f"k{i}" for i in range(8)]

    async def batch(seed: int) -> None:
        mine = random.Random(seed).sample(keys, 5)  # overlapping sets, in any order
        await jobs.enqueue(svc, admin, [spec(org, k) for k in mine])

    await asyncio.gather(*(batch(seed) for seed in range(12)))
    for found in (await statuses(svc, org)).values():
        assert found.count(JobStatus.SCHEDULED) == 1
        assert set(found) <= {JobStatus.SCHEDULED, JobStatus.CANCELLED}


async def test_tenants_with_one_key_do_not_wait_for_or_replace_each_other(pg_runtime) -> None:
    svc = pg_runtime.services
    orgs = [await new_org(svc, name) for name in ("Acme", "Globex")]
    await asyncio.gather(
        *(jobs.enqueue(svc, admin_of(o), [spec(o, "c-1")]) for o in orgs for _ in range(5))
    )
    for o in orgs:
        assert sorted((await statuses(svc, o))["c-1"]) == sorted(
            [JobStatus.SCHEDULED] + [JobStatus.CANCELLED] * 4
        )


async def test_a_group_lock_waits_for_its_holder(pg_runtime) -> None:
    db = pg_runtime.services.db
    group, other = (uuid.uuid4(), "c-1"), (uuid.uuid4(), "c-1")
    async with db.write() as holder:
        await repo.lock(holder, [group])

        async def take(groups: list[repo.Group]) -> None:
            async with db.write() as session:
                await repo.lock(session, groups)

        # another group is free; the held one waits until the holder commits
        await asyncio.wait_for(take([other]), 5)
        waiting = asyncio.ensure_future(take([other, group]))
        await asyncio.sleep(0.3)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)


async def test_a_big_batch_holds_few_locks_and_excludes_small_enqueues(pg_runtime) -> None:
    # each advisory lock is an entry of the server's shared lock table until commit: a
    # batch of a thousand key values must not take a thousand (concurrent ones would
    # run the table out for every tenant)
    db = pg_runtime.services.db
    queue = uuid.uuid4()
    many = [(queue, f"c-{i}") for i in range(1000)]
    async with db.write() as holder:
        await repo.lock(holder, many)
        held = await holder.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid()"
            )
        )
        assert held <= repo.MAX_GROUP_LOCKS + 1

        async def take(groups: list[repo.Group]) -> None:
            async with db.write() as session:
                await repo.lock(session, groups)

        # a small enqueue of one of its groups, or of any group of its queue, waits
        waiting = asyncio.ensure_future(take([(queue, "other")]))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await asyncio.wait_for(take([(uuid.uuid4(), "c-1")]), 5)  # another queue: free
    await asyncio.wait_for(waiting, 5)


async def test_the_lookup_reads_the_groups_index_range(pg_runtime, pg_database) -> None:
    svc = pg_runtime.services
    org = await new_org(svc)
    admin = admin_of(org)
    plain = [spec(org, "c-1", rule=None)] * 1000
    await jobs.enqueue(svc, admin, plain)
    for chunk in range(4):
        await jobs.enqueue(svc, admin, [spec(org, f"k{chunk}-{i}") for i in range(500)])
    await jobs.enqueue(svc, admin, [spec(org, "c-1")])
    stmt = repo.waiting(org.organization.id, org.queue.id, ["c-1", "k0-1", "k3-7", "none"])
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("ANALYZE jobs")
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
    finally:
        await conn.close()
    plan = json.loads(raw)[0]["Plan"]
    scans = [n for n in _nodes(plan) if n.get("Relation Name") == "jobs"]
    assert [n.get("Index Name") for n in scans] == ["idx_jobs_debounce"], scans
    assert [n["Actual Rows"] for n in scans] == [3]


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]
