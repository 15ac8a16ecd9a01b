"""PostgreSQL plans of typed claims: a worker that names its handler types reads only
its types' ready rows (idx_jobs_ready_typed), however many rows of other types wait in
the queue ahead of them, in custom and generic plans; the untyped claim keeps its plan."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg
import pytest

from taskforge.domain.enums import Tier
from taskforge.persistence.postgres.executions import (
    CLAIM_ONE_PG,
    CLAIM_TYPED_PG,
    TYPED_TARGETS_PG,
)
from taskforge.services import jobs
from tests.conftest import admin_of, new_org
from tests.integration.test_pg_plans import nodes, work, worker_of

OTHERS = 20_000  # ready jobs of types the worker cannot run, ahead of its own in claim order
MINE = {"mine": 300, "also": 200}
LIMIT = 100
PARAMS = "uuid, int, timestamptz, uuid, timestamptz, uuid[], timestamptz[]"


async def _fill(conn: asyncpg.Connection, template: Any, job_type: str, n: int, priority: int):
    """``n`` ready copies of the template job, of this type and priority, in age order."""
    await conn.execute(
        "INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload,"
        " status, dependency_status, priority, attempts, created_at, updated_at)"
        " SELECT gen_random_uuid(), organization_id, project_id, queue_id, $2, payload,"
        " status, dependency_status, $3, 0, created_at + g * interval '1 ms', updated_at"
        " FROM jobs, generate_series(1, $4) AS g WHERE id = $1",
        template,
        job_type,
        priority,
        n,
    )


def _jobs_scans(plan: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How the claim picks its jobs: by a ready index (the update then reaches them by
    primary key), never by a sequential scan."""
    scans = [n for n in plan if n.get("Relation Name") == "jobs" and "Scan" in n["Node Type"]]
    assert not [n for n in scans if n["Node Type"] == "Seq Scan"]
    return [n for n in scans if str(n.get("Index Name", "")).startswith("idx_jobs_ready")]


@pytest.fixture
async def crowded(pg_runtime, pg_database):
    """An organization's queue with OTHERS ready jobs of other types (higher priority,
    older: first in claim order) and MINE of the worker's; a connection; its worker."""
    svc = pg_runtime.services
    org = await new_org(svc, "Crowded", Tier.ENTERPRISE)
    [template] = await jobs.enqueue(
        svc, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="seed")]
    )
    worker = await worker_of(svc, org)
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        for i in range(10):
            await _fill(conn, template.id, f"other{i}", OTHERS // 10, 9)
        for job_type, n in MINE.items():
            await _fill(conn, template.id, job_type, n, 5)
        await conn.execute("ANALYZE jobs")
        yield org, worker, conn
    finally:
        await conn.close()


async def _explain(conn: asyncpg.Connection, sql: str, types: str, args: str, generic: bool):
    """The executed plan of the claim, prepared (custom plan or the generic one), rolled
    back; its nodes and the claimed rows' types."""
    mode = "force_generic_plan" if generic else "force_custom_plan"
    await conn.execute(f"SET plan_cache_mode = {mode}")
    await conn.execute("DEALLOCATE ALL")
    await conn.execute(f"PREPARE claim({PARAMS}{types}) AS {sql}")
    tx = conn.transaction()
    await tx.start()
    try:
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim({args})")
        claimed = await conn.fetch(f"EXECUTE claim({args})")
    finally:
        await tx.rollback()
    return list(nodes(json.loads(raw)[0]["Plan"])), [r["job_type"] for r in claimed]


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_a_typed_claim_reads_only_its_types(crowded, generic) -> None:
    org, worker, conn = crowded
    now = dt.datetime.now(dt.UTC).isoformat()
    base = f"'{org.queue.id}', {LIMIT}, '{now}', '{worker.id}', '{now}', '{{}}', '{{}}'"
    one = CLAIM_TYPED_PG[False, False]
    several = CLAIM_TYPED_PG[False, True]
    for sql, types, arg, expect, most in (
        (one, ", text", "'mine'", {"mine"}, 2 * LIMIT),
        # each type's walk takes up to LIMIT rows, the first LIMIT of all are claimed
        (several, ", text[]", "'{mine,also}'", {"mine", "also"}, len(MINE) * LIMIT),
    ):
        plan, claimed = await _explain(conn, sql, types, f"{base}, {arg}", generic)
        assert len(claimed) == LIMIT and set(claimed) <= expect
        scans = _jobs_scans(plan)
        assert len(scans) == 1, [(n["Node Type"], n.get("Index Name")) for n in scans]
        [scan] = scans
        assert scan["Node Type"] == "Index Scan", scan
        assert scan["Index Name"] == "idx_jobs_ready_typed", (types, scan.get("Filter"), work(plan))
        assert "job_type" in scan["Index Cond"]
        # no node touched the other types' rows
        assert scan.get("Rows Removed by Filter", 0) == 0
        assert work(plan) <= most, [(n["Node Type"], n["Actual Rows"]) for n in plan]


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_the_untyped_claim_keeps_the_ready_index_in_claim_order(crowded, generic) -> None:
    org, worker, conn = crowded
    now = dt.datetime.now(dt.UTC).isoformat()
    args = f"'{org.queue.id}', {LIMIT}, '{now}', '{worker.id}', '{now}', '{{}}', '{{}}'"
    plan, claimed = await _explain(conn, CLAIM_ONE_PG, "", args, generic)
    assert len(claimed) == LIMIT and all(t.startswith("other") for t in claimed)
    scans = _jobs_scans(plan)
    assert len(scans) == 1, [(n["Node Type"], n.get("Index Name")) for n in scans]
    [scan] = scans
    assert scan["Index Name"] == "idx_jobs_ready" and not any(
        n["Node Type"] == "Sort" for n in plan
    )
    assert work(plan) <= 2 * LIMIT


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_a_typed_probe_reads_only_its_types(crowded, generic) -> None:
    """The probe before a claim: a queue full of other types is not ready for a worker
    that runs none of them, found by one probe of the typed index per type."""
    org, worker, conn = crowded
    mode = "force_generic_plan" if generic else "force_custom_plan"
    await conn.execute(f"SET plan_cache_mode = {mode}")
    await conn.execute(
        f"PREPARE targets(uuid, uuid, timestamptz, timestamptz, bool, text[]) AS {TYPED_TARGETS_PG}"
    )
    now = dt.datetime.now(dt.UTC).isoformat()
    for types, ready in (("{absent,unknown}", False), ("{absent,also}", True)):
        args = f"'{org.organization.id}', '{worker.id}', '{now}', '{now}', true, '{types}'"
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE targets({args})")
        plan = list(nodes(json.loads(raw)[0]["Plan"]))
        scans = [n for n in plan if n.get("Relation Name") == "jobs"]
        assert {n.get("Index Name") for n in scans} <= {"idx_jobs_ready_typed", "idx_jobs_due"}, [
            (n["Node Type"], n.get("Index Name"), n["Actual Rows"]) for n in scans
        ]
        assert work(plan) <= 2, [(n["Node Type"], n["Actual Rows"]) for n in plan]
        [row] = await conn.fetch(f"EXECUTE targets({args})")
        assert row["ready"] is ready
