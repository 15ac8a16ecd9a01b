"""PostgreSQL plans of the dashboard's reads, in custom and generic (prepared) plans:
Queue.stats probes the index of each figure, with the queue in its condition, and never
walks a queue's jobs; jobs(queueId) and jobs(workflowId) walk their own rows newest
first, even when the tenant has many newer jobs."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.common import queue_stats
from taskforge.persistence.tables import Job
from tests.conftest import new_org
from tests.integration.test_pg_sampler_plan import nodes

NOW = datetime.now(UTC)
STATES = (
    "'SUCCEEDED','SUCCEEDED','SUCCEEDED','SUCCEEDED','FAILED','PENDING','SCHEDULED','PROCESSING'"
)


async def fill(
    conn: asyncpg.Connection,
    org: Any,
    queue_id: uuid.UUID,
    n: int,
    age: timedelta,
    workflow_id: uuid.UUID | None = None,
) -> None:
    """``n`` jobs of the queue in every state, created a second apart ending ``age`` ago
    (finished ones a second after)."""
    await conn.execute(
        f"""INSERT INTO jobs (id, organization_id, project_id, queue_id, workflow_id, job_type,
            payload, status, dependency_status, priority, attempts, created_at, updated_at,
            finished_at, scheduled_for, fair_seq, trigger_rule)
        SELECT gen_random_uuid(), $1, $2, $3, $4, 't', '{{}}', s, 'NONE', 5, 1, c, c,
            CASE WHEN s IN ('SUCCEEDED', 'FAILED') THEN c + interval '1 second' END,
            CASE WHEN s = 'SCHEDULED' THEN c + interval '1 day' END, 0, 'ALL_SUCCESS'
        FROM generate_series(1, $5) g,
            LATERAL (SELECT (ARRAY[{STATES}])[1 + g % 8] AS s,
                $6::timestamptz - make_interval(secs => $5 - g) AS c) x""",
        org.organization.id,
        org.project.id,
        queue_id,
        workflow_id,
        n,
        NOW - age,
    )


async def plans(url: str, stmt: Select[Any]) -> dict[str, dict[str, Any]]:
    """The statement's plan as the application sends it (asyncpg, bound parameters):
    the custom plan of its values and the generic plan of a prepared statement."""
    compiled = stmt.compile(
        dialect=PGDialect_asyncpg(), compile_kwargs={"render_postcompile": True}
    )
    args = [compiled.params[name] for name in compiled.positiontup or ()]
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute("ANALYZE jobs; ANALYZE job_queues")
        found = {}
        for mode in ("force_custom_plan", "force_generic_plan"):
            await conn.execute(f"SET plan_cache_mode = {mode}")
            raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {compiled}", *args)
            found[mode] = json.loads(raw)[0]["Plan"]
        return found
    finally:
        await conn.close()


def reads_jobs(plan: dict[str, Any]) -> set[str]:
    """How the plan reaches jobs: its indexes, or "Seq Scan"."""
    found = {
        str(n["Index Name"])
        for n in nodes(plan)
        if str(n.get("Index Name", "")).startswith("idx_jobs")
    }
    seq = [
        n for n in nodes(plan) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "jobs"
    ]
    return found | ({"Seq Scan"} if seq else set())


@pytest.fixture
async def tenant(pg_runtime, pg_database) -> Any:
    """A tenant whose busy queue has 6,000 recent jobs; a quiet queue's 1,000 and a
    workflow's 500 are three days older than any of them."""
    svc = pg_runtime.services
    org = await new_org(svc, "Busy")
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        quiet = await conn.fetchval(
            "INSERT INTO job_queues (id, organization_id, project_id, name, priority, settings,"
            " created_at, flow_control) VALUES (gen_random_uuid(), $1, $2, 'quiet', 5, '{}',"
            " now(), false) RETURNING id",
            org.organization.id,
            org.project.id,
        )
        workflow = await conn.fetchval(
            "INSERT INTO workflows (id, organization_id, project_id, name, definition, status,"
            " failure_policy, priority, created_at, updated_at) VALUES (gen_random_uuid(), $1,"
            " $2, 'old', '{}', 'SUCCEEDED', 'FAIL_FAST', 5, now(), now()) RETURNING id",
            org.organization.id,
            org.project.id,
        )
        await fill(conn, org, quiet, 1_000, timedelta(days=3, hours=1))
        await fill(conn, org, org.queue.id, 500, timedelta(days=3), workflow)
        await fill(conn, org, org.queue.id, 6_000, timedelta(0))
    finally:
        await conn.close()
    return org, quiet, workflow


async def test_queue_stats_probe_each_figures_index(tenant, pg_database) -> None:
    org, quiet, _ = tenant
    queues = [org.queue.id, quiet]
    figures = queue_stats.figures_statement(org.organization.id, queues, 10_000, NOW)
    for mode, plan in (await plans(pg_database, figures)).items():
        # either ready index (the typed one leads with the queue too), never one that
        # holds a queue's every job, nor a scan
        used = reads_jobs(plan) - {"idx_jobs_ready_typed"} | {"idx_jobs_ready"}
        assert used == {
            "idx_jobs_ready",
            "idx_jobs_processing",
            "idx_jobs_due",
            "idx_jobs_outcomes",
        }, (mode, plan)
        # each probe with the queue in its index condition: a bounded range of its index
        probes = [n for n in nodes(plan) if str(n.get("Index Name", "")).startswith("idx_jobs")]
        assert all("queue_id = job_queues.id" in n["Index Cond"] for n in probes), (mode, plan)
    minutes = [NOW.replace(second=0, microsecond=0) - timedelta(minutes=i) for i in range(15)]
    throughput = queue_stats.throughput_statement(org.organization.id, queues, 10_000, minutes)
    for mode, plan in (await plans(pg_database, throughput)).items():
        assert reads_jobs(plan) == {"idx_jobs_outcomes"}, (mode, plan)


@pytest.mark.parametrize(
    ("filters", "walks"),
    [
        ({}, {"idx_jobs_org_created"}),
        ({"queue_id": "quiet"}, {"idx_jobs_queue_created"}),
        # most of the tenant's jobs: either walk finds a page at once
        ({"queue_id": "busy"}, {"idx_jobs_queue_created", "idx_jobs_org_created"}),
        ({"workflow_id": "old"}, {"idx_jobs_workflow_created"}),
        ({"statuses": ["SUCCEEDED"]}, {"idx_jobs_org_created"}),
    ],
)
async def test_job_listings_walk_an_index_newest_first(tenant, pg_database, filters, walks) -> None:
    org, quiet, workflow = tenant
    named = {"quiet": quiet, "busy": org.queue.id, "old": workflow}
    kw = {k: named.get(v, v) if isinstance(v, str) else v for k, v in filters.items()}
    page = jobs_repo.listing(org.organization.id, **kw)
    page = page.order_by(Job.created_at.desc(), Job.id.desc()).limit(51)
    for mode, plan in (await plans(pg_database, page)).items():
        # a walk of the index in the page's order: no sort of the matching rows
        used = reads_jobs(plan)
        assert len(used) == 1 and used <= walks, (mode, plan)
        assert not [n for n in nodes(plan) if n["Node Type"] in ("Sort", "Incremental Sort")]
