"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from taskforge.persistence.database import Database
from taskforge.persistence.store import WRITING

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def behind(db: Database) -> str | None:
    """Why the database's schema is older than this code's (None: it is not): never
    migrated, or at an earlier revision. A revision this code does not know is newer (a
    release already migrated it, as during a rolling upgrade): not behind."""
    async with db.read() as session:  # a database that cannot be reached: Unavailable
        conn = await session.connection()
        current = await conn.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if current == head:
        return None
    if current is None:
        return f"the database has no schema yet (this release expects revision {head})"
    if current in {r.revision for r in script.walk_revisions()}:
        return f"the database's schema is at revision {current}, this release expects {head}"
    return None


async def upgrade(db: Database, revision: str = "head") -> None:
    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    if db.store.embedded:
        await _upgrade_sqlite(db, run)
        return
    async with db.write() as session:
        conn = await session.connection()
        await conn.run_sync(run)


async def _upgrade_sqlite(db: Database, run: Callable[[Connection], None]) -> None:
    """SQLite alters a table by building a new one and dropping the old: with foreign
    keys enforced, the drop would first delete the old table's rows and cascade into
    every table referring to it (an execution's logs). So keys are off during the
    migration (SQLite's documented procedure: the pragma cannot change inside a
    transaction), checked before the commit, and on again after."""
    async with db.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute("PRAGMA foreign_keys=OFF")
        try:
            token = WRITING.set(True)  # BEGIN IMMEDIATE
            try:
                async with conn.begin():
                    await conn.run_sync(run)
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            finally:
                WRITING.reset(token)
        finally:
            await driver.execute("PRAGMA foreign_keys=ON")
