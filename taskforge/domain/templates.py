"""Workflow templates and sub-workflows: the rules, no I/O.

A template is a named, versioned workflow definition of a project. A workflow job of
kind ``workflow`` (``{name: sub, workflow: {template: etl, version: 2}}``) starts a
template as a child run; it is a job row like any other, with the reserved job type
``WORKFLOW_JOB_TYPE`` (one no client may enqueue, so no worker ever runs it) and, as its
payload, what it starts: ``{"template": name, "version": n or null, "input": {...}}``.

References form a graph of (name, version) nodes: a pinned one is that node, an
unpinned one the name's latest version. A template that would include itself, directly
or through others, is refused when it is saved; so is a chain of runs deeper than
``MAX_NESTING``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from taskforge.domain.errors import InvalidInput, NotFound

# not a valid job type (validation.job_type refuses '@'): enqueue and workers never use it
WORKFLOW_JOB_TYPE = "@workflow"
# sub-workflow nesting: a run's child is at depth 1, its grandchild at 2, ...
MAX_NESTING = 10
MAX_VERSION = 2**31 - 1

Node = tuple[str, int]  # (template name, version)


@dataclass(frozen=True)
class TemplateRef:
    """A reference to a template by name; ``version`` None: its latest when used."""

    name: str
    version: int | None = None

    def payload(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """The payload of a workflow job starting this template with this run input."""
        return {"template": self.name, "version": self.version, "input": dict(input)}

    def describe(self) -> str:
        return self.name if self.version is None else f"{self.name} v{self.version}"

    def not_found(self, field: str | None = None) -> NotFound:
        """NOT_FOUND for this reference (also another tenant's template), naming ``field``."""
        error = NotFound("workflow template", self.describe())
        if field is not None:
            error.details["field"] = field
        return error


def version(value: Any, field: str) -> int:
    # bool is an int subclass; ``version: true`` is a mistake, not 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise InvalidInput(f"{field} must be a positive integer, got {value!r}", field=field)
    return value


def from_payload(payload: Any) -> tuple[TemplateRef, dict[str, Any]]:
    """What a workflow job starts, read back from its payload (which updateJob may have
    changed since it was checked): the reference and the child run's input."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("a workflow job's payload must be an object", field="payload")
    name = payload.get("template")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(
            "a workflow job's payload must name its template", field="payload.template"
        )
    raw = payload.get("version")
    pinned = None if raw is None else version(raw, "payload.version")
    given = payload.get("input")
    if given is not None and not isinstance(given, Mapping):
        raise InvalidInput("payload.input must be an object", field="payload.input")
    return TemplateRef(name.strip(), pinned), dict(given or {})


def resolve(ref: TemplateRef, latest: Mapping[str, int]) -> Node | None:
    """The node a reference means, given each name's latest version (None: no such
    template)."""
    if ref.version is not None:
        return ref.name, ref.version
    newest = latest.get(ref.name)
    return None if newest is None else (ref.name, newest)


def find_cycle(start: Node, refs: Mapping[Node, Sequence[Node]]) -> list[Node] | None:
    """A cycle of references reachable from ``start`` (its first node repeated at the
    end), or None. Iterative: chains are short, but a stored graph is not trusted."""
    state: dict[Node, int] = {}  # 1: on the current path, 2: done
    path: list[Node] = []
    stack: list[tuple[Node, int]] = [(start, 0)]
    while stack:
        node, i = stack.pop()
        if i == 0:
            state[node] = 1
            path.append(node)
        nexts = refs.get(node, ())
        if i < len(nexts):
            stack.append((node, i + 1))
            nxt = nexts[i]
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                stack.append((nxt, 0))
            continue
        state[node] = 2
        path.pop()
    return None


def depths(
    start: Node, refs: Mapping[Node, Sequence[Node]], bound: int = MAX_NESTING
) -> dict[Node, int]:
    """How deep runs started from each node reachable from ``start`` nest: the longest
    chain of references from it (0: none), counted up to ``bound + 1``, which means
    deeper than ``bound`` (a cycle is endlessly deep). Iterative, each node once: a
    stored graph is trusted to be neither shallow nor acyclic."""
    over = bound + 1
    memo: dict[Node, int] = {}
    path: set[Node] = {start}
    stack: list[tuple[Node, int]] = [(start, 0)]  # a node and its next reference
    while stack:
        node, i = stack[-1]
        nexts = refs.get(node, ())
        if i < len(nexts):
            stack[-1] = (node, i + 1)
            nxt = nexts[i]
            if nxt not in memo and nxt not in path:
                path.add(nxt)
                stack.append((nxt, 0))
            continue
        # a reference back onto the path: a cycle, deeper than any bound
        memo[node] = min(over, max((1 + memo.get(n, over) for n in nexts), default=0))
        path.discard(node)
        stack.pop()
    return memo


def depth(start: Node, refs: Mapping[Node, Sequence[Node]], bound: int = MAX_NESTING) -> int:
    """How deep runs started from ``start`` nest, up to ``bound + 1`` (``depths``)."""
    return depths(start, refs, bound)[start]


def cycle_error(cycle: Sequence[Node], field: str, label: Callable[[Node], str]) -> InvalidInput:
    names = " -> ".join(label(n) for n in cycle)
    return InvalidInput(f"template cycle: {names} (a template may not include itself)", field=field)


def nesting_error(field: str) -> InvalidInput:
    return InvalidInput(
        f"sub-workflows would nest more than {MAX_NESTING} levels deep, the most allowed",
        field=field,
    )
