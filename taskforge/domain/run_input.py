"""A workflow run's input: a JSON object given to createWorkflow or startWorkflow, held to
the payload limit and, when the definition declares an ``input_schema``, validated
against it (JSON Schema draft 2020-12, by the ``jsonschema`` library; ``format`` is
asserted for the formats it knows, such as ``date`` and ``email``).

The schema is checked when the definition is saved (domain/jsonschema_checks): a
``$ref`` may point only inside it, at a schema. Applying a schema that fails anyway (one
stored before a check existed) is BAD_USER_INPUT at ``input_schema``, never an internal
error: schedules and workflow jobs fail that run and go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from taskforge.domain import jsonschema_checks, validation

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
from taskforge.domain.errors import InvalidInput

SCHEMA_FIELD, INPUT_FIELD = "input_schema", "input"
MAX_MESSAGE = 500  # a failure's message quotes the value: a long one is cut


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _draft() -> type[Validator]:
    """The validator class, imported when first needed: a server whose workflows declare
    no schema never loads the library (70 ms, some MB)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator


def check_schema(schema: Any) -> dict[str, Any]:
    """The definition's ``input_schema``, if it is a valid JSON Schema object whose
    references stay inside it (see domain/jsonschema_checks)."""
    if not isinstance(schema, dict):
        raise InvalidInput(f"{SCHEMA_FIELD} must be a JSON Schema object", field=SCHEMA_FIELD)
    try:
        _meta_check(schema, "$")
        jsonschema_checks.Walk(schema, _meta_check).run()
    except RecursionError:
        raise InvalidInput(f"{SCHEMA_FIELD} is nested too deeply", field=SCHEMA_FIELD) from None
    return schema


def _meta_check(schema: Any, where: str) -> None:
    """InvalidInput unless ``schema`` (the whole, or a reference's target ``where``) is
    valid against the draft 2020-12 meta-schema."""
    from jsonschema.exceptions import SchemaError

    try:
        _draft().check_schema(schema)
    except SchemaError as exc:
        at = exc.json_path if where == "$" else f"{where} {exc.json_path}"
        raise InvalidInput(
            f"{SCHEMA_FIELD} is not a valid JSON Schema (draft 2020-12) at {at}: "
            f"{_cut(exc.message)}",
            field=SCHEMA_FIELD,
            json_path=at,
        ) from None


def check(value: Any, max_bytes: int) -> dict[str, Any]:
    """A run input as given: a JSON object within the payload limit."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{INPUT_FIELD} must be a JSON object", field=INPUT_FIELD)
    validation.json_payload(value, max_bytes, field=INPUT_FIELD)
    return value


def conform(value: Mapping[str, Any] | None, schema: Mapping[str, Any] | None) -> None:
    """InvalidInput (field ``input``, ``path`` the JSON path of the failure) unless the
    input (none: an empty object) matches the schema (none: anything does)."""
    if schema is None:
        return
    from jsonschema.exceptions import best_match
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    draft = _draft()
    # an empty registry retrieves nothing: jsonschema's default one fetches a remote or
    # file:// $ref (a schema stored before the save checks may hold one)
    validator = draft(schema, format_checker=draft.FORMAT_CHECKER, registry=Registry())
    try:
        error = best_match(validator.iter_errors(value if value is not None else {}))
    except Unresolvable as exc:
        raise _unusable(_cut(str(exc))) from None
    except RecursionError:  # a $ref that loops back to itself without consuming input
        raise _unusable("its references loop") from None
    except Exception as exc:  # e.g. a $ref to a list in a schema stored before the checks
        raise _unusable(f"{type(exc).__name__}: {_cut(str(exc))}") from None
    if error is not None:
        raise InvalidInput(
            f"{INPUT_FIELD} does not match {SCHEMA_FIELD} at {error.json_path}: "
            f"{_cut(error.message)}",
            field=INPUT_FIELD,
            json_path=error.json_path,
        )


def _unusable(why: str) -> InvalidInput:
    return InvalidInput(f"{SCHEMA_FIELD} cannot be applied: {why}", field=SCHEMA_FIELD)
