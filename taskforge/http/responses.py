"""GraphQL-shaped error bodies for answers given outside GraphQL execution."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

from taskforge import logs

log = logging.getLogger("taskforge.errors")

INTERNAL_MESSAGE = "Internal server error"


def outcome_of(status: int) -> str:
    """The outcome an access line shows for a status no GraphQL result explains."""
    if status < 400:
        return "ok"
    if status == 404:
        return "NOT_FOUND"
    if status == 503:
        return "UNAVAILABLE"
    return "INTERNAL" if status >= 500 else "BAD_USER_INPUT"


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def refusal(status: int, message: str) -> JSONResponse:
    """A request refused before GraphQL could run it: one line in the log, no more."""
    code = outcome_of(status)
    scope = logs.current()
    if scope is not None:
        scope.outcome = code
    log.info("request refused (%d %s): %s", status, code, message, extra={"code": code})
    return JSONResponse(error_body(message, code), status_code=status)


def internal_error(request_id: str) -> JSONResponse:
    return JSONResponse(
        error_body(INTERNAL_MESSAGE, "INTERNAL", requestId=request_id), status_code=500
    )
