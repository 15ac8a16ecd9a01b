"""Conditions on a parent job's output: a tiny, safe expression language.

Used by CONDITIONAL dependency edges, e.g. ``output.validation_status == "valid"``.
The source is parsed with ``ast.parse(mode="eval")`` and only a whitelist of nodes is
accepted; the tree is then turned into plain closures, so user text is never given
to ``eval``, ``exec`` or ``compile``.

Grammar:
- literals: strings, numbers (a leading ``-`` is part of the number), ``True``,
  ``False``, ``None`` and the JSON spellings ``true``, ``false``, ``null``;
- paths: ``output.a.b``, ``output["key"]``, ``output.items[0]`` (subscripts take an
  int or str literal only); a bare name is a key of the output, so
  ``validation_status`` means ``output.validation_status``; ``status`` is the
  parent's final status (``"SUCCEEDED"``...);
- comparisons ``== != < <= > >= in not in`` (chains allowed), with a list or tuple
  of literals allowed on the right of ``in``; ``and``, ``or``, ``not``, parentheses.

Flow-control keys (concurrency, rate limits, debounce) use the same language over a job's
payload: the root is ``payload`` (``payload.customer_id``, or bare ``customer_id``), there
is no ``status``, and the expression's value is the key (``key_value``), not a truth.

Evaluation never raises: a missing key or index is None, and a comparison whose
operands cannot be compared (``None < 3``) is False.
"""

from __future__ import annotations

import ast
import operator
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from taskforge.domain.errors import InvalidInput

MAX_LENGTH = 1000
MAX_NODES = 200  # counted over expression nodes (operators and contexts not included)

Output = Mapping[str, Any] | None
Evaluator = Callable[[Output, str | None], Any]

_LITERAL_NAMES: dict[str, Any] = {"true": True, "false": False, "null": None}
_LITERAL_TYPES = (str, int, float, bool, type(None))  # bytes, complex, ... rejected

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Expression:
    """A validated expression; building one compiles it (or raises InvalidInput)."""

    source: str
    root: str = "output"  # or "payload": a flow-control key over a job's payload
    _run: Evaluator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_run", _Compiler(self.source, self.root).compile())

    def evaluate(self, output: Mapping[str, Any] | None, status: str | None = None) -> bool:
        return bool(self._run(output, None if status is None else str(status)))

    def value(self, data: Mapping[str, Any] | None) -> Any:
        """The expression's value over ``data`` (a payload, for a ``payload`` root)."""
        return self._run(data, None)


def compile_expression(source: str) -> Expression:
    return Expression(source)


def compile_key(source: str, field: str = "key") -> Expression:
    """A key expression over a job's payload; its errors name ``field``."""
    try:
        return Expression(source, root="payload")
    except InvalidInput as exc:
        raise InvalidInput(str(exc), field=field) from None


def _step(value: Any, key: str | int) -> Any:
    """One path step; anything that does not lead somewhere is None."""
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(key, int) and isinstance(value, Sequence):
        # strings are sequences too, but a path walks JSON structure, not characters
        if isinstance(value, str | bytes | bytearray) or not -len(value) <= key < len(value):
            return None
        return value[key]
    return None


def _const(value: Any) -> Evaluator:
    return lambda output, status: value


class _Compiler:
    def __init__(self, source: str, root: str = "output") -> None:
        self.source = source
        self.root = root

    def fail(self, message: str, node: ast.AST | None = None) -> InvalidInput:
        if node is not None:
            message = f"{message} at {self.where(node)}"
        return InvalidInput(message, field="expression")

    def where(self, node: ast.AST) -> str:
        # col_offset counts UTF-8 bytes from 0; users count characters from 1
        lineno, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        lines = re.split(r"\r\n|\r|\n", self.source)
        line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
        column = len(line.encode()[:col].decode("utf-8", errors="ignore")) + 1
        return f"column {column}" if lineno == 1 else f"line {lineno}, column {column}"

    def compile(self) -> Evaluator:
        if not isinstance(self.source, str):
            raise self.fail("expression must be a string")
        if not self.source.strip():
            raise self.fail("expression is empty")
        if len(self.source) > MAX_LENGTH:
            raise self.fail(f"expression too long (at most {MAX_LENGTH} characters)")
        tree = self.parse()
        # ast.walk is iterative, so counting first bounds the recursion that follows
        if sum(isinstance(n, ast.expr) for n in ast.walk(tree)) > MAX_NODES:
            raise self.fail(f"expression too complex (at most {MAX_NODES} nodes)")
        return self.node(tree.body)

    def parse(self) -> ast.Expression:
        # The parser warns on things like invalid escapes; what it does with a warning
        # depends on the process's filters (under -W error it raises), so record them
        # and reject, which behaves the same everywhere and keeps user text out of logs.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                tree = ast.parse(self.source, mode="eval")
            except SyntaxError as exc:
                where = f" at column {exc.offset}" if exc.offset else ""
                if exc.lineno and exc.lineno > 1:
                    where = f" at line {exc.lineno}" + where.replace(" at", ",")
                raise self.fail(f"invalid syntax: {exc.msg}{where}") from None
            except (ValueError, RecursionError, MemoryError) as exc:
                raise self.fail(f"invalid syntax: {exc}") from None
        if caught:
            raise self.fail(f"invalid syntax: {caught[0].message}")
        return tree

    def node(self, node: ast.expr) -> Evaluator:
        if isinstance(node, ast.BoolOp):
            return self.bool_op(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.node(node.operand)
            return lambda output, status: not inner(output, status)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.List | ast.Tuple):
            raise self.fail("a list is only allowed on the right of 'in'", node)
        if isinstance(node, ast.Constant | ast.UnaryOp):
            return _const(self.literal(node))
        if isinstance(node, ast.Name) and node.id in _LITERAL_NAMES:
            return _const(_LITERAL_NAMES[node.id])
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            return self.path(node)
        raise self.fail(f"unsupported syntax '{type(node).__name__}'", node)

    def bool_op(self, node: ast.BoolOp) -> Evaluator:
        parts = [self.node(value) for value in node.values]
        stop_on_true = isinstance(node.op, ast.Or)

        def run(output: Output, status: str | None) -> Any:
            # Python semantics: the first deciding operand, else the last one
            value: Any = None
            for part in parts:
                value = part(output, status)
                if bool(value) is stop_on_true:
                    return value
            return value

        return run

    def compare(self, node: ast.Compare) -> Evaluator:
        left = self.node(node.left)
        steps: list[tuple[Callable[[Any, Any], Any], Evaluator]] = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                raise self.fail("'is' is not supported, use '==' or '!='", right)
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.List | ast.Tuple):
                steps.append((_COMPARE[type(op)], _const(self.literal_list(right))))
            else:
                steps.append((_COMPARE[type(op)], self.node(right)))

        def run(output: Output, status: str | None) -> bool:
            a = left(output, status)
            for compare, right in steps:
                b = right(output, status)
                try:
                    if not compare(a, b):
                        return False
                # None < 3 or 'x' in 3 are not true rather than errors; a pathologically
                # deep output compared as a whole is treated the same way
                except (TypeError, RecursionError):
                    return False
                a = b
            return True

        return run

    def literal(self, node: ast.expr) -> Any:
        if isinstance(node, ast.UnaryOp):
            # a signed number is a literal; any other arithmetic is not supported
            value = node.operand.value if isinstance(node.operand, ast.Constant) else None
            signed = isinstance(node.op, ast.USub | ast.UAdd)
            if signed and isinstance(value, int | float) and not isinstance(value, bool):
                return -value if isinstance(node.op, ast.USub) else value
            raise self.fail("unsupported syntax 'UnaryOp' (no arithmetic)", node)
        if isinstance(node, ast.Constant) and type(node.value) in _LITERAL_TYPES:
            return node.value
        if isinstance(node, ast.Name) and node.id in _LITERAL_NAMES:
            return _LITERAL_NAMES[node.id]
        if isinstance(node, ast.Constant):
            raise self.fail(f"unsupported literal of type {type(node.value).__name__}", node)
        raise self.fail(f"expected a literal, not '{type(node).__name__}'", node)

    def literal_list(self, node: ast.List | ast.Tuple) -> tuple[Any, ...]:
        for element in node.elts:
            named = isinstance(element, ast.Name) and element.id in _LITERAL_NAMES
            if not (named or isinstance(element, ast.Constant | ast.UnaryOp)):
                raise self.fail("a list after 'in' may hold only literals", element)
        return tuple(self.literal(element) for element in node.elts)

    def path(self, node: ast.expr) -> Evaluator:
        """``output``, ``status``, a bare key, or a chain of ``.key`` / ``[literal]``."""
        if isinstance(node, ast.Name):
            name = node.id
            self.check_key(name, node)
            if name == self.root:
                return lambda output, status: output
            if name == "status" and self.root == "output":
                return lambda output, status: status
            return lambda output, status: _step(output, name)
        key: str | int
        if isinstance(node, ast.Attribute):
            base, key = node.value, node.attr
            self.check_key(key, node)
        elif isinstance(node, ast.Subscript):
            base, key = node.value, self.subscript(node.slice)
        else:
            raise self.fail("field access is only allowed on output paths", node)
        if not isinstance(base, ast.Name | ast.Attribute | ast.Subscript) or (
            isinstance(base, ast.Name) and base.id in _LITERAL_NAMES
        ):
            raise self.fail("field access is only allowed on output paths", node)
        if isinstance(base, ast.Name) and base.id == "status" and self.root == "output":
            raise self.fail("'status' is a string and has no fields", node)
        parent = self.path(base)
        return lambda output, status: _step(parent(output, status), key)

    def subscript(self, node: ast.expr) -> str | int:
        # string keys are data, not identifiers: output["_id"] is allowed
        if isinstance(node, ast.Constant | ast.UnaryOp):
            key = self.literal(node)
            if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
                return key
        raise self.fail("a subscript must be an int or string literal", node)

    def check_key(self, key: str, node: ast.AST) -> None:
        # nothing here reaches Python attributes, but _names and dunders are refused on
        # principle (output["_id"] still reaches such a key)
        if key.startswith("_"):
            raise self.fail(f"names starting with '_' are not allowed ('{key}')", node)
