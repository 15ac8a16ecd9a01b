"""A workflow run's input: a JSON object given to createWorkflow or startWorkflow, held to
the payload limit and, when the definition declares an ``input_schema``, validated
against it (JSON Schema draft 2020-12, by the ``jsonschema`` library; ``format`` is
asserted, and only the formats of domain/jsonschema_formats may be used).

The schema is checked when the definition is saved (domain/jsonschema_checks): at most
``MAX_SCHEMA_BYTES``, a ``$ref`` pointing only inside it at a schema, patterns RE2 can
run, at most ``MAX_EXPANDED`` nodes once its references are followed. It is applied by
a validator whose work is bounded (domain/jsonschema_runtime). Applying a schema that
fails anyway (one stored before a check existed) is BAD_USER_INPUT at ``input_schema``,
never an internal error: schedules and workflow jobs fail that run and go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from taskforge.domain import (
    jsonschema_checks,
    jsonschema_formats,
    jsonschema_runtime,
    validation,
)
from taskforge.domain.errors import InvalidInput

SCHEMA_FIELD, INPUT_FIELD = "input_schema", "input"
MAX_MESSAGE = 500  # a failure's message quotes the value: a long one is cut in the middle
MAX_SCHEMA_BYTES = 64 * 1024
# schema nodes reached from the root, each $ref's target counted at each use: a schema of
# a few hundred bytes whose $defs each refer twice to the next expands to millions
MAX_EXPANDED = 10_000


def _cut(text: str) -> str:
    """``text``, or its start and its end (where a message says what is wrong)."""
    if len(text) <= MAX_MESSAGE:
        return text
    half = (MAX_MESSAGE - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


def check_schema(schema: Any) -> dict[str, Any]:
    """The definition's ``input_schema``, if it is a valid JSON Schema object within the
    limits above, whose references stay inside it (see domain/jsonschema_checks)."""
    if not isinstance(schema, dict):
        raise InvalidInput(f"{SCHEMA_FIELD} must be a JSON Schema object", field=SCHEMA_FIELD)
    try:
        size = len(orjson.dumps(schema))
    except TypeError:
        raise InvalidInput(f"{SCHEMA_FIELD} must be JSON", field=SCHEMA_FIELD) from None
    if size > MAX_SCHEMA_BYTES:
        raise InvalidInput(
            f"{SCHEMA_FIELD} is {size} bytes, over the limit of {MAX_SCHEMA_BYTES}",
            field=SCHEMA_FIELD,
            rule="size",
            limit=MAX_SCHEMA_BYTES,
        )
    try:
        _meta_check(schema, "$")
        walk = jsonschema_checks.Walk(schema, _meta_check, jsonschema_formats.FORMATS)
        walk.run()
    except RecursionError:
        raise InvalidInput(f"{SCHEMA_FIELD} is nested too deeply", field=SCHEMA_FIELD) from None
    if walk.expanded(MAX_EXPANDED) > MAX_EXPANDED:
        raise InvalidInput(
            f"{SCHEMA_FIELD} expands to more than {MAX_EXPANDED:,} schema nodes once its "
            f"$refs are followed (each target counted at each use; the limit is "
            f"{MAX_EXPANDED:,})",
            field=SCHEMA_FIELD,
            rule="expansion",
            limit=MAX_EXPANDED,
        )
    return schema


def _meta_check(schema: Any, where: str) -> None:
    """InvalidInput unless ``schema`` (the whole, or a reference's target ``where``) is
    valid against the draft 2020-12 meta-schema, its patterns compiled by RE2."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(
            schema, format_checker=jsonschema_runtime.meta_format_checker()
        )
    except SchemaError as exc:
        at = exc.json_path if where == "$" else f"{where} {exc.json_path}"
        why = exc.message if exc.cause is None else f"{exc.message} ({exc.cause})"
        if isinstance(exc.cause, jsonschema_runtime.BadPattern):
            why += ": patterns are run by RE2 (no lookaround or backreference)"
        raise InvalidInput(
            f"{SCHEMA_FIELD} is not a valid JSON Schema (draft 2020-12) at {at}: {_cut(why)}",
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
    from referencing.exceptions import Unresolvable

    try:
        validator = jsonschema_runtime.validator_for(schema)
        with jsonschema_runtime.budget():
            error = best_match(validator.iter_errors(value if value is not None else {}))
    except jsonschema_runtime.TooCostly as exc:
        raise InvalidInput(
            f"{INPUT_FIELD} cannot be checked against {SCHEMA_FIELD}: {exc}",
            field=INPUT_FIELD,
            rule="work",
            limit=jsonschema_runtime.MAX_WORK,
        ) from None
    except Unresolvable as exc:
        raise _unusable(_cut(str(exc))) from None
    except RecursionError:  # a $ref that loops back to itself without consuming input
        raise _unusable("its references loop") from None
    except jsonschema_runtime.BadPattern as exc:  # stored before patterns were checked
        raise _unusable(f"a pattern RE2 cannot run: {_cut(str(exc))}") from None
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
