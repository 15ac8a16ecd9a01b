"""A workflow run's input: a JSON object given to createWorkflow or startWorkflow, held to
the payload limit and, when the definition declares an ``input_schema``, validated
against it (JSON Schema draft 2020-12, by the ``jsonschema`` library; ``format`` is
asserted for the formats it knows, such as ``date`` and ``email``).

The schema is checked when the definition is saved; a ``$ref`` may point only inside
it (nothing is ever fetched), and one that points nowhere is reported on use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from taskforge.domain import validation

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
    """The definition's ``input_schema``, if it is a valid JSON Schema object."""
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, dict):
        raise InvalidInput(f"{SCHEMA_FIELD} must be a JSON Schema object", field=SCHEMA_FIELD)
    try:
        _draft().check_schema(schema)
    except SchemaError as exc:
        raise InvalidInput(
            f"{SCHEMA_FIELD} is not a valid JSON Schema (draft 2020-12) at {exc.json_path}: "
            f"{_cut(exc.message)}",
            field=SCHEMA_FIELD,
            json_path=exc.json_path,
        ) from None
    except RecursionError:
        raise InvalidInput(f"{SCHEMA_FIELD} is nested too deeply", field=SCHEMA_FIELD) from None
    return schema


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
    from referencing.exceptions import Unresolvable

    draft = _draft()
    validator = draft(schema, format_checker=draft.FORMAT_CHECKER)
    try:
        error = best_match(validator.iter_errors(value if value is not None else {}))
    except Unresolvable as exc:
        raise InvalidInput(
            f"{SCHEMA_FIELD} cannot be applied: {_cut(str(exc))}", field=SCHEMA_FIELD
        ) from None
    except RecursionError:  # a $ref that loops back to itself without consuming input
        raise InvalidInput(
            f"{SCHEMA_FIELD} cannot be applied: its references loop", field=SCHEMA_FIELD
        ) from None
    if error is not None:
        raise InvalidInput(
            f"{INPUT_FIELD} does not match {SCHEMA_FIELD} at {error.json_path}: "
            f"{_cut(error.message)}",
            field=INPUT_FIELD,
            json_path=error.json_path,
        )
