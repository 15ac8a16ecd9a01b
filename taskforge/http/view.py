"""Strawberry's ASGI view with the front door's rules.

Requests are parsed by ``parsing`` (orjson, one operation, members of the right
types); a refusal is HTTP 400 with a GraphQL-shaped body and ``extensions.code``,
never plain text. A result carrying an UNAVAILABLE error is HTTP 503 with
``Retry-After``: the client may simply retry.
"""

from __future__ import annotations

from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData

from taskforge import gc_pause
from taskforge.http import parsing
from taskforge.http.responses import refusal
from taskforge.http.websocket import TransportWSHandler
from taskforge.resolvers.context import Context
from taskforge.schema.shared_events import encode, next_frame

RETRY_AFTER_SECONDS = "1"


def _unavailable(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    if not isinstance(data, dict):
        return False
    for error in data.get("errors") or ():
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if extensions and extensions.get("code") == "UNAVAILABLE":
            return True
    return False


def _rate_limited(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> int | None:
    """The longest ``retryAfter`` of the RATE_LIMITED errors, if any."""
    if not isinstance(data, dict):
        return None
    waits = [
        extensions["retryAfter"]
        for error in data.get("errors") or ()
        if isinstance(error, dict)
        and (extensions := error.get("extensions"))
        and extensions.get("code") == "RATE_LIMITED"
        and isinstance(extensions.get("retryAfter"), int)
    ]
    return max(waits) if waits else None


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            # a big graph read holds collection off until its response is encoded
            with gc_pause.scope():
                response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = refusal(exc.status_code, exc.reason)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        # WebSocket messages too: a deeply nested one is "not JSON" (close 4400)
        return parsing.decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        return parsing.parse_json(data)

    def encode_json(self, data: object) -> str:
        # orjson: a 10,000-node graph or a claim of 200 jobs encodes several times faster
        # than with json.dumps. Text, not bytes: WebSocket clients expect text frames.
        # A subscription event shared by several subscribers is encoded once for all.
        if isinstance(data, dict) and (frame := next_frame(data)) is not None:
            return frame
        return encode(data)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method == "GET":
            return parsing.request_data(parsing.get_params(request.query_params))
        content_type = (request.content_type or "").partition(";")[0].strip().lower()
        if content_type != "application/json":
            raise HTTPException(400, "the Content-Type of a POST must be application/json")
        return parsing.request_data(self.parse_json(await request.get_body()))

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if _unavailable(response_data):
            response.status_code = 503
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        elif (wait := _rate_limited(response_data)) is not None:
            # refused before any field ran: nothing was done (HTTP 429); with some data,
            # the header alone says when to come back
            if isinstance(response_data, dict) and response_data.get("data") is None:
                response.status_code = 429
            response.headers["Retry-After"] = str(wait)
        return response
