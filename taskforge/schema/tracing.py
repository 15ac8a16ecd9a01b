"""A span per GraphQL operation over HTTP (tracing on: taskforge/tracing.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from taskforge import tracing


class OperationSpan(SchemaExtension):
    """The operation's span, current while it runs (its database statements and the
    jobs it enqueues are in it), continuing the request's W3C ``traceparent``. Named
    once the operation is known: its name, else its type. WebSocket operations are not
    traced: a subscription lasts as long as its connection."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        request = getattr(ctx.context, "request", None)
        if not isinstance(request, Request):
            yield
            return
        with tracing.operation(request.headers) as span:
            yield
            kind: Any = None
            with contextlib.suppress(Exception):  # not parsed (a syntax error): no type
                kind = ctx.operation_type.value
            errors = ctx.pre_execution_errors or (ctx.result.errors if ctx.result else None)
            tracing.name_operation(
                span,
                ctx.operation_name or (kind or "graphql"),
                kind,
                errors[0].message if errors else None,
            )


def extensions() -> list[type[SchemaExtension]]:
    """The schema's tracing extension, when tracing is on."""
    return [OperationSpan] if tracing.enabled() else []
