"""Fixtures for end-to-end tests: the real `taskforge serve` as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_DSN, REDIS_URL
from tests.helpers import free_port

TASKFORGE = [sys.executable, "-m", "taskforge.cli"]


def _pg(sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database migrated once, by `taskforge migrate`, for the run: each
    test's database is a copy (a migration in a process of its own took 3 to 5 s)."""
    db = f"taskforge_e2e_template_{os.getpid()}"
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{db}"')
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
        env["TASKFORGE_DATABASE_URL"] = _url(db)
        cwd = tmp_path_factory.mktemp("migrate")
        subprocess.run([*TASKFORGE, "migrate"], env=env, cwd=cwd, check=True, timeout=60)
        yield db
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _url(db: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{db}"


def _copy(template: str, db: str) -> None:
    """``db``, a copy of ``template`` with a stream id of its own, as a migration makes
    one: Redis keys are named by it (login throttles of 127.0.0.1 too), and copies of
    one stream would share them from test to test."""
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')

    async def run() -> None:
        conn = await asyncpg.connect(_url(db).replace("+asyncpg", ""))
        try:
            await conn.execute("UPDATE outbox_cursor SET stream_id = $1", str(uuid.uuid4()))
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(params=["embedded", "postgres+redis"])
def server_env(request, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    if request.param == "embedded":
        yield env
        return
    db = f"taskforge_e2e_{os.getpid()}"
    _copy(request.getfixturevalue("migrated_template"), db)
    env |= {"TASKFORGE_DATABASE_URL": _url(db), "TASKFORGE_REDIS_URL": REDIS_URL}
    yield env
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _drain(stream: IO[str], into: list[str] | None) -> None:
    with contextlib.suppress(ValueError):  # closed while reading
        for line in stream:
            if into is not None:
                into.append(line)


@contextlib.contextmanager
def server(
    env: dict[str, str],
    cwd: Path,
    output: list[str] | None = None,
    args: tuple[str, ...] = (),
    port: int | None = None,
    processes: list[subprocess.Popen[str]] | None = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """``output``, when given, receives the server's log lines as they come; ``args``:
    more arguments of ``serve``; ``port``: this one rather than a free one (a server
    started again where the last one was); ``processes`` receives the server's process
    (a test that kills it)."""
    port = port or free_port()
    proc = subprocess.Popen(
        [*TASKFORGE, "serve", "--port", str(port), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if processes is not None:
        processes.append(proc)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Uvicorn running" in line:
                break
        out = "".join(lines)
        assert "Uvicorn running" in out, out
        creds = dict(re.findall(r"^\s+(email|password|API key):\s+(\S+)", out, re.M))
        # keep draining: a full pipe would block the server's request logging
        if output is not None:
            output.extend(lines)
        drain = threading.Thread(target=_drain, args=(proc.stdout, output), daemon=True)
        drain.start()
        yield f"127.0.0.1:{port}", creds
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stdout is not None:
            with contextlib.suppress(ValueError):  # closed while the drain thread reads
                proc.stdout.close()
