"""Dependency edges: what a parent's status means for one edge, and for the child.

An edge parent -> child is PENDING (not decidable yet), RESOLVED (satisfied), FAILED
(can never resolve because something upstream failed: the child is CANCELLED with
reason ``dependency_failed``) or CANCELLED (a branch not taken: the child is SKIPPED
with reason ``branch_not_taken``). FAN_IN and FAN_OUT are SEQUENTIAL edges.

Parent status ->           PENDING/   PROCESSING  SUCCEEDED  FAILED    CANCELLED  SKIPPED
                           SCHEDULED
SEQUENTIAL  on SUCCEEDED   pending    pending     resolved   failed    failed     cancelled
SEQUENTIAL  on FAILED      pending    pending     cancelled  resolved  failed     cancelled
SEQUENTIAL  ALWAYS         pending    pending     resolved   resolved  resolved   resolved
PARALLEL    (any)          pending    resolved    resolved   resolved  failed     cancelled
CONDITIONAL                pending    pending     resolved if the outcome condition matches
                                                  and the expression holds, else cancelled;
                                                  a SKIPPED parent is always cancelled

A conditional edge never fails: it only picks a branch. A join after a conditional
branch (a child of both the taken and the skipped side) should use SEQUENTIAL ALWAYS
edges, because a skipped parent resolves an ALWAYS edge and cancels every other kind.

The child's trigger rule then reads the SET of its edges' states (RESOLVED: a success,
FAILED: a failure, CANCELLED: a skip, PENDING: not yet known), never their counts, and
decides as soon as the outcome is certain: ONE_SUCCESS releases the child on the first
RESOLVED edge. Every rule is monotone (an edge only ever leaves PENDING), so an early
decision is final.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from taskforge.domain.enums import (
    DependencyCondition,
    DependencyStatus,
    DependencyType,
    EdgeStatus,
    JobStatus,
    TriggerRule,
)
from taskforge.domain.errors import InvalidInput
from taskforge.domain.expressions import Expression, compile_expression

C, E, J, T = DependencyCondition, EdgeStatus, JobStatus, DependencyType
D, R = DependencyStatus, TriggerRule

TERMINAL: frozenset[JobStatus] = frozenset({J.SUCCEEDED, J.FAILED, J.CANCELLED, J.SKIPPED})

DEPENDENCY_FAILED = "dependency_failed"
BRANCH_NOT_TAKEN = "branch_not_taken"
TRIGGER_RULE_NOT_MET = "trigger_rule_not_met"


@dataclass(frozen=True)
class EdgeRule:
    type: DependencyType
    condition: DependencyCondition = DependencyCondition.SUCCEEDED
    expression: Expression | None = None


# terminal parent status -> edge status, for the edges decided by status alone
_SEQUENTIAL: dict[DependencyCondition, dict[JobStatus, EdgeStatus]] = {
    C.SUCCEEDED: {J.SUCCEEDED: E.RESOLVED, J.FAILED: E.FAILED, J.CANCELLED: E.FAILED},
    C.FAILED: {J.SUCCEEDED: E.CANCELLED, J.FAILED: E.RESOLVED, J.CANCELLED: E.FAILED},
    C.ALWAYS: {status: E.RESOLVED for status in TERMINAL},
}
_PARALLEL: dict[JobStatus, EdgeStatus] = {
    J.SUCCEEDED: E.RESOLVED,  # it did start, which is all a parallel edge waits for
    J.FAILED: E.RESOLVED,
    J.CANCELLED: E.FAILED,
}
# parent outcomes that match a conditional edge's condition
_OUTCOMES: dict[DependencyCondition, frozenset[JobStatus]] = {
    C.SUCCEEDED: frozenset({J.SUCCEEDED}),
    C.FAILED: frozenset({J.FAILED}),
    C.ALWAYS: TERMINAL,
}


def normalize_type(t: DependencyType) -> DependencyType:
    """FAN_IN and FAN_OUT describe shapes of several edges; each edge is SEQUENTIAL."""
    t = DependencyType(t)  # rows and payloads may hand over the plain name
    return T.SEQUENTIAL if t in (T.FAN_IN, T.FAN_OUT) else t


def evaluate_edge(
    rule: EdgeRule, parent_status: JobStatus, parent_output: Mapping[str, Any] | None = None
) -> EdgeStatus:
    kind, condition = normalize_type(rule.type), DependencyCondition(rule.condition)
    status = JobStatus(parent_status)
    if status not in TERMINAL:
        return E.RESOLVED if kind is T.PARALLEL and status is J.PROCESSING else E.PENDING
    if kind is T.CONDITIONAL:
        if status is J.SKIPPED or status not in _OUTCOMES[condition]:
            return E.CANCELLED
        if rule.expression is None or rule.expression.evaluate(parent_output, status.value):
            return E.RESOLVED
        return E.CANCELLED
    table = _PARALLEL if kind is T.PARALLEL else _SEQUENTIAL[condition]
    # a skipped parent never ran: only an ALWAYS edge (a join) still goes ahead
    return table.get(status, E.CANCELLED)


SKIPPED_BY_OPERATOR = "skipped_by_operator"  # resumeWorkflow(SKIP_FAILED): counts as done


def mapped_edge(status: JobStatus, reason: str | None = None, held: bool = False) -> EdgeStatus:
    """The state of a mapped child's edge into its map template. That edge is implied
    by the child's ``map_parent_id`` (no row: see services/mapping): a SEQUENTIAL
    SUCCEEDED edge read off the child's status, as a decided edge would be, except that
    a step the operator skipped counts as done (as the edges out of it are resolved), and
    a failure the operator has not answered yet (``held``: its workflow's policy is
    MANUAL, so the engine decides nothing from it) leaves the edge PENDING."""
    if status is J.SKIPPED and reason == SKIPPED_BY_OPERATOR:
        return E.RESOLVED
    if status is J.FAILED and held:
        return E.PENDING
    return evaluate_edge(EdgeRule(T.SEQUENTIAL), status)


Outcome = tuple[DependencyStatus, JobStatus | None, str | None]
_READY: Outcome = (D.SATISFIED, None, None)
_WAIT: Outcome = (D.WAITING, None, None)
_CANCEL: Outcome = (D.FAILED, J.CANCELLED, DEPENDENCY_FAILED)
_SKIP: Outcome = (D.FAILED, J.SKIPPED, BRANCH_NOT_TAKEN)
_UNMET: Outcome = (D.FAILED, J.SKIPPED, TRIGGER_RULE_NOT_MET)

# Per rule: (edge status, outcome) tried in order, the first present decides; else the
# last outcome (every edge decided, none of those present). Each row that decides while
# another edge may still be PENDING is an early decision, and stays true whatever that
# edge becomes.
_RULES: dict[TriggerRule, tuple[tuple[tuple[EdgeStatus, Outcome], ...], Outcome]] = {
    R.ALL_SUCCESS: (((E.FAILED, _CANCEL), (E.CANCELLED, _SKIP), (E.PENDING, _WAIT)), _READY),
    R.ALL_DONE: (((E.PENDING, _WAIT),), _READY),
    R.ALL_FAILED: (((E.RESOLVED, _UNMET), (E.CANCELLED, _UNMET), (E.PENDING, _WAIT)), _READY),
    R.ONE_SUCCESS: (((E.RESOLVED, _READY), (E.PENDING, _WAIT), (E.FAILED, _CANCEL)), _SKIP),
    R.ONE_FAILED: (((E.FAILED, _READY), (E.PENDING, _WAIT)), _UNMET),
    R.NONE_FAILED: (((E.FAILED, _CANCEL), (E.PENDING, _WAIT)), _READY),
    R.NONE_SKIPPED: (((E.CANCELLED, _SKIP), (E.PENDING, _WAIT)), _READY),
}

# FAIL_FAST spares the jobs not started whose rule a failure may still satisfy (clean-up
# and notification steps); the others can no longer be met and are cancelled
SPARED_BY_FAIL_FAST: frozenset[TriggerRule] = frozenset({R.ALL_DONE, R.ONE_FAILED, R.ALL_FAILED})


def child_outcome(
    edge_statuses: Iterable[EdgeStatus], rule: TriggerRule | str | None = None
) -> Outcome:
    """(dependency status, terminal status to give the child or None, reason or None)
    under the child's trigger ``rule`` (None: ALL_SUCCESS); no edges: NONE, whatever
    the rule.

    Under ALL_SUCCESS one FAILED or CANCELLED edge decides the child at once, even
    while other edges are still pending: the child can no longer run either way.
    """
    seen = set(edge_statuses)
    if not seen:
        return D.NONE, None, None
    checks, otherwise = _RULES[R(rule) if rule else R.ALL_SUCCESS]
    for status, outcome in checks:
        if status in seen:
            return outcome
    return otherwise


# the rules that release a child whose edges are all RESOLVED (the stores' fast path)
RELEASED_WHEN_ALL_RESOLVED: frozenset[TriggerRule] = frozenset(
    rule for rule in R if child_outcome({E.RESOLVED}, rule) == _READY
)


def validate_edge(
    type: DependencyType | str,
    condition: DependencyCondition | str | None = None,
    expression_source: str | None = None,
) -> EdgeRule:
    """Build a rule from user input (enums or their names); the expression is compiled.

    The condition is accepted on every type (PARALLEL ignores it); an expression only
    on CONDITIONAL edges, where a condition, an expression, both or neither (plain
    "parent succeeded") are all fine.
    """
    try:
        kind = DependencyType(type)
    except ValueError:
        names = ", ".join(T)
        raise InvalidInput(
            f"unknown dependency type {type!r} (one of {names})", field="type"
        ) from None
    try:
        when = C.SUCCEEDED if condition is None else DependencyCondition(condition)
    except ValueError:
        names = ", ".join(C)
        raise InvalidInput(
            f"unknown dependency condition {condition!r} (one of {names})", field="condition"
        ) from None
    if expression_source is None:
        return EdgeRule(kind, when)
    if kind is not T.CONDITIONAL:
        raise InvalidInput(
            f"an expression is only allowed on CONDITIONAL edges, not {kind.value}",
            field="expression",
        )
    return EdgeRule(kind, when, compile_expression(expression_source))
