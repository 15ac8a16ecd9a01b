"""A definition's input_schema made safe to save and to apply: references stay inside
the schema and point at schemas, nothing is fetched, and a schema that fails anyway
(stored before these checks) is BAD_USER_INPUT, never an internal error."""

from __future__ import annotations

from typing import Any

import pytest

from taskforge.domain import run_input
from taskforge.domain.errors import InvalidInput


def refused(schema: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        run_input.check_schema(schema)
    assert e.value.details["field"] == "input_schema"
    return e.value


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        (
            {"required": [], "allOf": [{"$ref": "#/required"}]},
            "at $.allOf[0].$ref: $ref '#/required' points to an array, not a schema",
        ),
        (
            {"enum": [{"a": 1}, 2], "properties": {"x": {"$ref": "#/enum"}}},
            "'#/enum' points to an array",
        ),
        (
            {"properties": {"x": {"type": "integer"}, "y": {"$ref": "#/properties/x/type"}}},
            "points to a string",
        ),
        ({"minimum": 1, "properties": {"y": {"$ref": "#/minimum"}}}, "points to a number"),
        ({"$ref": "#/$defs/missing"}, "$ref '#/$defs/missing' points nowhere"),
        ({"$dynamicRef": "#nowhere"}, "$dynamicRef '#nowhere' points nowhere"),
        ({"$defs": {"a": {"$id": "urn:a"}}}, "at $.$defs.a.$id: $id is allowed only at the root"),
        # a target outside the schema's own places is held to the meta-schema too
        (
            {"x-lib": {"bad": {"type": 12}}, "$ref": "#/x-lib/bad"},
            "not a valid JSON Schema (draft 2020-12) at #/x-lib/bad $.type",
        ),
    ],
)
def test_a_reference_must_point_at_a_schema_inside_it(schema: Any, says: str) -> None:
    assert says in refused(schema).message


def test_local_references_of_every_kind_are_accepted() -> None:
    schema = {
        "$id": "https://example.com/run-input",
        "$defs": {"day": {"$anchor": "day", "type": "string"}},
        "definitions": {"n": {"type": "integer"}},
        "x-lib": {"flag": {"type": "boolean"}},
        "properties": {
            "a": {"$ref": "#/$defs/day"},
            "b": {"$ref": "#day"},
            "c": {"$ref": "#/definitions/n"},
            "d": {"$ref": "#/x-lib/flag"},
            "e": {"items": {"$ref": "#"}},  # recursive: consumes input at each level
            "f": {"$ref": "#/properties/a"},
            "g": {"$ref": "#/$defs/%64ay"},  # percent-encoded
        },
    }
    assert run_input.check_schema(schema) is schema
    run_input.conform({"a": "x", "b": "y", "c": 1, "d": True, "e": [{"a": "z"}], "g": "q"}, schema)
    with pytest.raises(InvalidInput) as e:
        run_input.conform({"e": [{"c": "not a number"}]}, schema)
    assert e.value.details == {"field": "input", "json_path": "$.e[0].c"}


@pytest.mark.parametrize(
    "schema",
    [
        # each as it may have been stored before the checks: conform alone sees it
        {"required": [], "allOf": [{"$ref": "#/required"}]},
        {"enum": [{"a": 1}, 2], "properties": {"x": {"$ref": "#/enum"}}},
        {"properties": {"x": {"type": "integer"}, "y": {"$ref": "#/properties/x/type"}}},
        {"minimum": 1, "properties": {"y": {"$ref": "#/minimum"}}},
        {"$ref": "#/$defs/missing"},
        {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
    ],
)
def test_a_stored_schema_that_cannot_apply_is_bad_input_not_a_crash(schema: Any) -> None:
    with pytest.raises(InvalidInput) as e:
        run_input.conform({"x": {"a": 1}, "y": 3}, schema)
    assert e.value.details["field"] == "input_schema"
    assert e.value.message.startswith("input_schema cannot be applied: ")
