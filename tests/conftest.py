"""Shared fixtures: every service suite runs on SQLite and PostgreSQL, realtime suites
on the in-process broker and real Redis. The services are required, never mocked."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis
from argon2 import PasswordHasher

from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.database import Database
from taskforge.persistence.migrate import upgrade
from taskforge.persistence.tables import Base
from taskforge.runtime import Runtime
from taskforge.services import auth, tenancy
from taskforge.services.base import Principal

PG_ADMIN_DSN = os.environ.get("TASKFORGE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TASKFORGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_DB = f"taskforge_test_{os.getpid()}"
PASSWORD = "correct-horse-battery"


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{dbname}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2id at its lowest cost for the services run in this process. At the
    service's cost (argon2's defaults: 0.26 s of CPU a hash, 85% of creating an
    organization) the organizations, users and logins of each test cost more than the
    test; what the tests check (a hash verifies its password and no other) does not
    depend on the cost. End-to-end servers run in processes of their own, at full cost."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", hasher)
        patch.setattr(auth, "_DUMMY_HASH", hasher.hash("not-a-real-password"))
        yield


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private PostgreSQL database for this test run, migrated once."""
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{PG_DB}"'))
    try:  # dropped even when the migration fails
        asyncio.run(_migrate(_pg_url(PG_DB)))
        yield _pg_url(PG_DB)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))


@pytest.fixture
async def pg_runtime(pg_database: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime on the PostgreSQL test database alone, for suites about its locks and
    plans (no engines; a pool large enough for concurrent use cases)."""
    await _truncate_pg(pg_database)
    rt = Runtime.create(make_settings(pg_database, tmp_path, db_pool_size=20))
    await rt.start(migrate=False, engines=False)
    yield rt
    await rt.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    redis.Redis.from_url(REDIS_URL).ping()  # fail loudly: Redis is required
    return REDIS_URL


_TABLES = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "outbox_cursor"]
# the jobs triggers write count changes when jobs are deleted: their table goes after
_TABLES.sort(key=lambda name: name == "workflow_job_counts")
_TRUNCATE = ", ".join(_TABLES)
_CURSOR_RESET = "UPDATE outbox_cursor SET last_seq = 0, pruned_through = 0"
# the sequences TRUNCATE ... RESTART IDENTITY would restart: those owned by the tables
_OWNED_SEQUENCES = """
SELECT s.oid::regclass::text FROM pg_class s
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE s.relkind = 'S' AND t.relname = ANY($1::text[])
"""


async def _reset_pg(url: str) -> None:
    """Empty every table and restart their sequences, as a fresh migration leaves them.
    DELETE, not TRUNCATE: a TRUNCATE of 20 tables makes new files for each table and
    index and took 0.3 to 0.8 s a test, DELETE of a test's few rows a few ms."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        sequences = [row[0] for row in await conn.fetch(_OWNED_SEQUENCES, _TABLES)]
        async with conn.transaction():
            await conn.execute(
                "".join(f"DELETE FROM {t};" for t in _TABLES)
                + "".join(f"ALTER SEQUENCE {s} RESTART;" for s in sequences)
                + _CURSOR_RESET
            )
    finally:
        await conn.close()


async def _truncate_pg(url: str) -> None:
    """Like ``_reset_pg``, with new, empty files and statistics: for the suites that
    read plans, which dead rows of earlier tests could change."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(f"TRUNCATE {_TRUNCATE} RESTART IDENTITY CASCADE;{_CURSOR_RESET}")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "taskforge.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    asyncio.run(_reset_pg(url))
    return url


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        relay_interval=0.05,
        bootstrap=False,
        **overrides,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.create(settings)
    # engines off: service tests drive reaping themselves with a controlled clock
    await rt.start(migrate=False, engines=False)
    yield rt
    await rt.stop()


@pytest.fixture
def svc(runtime: Runtime) -> Any:
    return runtime.services


async def new_org(
    svc: Any, name: str = "Acme", tier: Tier = Tier.STARTER
) -> tenancy.NewOrganization:
    email = f"{name.lower().replace(' ', '')}-{uuid.uuid4().hex[:8]}@example.com"
    created = await tenancy.create_organization(svc, name, email, PASSWORD, tier)
    assert created is not None
    return created


def admin_of(org: tenancy.NewOrganization) -> Principal:
    return Principal(org.organization.id, frozenset({ADMIN}), user_id=org.admin.id)


@pytest.fixture
async def org(svc: Any) -> tenancy.NewOrganization:
    return await new_org(svc, "Acme")


@pytest.fixture
async def other_org(svc: Any) -> tenancy.NewOrganization:
    return await new_org(svc, "Globex")


@pytest.fixture
def admin(org: tenancy.NewOrganization) -> Principal:
    return admin_of(org)
