"""PostgreSQL plans of hot-path statements: they read what they act on, not everything
of a kind (all pending edges, all of a worker's executions, all of a workflow's count
changes)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql

from taskforge.domain.enums import JobStatus, Tier, WorkerType
from taskforge.persistence.common import workers as workers_repo
from taskforge.persistence.common import workflows as workflows_repo
from taskforge.persistence.postgres.dependencies import CHILDREN_PG, DECIDE_PG
from taskforge.persistence.postgres.executions import (
    ACK_ROWS_PG,
    CLAIM_ONE_PG,
    SUCCEED_CURRENT_PG,
)
from taskforge.persistence.postgres.graph import WORKFLOW_JOBS_PG
from taskforge.persistence.postgres.workflows import HAS_LIVE_JOBS_PG, REFRESH_PG
from taskforge.persistence.tables import WorkflowJobCount
from taskforge.services import engines, executions, jobs, workers, workflows
from tests.conftest import admin_of, new_org

EDGE_INDEXES = ("job_dependencies_pkey", "idx_job_dependencies_child_status")


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def work(plan: list[dict[str, Any]]) -> int:
    """The most rows any node of an executed plan produced or discarded in a join."""
    return max(
        n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Join Filter", 0) for n in plan
    )


def edge_accesses(plan: dict[str, Any]) -> list[str]:
    """How each plan node reaching job_dependencies does: its index condition, or the
    kind of scan it is when it has none."""
    found = []
    for node in nodes(plan):
        index = str(node.get("Index Name", ""))
        if index.startswith(("job_dependencies", "idx_job_dependencies")):
            found.append(str(node.get("Index Cond", f"{node['Node Type']} without condition")))
        elif node.get("Relation Name") == "job_dependencies" and node["Node Type"] == "Seq Scan":
            found.append("Seq Scan")

    return found


async def worker_of(svc: Any, org: Any) -> Any:
    """A worker registered on the organization's queue."""
    queues = [workers.QueueWeight(org.queue.id, 1)]
    return await workers.register(svc, admin_of(org), "w", WorkerType.GENERAL, queues)


async def explain(conn: asyncpg.Connection, sql: str, *args: Any) -> list[str]:
    raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
    accesses = edge_accesses(json.loads(raw)[0]["Plan"])
    assert accesses, "the statement reads no edge"
    return accesses


async def test_hot_statements_probe_edges_by_their_jobs(pg_runtime, pg_database) -> None:
    svc = pg_runtime.services
    busy = await new_org(svc, "Busy", Tier.ENTERPRISE)
    spread = await jobs.enqueue(
        svc, admin_of(busy), [jobs.NewJob(queue_id=busy.queue.id, job_type="t")] * 1000
    )
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    mine = await jobs.enqueue(
        svc, admin_of(org), [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 200
    )
    worker = await worker_of(svc, org)
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        # another tenant's fan-out and fan-in, all edges pending: 1 -> 998 -> 1
        root, *middle, sink = (j.id for j in spread)
        await conn.execute(
            "INSERT INTO job_dependencies (id, organization_id, parent_job_id, child_job_id,"
            " dependency_type, condition, status, created_at)"
            " SELECT gen_random_uuid(), $1, p, c, 'PARALLEL', 'SUCCEEDED', 'PENDING', now()"
            " FROM unnest($2::uuid[], $3::uuid[]) AS e(p, c)",
            busy.organization.id,
            [root] * len(middle) + middle,
            middle + [sink] * len(middle),
        )
        await conn.execute("ANALYZE job_dependencies")
        now = dt.datetime.now(dt.UTC)
        tx = conn.transaction()  # the EXPLAIN ANALYZEs change rows: undone at the end
        await tx.start()
        try:
            claim = await explain(
                conn, CLAIM_ONE_PG, org.queue.id, 200, now, worker.id, now, [], []
            )
            started = await conn.fetch(
                "SELECT id FROM job_executions WHERE organization_id = $1", org.organization.id
            )
            raw = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {ACK_ROWS_PG}",
                org.organization.id,
                [r["id"] for r in started],
            )
            # the acknowledgement's locking read leaves edges to the engine's own reads
            assert edge_accesses(json.loads(raw)[0]["Plan"]) == []
            children = await explain(conn, CHILDREN_PG, [j.id for j in mine])
            ids = [j.id for j in mine]
            decide = await explain(conn, DECIDE_PG, ids, ["SUCCEEDED"] * len(ids), now, [], [])
        finally:
            await tx.rollback()
    finally:
        await conn.close()
    # each reaches edges by their jobs, or an edge already found by its primary key
    by_job = ("parent_job_id", "child_job_id")
    for conditions in (claim, children, decide):
        assert all(any(k in c for k in by_job) or c.startswith("(id = ") for c in conditions), (
            conditions
        )


async def test_a_released_child_is_decided_by_one_probe_of_its_edges(
    pg_runtime, pg_database
) -> None:
    """The children a fan-out's root releases (each edge RESOLVED) are read by one probe
    of their edges each, not one for a status below RESOLVED and another for any edge."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    middle = [{"name": f"m{i}", "job_type": "t", "depends_on": ["root"]} for i in range(20)]
    definition = {"name": "fan", "jobs": [{"name": "root", "job_type": "t"}, *middle]}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    worker = await worker_of(svc, org)
    [root] = await executions.claim(svc, admin, worker.id, None, 10)
    await executions.complete(svc, admin, [(root.execution_id, None)])
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        children = await conn.fetch(
            "SELECT id FROM jobs WHERE workflow_id = $1 AND name <> 'root'", wf.id
        )
        raw = await conn.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {CHILDREN_PG}", [r["id"] for r in children]
        )
        decided = await conn.fetch(CHILDREN_PG, [r["id"] for r in children])
    finally:
        await conn.close()
    probes = sum(
        n["Actual Loops"]
        for n in nodes(json.loads(raw)[0]["Plan"])
        if n.get("Relation Name") == "job_dependencies"
    )
    assert len(children) == 20 and probes == 20
    assert {(r["first"], r["resolved"], r["failed"]) for r in decided} == {(None, True, None)}


async def test_a_join_with_a_trigger_rule_reads_its_edge_states_by_probes(
    pg_runtime, pg_database
) -> None:
    """A ONE_SUCCESS join of 300 parents, one succeeded: which edge states it has is
    read by a probe of its edges per state (the lowest, then each above it), never by
    reading its 300 edges."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    parents = [{"name": f"p{i}", "job_type": "t"} for i in range(300)]
    join = {"name": "join", "job_type": "t", "trigger_rule": "ONE_SUCCESS"}
    join["depends_on"] = [p["name"] for p in parents]
    definition = {"name": "fan-in", "jobs": [*parents, join]}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    worker = await worker_of(svc, org)
    [first] = await executions.claim(svc, admin, worker.id, None, 1)
    await executions.complete(svc, admin, [(first.execution_id, None)])
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("ANALYZE jobs, job_dependencies")
        join_id = await conn.fetchval(
            "SELECT id FROM jobs WHERE workflow_id = $1 AND name = 'join'", wf.id
        )
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {CHILDREN_PG}", [join_id])
        [decided] = await conn.fetch(CHILDREN_PG, [join_id])
    finally:
        await conn.close()
    plan = json.loads(raw)[0]["Plan"]
    read = sum(
        n["Actual Rows"] * n["Actual Loops"]
        for n in nodes(plan)
        if n.get("Relation Name") == "job_dependencies"
    )
    assert sorted(decided["present"]) == ["PENDING", "RESOLVED"]
    assert read <= 2, read  # the lowest state, then RESOLVED found; PENDING is the lowest
    assert all("child_job_id" in access for access in edge_accesses(plan)), edge_accesses(plan)


async def test_an_acknowledgement_reaches_its_rows_by_their_primary_keys(
    pg_runtime, pg_database
) -> None:
    """Statistics taken while nothing ran (VACUUM (ANALYZE) at an idle moment) have the
    partial indexes of live executions and processing jobs look empty. The
    acknowledgement of 64 of 200 running jobs must still reach each execution and job
    by its primary key, in the generic plan too: a plan scanning those indexes for every
    row of the batch was quadratic in the jobs running."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    worker = await worker_of(svc, org)
    for n in (1000, 1000, 200):  # 2,000 ran before: tables a scan of costs more than probes
        await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * n)
        while n == 1000 and (done := await executions.claim(svc, admin, worker.id, None, 500)):
            await executions.complete(svc, admin, [(c.execution_id, None) for c in done])
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("VACUUM (ANALYZE) jobs, job_executions")
        running = await executions.claim(svc, admin, worker.id, None, 500)
        assert len(running) == 200
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        tx = conn.transaction()  # the EXPLAIN ANALYZE acknowledges them: undone
        await tx.start()
        try:
            raw = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {SUCCEED_CURRENT_PG}",
                org.organization.id,
                [c.execution_id for c in running[:64]],
                [None] * 64,
                dt.datetime.now(dt.UTC),
            )
        finally:
            await tx.rollback()
    finally:
        await conn.close()
    plan = list(nodes(json.loads(raw)[0]["Plan"]))
    scans = [n for n in plan if n["Node Type"] == "Seq Scan"]
    assert not scans, scans
    indexes = {n["Index Name"] for n in plan if "Index Name" in n}
    assert indexes == {"jobs_pkey", "job_executions_pkey"}, indexes
    assert sum(n["Actual Rows"] for n in plan if n["Node Type"] == "ModifyTable") == 128


async def test_an_acknowledgements_generic_plan_works_in_proportion_to_its_batch(
    pg_runtime, pg_database
) -> None:
    """The plan a prepared acknowledgement settles on after a few runs (the generic one,
    estimating 10 rows for the batch) must not compare every execution with every row
    of the batch: that nested loop made an acknowledgement of 500 take 4x the rest of
    its statement. Each output still lands on its own execution and job, a NULL one
    as NULL."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    worker = await worker_of(svc, org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 300)
    running = await executions.claim(svc, admin, worker.id, None, 300)
    assert len(running) == 300
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(
            f"PREPARE ack(uuid, uuid[], text[], timestamptz) AS {SUCCEED_CURRENT_PG}"
        )
        now = dt.datetime.now(dt.UTC)

        def execute(batch: list[Any], outputs: list[str | None]) -> str:
            """EXECUTE takes no bound parameters: its arguments are written out."""
            ids = ",".join(str(c.execution_id) for c in batch)
            texts = ",".join("NULL" if o is None else f"'{o}'" for o in outputs)
            return (
                f"EXECUTE ack('{org.organization.id}', '{{{ids}}}', "
                f"ARRAY[{texts}]::text[], '{now.isoformat()}')"
            )

        tx = conn.transaction()  # the EXPLAIN ANALYZE acknowledges them: undone
        await tx.start()
        try:
            raw = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {execute(running[:250], [None] * 250)}"
            )
        finally:
            await tx.rollback()
        plan = list(nodes(json.loads(raw)[0]["Plan"]))
        assert any("$1" in str(n.get("Filter", "")) for n in plan), "not the generic plan"
        assert work(plan) <= 2 * 250, [(n["Node Type"], n["Actual Loops"]) for n in plan]

        outputs = [None if i % 3 == 0 else json.dumps({"n": i}) for i in range(300)]
        rows = await conn.fetch(execute(running, outputs))
        assert len(rows) == 300 and rows[0]["closed"] == 300
        stored = await conn.fetch(
            "SELECT e.id, e.status, e.output::text AS e_out, j.status AS j_status, "
            "j.output::text AS j_out FROM job_executions e JOIN jobs j ON j.id = e.job_id "
            "WHERE e.id = ANY($1::uuid[])",
            [c.execution_id for c in running],
        )
    finally:
        await conn.close()
    expected = {c.execution_id: out for c, out in zip(running, outputs, strict=True)}
    assert len(stored) == 300
    for r in stored:
        want = expected[r["id"]]
        assert (r["status"], r["j_status"]) == ("SUCCEEDED", "SUCCEEDED")
        assert r["e_out"] == r["j_out"]
        assert r["e_out"] is None if want is None else json.loads(r["e_out"]) == json.loads(want)


async def test_a_claims_generic_plan_works_in_proportion_to_its_batch(
    pg_runtime, pg_database
) -> None:
    """A prepared claim's generic plan (10 rows estimated for the batch) reads its result
    from the update alone: nothing in it is compared with every row of the batch, and
    each claimed job comes back with the execution that was started for it."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    worker = await worker_of(svc, org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 600)
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(
            "PREPARE claim(uuid, int, timestamptz, uuid, timestamptz, uuid[], timestamptz[])"
            f" AS {CLAIM_ONE_PG}"
        )
        now = dt.datetime.now(dt.UTC).isoformat()
        args = f"'{org.queue.id}', 250, '{now}', '{worker.id}', '{now}', '{{}}', '{{}}'"
        tx = conn.transaction()  # the EXPLAIN ANALYZE claims them: undone
        await tx.start()
        try:
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim({args})")
        finally:
            await tx.rollback()
        plan = list(nodes(json.loads(raw)[0]["Plan"]))
        assert any("$" in str(n.get("Index Cond", "")) for n in plan), "not the generic plan"
        assert work(plan) <= 2 * 250, [(n["Node Type"], n["Actual Loops"]) for n in plan]
        rows = await conn.fetch(f"EXECUTE claim({args})")
        started = dict(
            await conn.fetch(
                "SELECT id, job_id FROM job_executions WHERE organization_id = $1",
                org.organization.id,
            )
        )
    finally:
        await conn.close()
    assert len(rows) == 250 and len(started) == 250
    assert {r["execution_id"]: r["id"] for r in rows} == started


async def test_a_heartbeat_reads_only_the_workers_live_executions(pg_runtime, pg_database) -> None:
    """A worker that ran 1,000 jobs and holds 5: its heartbeat's lease extension reads
    the 5 (it holds its row's lock meanwhile, and the worker's claims wait on it)."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    for n in (1000, 5):
        await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * n)
    worker = await worker_of(svc, org)
    done = await executions.claim(svc, admin, worker.id, None, 500)
    done += await executions.claim(svc, admin, worker.id, None, 500)
    await executions.complete(svc, admin, [(c.execution_id, None) for c in done])
    assert len(await executions.claim(svc, admin, worker.id, None, 500)) == 5
    stmt = workers_repo.lease_extension(worker.id, dt.datetime.now(dt.UTC))
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("ANALYZE job_executions")
        tx = conn.transaction()
        await tx.start()
        try:
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        finally:
            await tx.rollback()
    finally:
        await conn.close()
    plan = list(nodes(json.loads(raw)[0]["Plan"]))
    assert not [n for n in plan if n["Node Type"] == "Seq Scan"], plan
    scans = {n["Index Name"]: n for n in plan if "Index Name" in n}
    # the live index finds the 5; the update reaches each of them by its primary key
    assert set(scans) == {"idx_job_executions_live", "job_executions_pkey"}, plan
    assert scans["idx_job_executions_live"]["Actual Rows"] == 5
    probe = scans["job_executions_pkey"]
    assert probe["Actual Rows"] * probe["Actual Loops"] == 5


async def test_a_heartbeat_does_not_wait_for_executions_an_acknowledgement_holds(
    pg_runtime, pg_database
) -> None:
    """An acknowledgement locks its executions in its own order; a heartbeat that waited
    for one of them while holding another deadlocked with it. It skips the held ones
    (being ended) and extends the rest at once."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 3)
    worker = await worker_of(svc, org)
    held, *free = await executions.claim(svc, admin, worker.id, None, 3)
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        tx = conn.transaction()
        await tx.start()
        # a log being written key-share-locks its execution: that one is extended
        await conn.execute(
            "SELECT 1 FROM job_executions WHERE id = $1 FOR KEY SHARE", free[0].execution_id
        )
        await conn.execute(
            "SELECT 1 FROM job_executions WHERE id = $1 FOR UPDATE", held.execution_id
        )
        _, extended = await asyncio.wait_for(
            workers.heartbeat(svc, admin, worker.id, 3600), timeout=5
        )
        await tx.rollback()
        rows = await conn.fetch(
            "SELECT id, lease_expires_at - now() AS left FROM job_executions WHERE worker_id = $1",
            worker.id,
        )
    finally:
        await conn.close()
    assert extended == 2
    extended_ids = {r["id"] for r in rows if r["left"] > dt.timedelta(minutes=50)}
    assert extended_ids == {c.execution_id for c in free}


async def test_the_workflow_index_holds_workflow_jobs_and_serves_their_statements(
    pg_runtime, pg_database
) -> None:
    """Jobs outside workflows write no entry to idx_jobs_workflow_status (partial), and
    the statements reading a workflow's jobs still reach them through it, in generic
    plans too: ``workflow_id = $1`` implies the predicate."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    for _ in range(3):
        await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 1000)
    steps = [{"name": f"j{i}", "job_type": "t"} for i in range(20)]
    wf = await workflows.create(svc, admin, org.project.id, {"name": "w", "jobs": steps})
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        await conn.execute("VACUUM (ANALYZE) jobs")
        entries = await conn.fetchval(
            "SELECT reltuples FROM pg_class WHERE relname = 'idx_jobs_workflow_status'"
        )
        assert entries == 20
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        found = {}
        for name, sql, kind, arg in (
            ("refresh", REFRESH_PG, "uuid[]", f"'{{{wf.id}}}'"),
            ("live", HAS_LIVE_JOBS_PG, "uuid", f"'{wf.id}'"),
            ("graph", WORKFLOW_JOBS_PG, "uuid", f"'{wf.id}'"),
        ):
            await conn.execute(f"PREPARE {name}({kind}) AS {sql}")
            raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({arg})")
            plan = list(nodes(json.loads(raw)[0]["Plan"]))
            found[name] = {
                str(n.get("Index Name", n["Node Type"]))
                for n in plan
                if n.get("Relation Name") == "jobs"
            }
    finally:
        await conn.close()
    # the engine's refresh reads whether jobs are live off the workflow's counts: no job
    # read (an EXISTS there was planned as a scan past every job already ended)
    assert found.pop("refresh") == set(), found
    assert found == {name: {"idx_jobs_workflow_status"} for name in found}, found


async def test_the_workflow_count_trigger_scales_with_the_rows_it_counts(
    pg_runtime, pg_database
) -> None:
    """The trigger's statement is planned once per connection, from the first firing's
    transition tables. After a one-row update it must still be linear in a large one
    (no join of the transition tables, which became a nested loop over 2,000 x 2,000
    rows); and statements that leave status alone do not fire it."""
    svc = pg_runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    jobs_ = [{"name": f"j{i}", "job_type": "t"} for i in range(2001)]
    wf = await workflows.create(svc, admin_of(org), org.project.id, {"name": "w", "jobs": jobs_})
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    plans: list[str] = []
    try:
        await conn.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_nested_statements = on; SET client_min_messages = log"
        )
        conn.add_log_listener(lambda _, message: plans.append(str(message)))
        ids = [
            r["id"] for r in await conn.fetch("SELECT id FROM jobs WHERE workflow_id = $1", wf.id)
        ]
        await conn.execute("UPDATE jobs SET status = 'CANCELLED' WHERE id = $1", ids[0])
        plans.clear()
        await conn.execute("UPDATE jobs SET status = 'CANCELLED' WHERE id = ANY($1)", ids[1:])
        counted = [p for p in plans if "workflow_job_counts" in p]
    finally:
        await conn.close()
    assert counted, plans
    assert not [p for p in counted if "Join" in p or "Nested Loop" in p], counted
    async with svc.read() as session:
        ((_, counts),) = (await workflows_repo.states(session, [wf.id])).values()
    assert counts == {JobStatus.CANCELLED: 2001}


async def busy_workflow(svc: Any, size: int, steps: int, claim: int) -> Any:
    """A started workflow of ``size`` jobs after ``steps`` rounds of claiming ``claim``
    jobs and acknowledging the first: each round adds count rows."""
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    spec = {"name": "w", "jobs": [{"name": f"j{i}", "job_type": "t"} for i in range(size)]}
    wf = await workflows.create(svc, admin, org.project.id, spec, start=True)
    worker = await worker_of(svc, org)
    for _ in range(steps):
        claimed = await executions.claim(svc, admin, worker.id, None, claim)
        await executions.complete(svc, admin, [(claimed[0].execution_id, None)])
    return wf


async def test_folding_keeps_a_workflows_counts_and_few_rows(pg_runtime) -> None:
    """Every claim and acknowledgement of a workflow's jobs adds count rows that each
    state read sums; folding leaves one row per status and the same counts."""
    svc = pg_runtime.services
    wf = await busy_workflow(svc, size=60, steps=25, claim=2)

    async def rows_and_counts() -> tuple[int, dict[JobStatus, int]]:
        async with svc.read() as session:
            ((_, counts),) = (await workflows_repo.states(session, [wf.id])).values()
            rows = await session.scalar(
                select(func.count())
                .select_from(WorkflowJobCount)
                .where(WorkflowJobCount.workflow_id == wf.id)
            )
        return int(rows or 0), counts

    rows, counts = await rows_and_counts()
    assert rows > 50
    assert counts == {JobStatus.PENDING: 10, JobStatus.PROCESSING: 25, JobStatus.SUCCEEDED: 25}
    assert await engines.fold_counts(svc, over=50) == 1
    assert await rows_and_counts() == (3, counts)
    assert await engines.fold_counts(svc, over=50) == 0  # nothing crowded is left


async def test_folding_skips_a_workflow_being_deleted_not_one_being_run(
    pg_runtime, pg_database
) -> None:
    """A fold of a workflow that deleteWorkflow holds (FOR UPDATE) would insert folded
    rows the deletion never sees; it skips that workflow. The engine's lock on a running
    workflow (FOR NO KEY UPDATE) does not stop it."""
    svc = pg_runtime.services
    wf = await busy_workflow(svc, size=20, steps=10, claim=1)

    async def fold_while(lock: str) -> int:
        conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
        try:
            tx = conn.transaction()
            await tx.start()
            await conn.execute(f"SELECT 1 FROM workflows WHERE id = $1 {lock}", wf.id)
            folded = await asyncio.wait_for(engines.fold_counts(svc, over=5), 5)
            await tx.rollback()
            return folded
        finally:
            await conn.close()

    assert await fold_while("FOR UPDATE") == 0  # deleteWorkflow holds it
    assert await fold_while("FOR NO KEY UPDATE") == 1  # an acknowledgement holds it
