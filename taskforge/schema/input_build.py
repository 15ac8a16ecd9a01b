"""Input objects built from their GraphQL values at the cost of a dict lookup a field.

Strawberry converts an input object field by field, resolving each field's type every
time, and graphql-core has filled in every field with a default: about 20 us a field,
so 190 us of the 360 us an enqueueJobs job cost the server went into building its
EnqueueJobInput. ``quick`` gives an input type a builder (Strawberry's ``from_input``
hook) that reads the same values by a plan made once: scalars, enums and JSON come as
graphql-core coerced them; only nested input objects and lists go through Strawberry's
own conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any, TypeVar

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    StrawberryType,
    get_object_definition,
    has_object_definition,
)
from strawberry.types.lazy_type import LazyType

T = TypeVar("T", bound=type)

Plan = list[tuple[str, str, StrawberryType | type | None]]  # graphql name, python name, nested


def _nested(type_: Any) -> StrawberryType | type | None:
    """The field's type when its value needs converting (an input object, a list), else
    None (a scalar or an enum: graphql-core's value is the Python value)."""
    inner = type_.of_type if isinstance(type_, StrawberryOptional) else type_
    if isinstance(inner, StrawberryList | LazyType) or has_object_definition(inner):
        return type_  # type: ignore[no-any-return]
    return None


def quick(cls: T) -> T:
    """Give the input type ``cls`` the quick builder (see the module docstring)."""
    definition = get_object_definition(cls, strict=True)
    assert definition.is_input, cls
    implicit = {  # as Strawberry: a nullable field with no default is None when absent
        f.python_name: None
        for f in definition.fields
        if f.default_value is MISSING and f.default_factory is MISSING
    }
    plans: dict[int, Plan] = {}  # per name converter (one per schema configuration)

    def build(type_: type, value: Mapping[str, Any], context: InputContext) -> Any:
        converter = context.config.name_converter
        plan = plans.get(id(converter))
        if plan is None:
            plan = plans[id(converter)] = [
                (
                    converter.from_field(f),
                    f.python_name,
                    _nested(f.resolve_type(type_definition=definition)),
                )
                for f in definition.fields
            ]
        kwargs = dict(implicit)
        for graphql_name, python_name, nested in plan:
            if graphql_name in value:
                item = value[graphql_name]
                if nested is not None and item is not None and item is not strawberry.UNSET:
                    item = context.convert(item, nested, graphql_name)
                kwargs[python_name] = item
        return type_(**kwargs)

    definition.from_input = build
    return cls
