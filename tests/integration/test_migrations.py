import uuid
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text

from taskforge.domain.enums import Tier, WorkerType
from taskforge.persistence.database import Database
from taskforge.persistence.migrate import alembic_config, behind, upgrade
from taskforge.persistence.tables import Base
from taskforge.runtime import Runtime
from taskforge.services import executions, workers, workflow_reads, workflows
from tests.conftest import _pg_admin, _pg_url, admin_of, make_settings, new_org


async def test_migrated_schema_equals_orm_metadata(runtime) -> None:
    """The fixture databases were built by the migrations alone."""

    def diff(sync_conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with runtime.db.read() as session:
        conn = await session.connection()
        assert await conn.run_sync(diff) == []
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    expected = {
        "organizations",
        "users",
        "subscriptions",
        "projects",
        "api_keys",
        "job_queues",
        "jobs",
        "workers",
        "queue_worker_assignments",
        "job_executions",
        "execution_logs",
        "job_dependencies",
        "workflows",
        "scheduled_jobs",
        "schedule_fires",
        "rate_windows",
        "events",
        "outbox_cursor",
    }
    assert expected <= tables


async def test_the_dashboard_indexes_are_built_before_an_index_is_dropped() -> None:
    """PostgreSQL, migration 0037: a DROP INDEX takes an ACCESS EXCLUSIVE lock on jobs
    that the migration's transaction holds until it commits, so no index of jobs may be
    built after one (every read of jobs would wait for the build): each CREATE INDEX
    runs while the transaction holds no such lock."""
    name = f"taskforge_migration_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    try:
        await upgrade(db, "0035")
        built: list[tuple[str, int]] = []

        def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("CREATE INDEX"):
                cursor.execute(EXCLUSIVE_ON_JOBS)  # the same transaction's locks
                built.append((statement.split()[2], cursor.fetchone()[0]))

        event.listen(db.engine.sync_engine, "before_cursor_execute", before)
        await upgrade(db, "0037")
    finally:
        await db.dispose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert len(built) >= 3, built
    assert [index for index, held in built if held] == [], built


EXCLUSIVE_ON_JOBS = """SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()
    AND relation = 'jobs'::regclass AND mode = 'AccessExclusiveLock'"""


async def test_map_edges_are_stored_again_by_the_downgrade_and_dropped_by_the_upgrade(
    tmp_path: Any,
) -> None:
    """Migration 0038: mapped children's edges into their template are implied. Its
    downgrade stores them, in the states the engine read them in; its upgrade deletes
    them again, and the template still waits for its children and ends with them."""
    name = f"taskforge_migration_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    rt: Runtime | None = None
    try:
        await upgrade(db, "head")
        rt = Runtime.create(make_settings(_pg_url(name), tmp_path))
        await rt.start(migrate=False, engines=False)
        svc = rt.services
        org = await new_org(svc, "Mig", Tier.ENTERPRISE)
        admin = admin_of(org)
        definition = {
            "name": "map",
            "failure_policy": "CONTINUE_ON_FAILURE",
            "jobs": [
                {"name": "list", "job_type": "t"},
                {
                    "name": "each",
                    "job_type": "t",
                    "map_over": "parents.list.output.items",
                    "depends_on": ["list"],
                    "trigger_rule": "ALL_DONE",
                },
            ],
        }
        wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
        worker = await workers.register(
            svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id, 1)]
        )
        [parent] = await executions.claim(svc, admin, worker.id, None, 10)
        await executions.complete(svc, admin, [(parent.execution_id, {"items": [1, 2, 3]})])
        claimed = {c.job.name: c for c in await executions.claim(svc, admin, worker.id, None, 2)}
        first, second = sorted(claimed)
        await executions.complete(svc, admin, [(claimed[first].execution_id, None)])
        await executions.fail(svc, admin, [(claimed[second].execution_id, ("no", False))])
        await rt.stop()
        rt = None

        stored = """SELECT c.name, e.status FROM job_dependencies e
            JOIN jobs c ON c.id = e.parent_job_id JOIN jobs t ON t.id = e.child_job_id
            WHERE t.name = 'each' ORDER BY c.name"""
        async with db.write() as session:
            conn = await session.connection()
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0037"))
        async with db.read() as session:
            states = dict((await session.execute(text(stored))).all())
        assert states == {
            "list": "RESOLVED",
            first: "RESOLVED",
            second: "FAILED",
            "each[2]": "PENDING",
        }

        await upgrade(db, "head")
        async with db.read() as session:
            states = dict((await session.execute(text(stored))).all())
        assert states == {"list": "RESOLVED"}

        rt = Runtime.create(make_settings(_pg_url(name), tmp_path))
        await rt.start(migrate=False, engines=False)
        svc = rt.services
        [last] = await executions.claim(svc, admin, worker.id, None, 10)
        assert last.job.name == "each[2]"
        await executions.complete(svc, admin, [(last.execution_id, None)])
        done = await workflow_reads.get(svc, admin, wf.id)
        assert done.status.value == "FAILED"  # a child failed; the template ran ALL_DONE
        async with rt.services.read() as session:
            template = await session.scalar(text("SELECT status FROM jobs WHERE name = 'each'"))
        assert template == "SUCCEEDED"
    finally:
        if rt is not None:
            await rt.stop()
        await db.dispose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_schema_behind_this_release_is_told_apart() -> None:
    """``serve`` refuses a PostgreSQL database it was not migrated for: never migrated,
    or at an earlier revision. A revision it does not know is a later release's (a
    rolling upgrade migrated it): not behind."""
    name = f"taskforge_migration_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    try:
        assert "no schema yet" in (await behind(db) or "")
        await upgrade(db, "0037")
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert f"at revision 0037, this release expects {head}" in (await behind(db) or "")
        await upgrade(db, "head")
        assert await behind(db) is None
        async with db.write() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        assert await behind(db) is None
    finally:
        await db.dispose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
