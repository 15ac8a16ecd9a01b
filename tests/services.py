"""Private, throwaway PostgreSQL clusters and Redis servers for tests that must stop a
database (never the shared one), started and stopped through ``scripts/services``."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SERVICES = str(Path(__file__).resolve().parent.parent / "scripts" / "services")


def _services(*args: str, timeout: float = 90) -> str:
    done = subprocess.run(
        [SERVICES, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/services {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


class PrivatePostgres:
    """A cluster of its own in a temporary folder, with a ``test`` database. It can be
    stopped and started again on the same port and data, like a restarted server."""

    def __init__(self) -> None:
        # a folder of its own in the system temp dir: the server may run as `nobody`, who
        # cannot enter pytest's per-user temp folders
        self.root = Path(tempfile.mkdtemp(prefix="taskforge-pg-"))
        os.chmod(self.root, 0o755)
        self.port: int | None = None

    @property
    def dir(self) -> str:
        return str(self.root / "postgres")

    def start(self) -> None:
        self.port = int(_services("pg-start", self.dir, str(self.port or "")))

    def stop(self, mode: str = "fast") -> None:
        _services("pg-stop", self.dir, mode)

    def dsn(self, database: str = "test") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = "test") -> str:
        """The SQLAlchemy URL of a database on this cluster."""
        return self.dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)

    def log(self) -> str:
        path = self.root / "postgres" / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of its own on a free port; yields its URL."""
    root = Path(tempfile.mkdtemp(prefix="taskforge-redis-"))
    try:
        port = _services("redis-start", str(root))
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        with contextlib.suppress(Exception):
            _services("redis-stop", str(root))
        shutil.rmtree(root, ignore_errors=True)
