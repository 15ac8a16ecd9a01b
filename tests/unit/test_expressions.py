from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskforge.domain.errors import InvalidInput
from taskforge.domain.expressions import Expression, compile_expression

OUTPUT = {
    "validation_status": "valid",
    "score": 0.75,
    "count": 3,
    "tags": ["a", "b"],
    "items": [{"id": 1, "name": "first"}, {"id": 2}],
    "nested": {"deep": {"flag": True, "none": None}},
    "with space": "yes",
    "_id": "hidden",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("validation_status == 'valid'", True),  # the seed form: a bare name is an output key
        ('output.validation_status == "valid"', True),
        ("output.validation_status != 'valid'", False),
        ("output['validation_status'] == 'valid'", True),
        ("output['with space'] == 'yes'", True),
        ("output['_id'] == 'hidden'", True),  # string subscripts reach any key
        ("output.items[0].name == 'first'", True),
        ("output.items[-1].id == 2", True),
        ("output.nested.deep.flag == true", True),
        ("output.nested.deep.flag", True),
        ("output.nested.deep.none == null", True),
        ("count >= 3", True),
        ("output.count > 2.5", True),
        ("output.count < -1", False),
        ("0 < output.score <= 1", True),
        ("0 < output.score < 0.5", False),
        ("1 < 2 > 1.5", True),
        ("'a' in output.tags", True),
        ("'z' not in output.tags", True),
        ("output.validation_status in ['valid', 'ok']", True),
        ("output.validation_status in ('bad', 'worse')", False),
        ("output.count in [1, 2, 3]", True),
        ("output.missing in [null, false]", True),
        ("status == 'SUCCEEDED'", True),
        ("status == 'SUCCEEDED' and output.count == 3", True),
        ("True", True),
        ("None", False),
        ("output", True),
        ("not output.missing", True),
        ("output.tags", True),
        ("'e' in 'yes'", True),
        ("(\n  output.count == 3\n  and status == 'SUCCEEDED'\n)", True),
    ],
)
def test_accepted_forms(source: str, expected: bool) -> None:
    assert compile_expression(source).evaluate(OUTPUT, "SUCCEEDED") is expected


@pytest.mark.parametrize(
    "source",
    [
        "output.missing == 'x'",
        "output.nested.nope.deeper == 1",
        "output.items[5].id == 1",
        "output.items[-9].id == 1",
        "output.tags.a == 'a'",  # a key of a list
        "output.count.x == 1",  # a key of a number
        "output.validation_status[0] == 'v'",  # paths do not index into strings
        "output.nested[0] == 1",  # an index of a mapping
        "output.missing",
    ],
)
def test_missing_paths_are_none_and_never_raise(source: str) -> None:
    expression = compile_expression(source)
    assert expression.evaluate(OUTPUT) is False
    assert expression.evaluate(None) is False
    assert expression.evaluate({}) is False


def test_missing_path_equals_null() -> None:
    assert compile_expression("output.a.b == null").evaluate({"a": {}}) is True
    assert compile_expression("output.a.b == null").evaluate(None) is True
    assert compile_expression("status == null").evaluate(OUTPUT) is True


@pytest.mark.parametrize(
    "source",
    [
        "output.missing < 3",
        "output.missing >= 3",
        "output.validation_status > 3",
        "output.tags < 1",
        "'a' in output.count",
        "output.tags in output.nested",  # unhashable key in a mapping
        "1 < output.missing < 5",
    ],
)
def test_comparisons_of_mismatched_types_are_false(source: str) -> None:
    assert compile_expression(source).evaluate(OUTPUT) is False


def test_not_of_a_failed_comparison_is_true() -> None:
    assert compile_expression("not (output.missing < 3)").evaluate(OUTPUT) is True


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # and binds tighter than or
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not false and false", False),
        ("not (false and false)", True),
        ("false or not count == 4", True),
        ("count == 3 and tags or false", True),
        ("count == 4 or missing == null and 'a' in tags", True),
        ("not not count", True),
    ],
)
def test_boolean_precedence(source: str, expected: bool) -> None:
    assert compile_expression(source).evaluate(OUTPUT) is expected


def test_status_accepts_an_enum_and_none() -> None:
    from taskforge.domain.enums import JobStatus

    expression = compile_expression("status == 'FAILED'")
    assert expression.evaluate(None, JobStatus.FAILED) is True
    assert expression.evaluate(None, None) is False


def test_expression_is_a_value_keyed_by_source() -> None:
    a, b = compile_expression("count == 3"), compile_expression("count == 3")
    assert a == b and hash(a) == hash(b) and a.source == "count == 3"
    assert Expression("count == 3") == a


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__import__('os')", "unsupported syntax 'Call' at column 1"),
        ("output.get('x')", "unsupported syntax 'Call'"),
        ("len(output) > 1", "unsupported syntax 'Call' at column 1"),
        ("count == open('x')", "unsupported syntax 'Call' at column 10"),
        ("'abc'.upper", "only allowed on output paths"),
        ("(count == 1).real", "only allowed on output paths"),
        ("true.x", "only allowed on output paths"),
        ("status.lower", "'status' is a string"),
        ("output.__class__", "names starting with '_'"),
        ("output.__class__.__init__.__globals__", "names starting with '_'"),
        ("__builtins__", "names starting with '_'"),
        ("_private == 1", "names starting with '_'"),
        ("output._id == 1", "names starting with '_'"),
        ("count + 1 == 4", "unsupported syntax 'BinOp'"),
        ("count * 2", "unsupported syntax 'BinOp'"),
        ("-count", "no arithmetic"),
        ("~1", "no arithmetic"),
        ("-True", "no arithmetic"),
        ("lambda: 1", "unsupported syntax 'Lambda'"),
        ("[x for x in tags]", "unsupported syntax 'ListComp'"),
        ("any(x for x in tags)", "unsupported syntax 'Call'"),
        ("'a' in {x for x in tags}", "unsupported syntax 'SetComp'"),
        ("'a' in {'a': 1}", "unsupported syntax 'Dict'"),
        ("'a' in {'a'}", "unsupported syntax 'Set'"),
        ("f'{count}' == '3'", "unsupported syntax 'JoinedStr'"),
        ("1 if count else 2", "unsupported syntax 'IfExp'"),
        ("(x := 1)", "unsupported syntax 'NamedExpr'"),
        ("b'x' == 1", "unsupported literal of type bytes"),
        ("1j == 1", "unsupported literal of type complex"),
        ("count is None", "'is' is not supported"),
        ("output[1:2]", "int or string literal"),
        ("output[count]", "int or string literal"),
        ("output[true]", "int or string literal"),
        ("[1, 2]", "only allowed on the right of 'in'"),
        ("[1] in tags", "only allowed on the right of 'in'"),
        ("count in [count]", "may hold only literals"),
        ("count in [[1]]", "may hold only literals"),
        ("count ==", "invalid syntax"),
        ("(count == 1", "invalid syntax"),
        ("count = 1", "invalid syntax"),
        ("import os", "invalid syntax"),
        ("'\\d' == 1", "invalid escape sequence"),
        ("a\x00", "invalid syntax"),
        ("", "expression is empty"),
        ("   ", "expression is empty"),
        ("a" * 1001, "expression too long"),
        ("count in [" + ", ".join(["1"] * 250) + "]", "expression too complex"),
        ("not " * 240 + "count", "expression too complex"),
        ("(" * 300 + "1" + ")" * 300, "invalid syntax"),
    ],
)
def test_rejected_at_compile_time(source: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compile_expression(source)
    assert caught.value.code == "BAD_USER_INPUT"
    assert caught.value.details == {"field": "expression"}
    assert message in caught.value.message


def test_error_columns_count_characters_and_lines() -> None:
    with pytest.raises(InvalidInput, match="'BinOp' at column 7"):
        compile_expression("ét == 1 + 2")
    with pytest.raises(InvalidInput, match="'Call' at line 2, column 3"):
        compile_expression("(count == 1 and\n  f())")


def test_length_limit_is_inclusive() -> None:
    source = "count == " + "1" * 991
    assert len(source) == 1000
    assert compile_expression(source).evaluate(OUTPUT) is False


# -- properties ---------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "count", "tags", "0"]), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.none() | st.dictionaries(
    st.sampled_from(["a", "b", "count", "tags", "validation_status"]), json_values, max_size=5
)

TOKENS = [
    "output", "status", "a", "b", "count", "tags", "_x", "__class__", "true", "null",
    ".", ".a", ".b", "[0]", "[-1]", "['a']", "[", "]", "(", ")", ",", ":",
    "==", "!=", "<", "<=", ">", ">=", " in ", " not in ", " and ", " or ", " not ", " is ",
    "1", "-2", "2.5", "'a'", '"b"', "'SUCCEEDED'", "[1, 'a', null]", "('a',)",
    "+", "*", "lambda", "f(", "x for x in ", "{", "}", " if ", " else ", "\n", "'\\d'",
]  # fmt: skip
token_sources = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)

# sources built from the grammar, so that evaluation is exercised on many shapes
paths = st.sampled_from(["a", "count", "status", "output"]) | st.lists(
    st.sampled_from([".a", ".b", ".count", "[0]", "[-1]", "['a']", "['0']"]), max_size=4
).map(lambda steps: "output" + "".join(steps))
literals = st.sampled_from(["1", "-2", "2.5", "'a'", "''", "true", "False", "null", "None"])
operands = paths | literals
comparisons = st.tuples(
    operands, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), operands
).map(" ".join) | st.tuples(operands, st.sampled_from(["[1, 'a', null]", "('a',)", "[]"])).map(
    lambda pair: f"{pair[0]} in {pair[1]}"
)
grammar_sources = st.recursive(
    comparisons | operands,
    lambda inner: (
        st.tuples(inner, st.sampled_from(["and", "or", "<"]), inner).map(" ".join)
        | inner.map(lambda s: f"(not ({s}))")
    ),
    max_leaves=8,
)


def _compile_or_none(source: str) -> Expression | None:
    try:
        return compile_expression(source)
    except InvalidInput:
        return None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.text(max_size=1100) | token_sources)
def test_random_text_compiles_or_raises_invalid_input(source: str) -> None:
    result = _compile_or_none(source)
    assert result is None or result.source == source


@settings(max_examples=300, deadline=None)
@given(grammar_sources)
def test_grammar_sources_compile(source: str) -> None:
    assert compile_expression(source).source == source


@settings(max_examples=500, deadline=None)
@given(
    token_sources | grammar_sources, json_objects, st.sampled_from([None, "SUCCEEDED", "FAILED"])
)
def test_evaluate_never_raises(
    source: str, output: dict[str, Any] | None, status: str | None
) -> None:
    expression = _compile_or_none(source)
    if expression is not None:
        assert expression.evaluate(output, status) in (True, False)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "validation_status == 'valid'",
            "output.a.b[0] < 3",
            "output.tags[-1] in ['a', 1, null]",
            "count >= 1 and not (a.b > b.a) or status == 'FAILED'",
            "'a' in output.a and output['0'] != output.b[0]['a']",
            "1 < count <= output.a.count",
        ]
    ),
    json_objects,
)
def test_known_expressions_never_raise_on_random_outputs(
    source: str, output: dict[str, Any] | None
) -> None:
    assert compile_expression(source).evaluate(output, "SUCCEEDED") in (True, False)
