"""The metrics sampler's reads on PostgreSQL: each queue's ready jobs through the ready
index (never a scan of jobs), the backlog through the unstamped index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from taskforge.persistence.common import gauges
from taskforge.services import jobs
from tests.conftest import admin_of, new_org


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def indexes(plan: dict[str, Any]) -> set[str]:
    return {str(n["Index Name"]) for n in nodes(plan) if "Index Name" in n}


async def plan_of(url: str, stmt: Any) -> dict[str, Any]:
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        # a test's tables are small enough to scan: what matters is that the statements
        # can use the indexes (a predicate that did not imply the index's could not)
        await conn.execute("ANALYZE jobs; ANALYZE events; SET enable_seqscan = off")
        found: dict[str, Any] = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}"))[0][
            "Plan"
        ]
        return found
    finally:
        await conn.close()


async def test_the_sampler_reads_through_indexes(pg_runtime, pg_database) -> None:
    svc = pg_runtime.services
    for name in ("a", "b"):
        org = await new_org(svc, name)
        for _ in range(4):
            await jobs.enqueue(
                svc, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 500
            )
    # as in a live deployment, most of the table has ended: 300 ready jobs a queue remain
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "UPDATE jobs SET status = 'SUCCEEDED' WHERE id IN (SELECT id FROM (SELECT id,"
            " row_number() OVER (PARTITION BY queue_id ORDER BY id) AS n FROM jobs) r"
            " WHERE n > 300)"
        )
    finally:
        await conn.close()
    depths = await plan_of(pg_database, gauges.depths_statement(10_000, 1_000))
    # either partial index of the ready rows (the typed one leads with the queue too)
    ready = indexes(depths) - {"job_queues_pkey"}
    assert len(ready) == 1 and ready <= {"idx_jobs_ready", "idx_jobs_ready_typed"}, depths
    assert not [
        n
        for n in nodes(depths)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "jobs"
    ]
    backlog = await plan_of(pg_database, gauges.backlog_statement(100_000))
    assert indexes(backlog) == {"idx_events_unstamped"}, backlog
    async with svc.db.read() as session:
        rows = await gauges.queue_depths(session, 250, 1_000)
    assert sorted(n for _, n, _ in rows) == [250, 250]  # capped
