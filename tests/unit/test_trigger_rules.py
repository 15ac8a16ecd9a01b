"""Trigger rules: the child's outcome from the set of its edges' states, per rule, written
out by hand; early decisions final; the definition field."""

from __future__ import annotations

from itertools import combinations

import pytest

from taskforge.domain.dependencies import (
    RELEASED_WHEN_ALL_RESOLVED,
    SPARED_BY_FAIL_FAST,
    child_outcome,
)
from taskforge.domain.enums import DependencyStatus, EdgeStatus, JobStatus, TriggerRule
from taskforge.domain.errors import InvalidInput
from taskforge.domain.workflows import parse_definition

E, Rule = EdgeStatus, TriggerRule
LETTERS = {"R": E.RESOLVED, "F": E.FAILED, "X": E.CANCELLED, "P": E.PENDING}
OUTCOMES = {
    "run": (DependencyStatus.SATISFIED, None, None),
    "wait": (DependencyStatus.WAITING, None, None),
    "cancel": (DependencyStatus.FAILED, JobStatus.CANCELLED, "dependency_failed"),
    "skip": (DependencyStatus.FAILED, JobStatus.SKIPPED, "branch_not_taken"),
    "unmet": (DependencyStatus.FAILED, JobStatus.SKIPPED, "trigger_rule_not_met"),
}

# Every non-empty set of edge states (R resolved, F failed, X cancelled: a skip, P pending)
# and what each rule makes of it, from the specification.
SETS = ["R", "F", "X", "P", "RF", "RX", "RP", "FX", "FP", "XP", "RFX", "RFP", "RXP", "FXP", "RFXP"]
TABLE = {
    Rule.ALL_SUCCESS: "run cancel skip wait cancel skip wait cancel cancel skip cancel cancel skip cancel cancel",  # noqa: E501
    Rule.ALL_DONE: "run run run wait run run wait run wait wait run wait wait wait wait",
    Rule.ALL_FAILED: "unmet run unmet wait unmet unmet unmet unmet wait unmet unmet unmet unmet unmet unmet",  # noqa: E501
    Rule.ONE_SUCCESS: "run cancel skip wait run run run cancel wait wait run run run wait run",
    Rule.ONE_FAILED: "unmet run unmet wait run unmet wait run run wait run run wait run run",
    Rule.NONE_FAILED: "run cancel run wait cancel run wait cancel cancel wait cancel cancel wait cancel cancel",  # noqa: E501
    Rule.NONE_SKIPPED: "run run skip wait run skip wait skip wait skip skip wait skip skip skip",
}


def states(letters: str) -> set[EdgeStatus]:
    return {LETTERS[c] for c in letters}


def test_the_table_covers_every_rule_and_set() -> None:
    assert set(TABLE) == set(TriggerRule)
    assert all(len(row.split()) == len(SETS) == 2**4 - 1 for row in TABLE.values())


@pytest.mark.parametrize(
    ("rule", "letters", "expected"),
    [
        (rule, letters, outcome)
        for rule, row in TABLE.items()
        for letters, outcome in zip(SETS, row.split(), strict=True)
    ],
)
def test_truth_table(rule: TriggerRule, letters: str, expected: str) -> None:
    assert child_outcome(states(letters), rule) == OUTCOMES[expected]
    # counts never matter: a state present twice is the same set
    assert child_outcome([*states(letters), *states(letters)], rule) == OUTCOMES[expected]


def test_all_success_is_the_default() -> None:
    for letters in SETS:
        assert child_outcome(states(letters)) == child_outcome(states(letters), "ALL_SUCCESS")
        assert child_outcome(states(letters), None) == child_outcome(
            states(letters), Rule.ALL_SUCCESS
        )


@pytest.mark.parametrize("rule", list(TriggerRule))
def test_a_job_without_edges_ignores_its_rule(rule: TriggerRule) -> None:
    assert child_outcome([], rule) == (DependencyStatus.NONE, None, None)


@pytest.mark.parametrize("rule", list(TriggerRule))
def test_an_early_decision_is_final(rule: TriggerRule) -> None:
    """Whatever the pending edges become (some may stay pending), a set decided while
    one was pending keeps its decision: a released child is never ended later, nor an
    ended one released. (The reason may differ, ALL_SUCCESS's skip then a failure, but
    the engine ends a job once: the first reason stays.)"""
    decided_early = 0
    for letters in SETS:
        now = child_outcome(states(letters), rule)
        if "P" not in letters or now == OUTCOMES["wait"]:
            continue
        decided_early += 1
        rest = states(letters) - {E.PENDING}
        for n in range(1, 5):
            for later in combinations(LETTERS.values(), n):
                after = child_outcome(rest | set(later), rule)
                assert after[0] == now[0], (letters, later)
    assert decided_early or rule is Rule.ALL_DONE


@pytest.mark.parametrize("rule", list(TriggerRule))
def test_every_edge_decided_decides_the_child(rule: TriggerRule) -> None:
    for letters in SETS:
        if "P" not in letters:
            assert child_outcome(states(letters), rule) != OUTCOMES["wait"]


def test_early_release() -> None:
    assert child_outcome([E.RESOLVED, E.PENDING], Rule.ONE_SUCCESS) == OUTCOMES["run"]
    assert child_outcome([E.FAILED, E.PENDING], Rule.ONE_FAILED) == OUTCOMES["run"]
    assert child_outcome([E.RESOLVED, E.PENDING], Rule.ALL_FAILED) == OUTCOMES["unmet"]
    assert child_outcome([E.FAILED, E.PENDING], Rule.NONE_FAILED) == OUTCOMES["cancel"]
    assert child_outcome([E.CANCELLED, E.PENDING], Rule.NONE_SKIPPED) == OUTCOMES["skip"]


def test_the_rules_fail_fast_spares_and_the_stores_fast_path() -> None:
    # clean-up and notification steps: a failure may still satisfy them
    assert {Rule.ALL_DONE, Rule.ONE_FAILED, Rule.ALL_FAILED} == SPARED_BY_FAIL_FAST
    assert all(child_outcome([E.FAILED], rule) == OUTCOMES["run"] for rule in SPARED_BY_FAIL_FAST)
    # every edge RESOLVED releases the child, except where a failure was the point
    assert set(TriggerRule) - {Rule.ALL_FAILED, Rule.ONE_FAILED} == RELEASED_WHEN_ALL_RESOLVED


# -- the definition ----------------------------------------------------------------

LIMITS = {"max_jobs": 100, "max_depth": 20, "payload_bytes": 1_000}


def definition(**child: object) -> dict:
    return {
        "name": "w",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t"},
            {"name": "join", "job_type": "t", "depends_on": ["a", "b"], **child},
        ],
    }


def rule_of(source: object) -> TriggerRule:
    return parse_definition(source, **LIMITS).jobs[-1].trigger_rule  # type: ignore[arg-type]


def test_the_definition_sets_a_rule_per_job() -> None:
    assert rule_of(definition()) is Rule.ALL_SUCCESS
    assert rule_of(definition(trigger_rule="ONE_SUCCESS")) is Rule.ONE_SUCCESS
    assert rule_of(definition(triggerRule="ALL_DONE")) is Rule.ALL_DONE  # camelCase
    assert rule_of(definition(trigger_rule="none-failed")) is Rule.NONE_FAILED  # any case
    yaml = """
name: w
jobs:
  - {name: a, job_type: t}
  - {name: cleanup, job_type: t, depends_on: [a], trigger_rule: ALL_DONE}
"""
    assert rule_of(yaml) is Rule.ALL_DONE


@pytest.mark.parametrize("value", ["SOMETIMES", "", 3, None, ["ALL_DONE"]])
def test_an_unknown_rule_names_its_field_and_the_choices(value: object) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_definition(definition(trigger_rule=value), **LIMITS)
    assert info.value.code == "BAD_USER_INPUT"
    assert info.value.details["field"] == "jobs[2].trigger_rule"
    assert "must be one of ALL_SUCCESS, ALL_DONE, ALL_FAILED, ONE_SUCCESS" in info.value.message


def test_a_misspelt_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_definition(definition(trigger_rules="ALL_DONE"), **LIMITS)
    assert info.value.details["field"] == "jobs[2].trigger_rules"
    assert "did you mean 'trigger_rule'?" in info.value.message
