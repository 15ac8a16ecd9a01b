"""GraphQL operations counted by root field and outcome, timed by root field. A
subscription is counted when it ends, and not timed (its lifetime is not a latency).

The label is the operation's first root field (``enqueueJob``, ``jobs``): names the
schema defines, a bounded set, where the client's operation name could be anything. An
operation that does not parse or names no known field is ``unknown``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from taskforge.metrics.server import ServerMetrics

INTROSPECTION = frozenset({"__schema", "__type", "__typename"})


def root_fields(schema: Any) -> frozenset[str]:
    """Every root field the schema defines (a graphql-core schema): the label's values."""
    roots = (schema.query_type, schema.mutation_type, schema.subscription_type)
    return INTROSPECTION.union(*(root.fields for root in roots if root is not None))


def root_field(document: Any, operation_name: str | None, known: frozenset[str]) -> str:
    """The operation's first root field if the schema defines it (a client's made-up
    names would each add a series), else ``unknown``."""
    if document is None:
        return "unknown"
    for node in document.definitions:
        if not isinstance(node, OperationDefinitionNode):
            continue
        if operation_name is not None and (node.name is None or node.name.value != operation_name):
            continue
        for selection in node.selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                return name if name in known else "unknown"
        return "unknown"
    return "unknown"


def outcome(errors: Any) -> str:
    if not errors:
        return "ok"
    first = errors[0]
    code = (getattr(first, "extensions", None) or {}).get("code")
    if code is None:
        code = getattr(getattr(first, "original_error", None), "code", None)
    return str(code or "GRAPHQL_ERROR")


def _subscription(ctx: Any) -> bool:
    try:
        return bool(ctx.operation_type is OperationType.SUBSCRIPTION)
    except Exception:  # no document, or no such operation: not one
        return False


def extension(metrics: ServerMetrics) -> type[SchemaExtension]:
    requests, latency = metrics.requests, metrics.latency
    known: dict[int, frozenset[str]] = {}  # by schema (built once)

    class OperationMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            try:
                yield
            finally:
                ctx = self.execution_context
                schema = ctx.schema._schema
                names = known.get(id(schema))
                if names is None:
                    names = known[id(schema)] = root_fields(schema)
                field = root_field(ctx.graphql_document, ctx.operation_name, names)
                result = ctx.result
                errors = (
                    getattr(result, "errors", None) if result is not None else None
                ) or ctx.pre_execution_errors
                if not _subscription(ctx):  # its lifetime is no operation's latency
                    latency.labels(field).observe(time.perf_counter() - started)
                requests.labels(field, outcome(errors)).inc()

    return OperationMetrics
