"""What a definition's ``input_schema`` must be to be saved, beyond being a valid JSON
Schema (draft 2020-12): every ``$ref`` and ``$dynamicRef`` points inside the schema
(``#...``: nothing is ever fetched) at an object or a boolean, only the root has an
``$id`` (a nested one would start another document, whose ``#...`` would mean something
else), and every ``format`` is one that is checked.

The walk reads the schema as the validator will: through the keywords whose values are
schemas, and through each reference to its target. A target outside those places (under
``definitions`` or an unknown keyword) is checked against the meta-schema too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from taskforge.domain.errors import InvalidInput

FIELD = "input_schema"
REFS = ("$ref", "$dynamicRef")
# the keywords whose values are schemas (as referencing's DRAFT202012 reads them)
_ONE = (
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("$defs", "definitions", "dependentSchemas", "patternProperties", "properties")
_DEFINITIONS = ("$defs", "definitions")
_PLAIN = re.compile(r"[$\w-]+")
_SHOWN = 80  # characters of a reference quoted in a message


def _key(key: str) -> str:
    return f".{key}" if _PLAIN.fullmatch(key) else f"[{json.dumps(key)}]"


def _children(node: Any, path: str) -> Iterator[tuple[Any, str, bool]]:
    """The subschemas of a schema node, each with its JSON path and whether the
    validator applies it (a definition is applied only through a $ref)."""
    if not isinstance(node, dict):
        return
    for keyword in _ONE:
        if keyword in node:
            yield node[keyword], f"{path}{_key(keyword)}", True
    for keyword in _LIST:
        if isinstance(items := node.get(keyword), list):
            for i, item in enumerate(items):
                yield item, f"{path}{_key(keyword)}[{i}]", True
    for keyword in _MAP:
        if isinstance(values := node.get(keyword), dict):
            applied = keyword not in _DEFINITIONS
            for name, value in values.items():
                yield value, f"{path}{_key(keyword)}{_key(name)}", applied


def _refused(message: str, path: str) -> InvalidInput:
    return InvalidInput(f"{FIELD} at {path}: {message}", field=FIELD, json_path=path)


def _quoted(ref: str) -> str:
    return repr(ref if len(ref) <= _SHOWN else ref[: _SHOWN - 1] + "…")


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", type(None): "null"}.get(type(value), "a number")


@dataclass
class Walk:
    """The schema's nodes (by identity) and the edges the validator follows between
    them: subschemas it applies and reference targets. ``check_target`` meta-checks a
    target found outside the schema's own places (InvalidInput naming the path)."""

    root: Any
    check_target: Callable[[Any, str], None]
    formats: Collection[str]  # those ``format`` may name
    nodes: dict[int, Any] = field(default_factory=dict)
    edges: dict[int, list[Any]] = field(default_factory=dict)

    def run(self) -> None:
        from referencing import Registry
        from referencing.exceptions import Unresolvable
        from referencing.jsonschema import DRAFT202012

        resolver = Registry().resolver_with_root(DRAFT202012.create_resource(self.root))
        placed = {id(node) for node in _places(self.root)}  # checked with the root
        todo: list[tuple[Any, str]] = [(self.root, "$")]
        while todo:
            node, path = todo.pop()
            if id(node) in self.nodes:
                continue
            self.nodes[id(node)] = node
            out = self.edges.setdefault(id(node), [])
            for child, where, applied in _children(node, path):
                if applied:
                    out.append(child)
                todo.append((child, where))
            if not isinstance(node, dict):
                continue
            if "$id" in node and node is not self.root:
                raise _refused("$id is allowed only at the root", f"{path}.$id")
            if isinstance(name := node.get("format"), str) and name not in self.formats:
                raise _refused(
                    f"format {_quoted(name)} is not checked here; the formats checked are "
                    f"{', '.join(sorted(self.formats))}",
                    f"{path}.format",
                )
            for keyword in REFS:
                ref = node.get(keyword)
                if not isinstance(ref, str):
                    continue
                where = f"{path}{_key(keyword)}"
                if not ref.startswith("#"):
                    raise _refused(
                        f"{keyword} {_quoted(ref)} points outside the schema: only references "
                        "within it ('#/$defs/name', '#anchor') are allowed, nothing is fetched",
                        where,
                    )
                try:
                    target = resolver.lookup(ref).contents
                except Unresolvable:
                    raise _refused(f"{keyword} {_quoted(ref)} points nowhere", where) from None
                if not isinstance(target, dict | bool):
                    raise _refused(
                        f"{keyword} {_quoted(ref)} points to {_kind(target)}, not a schema",
                        where,
                    )
                if id(target) not in placed:
                    self.check_target(target, ref)
                    placed.update(id(n) for n in _places(target))
                out.append(target)
                todo.append((target, ref))

    def expanded(self, limit: int) -> int:
        """How many nodes the validator may visit from the root: each node once per path
        that reaches it (a $ref's target at each use), memoized; an edge back into the
        path being counted (a recursive schema: it consumes input at each turn) counts
        one. Stops once past ``limit``."""
        memo: dict[int, int] = {}
        on_path = {id(self.root)}
        stack: list[tuple[int, Iterator[Any], list[int]]] = [
            (id(self.root), iter(self.edges[id(self.root)]), [1])
        ]
        while stack:
            key, children, total = stack[-1]
            child = next(children, _END)
            if child is _END:
                stack.pop()
                on_path.discard(key)
                memo[key] = total[0]
                if stack:
                    stack[-1][2][0] += total[0]
            elif id(child) in memo:
                total[0] += memo[id(child)]
            elif id(child) in on_path:
                total[0] += 1
            else:
                on_path.add(id(child))
                stack.append((id(child), iter(self.edges[id(child)]), [1]))
            if total[0] > limit:  # an ancestor's total is at least this
                return total[0]
        return memo[id(self.root)]


_END = object()


def _places(root: Any) -> Iterator[Any]:
    todo = [root]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(child for child, _, _ in _children(node, ""))
