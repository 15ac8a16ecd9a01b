"""The production switch for a schema that does not describe itself.

With introspection off (``TASKFORGE_INTROSPECTION=false``), ``__schema`` and
``__type`` are refused with FORBIDDEN, and no error message suggests a name ("Did you
mean 'viewer'?"), or a client could map the schema by probing with typos. graphql-core
leaves suggestions out when validation and execution are asked to
(``hide_suggestions``); these pieces ask, for one schema only, so other schemas in the
same process keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

Rules = tuple[type[ASTValidationRule], ...]


class IntrospectionDisabled(NoSchemaIntrospectionCustomRule):
    """Refuses ``__schema`` and ``__type`` (``__typename`` stays) with a code."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(
            GraphQLError(
                "introspection is disabled on this server",
                error.nodes,
                extensions={"code": "FORBIDDEN"},
            )
        )


def quiet_validation(maxsize: int) -> Callable[[], SchemaExtension]:
    """A validation step like Strawberry's ValidationCache (same extra rules, an LRU of
    results) whose errors carry no suggestions; one cache per schema."""

    @lru_cache(maxsize=maxsize)
    def run(schema: GraphQLSchema, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
        rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
        return validate(schema, document, rules, hide_suggestions=True)

    class QuietValidation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            ctx = self.execution_context
            assert ctx.graphql_document is not None
            ctx.pre_execution_errors = run(
                ctx.schema._schema, ctx.graphql_document, tuple(ctx.validation_rules)
            )
            yield

    return QuietValidation


def quiet_executor(
    base: type[StrawberryGraphQLCoreExecutionContext],
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """``base`` with suggestions left out of execution errors (variable coercion:
    unknown input fields, misspelt enum values)."""

    class QuietExecutor(base):  # type: ignore[valid-type,misc]
        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            kwargs["hide_suggestions"] = True
            return super().build(*args, **kwargs)

    return QuietExecutor
