"""The input boundary: every argument of every root field (queries, mutations and
subscriptions) obeys the generic rules of ``domain.inputs`` before a resolver runs.

A field extension on each root field checks the converted arguments once, walking
only what can break a rule: text (String, ID), JSON values and timestamps, also
inside input objects and lists; numbers, booleans and enums GraphQL has already
checked. The walk is planned per field when the schema is built. A refusal is
BAD_USER_INPUT with ``extensions.field`` naming the argument, e.g. ``jobs[3].payload``
(an ``input`` wrapper argument is left out of the name, as the services name fields).

Field-specific limits (a name's 200 characters, a payload's bytes) are the services'
and the domain's, so the CLI and workflow files get them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.scalars import JSON
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from taskforge.domain.inputs import Refused, text_problem, timestamp_problem, walk_json

Check = Callable[[Any], None]  # raises Refused
PER_ITEM = "taskforge.checked_per_item"  # input field metadata: see CompleteJobInput.output


def _text(value: Any) -> None:
    if (problem := text_problem(value)) is not None:
        raise problem


def _timestamp(value: Any) -> None:
    if (problem := timestamp_problem(value)) is not None:
        raise problem


def _optional(inner: Check) -> Check:
    def check(value: Any) -> None:
        if value is not None and value is not strawberry.UNSET:  # UNSET: not given
            inner(value)

    return check


def _each(inner: Check) -> Check:
    def check(values: Any) -> None:
        for i, value in enumerate(values):
            try:
                inner(value)
            except Refused as exc:
                exc.outer.append(f"[{i}]")
                raise

    return check


def _fields(checks: list[tuple[str, str, Check]]) -> Check:
    def check(obj: Any) -> None:
        for python_name, graphql_name, inner in checks:
            try:
                inner(getattr(obj, python_name))
            except Refused as exc:
                exc.outer.append(graphql_name)
                raise

    return check


def _plan(type_: Any, seen: dict[Any, Check | None]) -> Check | None:
    """The check for a value of this GraphQL input type, or None if nothing to check."""
    if isinstance(type_, StrawberryOptional):
        inner = _plan(type_.of_type, seen)
        return _optional(inner) if inner else None
    if isinstance(type_, StrawberryList):
        inner = _plan(type_.of_type, seen)
        return _each(inner) if inner else None
    if type_ is JSON:
        return walk_json
    if type_ is str or type_ is strawberry.ID:
        return _text
    if type_ is datetime:
        return _timestamp
    definition = get_object_definition(type_)
    if definition is None or not definition.is_input:
        return None  # Int, Float, Boolean and enums: checked by GraphQL
    if type_ in seen:  # input types may refer to themselves
        return seen[type_]
    checks: list[tuple[str, str, Check]] = []
    seen[type_] = _fields(checks)  # filled below; a self-reference sees the same list
    for f in definition.fields:
        if f.metadata.get(PER_ITEM):
            continue
        if (inner := _plan(f.type, seen)) is not None:
            checks.append((f.python_name, f.graphql_name or to_camel_case(f.python_name), inner))
    return seen[type_] if checks else None


def _name(parts: Iterable[str]) -> str:
    out = ""
    for part in parts:
        out += part if part.startswith("[") or not out else f".{part}"
    return out


class InputBoundary(FieldExtension):
    """Checks a root field's arguments; see the module docstring."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, str, Check]] = []

    def apply(self, field: StrawberryField) -> None:
        seen: dict[Any, Check | None] = {}
        self.checks = []
        for argument in field.arguments:
            inner = _plan(argument.type, seen)
            if inner is not None:
                name = argument.graphql_name or to_camel_case(argument.python_name)
                self.checks.append((argument.python_name, "" if name == "input" else name, inner))

    def map_arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for python_name, name, check in self.checks:
            if python_name in kwargs:
                try:
                    check(kwargs[python_name])
                except Refused as exc:
                    parts = [name, *reversed(exc.outer)] if name else list(reversed(exc.outer))
                    raise exc.error(_name(parts) or python_name) from None
        return kwargs


def guard(*roots: type) -> None:
    """Put the boundary on every field of these root types (once)."""
    for root in roots:
        definition = get_object_definition(root, strict=True)
        for field in definition.fields:
            if not any(isinstance(e, InputBoundary) for e in field.extensions):
                field.extensions.append(InputBoundary())
