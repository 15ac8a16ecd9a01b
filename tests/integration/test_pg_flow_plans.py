"""PostgreSQL plans of the flow claim: its walk reads the ready index in claim order (no
sort of the queue's backlog), the running jobs by the keyed running index, and its
start reaches the chosen jobs by primary key; in custom and generic plans."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from taskforge.domain.enums import Tier
from taskforge.domain.flow import Concurrency
from taskforge.persistence.postgres.flow import FLOW_WALKS_PG
from taskforge.services import jobs, queues
from tests.conftest import admin_of, new_org
from tests.integration.test_pg_plans import nodes, work

BACKLOG = 20_000  # ready keyed jobs; 1,000 keys of 20
RUNNING = 500  # running keyed jobs of 500 keys, max 1: their backlog is left out
LIMIT = 100
OTHERS_RUNNING = 5_000


@pytest.fixture
async def keyed(pg_runtime, pg_database):
    svc = pg_runtime.services
    org = await new_org(svc, "Keyed", Tier.ENTERPRISE)
    rule = Concurrency.parse("payload.k", 1)
    await queues.update_queue(svc, admin_of(org), org.queue.id, settings={"concurrency": rule})
    [template] = await jobs.enqueue(
        svc, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="t", payload={"k": 0})]
    )
    # other tenants' running jobs, without keys (what idx_jobs_processing holds too)
    other = await new_org(svc, "Others", Tier.ENTERPRISE)
    [theirs] = await jobs.enqueue(
        svc, admin_of(other), [jobs.NewJob(queue_id=other.queue.id, job_type="t")]
    )
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload,"
            " status, dependency_status, priority, attempts, created_at, updated_at,"
            " concurrency_key, concurrency_max, fair_seq)"
            " SELECT gen_random_uuid(), organization_id, project_id, queue_id, job_type,"
            " payload, CASE WHEN g <= $2 THEN 'PROCESSING' ELSE 'PENDING' END,"
            " dependency_status, priority, 0, created_at + g * interval '1 ms', updated_at,"
            " 'k' || (g % 1000), 1, g / 1000 + 1"
            " FROM jobs, generate_series(1, $3) AS g WHERE id = $1",
            template.id,
            RUNNING,
            BACKLOG + RUNNING,
        )
        await conn.execute(
            "INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload,"
            " status, dependency_status, priority, attempts, created_at, updated_at)"
            " SELECT gen_random_uuid(), organization_id, project_id, queue_id, job_type,"
            " payload, 'PROCESSING', dependency_status, priority, 1, created_at, updated_at"
            " FROM jobs, generate_series(1, $2) WHERE id = $1",
            theirs.id,
            OTHERS_RUNNING,
        )
        await conn.execute("ANALYZE jobs")
        yield org, conn
    finally:
        await conn.close()


@pytest.mark.parametrize("stale", [False, True], ids=["analyzed", "analyzed-idle"])
@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_the_flow_walk_reads_the_ready_index_in_claim_order(keyed, generic, stale) -> None:
    org, conn = keyed
    if stale:  # statistics taken while nothing ran: the running indexes look empty
        await conn.execute("UPDATE jobs SET status = 'SCHEDULED' WHERE status = 'PROCESSING'")
        await conn.execute("ANALYZE jobs")
        await conn.execute("UPDATE jobs SET status = 'PROCESSING' WHERE status = 'SCHEDULED'")
    mode = "force_generic_plan" if generic else "force_custom_plan"
    await conn.execute(f"SET plan_cache_mode = {mode}")
    await conn.execute(f"PREPARE walk(uuid, int, int) AS {FLOW_WALKS_PG[False, False]}")
    args = f"'{org.queue.id}', {LIMIT}, 0"
    raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE walk({args})")
    plan: list[dict[str, Any]] = list(nodes(json.loads(raw)[0]["Plan"]))
    rows = await conn.fetch(f"EXECUTE walk({args})")
    await conn.execute("DEALLOCATE walk")
    assert len(rows) == LIMIT
    # keys with a running job (k1..k500) are left out; the rest come in round-robin order
    running = {f"k{i}" for i in range(1, RUNNING + 1)}
    assert not running & {r["concurrency_key"] for r in rows}
    positions = dict(
        await conn.fetch(
            "SELECT id, fair_seq FROM jobs WHERE id = ANY($1)", [r["id"] for r in rows]
        )
    )
    assert [positions[r["id"]] for r in rows] == sorted(positions.values())
    indexes = {n["Index Name"] for n in plan if "Index Name" in n}
    assert indexes == {"idx_jobs_ready", "idx_jobs_concurrency_running"}, indexes
    assert not any(n["Node Type"] == "Seq Scan" for n in plan)
    assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in plan)
    # the rows of full keys it passes, and the running jobs it counts: not the backlog
    assert work(plan) <= 2 * LIMIT + RUNNING, [(n["Node Type"], n["Actual Rows"]) for n in plan]
