"""The one place where errors become GraphQL errors with ``extensions.code``, and where
they are logged.

Expected errors (``TaskForgeError``) keep their message and code; GraphQL syntax,
validation and operation-selection errors are BAD_USER_INPUT; anything else is masked
as INTERNAL with the request id in ``extensions.requestId``. A coded error is one log
line, never a traceback; an unexpected one is exactly one traceback carrying the
request id the client sees.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from taskforge import logs
from taskforge.domain.errors import TaskForgeError
from taskforge.schema.runner import LeanExtensionsRunner

log = logging.getLogger("taskforge.errors")

INTERNAL = "INTERNAL"
# refusals of the request itself, raised by Strawberry before execution
_REQUEST_ERRORS = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)
# an outage is worth an operator's attention; a client's mistake is not
_LEVELS = {"UNAVAILABLE": logging.WARNING}
_MESSAGE_CHARS = 300
# error details a client sees, as extensions named in camelCase
_EXTENSIONS = {"field": "field", "retry_after": "retryAfter", "json_path": "jsonPath"}


def _coded(error: GraphQLError, code: str, message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        extensions={"code": code, **extensions},
    )


def to_graphql_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """The error as the client sees it (an error that has a code already is kept)."""
    if error.extensions and "code" in error.extensions:
        return error
    original = error.original_error
    if isinstance(original, GraphQLError) and original is not error:
        return to_graphql_error(original, request_id)
    if isinstance(original, TaskForgeError):
        extra = {_EXTENSIONS[k]: v for k, v in original.details.items() if k in _EXTENSIONS}
        return _coded(error, original.code, original.message, **extra)
    if original is None or isinstance(original, _REQUEST_ERRORS):
        return _coded(error, "BAD_USER_INPUT", error.message)
    return _coded(error, INTERNAL, "Internal server error", requestId=request_id)


def _printable(text: str) -> str:
    """A message fit for one log line: control characters escaped, length bounded."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "..."


def _report(error: GraphQLError, client: GraphQLError, request_id: str) -> None:
    code = str((client.extensions or {}).get("code"))
    path = ".".join(str(p) for p in error.path or ())
    where = f" at {path}" if path else ""
    extra = {"code": code, "path": path} if path else {"code": code}
    if code == INTERNAL:
        cause = error.original_error
        while isinstance(cause, GraphQLError) and cause.original_error is not None:
            cause = cause.original_error
        log.error("unexpected error%s (request %s)", where, request_id, exc_info=cause, extra=extra)
        return
    level = _LEVELS.get(code, logging.INFO)
    log.log(level, "graphql error %s%s: %s", code, where, _printable(client.message), extra=extra)


def _outcome(current: str | None, code: str) -> str:
    for worst in (INTERNAL, "UNAVAILABLE"):
        if worst in (current, code):
            return worst
    return current or code


class TaskForgeSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # subscription events: no per-result hook work that no extension asks for
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """A single result (plain HTTP): no subscription, which needs a stream. Strawberry
        allows one on POST and then fails it as a non-null field without a value."""
        allowed = kwargs.get("allowed_operation_types")
        if allowed is not None:  # the HTTP view always says what a method allows
            kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        return await super().execute(*args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry calls this once for every list of errors it is about to return
        (results, subscription events, pre-execution errors): each error gets its code
        here, in place, and its one log line. (Strawberry's own logs a traceback for
        every error, coded or not.)"""
        scope = logs.current()
        request_id = scope.request_id if scope is not None else logs.new_request_id()
        for i, error in enumerate(errors):
            client = to_graphql_error(error, request_id)
            _report(error, client, request_id)
            errors[i] = client
            if scope is not None:
                scope.outcome = _outcome(scope.outcome, str((client.extensions or {})["code"]))


class OperationNameRequired(CannotGetOperationTypeError):
    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "the document has several operations: name one in `operationName`"


class OperationScope(SchemaExtension):
    """Names the operation in the logging scope, and refuses a document of several
    operations without ``operationName`` (the GraphQL spec requires an error; Strawberry
    would run the first)."""

    def on_operation(self) -> Iterator[None]:
        # before parsing, this is the name the client gave (or None)
        self.provided = self.execution_context.operation_name
        scope = logs.current()
        if scope is not None:
            scope.operation = self.provided
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is None:
            return
        if self.provided is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                raise OperationNameRequired
        scope = logs.current()
        if scope is not None:
            scope.operation = ctx.operation_name
