"""A definition's input_schema made safe to save and to apply: references stay inside
the schema and point at schemas, nothing is fetched, and a schema that fails anyway
(stored before these checks) is BAD_USER_INPUT, never an internal error."""

from __future__ import annotations

import http.server
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskforge.domain import jsonschema_runtime, run_input
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


# -- bounded work --------------------------------------------------------------------------


def timed(value: Any, schema: dict[str, Any]) -> tuple[float, InvalidInput | None]:
    """How long applying ``schema`` to ``value`` takes, and what it refused."""
    start = time.perf_counter()
    try:
        run_input.conform(value, schema)
    except InvalidInput as exc:
        return time.perf_counter() - start, exc
    return time.perf_counter() - start, None


EVIL = "^(a+)+$"  # Python's re takes seconds at 25 characters, and doubles with each more
SLOW_TEXT = "a" * 5000 + "!"


@pytest.mark.parametrize(
    ("schema", "value", "path"),
    [
        ({"properties": {"x": {"pattern": EVIL}}}, {"x": SLOW_TEXT}, "$.x"),
        (
            {"patternProperties": {EVIL: {"type": "integer"}}, "additionalProperties": False},
            {SLOW_TEXT: 1},
            "$",
        ),
        (
            {"allOf": [{"patternProperties": {EVIL: {}}}], "unevaluatedProperties": False},
            {SLOW_TEXT: 1},
            "$",
        ),
        ({"propertyNames": {"pattern": EVIL}}, {SLOW_TEXT: 1}, "$"),
    ],
)
def test_patterns_run_in_linear_time(schema: Any, value: Any, path: str) -> None:
    elapsed, error = timed(value, run_input.check_schema(schema))
    assert error is not None and error.details == {"field": "input", "json_path": path}
    assert elapsed < 0.5
    matching = {"x": "aaaa"} if "properties" in schema else {"aaaa": 1}
    assert timed(matching, schema)[1] is None


def test_a_pattern_keeps_its_meaning() -> None:
    schema = run_input.check_schema(
        {
            "properties": {"day": {"pattern": r"^\d{4}-\d{2}-\d{2}$"}},
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": {"type": "integer"},
        }
    )
    run_input.conform({"day": "2030-01-02", "x-note": "n", "n": 1}, schema)
    for bad, says in [
        ({"day": "2030-1-2"}, "'2030-1-2' does not match"),
        ({"x-note": 3}, "3 is not of type 'string'"),
        ({"other": "text"}, "'text' is not of type 'integer'"),
    ]:
        error = timed(bad, schema)[1]
        assert error is not None and says in error.message


@pytest.mark.parametrize(
    ("schema", "at"),
    [
        ({"properties": {"x": {"pattern": "(?=a)b"}}}, "$.properties.x.pattern"),
        ({"properties": {"x": {"pattern": r"(a)\1"}}}, "$.properties.x.pattern"),
        ({"patternProperties": {"(?<!x)y": {}}}, "$.patternProperties"),
        ({"x-lib": {"p": {"pattern": "(?!a)"}}, "$ref": "#/x-lib/p"}, "#/x-lib/p $.pattern"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_when_saved(schema: Any, at: str) -> None:
    error = refused(schema)
    assert f"at {at}: " in error.message
    assert "is not a 'regex'" in error.message and "RE2" in error.message


def test_a_stored_pattern_re2_cannot_run_is_bad_input_when_applied() -> None:
    error = timed({"x": "b"}, {"properties": {"x": {"pattern": "(?=a)b"}}})[1]
    assert error is not None and error.details["field"] == "input_schema"
    assert "a pattern RE2 cannot run" in error.message


def test_format_regex_is_checked_by_re2_at_the_input() -> None:
    schema = run_input.check_schema({"properties": {"x": {"format": "regex"}}})
    assert timed({"x": "^[a-z]+$"}, schema)[1] is None
    for bad in ("(" * 50_000, "(?=a)", "[z-a]"):
        elapsed, error = timed({"x": bad}, schema)
        assert error is not None and error.details == {"field": "input", "json_path": "$.x"}
        assert "is not a 'regex'" in error.message and elapsed < 0.5


def laughs(levels: int) -> dict[str, Any]:
    """$defs each referring twice to the next: 2**levels paths to the last."""
    defs: dict[str, Any] = {
        f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(levels)
    }
    defs[f"d{levels}"] = {"type": "object"}
    return {"$defs": defs, "$ref": "#/$defs/d0"}


def test_a_schema_that_expands_exponentially_is_refused_when_saved() -> None:
    run_input.check_schema(laughs(10))  # 4,094 nodes once expanded
    for levels in (12, 40):
        error = refused(laughs(levels))
        assert "expands to more than 10,000 schema nodes" in error.message
        assert error.details["limit"] == 10_000


def test_a_schema_over_64_kib_is_refused() -> None:
    schema = {"properties": {f"p{i}": {"type": "string"} for i in range(3000)}}
    error = refused(schema)
    assert "over the limit of 65536" in error.message and error.details["rule"] == "size"


def test_references_fanning_out_at_each_level_stop_at_the_work_budget() -> None:
    schema = run_input.check_schema(
        {
            "$defs": {
                "n": {"allOf": [{"$ref": "#/$defs/m"}, {"$ref": "#/$defs/m"}]},
                "m": {"properties": {"x": {"$ref": "#/$defs/n"}}},
            },
            "$ref": "#/$defs/n",
        }
    )
    deep: dict[str, Any] = {}
    for _ in range(60):  # 2**60 paths
        deep = {"x": deep}
    elapsed, error = timed(deep, schema)
    assert error is not None and error.details["field"] == "input"
    assert error.details["rule"] == "work" and "more than 600,000 steps" in error.message
    assert elapsed < 5
    assert timed({"x": {"x": {}}}, schema)[1] is None  # a shallow one is checked


def test_unique_items_is_linear_and_keeps_json_equality() -> None:
    schema = run_input.check_schema({"properties": {"x": {"uniqueItems": True}}})
    elapsed, error = timed({"x": [{"a": i, "b": [i]} for i in range(20_000)]}, schema)
    assert error is None and elapsed < 1
    for same in (
        [1, 1.0],
        [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
        [[1, {"c": 2.0}], [1.0, {"c": 2}]],
        ["x", "y", "x"],
    ):
        error = timed({"x": same}, schema)[1]
        assert error is not None and "has non-unique elements" in error.message
    for distinct in ([True, 1], [False, 0], ["1", 1], [None, False], [[1, 2], [2, 1]]):
        assert timed({"x": distinct}, schema)[1] is None


def test_validators_are_built_once_per_schema_and_kept_in_a_bounded_lru() -> None:
    schema = {"properties": {"n": {"type": "integer"}}}
    first = jsonschema_runtime.validator_for(schema)
    assert jsonschema_runtime.validator_for(dict(schema)) is first
    assert jsonschema_runtime.validator_for({"type": "object"}) is not first
    schema["properties"]["n"]["type"] = "string"  # the cached one kept its own copy
    assert first.schema == {"properties": {"n": {"type": "integer"}}}
    for i in range(jsonschema_runtime.CACHE_SIZE + 5):
        jsonschema_runtime.validator_for({"maxLength": i})
    assert len(jsonschema_runtime._validators) == jsonschema_runtime.CACHE_SIZE


# -- formats -----------------------------------------------------------------------------

FORMAT_CASES = {
    "date": (["2030-01-02", "2024-02-29"], ["2030-1-2", "2023-02-29", "2030-01-02T00:00:00Z"]),
    "time": (
        ["09:30:00Z", "23:59:60+01:00", "09:30:00.123-05:30", "09:30:00z"],
        ["09:30:00", "24:00:00Z", "9:30:00Z", "09:61:00Z", "09:30:00+25:00"],
    ),
    "date-time": (
        ["2030-01-02T09:30:00Z", "2030-01-02t09:30:00.5+01:00"],
        ["2030-01-02 09:30:00Z", "2030-01-02T09:30:00", "2030-13-02T09:30:00Z", "now"],
    ),
    "duration": (["P1D", "PT1H30M", "P2W", "P1Y2M3DT4H5M6S", "PT0S"], ["P", "PT", "1D", "P1H"]),
    "email": (["a@example.com", "x.y+z@sub.example.org"], ["example.com", "@b.c", "a b@c.d"]),
    "hostname": (
        ["example.com", "a-b.c1", "localhost"],
        ["-a.com", "a..com", "a_b.com", "é.com", "a." + "b" * 64, "x."],
    ),
    "ipv4": (["192.168.0.1"], ["256.0.0.1", "1.2.3", "01.2.3.4"]),
    "ipv6": (["::1", "2001:db8::8a2e:370:7334"], ["::g", "1.2.3.4", "fe80::1%eth0"]),
    "uri": (
        ["https://example.com/a?b=c#d", "urn:isbn:0451450523", "mailto:a@b.c"],
        ["example.com/a", "/relative", "https://a b.com", "https://x/%zz", "http://é.com"],
    ),
    "uuid": (["12345678-1234-5678-1234-567812345678"], ["12345678123456781234567812345678"]),
}


@pytest.mark.parametrize("name", sorted(FORMAT_CASES))
def test_every_format_that_may_be_used_is_checked(name: str) -> None:
    good, bad = FORMAT_CASES[name]
    schema = run_input.check_schema({"properties": {"v": {"format": name}}})
    for value in good:
        assert timed({"v": value}, schema)[1] is None, value
    for value in bad:
        error = timed({"v": value}, schema)[1]
        assert error is not None, value
        assert error.details == {"field": "input", "json_path": "$.v"}
        assert f"is not a '{name}'" in error.message
    assert timed({"v": 12}, schema)[1] is None  # a format applies to strings


@pytest.mark.parametrize("name", ["uri-reference", "idn-hostname", "iri", "json-pointer", "zip"])
def test_a_format_that_is_not_checked_is_refused_when_saved(name: str) -> None:
    error = refused({"$defs": {"a": {"format": name}}})
    assert f"at $.$defs.a.format: format '{name}' is not checked here" in error.message
    assert "date, date-time, duration, email, hostname, ipv4, ipv6, regex, time, uri" in (
        error.message
    )
    # as stored before the check: an annotation, nothing more
    assert timed({"v": "x"}, {"properties": {"v": {"format": name}}})[1] is None
