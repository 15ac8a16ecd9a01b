"""Logging: one setup for every command, the request's context on every line.

``TASKFORGE_LOG_FORMAT=text`` (the default) writes readable lines; ``json`` writes one
JSON object per line (python-json-logger). Either way a line logged while a request
is being served carries its request id, organization id and operation name, read
from one context variable: the HTTP guard opens a :class:`RequestScope` per request
(or WebSocket connection), authentication and the GraphQL layer fill it in.
"""

from __future__ import annotations

import logging
import logging.config
import os
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from typing import IO, Any, Literal

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"
# record attributes that are not fields of a JSON line: the text suffix, and uvicorn's
# ANSI-coloured copy of its message
_NOT_FIELDS = ("context", "color_message")


@dataclass(slots=True)
class RequestScope:
    """What is known about the request being served; mutable so that code running in
    tasks of the request (graphql-core resolves fields in tasks) can fill it in."""

    request_id: str
    organization_id: object = None
    operation: str | None = None
    outcome: str | None = None  # "ok" or the code of the request's error


_scope: ContextVar[RequestScope | None] = ContextVar("taskforge_request", default=None)


def new_request_id() -> str:
    return os.urandom(16).hex()


def current() -> RequestScope | None:
    return _scope.get()


def begin(request_id: str) -> Token[RequestScope | None]:
    return _scope.set(RequestScope(request_id))


def end(token: Token[RequestScope | None]) -> None:
    _scope.reset(token)


def enter_operation(operation: str | None) -> None:
    """A scope of its own for one operation of a WebSocket connection, which runs in a
    task of its own: the connection's request id and organization, its own name."""
    scope = _scope.get()
    if scope is not None:
        _scope.set(replace(scope, operation=operation, outcome=None))


def set_organization(organization_id: object) -> None:
    scope = _scope.get()
    if scope is not None:
        scope.organization_id = organization_id


class RequestContext(logging.Filter):
    """Adds the current request's fields to every record a handler writes: as
    attributes (JSON fields) or, for text, as a ``context`` suffix."""

    def __init__(self, text: bool) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        scope = _scope.get()
        if scope is None:
            if self.text:
                record.context = ""
            return True
        fields = {
            "request_id": scope.request_id,
            "organization_id": str(scope.organization_id) if scope.organization_id else None,
            "operation": scope.operation,
        }
        if self.text:
            shown = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
            record.context = f" [{shown}]"
        else:
            for key, value in fields.items():
                if value is not None and not hasattr(record, key):
                    setattr(record, key, value)
        return True


def make_handler(log_format: LogFormat = "text", stream: IO[str] | None = None) -> logging.Handler:
    """The one handler every command writes through (to stderr unless told)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        from pythonjsonlogger.core import RESERVED_ATTRS
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "name": "logger"},
                reserved_attrs=[*RESERVED_ATTRS, *_NOT_FIELDS],
                timestamp="time",
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestContext(text=log_format != "json"))
    return handler


def config(log_format: LogFormat = "text", level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` configuration: everything, uvicorn's loggers
    included, goes through one handler on the root logger."""
    level = "DEBUG" if level.lower() == "trace" else level.upper()  # uvicorn's extra level
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"default": {"()": make_handler, "log_format": log_format}},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own handlers would write a second, differently formatted copy
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": level},
            # a line per HTTP call of the worker SDK, per migration step: noise
            "httpx": quiet,
            "httpcore": quiet,
            "alembic": quiet,
        },
    }


def setup(log_format: LogFormat = "text", level: str = "info") -> None:
    """Configure logging for this process; every command calls it once, first."""
    logging.config.dictConfig(config(log_format, level))
