"""The one place where errors become GraphQL errors with ``extensions.code``.

Expected errors (``TaskForgeError``) keep their message and code; GraphQL syntax and
validation errors are BAD_USER_INPUT; anything else is logged and masked as INTERNAL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from taskforge.domain.errors import TaskForgeError

log = logging.getLogger("taskforge.errors")


def to_graphql_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GraphQLError) and original is not error:
        return to_graphql_error(original)
    if error.extensions and "code" in error.extensions:
        return error
    if isinstance(original, TaskForgeError):
        extensions = {"code": original.code}
        extensions.update({k: v for k, v in original.details.items() if k == "field"})
        return GraphQLError(
            original.message,
            error.nodes,
            error.source,
            error.positions,
            error.path,
            extensions=extensions,
        )
    if original is None:
        return GraphQLError(
            error.message,
            error.nodes,
            error.source,
            error.positions,
            error.path,
            extensions={"code": "BAD_USER_INPUT"},
        )
    log.error("unexpected error", exc_info=original)
    return GraphQLError(
        "Internal server error",
        error.nodes,
        error.source,
        error.positions,
        error.path,
        extensions={"code": "INTERNAL"},
    )


def _convert(result: object) -> None:
    errors = getattr(result, "errors", None)
    if result is not None and errors:
        result.errors = [to_graphql_error(e) for e in errors]  # type: ignore[attr-defined]


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            _convert(self.execution_context.result)
            # parse errors become the response from here, without a result object
            pre = self.execution_context.pre_execution_errors
            if pre:
                pre[:] = [to_graphql_error(e) for e in pre]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Subscription (and other streamed) results, before they are sent."""
        self._streamed = True
        _convert(result)
        yield None
