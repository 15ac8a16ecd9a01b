"""Outages for tests, never of the shared services: private, throwaway PostgreSQL
clusters and Redis servers (started and stopped through ``scripts/services``), and a
relay in front of a database that can end its sessions or refuse connections."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


FATAL = b"".join(
    [
        b"SFATAL\0VFATAL\0C57P01\0",
        b"Mterminating connection due to administrator command\0\0",
    ]
)


class Relay:
    """A TCP relay in front of PostgreSQL that can end every session as a server going
    down does: the FATAL error first, the close of the socket after."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.sessions: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter, Any]] = []

    async def __aenter__(self) -> Relay:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.listen_port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.end_sessions(close=True)
        await self.server.wait_closed()

    async def down(self) -> None:
        """The server is gone: sessions end, connections are refused."""
        self.server.close()
        await self.end_sessions(close=True)
        await self.server.wait_closed()

    async def up(self) -> None:
        """Back, on the same port."""
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.listen_port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self.sessions.append((writer, up_writer, pumps))

    @staticmethod
    async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()  # one side closed: so is the other

    async def end_sessions(self, *, close: bool) -> None:
        """The server side goes: each client receives the FATAL error; its socket is
        closed too when ``close``, else held open (the moment before the close)."""
        for client, upstream, pumps in self.sessions:
            for pump in pumps:
                pump.cancel()
            upstream.close()
            if not client.is_closing():
                client.write(b"E" + struct.pack("!i", len(FATAL) + 4) + FATAL)
                if close:
                    client.close()
        if close:
            self.sessions = []
