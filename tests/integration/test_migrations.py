import uuid
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event

from taskforge.persistence.database import Database
from taskforge.persistence.migrate import upgrade
from taskforge.persistence.tables import Base
from tests.conftest import _pg_admin, _pg_url


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
