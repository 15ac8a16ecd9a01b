"""The outermost layer of the app, for HTTP and WebSocket alike.

Every request gets a request id (a sane incoming ``X-Request-ID``, else a new one),
returned in the ``X-Request-ID`` response header and kept in the logging scope. An
exception that escapes everything inside becomes a masked INTERNAL error carrying that
id (HTTP 500; a WebSocket is closed with 1011), and is logged once, with its
traceback and the same id. One access line per request (or WebSocket connection)
replaces uvicorn's: method, path, status, duration, outcome, and the scope's fields.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterable

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected as StarletteWebSocketDisconnected
from strawberry.http.exceptions import WebSocketDisconnected

from taskforge import logs
from taskforge.http.responses import INTERNAL_MESSAGE, internal_error, outcome_of

log = logging.getLogger("taskforge.errors")
access = logging.getLogger("taskforge.access")

HEADER = b"x-request-id"
# an incoming id is echoed into headers and log lines: visible ASCII only, bounded
_SANE_ID = re.compile(rb"[!-~]{1,128}")


def incoming_request_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == HEADER:
            return value.decode("ascii") if _SANE_ID.fullmatch(value) else None
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = incoming_request_id(scope["headers"]) or logs.new_request_id()
        token = logs.begin(request_id)
        header = (HEADER, request_id.encode())
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = status or 499  # the client left before sending its whole body
        except Exception as exc:
            _log_unhandled(scope, request_id, exc)
            if not status:  # else the server closes the half-sent response
                with contextlib.suppress(Exception):
                    await internal_error(request_id)(scope, receive, send_with_id)
        finally:
            if access.isEnabledFor(logging.INFO):
                _access_line(scope, status, started)
            logs.end(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = incoming_request_id(scope["headers"]) or logs.new_request_id()
        token = logs.begin(request_id)
        header = (HEADER, request_id.encode())
        status = 0  # 101 once accepted, 403 if closed before
        close_code: int | None = None
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, close_code
            kind = message["type"]
            if kind == "websocket.accept":
                status = 101
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif kind == "websocket.close":
                status = status or 403
                close_code = message.get("code", 1000)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except (WebSocketDisconnect, WebSocketDisconnected, StarletteWebSocketDisconnected):
            pass  # the client went away: routine
        except Exception as exc:
            _log_unhandled(scope, request_id, exc)
            if close_code is None:
                with contextlib.suppress(Exception):
                    await send_with_id(
                        {"type": "websocket.close", "code": 1011, "reason": INTERNAL_MESSAGE}
                    )
        finally:
            if access.isEnabledFor(logging.INFO):
                _access_line(scope, status, started, close_code)
            logs.end(token)


def _log_unhandled(scope: Scope, request_id: str, exc: Exception) -> None:
    current = logs.current()
    if current is not None:
        current.outcome = "INTERNAL"
    log.error(
        "unexpected error in %s %s (request %s)",
        scope.get("method", "WEBSOCKET"),
        scope["path"],
        request_id,
        exc_info=exc,
    )


def _close_outcome(code: int) -> str:
    if code == 1011:
        return "INTERNAL"
    if code in (4401, 4403):
        return "UNAUTHENTICATED"
    return "BAD_USER_INPUT" if 4400 <= code < 4500 else "ok"


def _access_line(scope: Scope, status: int, started: float, close_code: int | None = None) -> None:
    current = logs.current()
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    outcome = (current.outcome if current else None) or (
        outcome_of(status) if close_code is None else _close_outcome(close_code)
    )
    method = scope.get("method", "WEBSOCKET")
    fields = {
        "client": _client(scope),
        "method": method,
        "path": scope["path"],
        "status": status,
        "duration_ms": duration_ms,
        "outcome": outcome,
    }
    if close_code is not None:
        fields["close_code"] = close_code
    access.info(
        "%s %s %s %s %.1fms %s%s",
        fields["client"],
        method,
        scope["path"],
        status,
        duration_ms,
        outcome,
        "" if close_code is None else f" close={close_code}",
        extra=fields,
    )
