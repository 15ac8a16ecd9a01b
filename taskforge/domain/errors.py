"""The one exception hierarchy of TaskForge; mapped to GraphQL codes in one place."""

from __future__ import annotations

from typing import Any


class TaskForgeError(Exception):
    """Root of every expected error; ``code`` becomes ``extensions.code``."""

    code = "INTERNAL"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(TaskForgeError):
    code = "BAD_USER_INPUT"


class Unauthenticated(TaskForgeError):
    code = "UNAUTHENTICATED"


class Forbidden(TaskForgeError):
    code = "FORBIDDEN"


class NotFound(TaskForgeError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found", kind=kind, id=str(ident))


class Conflict(TaskForgeError):
    code = "CONFLICT"


class InvalidTransition(Conflict):
    def __init__(self, kind: str, ident: object, current: str, target: str) -> None:
        super().__init__(
            f"{kind} {ident} cannot go from {current} to {target}",
            current=current,
            target=target,
        )


class QuotaExceeded(TaskForgeError):
    code = "QUOTA_EXCEEDED"


class RateLimited(TaskForgeError):
    code = "RATE_LIMITED"


class Unavailable(TaskForgeError):
    """A dependency (the database) cannot be reached right now: the client may retry."""

    code = "UNAVAILABLE"


class ResyncRequired(TaskForgeError):
    """A resume cursor older than the retained events: the client must reload."""

    code = "RESYNC_REQUIRED"


class SlowConsumer(TaskForgeError):
    code = "SLOW_CONSUMER"
