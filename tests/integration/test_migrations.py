from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from taskforge.persistence.tables import Base


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
