"""Graph algorithms over string node keys, and the workflow graph exports.

Everything here is O(V + E) and iterative, so a 10,000-job workflow neither hits the
recursion limit nor takes noticeable time. Edge endpoints missing from ``nodes`` count
as nodes; a repeated edge counts once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from taskforge.domain.errors import InvalidInput

Adjacency = dict[str, list[str]]


def _graph(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> tuple[Adjacency, Adjacency]:
    """(children, parents), both keyed by every node in first-seen order."""
    children: Adjacency = {node: [] for node in nodes}
    parents: Adjacency = {node: [] for node in children}
    for parent, child in dict.fromkeys(edges):  # repeated edges once, in order
        if parent not in children:
            children[parent], parents[parent] = [], []
        if child not in children:
            children[child], parents[child] = [], []
        children[parent].append(child)
        parents[child].append(parent)
    return children, parents


def _cycle(children: Adjacency) -> list[str] | None:
    # Depth-first with an explicit stack; ``on_path`` maps a node on the current path
    # to its position, so meeting one again yields the cycle by slicing.
    done: set[str] = set()
    for start in children:
        if start in done:
            continue
        path, on_path = [start], {start: 0}
        stack = [iter(children[start])]
        while stack:
            for child in stack[-1]:
                if child in on_path:
                    return [*path[on_path[child] :], child]
                if child not in done:
                    on_path[child] = len(path)
                    path.append(child)
                    stack.append(iter(children[child]))
                    break
            else:
                finished = path.pop()
                del on_path[finished]
                done.add(finished)
                stack.pop()
    return None


def cycle_error(cycle: Sequence[str], field: str = "jobs") -> InvalidInput:
    """The one wording of a cycle error, shared by every caller that finds one."""
    return InvalidInput(f"dependency cycle: {' -> '.join(cycle)}", field=field, cycle=list(cycle))


def _order(children: Adjacency, parents: Adjacency) -> tuple[list[str], dict[str, int]]:
    """Kahn's algorithm: a topological order and each node's level; raises on a cycle."""
    indegree = {node: len(ps) for node, ps in parents.items()}
    order = [node for node, degree in indegree.items() if degree == 0]
    level = dict.fromkeys(order, 0)
    for node in order:  # ``order`` grows while we walk it
        below = level[node] + 1
        for child in children[node]:
            # a child's level is final once its last parent is placed: no max() per edge
            if level.get(child, 0) < below:
                level[child] = below
            left = indegree[child] - 1
            indegree[child] = left
            if not left:
                order.append(child)
    if len(order) < len(children):
        cycle = _cycle(children)
        assert cycle is not None  # Kahn stalls only on a cycle
        raise cycle_error(cycle)
    return order, level


def find_cycle(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle as a closed path, e.g. ``["a", "b", "c", "a"]``; None if acyclic."""
    children, _ = _graph(nodes, edges)
    return _cycle(children)


def _levels(
    children: Adjacency, parents: Adjacency, ordered: tuple[list[str], dict[str, int]] | None = None
) -> list[list[str]]:
    _, level = ordered or _order(children, parents)
    grouped: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for node, depth in level.items():
        grouped[depth].append(node)
    return [sorted(group) for group in grouped]


def topological_levels(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Level 0 holds the roots; a node sits one level below its deepest parent."""
    return _levels(*_graph(nodes, edges))


def roots(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    _, parents = _graph(nodes, edges)
    return sorted(node for node, ps in parents.items() if not ps)


def leaves(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    children, _ = _graph(nodes, edges)
    return sorted(node for node, cs in children.items() if not cs)


def _heaviest(candidates: Sequence[str], best: Mapping[str, float]) -> str:
    """The candidate of the largest ``best``, ties to the smaller id (so the answer does
    not depend on input order). Two passes without a key function: a fan-in of 10,000
    parents took a tuple and a lambda call per parent."""
    if len(candidates) == 1:
        return candidates[0]
    top = max(best[c] for c in candidates)
    return min(c for c in candidates if best[c] == top)


def _critical(
    children: Adjacency,
    parents: Adjacency,
    weight: Mapping[str, float] | None,
    ordered: tuple[list[str], dict[str, int]] | None = None,
) -> list[str]:
    order, _ = ordered or _order(children, parents)
    weights = weight or {}
    best: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for node in order:
        ps = parents[node]
        prev = _heaviest(ps, best) if ps else None
        best[node] = float(weights.get(node, 1.0)) + (best[prev] if prev is not None else 0.0)
        via[node] = prev
    ends = [node for node in order if not children[node]]
    if not ends:
        return []
    path = [_heaviest(ends, best)]
    while (prev := via[path[-1]]) is not None:
        path.append(prev)
    return path[::-1]


def critical_path(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    weight: Mapping[str, float] | None = None,
) -> list[str]:
    """The heaviest root-to-leaf path; a node weighs 1 unless ``weight`` says otherwise."""
    return _critical(*_graph(nodes, edges), weight)


def ran_seconds(started_at: datetime | None, finished_at: datetime | None) -> float | None:
    """Seconds a job ran, once it has finished (None before)."""
    if started_at is None or finished_at is None:
        return None
    return (finished_at - started_at).total_seconds()


def run_time(started_at: datetime | None, finished_at: datetime | None) -> float:
    """A job's weight on the critical path: seconds it ran, 1 while it has not finished."""
    seconds = ran_seconds(started_at, finished_at)
    return 1.0 if seconds is None else seconds


class Timed(Protocol):
    """A job as the critical path weighs it: graph rows carry the seconds it ran (None
    until it has finished), not its timestamps."""

    @property
    def id(self) -> Any: ...

    @property
    def run_seconds(self) -> float | None: ...


def run_time_weights(jobs: Iterable[Timed]) -> dict[str, float]:
    """Critical-path weights by job id (as a string): the seconds each job ran, 1 for a
    job that has not finished."""
    return {str(j.id): 1.0 if j.run_seconds is None else j.run_seconds for j in jobs}


def check_limits(
    nodes: Iterable[str], edges: Iterable[tuple[str, str]], max_nodes: int, max_depth: int
) -> None:
    children, parents = _graph(nodes, edges)
    if len(children) > max_nodes:
        raise InvalidInput(
            f"a workflow may have at most {max_nodes} jobs, got {len(children)}",
            field="jobs",
            count=len(children),
            limit=max_nodes,
        )
    depth = len(_levels(children, parents))
    if depth > max_depth:
        raise InvalidInput(
            f"dependencies are {depth} levels deep, over the limit of {max_depth}",
            field="jobs",
            depth=depth,
            limit=max_depth,
        )


# --- exports ---------------------------------------------------------------------


# Named tuples, not dataclasses: a 10,000-job graph builds 30,000 of them per request,
# and a frozen dataclass's __init__ cost several times a tuple's.
class NodeView(NamedTuple):
    id: str
    label: str
    status: str | None = None
    job_type: str | None = None
    group: str | None = None  # a mapped child's template
    map_index: int | None = None


class EdgeView(NamedTuple):
    parent: str
    child: str
    type: str
    condition: str
    status: str | None = None


_NODE_COLOURS = {
    "PENDING": "#eeeeee",
    "SCHEDULED": "#bbdefb",
    "PROCESSING": "#fff59d",
    "SUCCEEDED": "#c8e6c9",
    "FAILED": "#ffcdd2",
    "CANCELLED": "#d7ccc8",
    "SKIPPED": "#f5f5f5",
}
_EDGE_COLOURS = {
    "PENDING": "#9e9e9e",
    "RESOLVED": "#2e7d32",
    "FAILED": "#c62828",
    "CANCELLED": "#8d6e63",
}
_NO_STATUS, _UNKNOWN_STATUS = "#ffffff", "#e0e0e0"


def _node_colour(status: str | None) -> str:
    return _NO_STATUS if status is None else _NODE_COLOURS.get(status, _UNKNOWN_STATUS)


def _edge_label(edge: EdgeView) -> str | None:
    # SEQUENTIAL on SUCCEEDED is the common case; label only what differs from it
    shown = [
        value
        for value, default in ((edge.type, "SEQUENTIAL"), (edge.condition, "SUCCEEDED"))
        if value != default
    ]
    return " / ".join(shown) or None


def node_json(node: dict[str, Any], group: str | None, index: int | None) -> dict[str, Any]:
    """A node of the JSON export, with its template and index if it is a mapped child."""
    if group is not None:
        node["group"], node["mapIndex"] = group, index
    return node


def groups(nodes: Iterable[tuple[str, str, str | None, int | None]]) -> list[dict[str, Any]]:
    """The mapped children of each template, from (id, label, template, index) per node:
    one entry per template, in the order its first child appears, its children by index
    (``template``: its id, ``label``: its node's label, or its id if it is not shown)."""
    labels: dict[str, str] = {}
    members: dict[str, list[tuple[int, str]]] = {}
    for node_id, label, group, index in nodes:
        labels[node_id] = label
        if group is not None:
            members.setdefault(group, []).append((-1 if index is None else index, node_id))
    return [
        {
            "template": group,
            "label": labels.get(group, group),
            "count": len(children),
            "jobs": [node_id for _, node_id in sorted(children)],
        }
        for group, children in members.items()
    ]


def to_json(nodes: Sequence[NodeView], edges: Sequence[EdgeView]) -> dict[str, Any]:
    return json_document(
        [
            node_json(
                {"id": n.id, "label": n.label, "status": n.status, "jobType": n.job_type},
                n.group,
                n.map_index,
            )
            for n in nodes
        ],
        [
            {
                "parent": e.parent,
                "child": e.child,
                "type": e.type,
                "condition": e.condition,
                "status": e.status,
            }
            for e in edges
        ],
        [n.id for n in nodes],
        [(e.parent, e.child) for e in edges],
        groups((n.id, n.label, n.group, n.map_index) for n in nodes),
    )


def json_document(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    ids: Iterable[str],
    pairs: Iterable[tuple[str, str]],
    mapped: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON export around nodes and edges already rendered (a caller holding rows
    renders them straight from the rows, without views in between): ``ids`` and
    ``pairs`` are their keys. The same document as ``roots``, ``leaves``,
    ``topological_levels`` and ``critical_path`` would give, computed over positions;
    with ``groups`` (``mapped``: the mapped children of each template) when any."""
    names, children, parents = _indexed(ids, pairs)
    order, level = _indexed_order(children, parents)
    if order is None:  # a cycle: raise the error naming it, as the other functions do
        _order(*_graph(names, _named(names, children)))
        raise AssertionError("Kahn stalls only on a cycle")
    grouped: list[list[str]] = [[] for _ in range(max(level, default=-1) + 1)]
    for i, depth in enumerate(level):
        grouped[depth].append(names[i])
    document = {
        "nodes": nodes,
        "edges": edges,
        "roots": sorted(names[i] for i, ps in enumerate(parents) if not ps),
        "leaves": sorted(names[i] for i, cs in enumerate(children) if not cs),
        "levels": [sorted(group) for group in grouped],
        "criticalPath": _indexed_critical(names, children, parents, order),
    }
    if mapped:
        document["groups"] = mapped
    return document


# The export of a 10,000-job graph runs the algorithms above over positions in lists
# rather than string keys in dictionaries: a third of its time went to hashing and
# comparing the 36-character ids.
def _indexed(
    ids: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> tuple[list[str], list[list[int]], list[list[int]]]:
    """(names, children, parents) by position, in ``_graph``'s first-seen order."""
    position = {name: i for i, name in enumerate(dict.fromkeys(ids))}
    names = list(position)
    children: list[list[int]] = [[] for _ in names]
    parents: list[list[int]] = [[] for _ in names]

    def add(name: str) -> int:  # an edge's end that is not among the ids
        i = position[name] = len(names)
        names.append(name)
        children.append([])
        parents.append([])
        return i

    for parent, child in dict.fromkeys(pairs):  # repeated edges once, in order
        p = position.get(parent)
        p = add(parent) if p is None else p
        c = position.get(child)
        c = add(child) if c is None else c
        children[p].append(c)
        parents[c].append(p)
    return names, children, parents


def _named(names: list[str], children: list[list[int]]) -> list[tuple[str, str]]:
    return [(names[p], names[c]) for p, cs in enumerate(children) for c in cs]


def _indexed_order(
    children: list[list[int]], parents: list[list[int]]
) -> tuple[list[int] | None, list[int]]:
    """``_order`` over positions; (None, levels) on a cycle."""
    indegree = [len(ps) for ps in parents]
    order = [i for i, degree in enumerate(indegree) if not degree]
    level = [0] * len(children)
    for node in order:  # ``order`` grows while we walk it
        below = level[node] + 1
        for child in children[node]:
            if level[child] < below:
                level[child] = below
            left = indegree[child] - 1
            indegree[child] = left
            if not left:
                order.append(child)
    return (order if len(order) == len(children) else None), level


def _indexed_critical(
    names: list[str], children: list[list[int]], parents: list[list[int]], order: list[int]
) -> list[str]:
    """``_critical`` with every node weighing 1, over positions (ties to the smaller id)."""
    best = [0.0] * len(names)
    via = [-1] * len(names)
    for node in order:
        ps = parents[node]
        if not ps:
            best[node] = 1.0
            continue
        prev = ps[0] if len(ps) == 1 else _indexed_heaviest(ps, best, names)
        best[node] = 1.0 + best[prev]
        via[node] = prev
    ends = [node for node in order if not children[node]]
    if not ends:
        return []
    at = _indexed_heaviest(ends, best, names)
    path = [names[at]]
    while (at := via[at]) >= 0:
        path.append(names[at])
    return path[::-1]


def _indexed_heaviest(candidates: list[int], best: list[float], names: list[str]) -> int:
    top = max([best[c] for c in candidates])
    tied = [c for c in candidates if best[c] == top]
    return tied[0] if len(tied) == 1 else min(tied, key=names.__getitem__)


def _dot_quote(text: str) -> str:
    # Backslashes first, so the escapes added next are not doubled; a real newline
    # becomes DOT's centred line break.
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def to_dot(nodes: Sequence[NodeView], edges: Sequence[EdgeView], title: str = "workflow") -> str:
    q = _dot_quote
    lines = [
        f"digraph {q(title)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    clusters: dict[str, list[str]] = {}
    labels = {n.id: n.label for n in nodes}
    for n in nodes:
        label = n.label if n.status is None else f"{n.label}\n{n.status}"
        attrs = [f"label={q(label)}", f"fillcolor={q(_node_colour(n.status))}"]
        if n.job_type:
            attrs.append(f"tooltip={q(n.job_type)}")
        line = f"  {q(n.id)} [{', '.join(attrs)}];"
        if n.group is not None:  # a mapped child: in its template's cluster
            clusters.setdefault(n.group, []).append(line)
            continue
        lines.append(line)
    for group, members in clusters.items():
        title = f"{labels.get(group, group)}: {len(members)} mapped"
        lines.append(f"  subgraph {q('cluster_' + group)} {{")
        lines.append(f'    label={q(title)}; style="dashed,rounded";')
        lines += [f"  {line}" for line in members]
        lines.append("  }")
    for e in edges:
        attrs = []
        if (text := _edge_label(e)) is not None:
            attrs.append(f"label={q(text)}")
        if e.type == "CONDITIONAL":
            attrs.append("style=dashed")
        if e.status in _EDGE_COLOURS:
            attrs.append(f"color={q(_EDGE_COLOURS[e.status])}")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {q(e.parent)} -> {q(e.child)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# '#' first: Mermaid entity codes start with it, so a literal one must not survive
_MERMAID_ESCAPES = (
    ("#", "#35;"),
    ('"', "#quot;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("|", "#124;"),
    ("`", "#96;"),
    ("\r", ""),
    ("\n", " "),
)


def _mermaid_text(text: str) -> str:
    for raw, code in _MERMAID_ESCAPES:
        text = text.replace(raw, code)
    return text


class _MermaidIds:
    """Stable ``n_<word chars>`` ids; the prefix keeps keywords like ``end`` harmless."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, key: str) -> str:
        if key not in self._ids:
            base = "n_" + re.sub(r"\W", "_", key, flags=re.ASCII)
            candidate, n = base, 1
            while candidate in self._used:  # 'a-b' and 'a_b' must not merge
                n += 1
                candidate = f"{base}_{n}"
            self._used.add(candidate)
            self._ids[key] = candidate
        return self._ids[key]


def to_mermaid(nodes: Sequence[NodeView], edges: Sequence[EdgeView]) -> str:
    safe = _MermaidIds()
    lines = ["flowchart TD"]
    by_status: dict[str, list[str]] = {}
    subgraphs: dict[str, list[str]] = {}
    labels = {n.id: n.label for n in nodes}
    for n in nodes:
        text = _mermaid_text(n.label)
        if n.status is not None:
            text += "<br/>" + _mermaid_text(n.status)
            by_status.setdefault(n.status, []).append(safe(n.id))
        line = f'    {safe(n.id)}["{text}"]'
        if n.group is not None:  # a mapped child: in its template's subgraph
            subgraphs.setdefault(n.group, []).append(line)
            continue
        lines.append(line)
    for group, members in subgraphs.items():
        title = _mermaid_text(f"{labels.get(group, group)}: {len(members)} mapped")
        lines.append(f'    subgraph {safe("group " + group)}["{title}"]')
        lines += [f"  {line}" for line in members]
        lines.append("    end")
    links_by_status: dict[str, list[str]] = {}
    for index, e in enumerate(edges):
        arrow = "-.->" if e.type == "CONDITIONAL" else "-->"
        if (label := _edge_label(e)) is not None:
            arrow += f'|"{_mermaid_text(label)}"|'
        lines.append(f"    {safe(e.parent)} {arrow} {safe(e.child)}")
        if e.status in _EDGE_COLOURS:
            links_by_status.setdefault(e.status, []).append(str(index))
    for status, members in sorted(by_status.items()):
        css = "st_" + re.sub(r"\W", "_", status.lower(), flags=re.ASCII)
        lines.append(f"    classDef {css} fill:{_node_colour(status)},stroke:#616161")
        lines.append(f"    class {','.join(members)} {css}")
    for status, indexes in sorted(links_by_status.items()):
        lines.append(f"    linkStyle {','.join(indexes)} stroke:{_EDGE_COLOURS[status]}")
    return "\n".join(lines) + "\n"
