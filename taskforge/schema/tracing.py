"""A span per GraphQL operation over HTTP (tracing on: taskforge/tracing.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, FieldNode, OperationDefinitionNode
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
                ctx.operation_name or _unnamed(ctx.graphql_document, kind),
                kind,
                errors[0].message if errors else None,
            )


def _unnamed(document: DocumentNode | None, kind: str | None) -> str:
    """An anonymous operation's span name: its type and first root field, as
    "mutation claimJobs" (the name a worker's operations get)."""
    if document is None or kind is None:
        return "graphql"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode):
                    return f"{kind} {selection.name.value}"
    return kind


def extensions() -> list[type[SchemaExtension]]:
    """The schema's tracing extension, when tracing is on."""
    return [OperationSpan] if tracing.enabled() else []
