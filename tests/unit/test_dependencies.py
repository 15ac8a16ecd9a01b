from itertools import product

import pytest

from taskforge.domain.dependencies import (
    TERMINAL,
    EdgeRule,
    child_outcome,
    evaluate_edge,
    normalize_type,
    validate_edge,
)
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    JobStatus,
)
from taskforge.domain.errors import InvalidInput
from taskforge.domain.expressions import compile_expression

T, C, J = DependencyType, DependencyCondition, JobStatus
P, R, F, X = EdgeStatus.PENDING, EdgeStatus.RESOLVED, EdgeStatus.FAILED, EdgeStatus.CANCELLED

# Written out by hand from the specification, one row per (type, condition), columns:
#                  PENDING SCHEDULED PROCESSING SUCCEEDED FAILED CANCELLED SKIPPED
COLUMNS = [J.PENDING, J.SCHEDULED, J.PROCESSING, J.SUCCEEDED, J.FAILED, J.CANCELLED, J.SKIPPED]
ROWS = {
    (T.SEQUENTIAL, C.SUCCEEDED): [P, P, P, R, F, F, X],
    (T.SEQUENTIAL, C.FAILED): [P, P, P, X, R, F, X],
    (T.SEQUENTIAL, C.ALWAYS): [P, P, P, R, R, R, R],
    (T.PARALLEL, C.SUCCEEDED): [P, P, R, R, R, F, X],
    (T.PARALLEL, C.FAILED): [P, P, R, R, R, F, X],
    (T.PARALLEL, C.ALWAYS): [P, P, R, R, R, F, X],
    # conditional without an expression: the outcome alone picks the branch
    (T.CONDITIONAL, C.SUCCEEDED): [P, P, P, R, X, X, X],
    (T.CONDITIONAL, C.FAILED): [P, P, P, X, R, X, X],
    (T.CONDITIONAL, C.ALWAYS): [P, P, P, R, R, R, X],
}
EXPECTED = {
    (type_, condition, status): row[COLUMNS.index(status)]
    for (type_, condition), row in ROWS.items()
    for status in JobStatus
}
for alias, condition, status in product([T.FAN_IN, T.FAN_OUT], C, J):
    EXPECTED[alias, condition, status] = EXPECTED[T.SEQUENTIAL, condition, status]


def test_the_table_covers_every_combination() -> None:
    assert len(COLUMNS) == len(JobStatus)
    assert set(EXPECTED) == set(product(DependencyType, DependencyCondition, JobStatus))


@pytest.mark.parametrize(
    ("type_", "condition", "status"), list(product(DependencyType, DependencyCondition, JobStatus))
)
def test_truth_table(
    type_: DependencyType, condition: DependencyCondition, status: JobStatus
) -> None:
    assert evaluate_edge(EdgeRule(type_, condition), status) is EXPECTED[type_, condition, status]


@pytest.mark.parametrize(("condition", "status"), list(product(C, J)))
def test_fan_in_and_fan_out_behave_as_sequential(
    condition: DependencyCondition, status: JobStatus
) -> None:
    sequential = evaluate_edge(EdgeRule(T.SEQUENTIAL, condition), status)
    assert evaluate_edge(EdgeRule(T.FAN_IN, condition), status) is sequential
    assert evaluate_edge(EdgeRule(T.FAN_OUT, condition), status) is sequential


def test_normalize_type() -> None:
    assert normalize_type(T.FAN_IN) is T.SEQUENTIAL
    assert normalize_type(T.FAN_OUT) is T.SEQUENTIAL
    for kind in (T.SEQUENTIAL, T.PARALLEL, T.CONDITIONAL):
        assert normalize_type(kind) is kind


def test_terminal_statuses() -> None:
    assert frozenset({J.SUCCEEDED, J.FAILED, J.CANCELLED, J.SKIPPED}) == TERMINAL


def test_default_rule_is_sequential_on_success() -> None:
    rule = EdgeRule(T.SEQUENTIAL)
    assert rule.condition is C.SUCCEEDED and rule.expression is None


def test_plain_names_are_accepted_where_enums_are_expected() -> None:
    # database rows and JSON payloads may carry the names rather than the enums
    rule = EdgeRule("PARALLEL", "FAILED")  # type: ignore[arg-type]
    assert evaluate_edge(rule, "PROCESSING") is R  # type: ignore[arg-type]
    assert evaluate_edge(EdgeRule(T.SEQUENTIAL), "SUCCEEDED") is R  # type: ignore[arg-type]
    assert normalize_type("FAN_IN") is T.SEQUENTIAL  # type: ignore[arg-type]


# -- conditional edges with an expression ------------------------------------


def conditional(source: str, condition: DependencyCondition = C.SUCCEEDED) -> EdgeRule:
    return EdgeRule(T.CONDITIONAL, condition, compile_expression(source))


@pytest.mark.parametrize(
    ("source", "output", "expected"),
    [
        ("validation_status == 'valid'", {"validation_status": "valid"}, R),
        ("validation_status == 'valid'", {"validation_status": "invalid"}, X),
        ("validation_status == 'valid'", {}, X),
        ("validation_status == 'valid'", None, X),
        ("output.report.errors[0].code == 'E1'", {"report": {"errors": [{"code": "E1"}]}}, R),
        ("output.report.errors[0].code == 'E1'", {"report": {"errors": []}}, X),
        ("output.report.errors[0].code == 'E1'", {"report": "not a mapping"}, X),
        ("output.score >= 0.9", {"score": "high"}, X),  # type mismatch: not taken
        ("output.score >= 0.9", {"score": 0.95}, R),
        ("output.missing == null", {}, R),
        ("status == 'SUCCEEDED' and output.n in [1, 2]", {"n": 2}, R),
    ],
)
def test_conditional_expression_on_output(
    source: str, output: dict[str, object] | None, expected: EdgeStatus
) -> None:
    assert evaluate_edge(conditional(source), J.SUCCEEDED, output) is expected


def test_conditional_expression_sees_the_parent_status() -> None:
    rule = conditional("status == 'FAILED'", C.ALWAYS)
    assert evaluate_edge(rule, J.FAILED) is R
    assert evaluate_edge(rule, J.SUCCEEDED) is X
    assert evaluate_edge(rule, J.CANCELLED) is X


def test_conditional_needs_both_outcome_and_expression() -> None:
    rule = conditional("ok == true", C.FAILED)
    assert evaluate_edge(rule, J.FAILED, {"ok": True}) is R
    assert evaluate_edge(rule, J.FAILED, {"ok": False}) is X
    assert evaluate_edge(rule, J.SUCCEEDED, {"ok": True}) is X


@pytest.mark.parametrize("status", [J.PENDING, J.SCHEDULED, J.PROCESSING])
def test_conditional_waits_for_a_terminal_parent(status: JobStatus) -> None:
    assert evaluate_edge(conditional("true", C.ALWAYS), status, {"x": 1}) is P


@pytest.mark.parametrize("condition", list(C))
def test_skipped_parent_never_takes_a_conditional_branch(condition: DependencyCondition) -> None:
    assert evaluate_edge(conditional("true", condition), J.SKIPPED, {}) is X


@pytest.mark.parametrize(("condition", "status"), list(product(C, J)))
def test_conditional_never_fails(condition: DependencyCondition, status: JobStatus) -> None:
    for rule in (EdgeRule(T.CONDITIONAL, condition), conditional("x == 1", condition)):
        assert evaluate_edge(rule, status, {"x": 1}) is not F


def test_expression_is_ignored_off_conditional_edges() -> None:
    # validate_edge refuses this; a rule built by hand still follows its type
    rule = EdgeRule(T.SEQUENTIAL, C.SUCCEEDED, compile_expression("false"))
    assert evaluate_edge(rule, J.SUCCEEDED) is R


# -- the child's outcome -----------------------------------------------------


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([], (DependencyStatus.NONE, None, None)),
        ([R], (DependencyStatus.SATISFIED, None, None)),
        ([R, R, R], (DependencyStatus.SATISFIED, None, None)),
        ([P], (DependencyStatus.WAITING, None, None)),
        ([R, P], (DependencyStatus.WAITING, None, None)),
        ([F], (DependencyStatus.FAILED, J.CANCELLED, "dependency_failed")),
        ([R, P, F], (DependencyStatus.FAILED, J.CANCELLED, "dependency_failed")),
        ([X, F], (DependencyStatus.FAILED, J.CANCELLED, "dependency_failed")),
        ([F, X], (DependencyStatus.FAILED, J.CANCELLED, "dependency_failed")),
        ([X], (DependencyStatus.FAILED, J.SKIPPED, "branch_not_taken")),
        ([R, X, P], (DependencyStatus.FAILED, J.SKIPPED, "branch_not_taken")),
    ],
)
def test_child_outcome(edges: list[EdgeStatus], expected: tuple[object, ...]) -> None:
    assert child_outcome(edges) == expected
    assert child_outcome(iter(edges)) == expected  # any iterable, consumed once


def test_join_after_a_conditional_branch_uses_always_edges() -> None:
    # validate -> (valid: publish | invalid: report) -> notify (joins both branches)
    output = {"validation_status": "valid"}
    publish = evaluate_edge(conditional("validation_status == 'valid'"), J.SUCCEEDED, output)
    report = evaluate_edge(conditional("validation_status != 'valid'"), J.SUCCEEDED, output)
    assert child_outcome([publish]) == (DependencyStatus.SATISFIED, None, None)
    assert child_outcome([report]) == (DependencyStatus.FAILED, J.SKIPPED, "branch_not_taken")
    always = EdgeRule(T.SEQUENTIAL, C.ALWAYS)
    notify = [evaluate_edge(always, J.SUCCEEDED), evaluate_edge(always, J.SKIPPED)]
    assert child_outcome(notify) == (DependencyStatus.SATISFIED, None, None)
    # with default edges the join would be skipped along with the branch not taken
    default = EdgeRule(T.SEQUENTIAL)
    notify = [evaluate_edge(default, J.SUCCEEDED), evaluate_edge(default, J.SKIPPED)]
    assert child_outcome(notify)[1] is J.SKIPPED


# -- validate_edge -------------------------------------------------------------


def test_validate_edge_builds_rules() -> None:
    assert validate_edge(T.SEQUENTIAL, None, None) == EdgeRule(T.SEQUENTIAL)
    assert validate_edge("PARALLEL") == EdgeRule(T.PARALLEL, C.SUCCEEDED)
    assert validate_edge("FAN_IN", "ALWAYS") == EdgeRule(T.FAN_IN, C.ALWAYS)
    assert validate_edge(T.CONDITIONAL) == EdgeRule(T.CONDITIONAL, C.SUCCEEDED)
    assert validate_edge(T.CONDITIONAL, C.FAILED) == EdgeRule(T.CONDITIONAL, C.FAILED)
    rule = validate_edge(T.CONDITIONAL, C.ALWAYS, "output.validation_status == 'valid'")
    assert rule.type is T.CONDITIONAL and rule.condition is C.ALWAYS
    assert rule.expression is not None
    assert rule.expression.source == "output.validation_status == 'valid'"
    assert evaluate_edge(rule, J.FAILED, {"validation_status": "valid"}) is R


@pytest.mark.parametrize("kind", [T.SEQUENTIAL, T.PARALLEL, T.FAN_IN, T.FAN_OUT])
def test_validate_edge_refuses_an_expression_off_conditional(kind: DependencyType) -> None:
    with pytest.raises(InvalidInput, match="only allowed on CONDITIONAL") as caught:
        validate_edge(kind, C.SUCCEEDED, "status == 'SUCCEEDED'")
    assert caught.value.details == {"field": "expression"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__import__('os').system('true')", "unsupported syntax 'Call'"),
        ("output.__class__", "names starting with '_'"),
        ("a ==", "invalid syntax"),
        ("", "expression is empty"),
    ],
)
def test_validate_edge_refuses_a_bad_expression(source: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        validate_edge(T.CONDITIONAL, C.SUCCEEDED, source)
    assert caught.value.code == "BAD_USER_INPUT"
    assert caught.value.details == {"field": "expression"}


@pytest.mark.parametrize(
    ("type_", "condition", "field"),
    [("SERIAL", None, "type"), ("sequential", None, "type"), ("SEQUENTIAL", "DONE", "condition")],
)
def test_validate_edge_refuses_unknown_names(type_: str, condition: str | None, field: str) -> None:
    with pytest.raises(InvalidInput, match="unknown dependency") as caught:
        validate_edge(type_, condition)
    assert caught.value.details == {"field": field}
