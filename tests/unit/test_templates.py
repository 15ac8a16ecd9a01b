"""Template references, without I/O: parsing workflow jobs, payloads, cycles, depth."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain import validation
from taskforge.domain.errors import InvalidInput
from taskforge.domain.templates import (
    MAX_NESTING,
    WORKFLOW_JOB_TYPE,
    TemplateRef,
    depth,
    depths,
    find_cycle,
    from_payload,
    resolve,
)
from taskforge.domain.workflows import parse_definition


def parse(definition: dict) -> object:
    return parse_definition(definition, max_jobs=100, max_depth=10, payload_bytes=10_000)


def test_a_workflow_job_is_parsed_into_its_payload() -> None:
    spec = parse(
        {
            "name": "w",
            "jobs": [
                {"name": "a", "job_type": "t"},
                {
                    "name": "sub",
                    "workflow": {"template": " etl ", "version": 3},
                    "input": {"day": 1},
                    "dependsOn": ["a"],
                    "priority": 7,
                },
            ],
        }
    )
    sub = spec.jobs[1]  # type: ignore[attr-defined]
    assert sub.job_type == WORKFLOW_JOB_TYPE and sub.priority == 7
    assert sub.workflow == TemplateRef("etl", 3)
    assert sub.payload == {"template": "etl", "version": 3, "input": {"day": 1}}
    assert spec.jobs[0].workflow is None  # type: ignore[attr-defined]


def test_the_reserved_job_type_is_not_a_valid_job_type() -> None:
    with pytest.raises(InvalidInput):
        validation.job_type(WORKFLOW_JOB_TYPE)


def test_payloads_read_back_and_refuse_what_is_not_a_reference() -> None:
    assert from_payload({"template": "etl", "version": None, "input": {"x": 1}}) == (
        TemplateRef("etl"),
        {"x": 1},
    )
    assert from_payload({"template": "etl", "version": 2}) == (TemplateRef("etl", 2), {})
    for bad, field in [
        ([], "payload"),
        ({}, "payload.template"),
        ({"template": " "}, "payload.template"),
        ({"template": "etl", "version": "2"}, "payload.version"),
        ({"template": "etl", "version": 0}, "payload.version"),
        ({"template": "etl", "input": [1]}, "payload.input"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            from_payload(bad)
        assert refused.value.details["field"] == field


def test_references_resolve_to_pinned_or_latest_versions() -> None:
    assert resolve(TemplateRef("a", 1), {"a": 3}) == ("a", 1)
    assert resolve(TemplateRef("a"), {"a": 3}) == ("a", 3)
    assert resolve(TemplateRef("b"), {"a": 3}) is None


def test_cycles_are_found_and_named() -> None:
    a, b, c = ("a", 2), ("b", 1), ("c", 1)
    assert find_cycle(a, {a: [a]}) == [a, a]
    assert find_cycle(a, {a: [c], c: [b], b: [a]}) == [a, c, b, a]
    assert find_cycle(a, {a: [b, c], b: [c], c: []}) is None  # a diamond is no cycle
    assert find_cycle(a, {a: [b], b: [c], c: [b]}) == [b, c, b]


def test_depth_is_the_longest_chain() -> None:
    nodes = [(f"t{i}", 1) for i in range(5)]
    chain = {n: [m] for n, m in pairwise(nodes)}
    assert depth(nodes[0], chain) == 4
    assert depth(nodes[0], {nodes[0]: [nodes[1], nodes[4]], nodes[1]: [nodes[2]]}) == 2
    assert depth(nodes[0], {}) == 0
    assert depths(nodes[0], chain) == {n: 4 - i for i, n in enumerate(nodes)}


def test_depth_counts_up_to_its_bound_without_recursion() -> None:
    """A stored graph is not trusted: a chain of any length is measured iteratively,
    up to the bound (one more: deeper than allowed), and a cycle is endlessly deep."""
    nodes = [(f"t{i}", 1) for i in range(5_000)]
    chain = {n: [m] for n, m in pairwise(nodes)}
    assert depth(nodes[0], chain) == MAX_NESTING + 1
    assert depth(nodes[-3], chain) == 2
    assert depth(nodes[0], chain, bound=3) == 4
    a, b, c = nodes[:3]
    assert depth(a, {a: [b], b: [c], c: [a]}) == MAX_NESTING + 1
    assert depth(a, {a: [a]}) == MAX_NESTING + 1
    # a diamond is measured once per node, by its longest branch
    diamond = {a: [b, c], b: [c], c: [nodes[3]]}
    assert depths(a, diamond) == {a: 3, b: 2, c: 1, nodes[3]: 0}


@given(st.dictionaries(st.integers(0, 6), st.lists(st.integers(0, 6), max_size=4), max_size=7))
def test_a_cycle_is_found_exactly_when_one_is_reachable(raw: dict[int, list[int]]) -> None:
    refs = {(str(k), 1): [(str(v), 1) for v in vs] for k, vs in raw.items()}
    start = ("0", 1)
    cycle = find_cycle(start, refs)
    # reference: a node reachable from start reaches itself again
    reachable, todo = set(), [start]
    while todo:
        for nxt in refs.get(todo.pop(), []):
            if nxt not in reachable:
                reachable.add(nxt)
                todo.append(nxt)

    def reaches_itself(node: tuple[str, int]) -> bool:
        seen, todo = set(), list(refs.get(node, []))
        while todo:
            n = todo.pop()
            if n == node:
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(refs.get(n, []))
        return False

    has_cycle = any(reaches_itself(n) for n in reachable | {start})
    assert (cycle is not None) == has_cycle
    if cycle is not None:
        assert cycle[0] == cycle[-1]
        assert all(b in refs.get(a, []) for a, b in pairwise(cycle))
