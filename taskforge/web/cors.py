"""Browser apps on other origins (``TASKFORGE_CORS_ORIGINS``): CORS for HTTP.

The listed origins get Starlette's CORS middleware; a request from any other origin
gets no ``Access-Control-*`` header at all, so it learns nothing of the policy.
WebSocket upgrades, which browsers never preflight, are checked against the same list
by Strawberry's view (``allowed_origins``, see ``app.py``): a page on an unlisted
origin is refused with HTTP 403 at the handshake, while the server's own pages (same
origin) and non-browser clients (no ``Origin`` header) always connect.

``*`` allows every origin. That is safe to offer because TaskForge authenticates with
bearer credentials a client sends explicitly, never cookies: another site's page can
only use a key its user gave it. No list (the default) adds no CORS headers, and
WebSockets are then open to the same origin and non-browser clients only.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Send

# what GraphQL clients send and read besides the CORS-safelisted headers
ALLOW_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
EXPOSE_HEADERS = ("X-Request-ID", "Retry-After")
METHODS = ("GET", "POST", "OPTIONS")


def cors_middleware(origins: list[str]) -> list[Middleware]:
    """The middleware for ``TASKFORGE_CORS_ORIGINS``, none when it is empty. Put it
    outermost, so that every response, refusals included, carries the CORS headers."""
    if not origins:
        return []
    return [
        Middleware(
            StrictCORS,
            allow_origins=origins,
            allow_methods=METHODS,
            allow_headers=ALLOW_HEADERS,
            expose_headers=EXPOSE_HEADERS,
            max_age=600,
        )
    ]


class StrictCORS(CORSMiddleware):
    """Starlette's CORS, minus the policy headers it also sends to unlisted origins."""

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(request_headers["origin"]):
            return PlainTextResponse(
                "Disallowed CORS origin", status_code=400, headers={"Vary": "Origin"}
            )
        return super().preflight_response(request_headers)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if origin is None or self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)
