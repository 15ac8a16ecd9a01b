"""What a failed command prints: one line on stderr (``error: CODE: message``), never a
traceback, for the errors a user can act on (the server's answer, a server or database
that cannot be reached, input the services refused)."""

from __future__ import annotations

import httpx
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from taskforge.domain.errors import TaskForgeError
from taskforge.worker.client import ApiError


def describe(exc: BaseException) -> str | None:
    """The line for ``exc``, or None for a bug (whose traceback is then wanted)."""
    if isinstance(exc, ApiError):
        return f"error: {exc.code or 'ERROR'}: {str(exc).split(': ', 1)[-1]}"
    if isinstance(exc, TaskForgeError):
        return f"error: {exc.code}: {exc.message}"
    if isinstance(exc, httpx.HTTPError):
        try:
            where = f" {exc.request.url}"
        except RuntimeError:  # no request attached
            where = ""
        return f"error: cannot reach{where}: {exc or type(exc).__name__} (is TASKFORGE_URL right?)"
    # a database that cannot be reached, or not migrated (no such table); other database
    # errors (integrity, data) are bugs, shown with their traceback
    if isinstance(exc, OperationalError | InterfaceError | ProgrammingError):
        first = str(exc.orig or exc).splitlines()[0]
        return f"error: database: {first} (is TASKFORGE_DATABASE_URL right, and migrated?)"
    if isinstance(exc, OSError):  # the database or the server refused the connection
        return f"error: {exc.strerror or exc}"
    return None
