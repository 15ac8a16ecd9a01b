"""PostgreSQL planner statistics follow bulk inserts: a committed write that brings a
table at least as many rows as it had when this process last analyzed it (1,000 at
least) has the table analyzed in the background, so that statements prepared when it
was small stop planning sequential scans of it. Smaller writes leave it alone, and so
does a transaction that rolled back. And no JIT on the service's connections."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from taskforge.persistence.postgres.statistics import Statistics
from taskforge.persistence.store import note_inserted
from taskforge.services import jobs as job_service
from taskforge.services import workflows
from tests.conftest import admin_of, new_org


async def analyses(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "SELECT relname, analyze_count FROM pg_stat_user_tables"
            " WHERE relname IN ('jobs', 'job_dependencies')"
        )
        return {r["relname"]: r["analyze_count"] for r in rows}
    finally:
        await conn.close()


async def settled(svc: Any, url: str) -> dict[str, int]:
    """Analyses so far, once the background ones are done."""
    await svc.db.store.idle()
    return await analyses(url)


@pytest.fixture
def fresh(pg_runtime: Any) -> Any:
    """The runtime's store with no analysis taken yet (tests before may have)."""
    svc = pg_runtime.services
    svc.db.store.statistics = Statistics()
    return svc


def spec(org: Any) -> job_service.NewJob:
    return job_service.NewJob(queue_id=org.queue.id, job_type="noop")


async def test_a_bulk_workflow_has_its_tables_analyzed(fresh: Any, pg_database: str) -> None:
    org = await new_org(fresh)
    before = await analyses(pg_database)
    jobs = [{"name": "root", "job_type": "t"}] + [
        {"name": f"j{i}", "job_type": "t", "depends_on": ["root"]} for i in range(1000)
    ]
    await workflows.create(fresh, admin_of(org), org.project.id, {"name": "w", "jobs": jobs})
    after = await settled(fresh, pg_database)
    assert after["jobs"] == before["jobs"] + 1
    assert after["job_dependencies"] == before["job_dependencies"] + 1


async def test_the_bodies_of_jobs_are_not_measured(fresh: Any, pg_database: str) -> None:
    """The analysis measures the columns plans are made of, not payloads and outputs
    (sorting their sample cost as much as the rest of the table)."""
    org = await new_org(fresh)
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("DELETE FROM pg_statistic WHERE starelid = 'jobs'::regclass")
        await job_service.enqueue(fresh, admin_of(org), [spec(org)] * 1000)
        await fresh.db.store.idle()
        measured = {
            r["attname"]
            for r in await conn.fetch("SELECT attname FROM pg_stats WHERE tablename = 'jobs'")
        }
    finally:
        await conn.close()
    assert {"id", "queue_id", "status", "workflow_id", "map_parent_id"} <= measured
    assert measured.isdisjoint({"payload", "output", "error", "payload_template"})


async def test_small_writes_add_up_and_the_next_analysis_waits_for_a_doubling(
    fresh: Any, pg_database: str
) -> None:
    org = await new_org(fresh)
    before = await analyses(pg_database)
    await job_service.enqueue(fresh, admin_of(org), [spec(org)] * 600)
    assert await settled(fresh, pg_database) == before
    await job_service.enqueue(fresh, admin_of(org), [spec(org)] * 600)  # 1,200 since
    analyzed = await settled(fresh, pg_database)
    assert analyzed["jobs"] == before["jobs"] + 1
    # the table now holds at least 1,200 rows: 1,000 more do not double it
    await job_service.enqueue(fresh, admin_of(org), [spec(org)] * 1000)
    assert await settled(fresh, pg_database) == analyzed


async def test_a_rolled_back_insert_is_not_counted(fresh: Any, pg_database: str) -> None:
    before = await analyses(pg_database)
    with pytest.raises(RuntimeError):
        async with fresh.write() as session:
            note_inserted(session, "jobs", 5000)
            raise RuntimeError("the use case failed")
    assert await settled(fresh, pg_database) == before


async def test_service_connections_plan_without_jit(pg_runtime: Any) -> None:
    """JIT compilation, planned from row estimates a bulk insert can inflate, cost tens of
    milliseconds on statements that run in one: the service's connections turn it off."""
    svc = pg_runtime.services
    async with svc.read() as session:
        assert await session.scalar(text("SHOW jit")) == "off"
    async with svc.write() as session:
        assert await session.scalar(text("SHOW jit")) == "off"
