"""A definition's input_schema made safe to save and to apply: references stay inside
the schema and point at schemas, nothing is fetched, and a schema that fails anyway
(stored before these checks) is BAD_USER_INPUT, never an internal error."""

from __future__ import annotations

import http.server
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
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


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering every GET with a schema; yields its URL and the
    paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'{"type": "integer"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_remote_or_file_reference_is_never_fetched(
    http_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, asked = http_server
    local = tmp_path / "schema.json"
    local.write_text('{"type": "integer"}')
    for ref in (f"{url}/internal", local.as_uri(), f"{local.as_uri()}#/type"):
        schema = {"properties": {"x": {"$ref": ref}}}
        with pytest.raises(InvalidInput, match="points outside the schema"):
            run_input.check_schema(schema)
        # as stored before the checks: applying it fetches nothing (jsonschema's default
        # registry warns, then fetches: the warning must not be what stops it here)
        with warnings.catch_warnings(), pytest.raises(InvalidInput) as e:
            warnings.simplefilter("ignore")
            run_input.conform({"x": "text"}, schema)
        assert e.value.details["field"] == "input_schema", e.value.message
        assert e.value.message.startswith("input_schema cannot be applied: ")
    assert asked == []
