import itertools
import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain import dag
from taskforge.domain.dag import EdgeView, NodeView
from taskforge.domain.errors import InvalidInput
from taskforge.domain.rows import GraphEdge, GraphJob
from taskforge.schema.workflow_types import GraphData

DIAMOND_NODES = ["a", "b", "c", "d"]
DIAMOND_EDGES = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]


def assert_closed_path(cycle, edges) -> None:
    assert cycle[0] == cycle[-1]
    assert len(cycle) >= 2
    edge_set = set(edges)
    for pair in itertools.pairwise(cycle):
        assert pair in edge_set
    assert len(set(cycle[:-1])) == len(cycle) - 1  # a simple cycle


# --- cycles ----------------------------------------------------------------------


def test_acyclic_graph_has_no_cycle() -> None:
    assert dag.find_cycle(DIAMOND_NODES, DIAMOND_EDGES) is None
    assert dag.find_cycle([], []) is None


def test_three_cycle_is_named_as_closed_path() -> None:
    assert dag.find_cycle(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")]) == [
        "a",
        "b",
        "c",
        "a",
    ]


def test_self_loop_is_a_cycle() -> None:
    assert dag.find_cycle(["a", "b"], [("a", "b"), ("b", "b")]) == ["b", "b"]


def test_cycle_behind_an_acyclic_prefix_excludes_the_prefix() -> None:
    edges = [("start", "x"), ("x", "y"), ("y", "z"), ("z", "x")]
    assert dag.find_cycle(["start", "x", "y", "z"], edges) == ["x", "y", "z", "x"]


def test_long_cycle_is_found_without_recursion() -> None:
    n = 5_000
    nodes = [f"n{i}" for i in range(n)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(n - 1)] + [(nodes[-1], nodes[0])]
    cycle = dag.find_cycle(nodes, edges)
    assert cycle is not None
    assert len(cycle) == n + 1
    assert_closed_path(cycle, edges)


def test_levels_name_the_cycle() -> None:
    with pytest.raises(InvalidInput) as info:
        dag.topological_levels(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert info.value.code == "BAD_USER_INPUT"
    assert info.value.message == "dependency cycle: a -> b -> c -> a"
    assert info.value.details["cycle"] == ["a", "b", "c", "a"]


def test_edge_endpoints_count_as_nodes_and_duplicates_once() -> None:
    assert dag.topological_levels([], [("a", "b"), ("a", "b")]) == [["a"], ["b"]]


# --- levels, roots, leaves, critical path ------------------------------------------


def test_levels_use_the_deepest_parent() -> None:
    edges = [*DIAMOND_EDGES, ("a", "d"), ("d", "e")]
    assert dag.topological_levels([*DIAMOND_NODES, "e"], edges) == [
        ["a"],
        ["b", "c"],
        ["d"],
        ["e"],
    ]


def test_levels_are_sorted_and_isolated_nodes_are_roots() -> None:
    assert dag.topological_levels(["z", "y", "x"], [("z", "a")]) == [["x", "y", "z"], ["a"]]
    assert dag.topological_levels([], []) == []


def test_roots_and_leaves() -> None:
    nodes = [*DIAMOND_NODES, "lonely"]
    assert dag.roots(nodes, DIAMOND_EDGES) == ["a", "lonely"]
    assert dag.leaves(nodes, DIAMOND_EDGES) == ["d", "lonely"]


def test_critical_path_counts_nodes_by_default_with_tie_break() -> None:
    # b and c tie; the smaller id wins
    assert dag.critical_path(DIAMOND_NODES, DIAMOND_EDGES) == ["a", "b", "d"]


def test_critical_path_follows_weights() -> None:
    weights = {"a": 1.0, "b": 1.0, "c": 10.0, "d": 1.0}
    assert dag.critical_path(DIAMOND_NODES, DIAMOND_EDGES, weights) == ["a", "c", "d"]


def test_critical_path_picks_heaviest_leaf_across_components() -> None:
    nodes = ["a", "b", "x"]
    assert dag.critical_path(nodes, [("a", "b")], {"x": 5.0}) == ["x"]
    assert dag.critical_path(nodes, [("a", "b")]) == ["a", "b"]
    assert dag.critical_path([], []) == []


def test_critical_path_rejects_cycles() -> None:
    with pytest.raises(InvalidInput, match="dependency cycle"):
        dag.critical_path(["a", "b"], [("a", "b"), ("b", "a")])


# --- limits ---------------------------------------------------------------------------


def test_limits_allow_exact_bounds() -> None:
    dag.check_limits(DIAMOND_NODES, DIAMOND_EDGES, max_nodes=4, max_depth=3)


def test_too_many_nodes() -> None:
    with pytest.raises(InvalidInput) as info:
        dag.check_limits(DIAMOND_NODES, DIAMOND_EDGES, max_nodes=3, max_depth=10)
    assert info.value.details == {"field": "jobs", "count": 4, "limit": 3}
    assert "at most 3 jobs, got 4" in info.value.message


def test_too_deep() -> None:
    with pytest.raises(InvalidInput) as info:
        dag.check_limits(DIAMOND_NODES, DIAMOND_EDGES, max_nodes=10, max_depth=2)
    assert info.value.details == {"field": "jobs", "depth": 3, "limit": 2}


# --- exports --------------------------------------------------------------------------

NODES = [
    NodeView("job-1", "extract", "SUCCEEDED", "etl.extract"),
    NodeView("job-2", 'say "hi"\\', "FAILED"),
    NodeView("job_2", "a <b> | #c", None),
    NodeView("end", "end"),
]
EDGES = [
    EdgeView("job-1", "job-2", "SEQUENTIAL", "SUCCEEDED", "RESOLVED"),
    EdgeView("job-1", "job_2", "CONDITIONAL", "FAILED", "PENDING"),
    EdgeView("job-2", "end", "SEQUENTIAL", "ALWAYS"),
    EdgeView("job_2", "end", "FAN_IN", "SUCCEEDED", "FAILED"),
]


def test_json_export() -> None:
    out = dag.to_json(NODES, EDGES)
    assert out["nodes"][0] == {
        "id": "job-1",
        "label": "extract",
        "status": "SUCCEEDED",
        "jobType": "etl.extract",
    }
    assert out["edges"][1] == {
        "parent": "job-1",
        "child": "job_2",
        "type": "CONDITIONAL",
        "condition": "FAILED",
        "status": "PENDING",
    }
    assert out["roots"] == ["job-1"]
    assert out["leaves"] == ["end"]
    assert out["levels"] == [["job-1"], ["job-2", "job_2"], ["end"]]
    assert out["criticalPath"] == ["job-1", "job-2", "end"]


def _dot_strings(dot: str) -> list[str]:
    return re.findall(r'"((?:[^"\\]|\\.)*)"', dot)


def test_dot_export_is_structurally_valid() -> None:
    dot = dag.to_dot(NODES, EDGES, title="my workflow")
    assert dot.startswith('digraph "my workflow" {')
    assert dot.rstrip().endswith("}")
    # braces balance once quoted strings are removed
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot)
    assert bare.count("{") == bare.count("}") == 1
    for edge in EDGES:
        assert f'"{edge.parent}" -> "{edge.child}"' in dot
    assert dot.count("->") == len(EDGES)


def test_dot_escapes_labels_and_shows_status_and_colour() -> None:
    dot = dag.to_dot(NODES, EDGES)
    assert '"job-2" [label="say \\"hi\\"\\\\\\nFAILED", fillcolor="#ffcdd2"]' in dot
    assert 'label="extract\\nSUCCEEDED"' in dot
    assert 'tooltip="etl.extract"' in dot
    assert '"job-1" -> "job-2" [color="#2e7d32"];' in dot  # default edge: no label
    assert 'label="CONDITIONAL / FAILED", style=dashed' in dot
    assert 'label="ALWAYS"' in dot
    assert 'label="FAN_IN"' in dot
    # every quoted string ends where it should: no stray quote inside
    assert all("\n" not in s for s in _dot_strings(dot))


def test_mermaid_export_uses_safe_distinct_ids() -> None:
    text = dag.to_mermaid(NODES, EDGES)
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    ids = re.findall(r"^\s+(\S+)\[", text, flags=re.M)
    assert ids == ["n_job_1", "n_job_2", "n_job_2_2", "n_end"]
    assert all(re.fullmatch(r"\w+", i) for i in ids)
    assert "    n_job_1 --> n_job_2" in lines
    assert '    n_job_1 -.->|"CONDITIONAL / FAILED"| n_job_2_2' in lines
    assert '    n_job_2 -->|"ALWAYS"| n_end' in lines
    assert '    n_job_2_2 -->|"FAN_IN"| n_end' in lines


def test_mermaid_escapes_labels_and_styles_statuses() -> None:
    text = dag.to_mermaid(NODES, EDGES)
    assert 'n_job_2["say #quot;hi#quot;\\<br/>FAILED"]' in text
    assert 'n_job_2_2["a #lt;b#gt; #124; #35;c"]' in text
    assert "classDef st_failed fill:#ffcdd2" in text
    assert "class n_job_2 st_failed" in text
    assert "class n_job_1 st_succeeded" in text
    assert "linkStyle 0 stroke:#2e7d32" in text
    assert "linkStyle 3 stroke:#c62828" in text


# --- size -----------------------------------------------------------------------------


def test_ten_thousand_node_fan_out_fan_in() -> None:
    middle = [f"m{i:04d}" for i in range(9_998)]
    nodes = ["split", *middle, "join"]
    edges = [("split", m) for m in middle] + [(m, "join") for m in middle]
    assert dag.find_cycle(nodes, edges) is None
    levels = dag.topological_levels(nodes, edges)
    assert levels == [["split"], middle, ["join"]]
    assert dag.roots(nodes, edges) == ["split"]
    assert dag.leaves(nodes, edges) == ["join"]
    assert dag.critical_path(nodes, edges) == ["split", "m0000", "join"]
    dag.check_limits(nodes, edges, max_nodes=10_000, max_depth=3)
    views = [NodeView(n, n, "PENDING") for n in nodes]
    edge_views = [EdgeView(p, c, "FAN_OUT", "SUCCEEDED") for p, c in edges]
    assert len(dag.to_json(views, edge_views)["levels"]) == 3
    assert dag.to_dot(views, edge_views).count("->") == len(edges)
    assert dag.to_mermaid(views, edge_views).count("-->") == len(edges)


def test_thousand_node_chain() -> None:
    nodes = [f"s{i}" for i in range(1_000)]
    edges = list(itertools.pairwise(nodes))
    levels = dag.topological_levels(nodes, edges)
    assert [level[0] for level in levels] == nodes
    assert dag.critical_path(nodes, edges) == nodes
    with pytest.raises(InvalidInput):
        dag.check_limits(nodes, edges, max_nodes=1_000, max_depth=999)


# --- properties -----------------------------------------------------------------------


@st.composite
def random_dags(draw):
    n = draw(st.integers(1, 40))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    raw = draw(st.lists(pairs, max_size=120))
    edges = [(f"v{a}", f"v{b}") for a, b in raw if a < b]  # lower to higher: acyclic
    return [f"v{i}" for i in range(n)], edges


@given(random_dags())
def test_random_dags_have_no_cycle_and_edges_go_down_levels(graph) -> None:
    nodes, edges = graph
    assert dag.find_cycle(nodes, edges) is None
    levels = dag.topological_levels(nodes, edges)
    level_of = {node: i for i, level in enumerate(levels) for node in level}
    assert sorted(level_of) == sorted(nodes)
    for parent, child in edges:
        assert level_of[parent] < level_of[child]
    path = dag.critical_path(nodes, edges)
    assert path[0] in dag.roots(nodes, edges)
    assert path[-1] in dag.leaves(nodes, edges)
    assert len(path) == len(levels)  # unit weights: the longest path spans every level


@given(random_dags(), st.data())
def test_a_back_edge_yields_a_real_closed_path(graph, data) -> None:
    nodes, edges = graph
    if not edges:
        edges = [(nodes[0], nodes[0])]  # a self loop is the smallest back edge
    else:
        # walk forward from a random edge, then close the walk with a back edge
        start, end = data.draw(st.sampled_from(edges))
        children = {}
        for parent, child in edges:
            children.setdefault(parent, []).append(child)
        while children.get(end) and data.draw(st.booleans()):
            end = data.draw(st.sampled_from(children[end]))
        edges = [*edges, (end, start)]
    cycle = dag.find_cycle(nodes, edges)
    assert cycle is not None
    assert_closed_path(cycle, edges)


def test_graph_json_from_rows_is_the_views_export() -> None:
    """workflow.graph { json } renders straight from the rows: the same document as
    to_json of the views, key for key and in the same order."""
    ids = [str(uuid.uuid4()) for _ in range(5)]  # rows carry ids as text
    jobs = [
        GraphJob(ids[0], "split", "etl.split", "SUCCEEDED", None),
        GraphJob(ids[1], None, "etl.part", "FAILED", None),
        GraphJob(ids[2], "b", "etl.part", "SKIPPED", None),
        GraphJob(ids[3], "join", "etl.join", "PENDING", None),
        GraphJob(ids[4], "alone", "t", "PENDING", None),
    ]
    pairs = [(0, 1), (0, 2), (1, 3), (2, 3)]
    edges = [
        GraphEdge(str(uuid.uuid4()), ids[p], ids[c], "SEQUENTIAL", "ALWAYS", "RESOLVED")
        for p, c in pairs
    ]
    data = GraphData(jobs, edges, "t")
    out = data.json()
    assert out == dag.to_json(*data.views)
    assert json.dumps(out) == json.dumps(dag.to_json(*data.views))
    assert out["nodes"][1] == {
        "id": str(ids[1]),
        "label": "etl.part",
        "status": "FAILED",
        "jobType": "etl.part",
    }
    assert out["roots"] == sorted([str(ids[0]), str(ids[4])])


def _string_export(ids, pairs) -> dict:
    """The export as the string-keyed functions compute it."""
    return {
        "roots": dag.roots(ids, pairs),
        "leaves": dag.leaves(ids, pairs),
        "levels": dag.topological_levels(ids, pairs),
        "criticalPath": dag.critical_path(ids, pairs),
    }


@st.composite
def messy_dags(draw):
    """Random DAGs whose ids are listed out of order, repeated, or missing (an edge's
    endpoint then counts as a node), with repeated edges and tied paths."""
    nodes, edges = draw(random_dags())
    listed = draw(st.lists(st.sampled_from(nodes), max_size=len(nodes) + 5))
    repeated = draw(st.lists(st.sampled_from(edges), max_size=5)) if edges else []
    return listed, draw(st.permutations(edges + repeated))


@given(messy_dags())
def test_json_document_over_positions_matches_the_string_functions(graph) -> None:
    ids, pairs = graph
    doc = dag.json_document([], [], ids, pairs)
    assert {k: doc[k] for k in ("roots", "leaves", "levels", "criticalPath")} == _string_export(
        ids, pairs
    )


def test_json_document_names_a_cycle_as_the_string_functions_do() -> None:
    ids, pairs = ["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "d"), ("d", "b")]
    with pytest.raises(InvalidInput) as expected:
        dag.topological_levels(ids, pairs)
    with pytest.raises(InvalidInput) as got:
        dag.json_document([], [], ids, pairs)
    assert got.value.message == expected.value.message == "dependency cycle: b -> c -> d -> b"
