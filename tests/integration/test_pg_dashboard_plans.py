"""PostgreSQL plans of the dashboard's reads, in custom and generic (prepared) plans:
Queue.stats probes the index of each figure, with the queue in its condition, and never
walks a queue's jobs; jobs(queueId) walks the queue's own rows newest first and
jobs(finishedAfter/Before) the tenant's jobs ended in the range, even when the tenant has
many newer jobs, and every page after a cursor starts at it; jobs(workflowId) sorts the
workflow's jobs."""

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
from taskforge.persistence.common.paging import page_statement
from taskforge.persistence.postgres import PostgresStore
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
    span = (NOW - timedelta(minutes=60), NOW)
    # the busy queue has ~1,800 successes and ~450 failures in the span
    for cap in (10_000, 10):
        throughput = queue_stats.throughput_statement(
            PostgresStore(), org.organization.id, queues, cap, span
        )
        for mode, plan in (await plans(pg_database, throughput)).items():
            assert reads_jobs(plan) == {"idx_jobs_outcomes"}, (mode, plan)
            # one range probe per queue and outcome
            probes = [n for n in nodes(plan) if n.get("Index Name") == "idx_jobs_outcomes"]
            assert len(probes) == 4, (mode, plan)
            assert all(
                "queue_id =" in n["Index Cond"] and "finished_at >=" in n["Index Cond"]
                for n in probes
            ), (mode, plan)
            if cap == 10:  # far past ``cap`` rows: the latest of them, in the index's order
                busy = [n for n in probes if str(org.queue.id) in n["Index Cond"]]
                assert {n["Node Type"] for n in busy} <= {"Index Only Scan", "Index Scan"}
                assert all(n["Scan Direction"] == "Backward" for n in busy), (mode, plan)


LAST_DAYS = (NOW - timedelta(days=3, hours=2), None)  # the old workflow's jobs and after
OLD = (NOW - timedelta(days=5), NOW - timedelta(days=3, minutes=30))  # quiet's, workflow's


@pytest.mark.parametrize(
    ("filters", "walks", "sorts"),
    [
        ({}, {"idx_jobs_org_created"}, set()),
        ({"queue_id": "quiet"}, {"idx_jobs_queue_created"}, set()),
        # most of the tenant's jobs: either walk finds a page at once
        ({"queue_id": "busy"}, {"idx_jobs_queue_created", "idx_jobs_org_created"}, set()),
        ({"statuses": ["SUCCEEDED"]}, {"idx_jobs_org_created"}, set()),
        # by finished time, newest first: a walk of the range asked for
        ({"finished": LAST_DAYS}, {"idx_jobs_org_finished"}, set()),
        ({"finished": OLD}, {"idx_jobs_org_finished"}, set()),
        ({"finished": (None, OLD[1])}, {"idx_jobs_org_finished"}, set()),
        # other filters are checked on the range's rows (or on the queue's, ANDed),
        # which may then be sorted: at most the tenant's jobs that ended in the range
        (
            {"finished": OLD, "queue_id": "quiet"},
            {"idx_jobs_org_finished", "idx_jobs_queue_created"},
            {"Sort"},
        ),
        ({"finished": OLD, "statuses": ["FAILED"]}, {"idx_jobs_org_finished"}, {"Sort"}),
    ],
)
@pytest.mark.parametrize("after", [False, True])
async def test_job_listings_walk_an_index_newest_first(
    tenant, pg_database, filters, walks, sorts, after
) -> None:
    org, quiet, workflow = tenant
    named = {"quiet": quiet, "busy": org.queue.id, "old": workflow}
    kw = {k: named.get(v, v) if isinstance(v, str) else v for k, v in filters.items()}
    key = jobs_repo.listing_key(kw.get("finished", (None, None)))
    # a page in the middle of the busy queue's jobs
    cursor = (NOW - timedelta(minutes=30), uuid.uuid4()) if after else None
    page = page_statement(jobs_repo.listing(org.organization.id, **kw), key, Job.id, 50, cursor)
    for mode, plan in (await plans(pg_database, page)).items():
        # a walk of the index in the page's order: no sort of the matching rows
        used = reads_jobs(plan)
        assert used <= walks, (mode, plan)
        assert {n["Node Type"] for n in nodes(plan) if "Sort" in n["Node Type"]} <= sorts
        if "finished" in kw:  # the range asked for bounds every scan of the index
            assert "idx_jobs_org_finished" in used, (mode, plan)
            scans = [n for n in nodes(plan) if n.get("Index Name") == "idx_jobs_org_finished"]
            bounds = [b for b in kw["finished"] if b is not None]
            assert all(n["Index Cond"].count("finished_at ") >= len(bounds) for n in scans)
        else:
            assert len(used) == 1, (mode, plan)
            scans = [n for n in nodes(plan) if n.get("Index Name") in used]
        if after:  # the walk starts at the cursor: its time bounds the index scan too
            assert all(f"{key.key} <" in n["Index Cond"] for n in scans), (mode, plan)


@pytest.mark.parametrize("statuses", [None, ["SUCCEEDED"]])
@pytest.mark.parametrize("finished", [(None, None), LAST_DAYS])
async def test_a_workflows_listing_sorts_its_jobs(tenant, pg_database, statuses, finished) -> None:
    """jobs(workflowId) reads the workflow's jobs through idx_jobs_workflow_status and
    sorts them (at most TASKFORGE_LIMIT_WORKFLOW_JOBS; a top-N sort for a page): never a
    walk of the tenant's newer jobs, though the tenant's jobs are mostly newer."""
    org, _, workflow = tenant
    kw: dict[str, Any] = {"workflow_id": workflow, "statuses": statuses, "finished": finished}
    key = jobs_repo.listing_key(finished)
    page = page_statement(jobs_repo.listing(org.organization.id, **kw), key, Job.id, 50, None)
    for mode, plan in (await plans(pg_database, page)).items():
        assert reads_jobs(plan) == {"idx_jobs_workflow_status"}, (mode, plan)
        [sort] = [n for n in nodes(plan) if "Sort" in n["Node Type"]]
        assert sort["Node Type"] == "Sort", (mode, plan)
