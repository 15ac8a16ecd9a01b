"""Which database failures are an outage (retry later) rather than a defect.

A server that is down, restarting or refusing connections, a connection it dropped, a
pool that stayed exhausted, an SQLite file locked past the busy timeout: the same
request succeeds once the database is back, so the client gets ``UNAVAILABLE`` and may
retry. Anything else (a constraint, a syntax error, a misuse of the driver) stays an
error of ours and is masked as ``INTERNAL``.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterator

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa_exc

from taskforge.domain.errors import Unavailable

# PostgreSQL: connection exceptions (class 08), too many connections, and the operator
# interventions that end a session: admin shutdown, crash shutdown, "cannot connect
# now" (starting up or shutting down), idle session timeout. Not 57P04 (database
# dropped) or 57014 (statement cancelled): retrying does not help those.
_PG_STATES = frozenset({"53300", "57P01", "57P02", "57P03", "57P05"})

# SQLite: busy or locked past the busy timeout, the file cannot be opened or read
_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")

# asyncpg's words for an operation on a connection the server or the client closed
_CLOSED = ("connection is closed", "underlying connection is closed")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, what SQLAlchemy wrapped (``orig``) and what it was raised from, level
    by level: the driver's own error comes last."""
    seen: set[int] = set()
    todo: deque[BaseException | None] = deque([exc])
    while todo:
        e = todo.popleft()
        if e is None or id(e) in seen or len(seen) > 20:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__]


def _one(e: BaseException) -> bool:
    if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
        return True  # SQLAlchemy saw the connection die (its dialect's disconnect test)
    if isinstance(e, sa_exc.TimeoutError | TimeoutError | OSError):
        return True  # no pooled connection in time; connect refused, reset, unreachable
    sqlstate = getattr(e, "sqlstate", None)
    if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _PG_STATES):
        return True
    if isinstance(e, asyncpg.InternalClientError) and not isinstance(
        e, asyncpg.exceptions.OutdatedSchemaCacheError
    ):
        # the protocol lost track of the connection (e.g. the server's "terminating
        # connection" arrived before its socket closed); asyncpg aborts it
        return True
    if isinstance(e, asyncpg.InterfaceError) and any(w in str(e) for w in _CLOSED):
        return True
    if isinstance(e, sqlite3.OperationalError):
        name = getattr(e, "sqlite_errorname", "") or ""
        return name.startswith(_SQLITE_ERRORS)
    return False


def is_unavailable(exc: BaseException) -> bool:
    """Whether this failure means the database could not be reached or used right now."""
    return any(_one(e) for e in _chain(exc))


def describe(exc: BaseException) -> str:
    """The outage's root cause in a few words, for the server's log."""
    found = [e for e in _chain(exc) if _one(e)]
    e = found[-1] if found else exc  # the deepest: the driver's own error
    if isinstance(e, asyncpg.InternalClientError):
        # asyncpg's "cannot switch to state N; another operation (2) is in progress": the
        # server's "terminating connection" came before the close of the socket, and the
        # protocol was still discarding it; not two operations on one connection
        return "connection ended by the server"
    if isinstance(e, sqlite3.OperationalError | OSError):
        return f"{type(e).__name__}: {e}"
    sqlstate = getattr(e, "sqlstate", None)
    message = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"{sqlstate}: {message}" if sqlstate else f"{type(e).__name__}: {message}"


def unavailable(exc: BaseException) -> Unavailable:
    # the cause goes to the server's log, not into the client's message
    return Unavailable("the database is unavailable; retry later", cause=describe(exc)[:300])
