"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from taskforge.persistence.database import Database
from taskforge.persistence.store import WRITING

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


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
