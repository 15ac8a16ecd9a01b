"""Payload references and the run's input, without I/O: the syntax, the checks a
definition passes when it is saved, resolution with types, and the JSON Schema rules."""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain import references, run_input
from taskforge.domain.errors import InvalidInput
from taskforge.domain.references import Reference, Unresolved
from taskforge.domain.workflows import parse_definition


def parse(definition: dict[str, Any]) -> Any:
    return parse_definition(definition, max_jobs=100, max_depth=10, payload_bytes=64 * 1024)


def etl(load_payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "etl",
        **extra,
        "jobs": [
            {"name": "extract", "job_type": "t", "payload": {"day": "{{ input.date }}"}},
            {"name": "load", "job_type": "t", "depends_on": ["extract"], "payload": load_payload},
            {"name": "report", "job_type": "t", "depends_on": ["load"]},
        ],
    }


@pytest.mark.parametrize(
    ("text", "parent", "path"),
    [
        ("input.date", None, ("date",)),
        ("input", None, ()),
        ("  input.rows.0.id ", None, ("rows", "0", "id")),
        ("input.rows[0].id", None, ("rows", 0, "id")),
        ("input[\"a key\"]['b.c']", None, ("a key", "b.c")),
        ("parents.extract.output.rows", "extract", ("rows",)),
        ("parents.extract.output", "extract", ()),
        ('parents["load data"].output.n', "load data", ("n",)),
    ],
)
def test_the_syntax(text: str, parent: str | None, path: tuple[Any, ...]) -> None:
    assert references.parse(text) == Reference(text.strip(), parent, path)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("input.", "malformed reference '{{ input. }}'"),
        ("input..a", "malformed"),
        ("input[x]", "malformed"),
        ("input.a b", "malformed"),
        ("input is late", "malformed"),
        ("parents.extract", "malformed"),
        ("parents.extract.result.rows", "malformed"),
        ("parents[0].output", "malformed"),
    ],
)
def test_malformed_references(text: str, says: str) -> None:
    with pytest.raises(ValueError) as e:
        references.parse(text)
    assert says in str(e.value)
    assert str(e.value).endswith("(expected input.PATH or parents.NAME.output.PATH)")


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("imput.date", "input"),
        ("inputs.date", "input"),
        ("Input.date", "input"),
        ("INPUT", "input"),
        ("inptu.x", "input"),
        ("parent.extract.output", "parents"),
        ("prents.extract.output.x", "parents"),
    ],
)
def test_a_likely_typo_of_a_root_is_refused(text: str, near: str) -> None:
    with pytest.raises(ValueError) as e:
        references.parse(text)
    assert f"did you mean '{near}'?" in str(e.value)
    assert str(e.value).endswith(
        "(text whose first word is not 'input' or 'parents' is left as it is)"
    )


def test_other_braces_are_literal_text() -> None:
    payload = {
        "body": "Hi {{ user.name }}, your order {{ order.id }} ships {{ }} {{#each items}}",
        "quote": "{{ output.x }} is not {{ in }} but {{ input.date }}",
        "whole": "{{ user }}",
        "odd": ["{{ 42 }}", "{{ $x }}", "{{ params.a }}", "{{{{ raw }}}}"],
    }
    assert references.references(payload) == [Reference("input.date", None, ("date",))]
    assert references.resolve(payload, lookup()) == {
        **payload,
        "quote": "{{ output.x }} is not {{ in }} but 2030-01-02",
    }
    spec = parse({"name": "m", "jobs": [{"name": "a", "job_type": "email", "payload": payload}]})
    assert spec.jobs[0].has_references
    plain = {"name": "m", "jobs": [{"name": "a", "job_type": "t", "payload": {"b": "Hi {{ x }}"}}]}
    assert not parse(plain).has_references


def test_the_roots_are_the_callers_to_extend() -> None:
    roots = references.ROOTS | {"item", "index"}
    payload = {"name": "{{ item.name }}", "at": "#{{ index }}", "day": "{{ input.date }}"}
    assert references.references(payload) == [Reference("input.date", None, ("date",))]
    found = references.references(payload, roots)
    assert [(r.root, r.path) for r in found] == [
        ("item", ("name",)),
        ("index", ()),
        ("input", ("date",)),
    ]
    look = references.lookup_in({"date": "d"}, {}, {"item": {"name": "n"}, "index": 3})
    assert references.resolve(payload, look, roots) == {"name": "n", "at": "#3", "day": "d"}
    with pytest.raises(ValueError, match="did you mean 'item'"):
        references.parse("itme.name", roots)
    with pytest.raises(ValueError) as e:
        references.parse("item..x", roots)
    assert str(e.value).endswith(
        "(expected input.PATH, parents.NAME.output.PATH, index.PATH or item.PATH)"
    )
    with pytest.raises(InvalidInput, match="did you mean 'index'"):
        references.check("a", {"x": "{{ idx }}"}, set(), "jobs[0].payload", roots)


def test_a_definition_marks_the_jobs_whose_payloads_have_references() -> None:
    spec = parse(etl({"rows": "{{ parents.extract.output.rows }}"}))
    marked = {j.name: j.has_references for j in spec.jobs}
    assert marked == {"extract": True, "load": True, "report": False}
    assert spec.has_references and spec.input_schema is None
    plain = parse({"name": "p", "jobs": [{"name": "a", "job_type": "t", "payload": {"x": "{"}}]})
    assert not plain.has_references


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (
            {"rows": "{{ parents.extrct.output.rows }}"},
            "job 'load' references parents.extrct but has no parent named 'extrct'; "
            "did you mean 'extract'?",
        ),
        # an ancestor that is not a direct parent is not readable either
        ({"x": "{{ parents.load.output.x }}"}, "job 'load' references parents.load"),
        (
            {"x": "day {{ imput.x }}"},
            "job 'load': unknown root 'imput' in reference '{{ imput.x }}'; did you mean 'input'?",
        ),
        ({"x": ["{{ input. }}"]}, "job 'load': malformed reference '{{ input. }}'"),
        ({"x": {"y": "{{ parents.extract }}"}}, "malformed reference"),
    ],
)
def test_bad_references_are_refused_at_the_payload(payload: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse(etl(payload))
    assert says in e.value.message
    assert e.value.details["field"] == "jobs[1].payload"


def test_a_parent_across_a_parallel_edge_cannot_be_referenced() -> None:
    def definition(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        edge = {"job": "a", "type": kind}
        job = {"name": "b", "job_type": "t", "dependencies": [edge], "payload": payload}
        return {"name": "p", "jobs": [{"name": "a", "job_type": "t"}, job]}

    reads = {"x": "n={{ parents.a.output.v }}"}
    with pytest.raises(InvalidInput) as e:
        parse(definition("PARALLEL", reads))
    assert e.value.message.startswith(
        "job 'b' references parents.a, but its dependency on 'a' is PARALLEL: 'b' starts"
    )
    assert e.value.details == {"field": "jobs[1].payload", "reference": "parents.a.output.v"}
    assert parse(definition("PARALLEL", {"x": "{{ input.v }}"})).jobs[1].has_references
    assert parse(definition("SEQUENTIAL", reads)).jobs[1].has_references
    assert parse(definition("CONDITIONAL", reads)).jobs[1].has_references


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"d": "{{ inptu.x }}"}, "did you mean 'input'?"),
        ({"d": ["{{ parents.nope.output }}"]}, "has no parent named 'nope'"),
    ],
)
def test_a_workflow_jobs_bad_reference_is_reported_at_its_input(
    given: dict[str, Any], says: str
) -> None:
    definition = {
        "name": "outer",
        "jobs": [
            {"name": "prep", "job_type": "t"},
            {"name": "sub", "workflow": {"template": "t"}, "depends_on": ["prep"], "input": given},
        ],
    }
    with pytest.raises(InvalidInput) as e:
        parse(definition)
    assert says in e.value.message and e.value.details["field"] == "jobs[1].input"


def test_a_grandparent_is_named_as_not_a_parent() -> None:
    definition = etl({})
    definition["jobs"][2]["payload"] = {"x": "{{ parents.extract.output.rows }}"}
    with pytest.raises(InvalidInput) as e:
        parse(definition)
    assert e.value.message.startswith("job 'report' references parents.extract but has no parent")
    assert e.value.details["field"] == "jobs[2].payload"


def test_input_schema_is_checked_when_the_definition_is_saved() -> None:
    schema = {"type": "object", "required": ["date"]}
    assert parse(etl({}, input_schema=schema)).input_schema == schema
    with pytest.raises(InvalidInput) as e:
        parse(etl({}, input_schema={"type": "nope"}))
    assert e.value.details["field"] == "input_schema"
    assert "not a valid JSON Schema (draft 2020-12) at $.type" in e.value.message
    with pytest.raises(InvalidInput) as e:
        parse(etl({}, input_schema=["not", "an", "object"]))
    assert e.value.details["field"] == "input_schema"


def lookup(**parents: Any) -> references.Lookup:
    given_input = {"date": "2030-01-02", "n": 3, "tags": ["a", "b"], "none": None}
    return references.lookup_in(
        given_input, {name: ("SUCCEEDED", out) for name, out in parents.items()}
    )


def test_a_whole_reference_keeps_the_type_and_a_part_becomes_text() -> None:
    out = {"rows": [{"id": 7}, {"id": 8}], "ok": True}
    template = {
        "rows": "{{ parents.extract.output.rows }}",
        "n": "{{input.n}}",
        "id": "{{ parents.extract.output.rows[1].id }}",
        "none": "{{ input.none }}",
        "text": "day {{ input.date }}: {{ input.n }} rows, {{ input.tags }}, "
        "ok={{ parents.extract.output.ok }}",
        "nested": [{"keep": "{ not a reference }", "k": 1}],
    }
    assert references.resolve(template, lookup(extract=out)) == {
        "rows": [{"id": 7}, {"id": 8}],
        "n": 3,
        "id": 8,
        "none": None,
        "text": 'day 2030-01-02: 3 rows, ["a","b"], ok=true',
        "nested": [{"keep": "{ not a reference }", "k": 1}],
    }
    assert template["rows"] == "{{ parents.extract.output.rows }}"  # left as it was


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{{ input.missing }}", "input.missing: key 'missing' not found in input"),
        (
            "{{ parents.extract.output.rows }}",
            "parents.extract.output.rows: key 'rows' not found in parents.extract.output",
        ),
        ("x {{ input.tags.5 }}", "input.tags.5: index 5 is out of range in input.tags (2 items)"),
        ("{{ input.tags.first }}", "input.tags is a list: 'first' is not an index"),
        ("{{ input.n.x }}", "input.n is int, not an object or a list"),
        ("{{ parents.other.output }}", "'other' is not a parent of this job"),
    ],
)
def test_what_cannot_resolve_says_which_path(text: str, reason: str) -> None:
    with pytest.raises(Unresolved) as e:
        references.resolve({"a": [text]}, lookup(extract={}))
    assert reason in str(e.value)


def test_a_parent_without_output_is_said_so() -> None:
    look = references.lookup_in(None, {"extract": ("SKIPPED", None)})
    with pytest.raises(Unresolved, match="'extract' has no output \\(SKIPPED\\)"):
        references.resolve("{{ parents.extract.output.x }}", look)
    # no input given reads as an empty object
    with pytest.raises(Unresolved, match="key 'x' not found in input"):
        references.resolve("{{ input.x }}", look)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@given(json_values)
def test_a_payload_without_braces_resolves_to_itself(value: Any) -> None:
    if "{{" in repr(value):
        return
    assert references.resolve(value, lookup()) == value
    assert references.references(value) == []


@given(json_values)
def test_a_whole_reference_to_the_input_returns_it_unchanged(value: Any) -> None:
    look = references.lookup_in({"v": value}, {})
    assert references.resolve({"x": "{{ input.v }}"}, look) == {"x": value}


def test_the_run_input_is_an_object_within_the_payload_limit() -> None:
    assert run_input.check({"a": 1}, 100) == {"a": 1}
    for bad in ([1], "text", 3):
        with pytest.raises(InvalidInput, match="input must be a JSON object"):
            run_input.check(bad, 100)
    with pytest.raises(InvalidInput) as e:
        run_input.check({"blob": "x" * 200}, 100)
    assert e.value.details["field"] == "input" and e.value.details["rule"] == "size"


def test_the_input_is_held_to_the_schema_with_the_path_of_the_failure() -> None:
    schema = run_input.check_schema(
        {
            "type": "object",
            "properties": {
                "date": {"type": "string", "format": "date"},
                "rows": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["date"],
        }
    )
    run_input.conform({"date": "2030-01-02", "rows": [1, 2]}, schema)
    run_input.conform({"anything": 1}, None)
    cases = [
        ({"date": "2030-01-02", "rows": [1, "x"]}, "$.rows[1]", "'x' is not of type 'integer'"),
        ({"date": "yesterday"}, "$.date", "'yesterday' is not a 'date'"),
        ({}, "$", "'date' is a required property"),
        (None, "$", "'date' is a required property"),  # none given: an empty object
    ]
    for value, path, says in cases:
        with pytest.raises(InvalidInput) as e:
            run_input.conform(value, schema)
        assert e.value.details == {"field": "input", "json_path": path}
        assert says in e.value.message


def test_a_schema_reference_outside_the_schema_is_refused_when_saved() -> None:
    with pytest.raises(InvalidInput) as e:
        run_input.check_schema({"$ref": "https://example.com/schema.json"})
    assert e.value.details["field"] == "input_schema"
    assert "points outside the schema" in e.value.message
    local = run_input.check_schema(
        {"$defs": {"day": {"type": "string"}}, "properties": {"d": {"$ref": "#/$defs/day"}}}
    )
    run_input.conform({"d": "x"}, local)
    with pytest.raises(InvalidInput, match=r"at \$\.d"):
        run_input.conform({"d": 1}, local)


def _cpu_seconds(run: Callable[[], object]) -> float:
    """The least CPU time of three runs: other load on the machine barely moves it (nor
    does the collector, whose passes grow with every object alive, not with our work)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            start = time.process_time()
            run()
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best


def _growth(work: Callable[[int], object], n: int) -> float:
    """How much longer ``work`` takes on 4n than on n: about 4 if linear, 16 if
    quadratic (n large enough for the time to dwarf the clock's resolution)."""
    return _cpu_seconds(lambda: work(4 * n)) / max(_cpu_seconds(lambda: work(n)), 1e-4)


def test_finding_references_is_linear_in_the_payload() -> None:
    def unclosed(text: str) -> None:
        assert references.references({"x": text, "y": [text]}) == []
        assert references.resolve({"x": text}, lookup()) == {"x": text}

    for make in (lambda n: "{" * n, lambda n: "{{" + "a" * n, lambda n: "{{ x }" * (n // 6)):
        assert _growth(lambda n, make=make: unclosed(make(n)), 64 * 1024) < 8

    def many(n: int) -> None:
        text = " ".join(["{{ input.n }}"] * n)
        assert len(references.references({"x": text})) == n
        assert references.resolve(text, lookup()) == " ".join(["3"] * n)

    assert _growth(many, 5_000) < 8


_OLD_BRACES = re.compile(r"\{\{((?:(?!\}\}).)*)\}\}", re.S)  # the quadratic original


@given(st.text(alphabet="{} a.\n", max_size=40))
def test_the_scanner_finds_what_the_pattern_found(text: str) -> None:
    spans = [(start, end, body) for start, end, body in references._spans(text)]
    assert spans == [(m.start(), m.end(), m.group(1)) for m in _OLD_BRACES.finditer(text)]
