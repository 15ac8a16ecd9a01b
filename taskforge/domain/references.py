"""Payload references: a workflow job's payload may name the run's input and its parents'
outputs, ``{{ input.date }}`` or ``{{ parents.extract.output.rows }}``.

References are checked when the definition is saved (each names ``input`` or a direct
parent of its job) and resolved when the job becomes ready. A string that is exactly
one reference takes the referenced JSON value with its type; a reference inside a
longer string is replaced by its text (a string as it is, any other value as compact
JSON). A path is keys and list indexes, dotted (``rows.0.id``) or bracketed
(``rows[0]``, ``["a key"]``); whitespace inside the braces is optional.

A job that maps over a list (``map_over``) may also use ``{{ item }}`` (a path may
follow: ``{{ item.id }}``) and ``{{ index }}``: each of its children resolves them to its
own item and position (services/mapping).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from taskforge.domain.errors import InvalidInput

INPUT, PARENTS, OUTPUT = "input", "parents", "output"
ITEM, INDEX = "item", "index"  # a mapped job's item and its position
# a body never holds "}}": the first one closes it
_BRACES = re.compile(r"\{\{((?:(?!\}\}).)*)\}\}", re.S)
_ROOT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# one step: .key | [index] | ["key"] | ['key']
_STEP = re.compile(r"""\.([^.\[\]\s"']+)|\[\s*(\d+)\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*'([^']*)'\s*\]""")
SYNTAX = "expected input.PATH or parents.NAME.output.PATH"


def _shown(source: str) -> str:
    return f"{{{{ {source} }}}}" if source else "{{ }}"


Step = str | int


@dataclass(frozen=True)
class Reference:
    """One ``{{ ... }}``: ``parent`` None names the run's input, unless ``variable``
    names a mapped job's ``item`` or ``index``."""

    source: str  # the text between the braces, stripped
    parent: str | None
    path: tuple[Step, ...]
    variable: str | None = None


class Unresolved(Exception):
    """A reference that names nothing at run time; ``reason`` says what is missing."""

    def __init__(self, reference: Reference, reason: str) -> None:
        super().__init__(f"{reference.source}: {reason}")
        self.reference, self.reason = reference, reason


def parse(body: str) -> Reference:
    """The reference written between a pair of braces (ValueError: malformed)."""
    source = body.strip()
    root = _ROOT.match(source)
    if root is None:
        raise ValueError(f"malformed reference '{_shown(source)}' ({SYNTAX})")
    steps: list[Step] = []
    at = root.end()
    while at < len(source):
        step = _STEP.match(source, at)
        if step is None:
            raise ValueError(f"malformed reference '{_shown(source)}' ({SYNTAX})")
        key, index, double, single = step.groups()
        steps.append(
            int(index)
            if index is not None
            else next(s for s in (key, double, single) if s is not None)
        )
        at = step.end()
    if root.group() == INPUT:
        return Reference(source, None, tuple(steps))
    if root.group() in (ITEM, INDEX):
        return Reference(source, None, tuple(steps), root.group())
    if root.group() != PARENTS:
        raise ValueError(
            f"unknown root '{root.group()}' in reference '{_shown(source)}' ({SYNTAX})"
        )
    if len(steps) < 2 or not isinstance(steps[0], str) or steps[1] != OUTPUT:
        raise ValueError(f"malformed reference '{_shown(source)}' ({SYNTAX})")
    return Reference(source, steps[0], tuple(steps[2:]))


def _strings(value: Any) -> Iterator[str]:
    """Every string value of a JSON value (keys are never templates)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def references(payload: Any) -> list[Reference]:
    """The payload's references, in order (ValueError: one is malformed)."""
    return [parse(m.group(1)) for s in _strings(payload) if "{{" in s for m in _BRACES.finditer(s)]


def check(
    job: str, payload: Any, parents: Collection[str], field: str, mapped: bool = False
) -> bool:
    """Whether the job's payload has references; InvalidInput (at ``field``) for one that
    is malformed, names a job that is not a direct parent of ``job``, or (unless the job
    is ``mapped``) names ``item`` or ``index``."""
    try:
        found = references(payload)
    except ValueError as exc:
        raise InvalidInput(f"job '{job}': {exc}", field=field) from None
    for ref in found:
        if ref.variable is not None and not mapped:
            raise InvalidInput(
                f"job '{job}' references {{{{ {ref.source} }}}}, which only a job with"
                " map_over has",
                field=field,
                reference=ref.source,
            )
        check_parent(job, ref, parents, field)
    return bool(found)


def check_parent(job: str, ref: Reference, parents: Collection[str], field: str) -> None:
    """InvalidInput (at ``field``) if ``ref`` names a job that is not a direct parent."""
    if ref.parent is not None and ref.parent not in parents:
        named = f"parents.{ref.parent}"
        hint = difflib.get_close_matches(ref.parent, sorted(parents), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise InvalidInput(
            f"job '{job}' references {named} but has no parent named '{ref.parent}'{suggestion}",
            field=field,
            reference=ref.source,
        )


def walk(value: Any, reference: Reference, root: str) -> Any:
    """The value at the reference's path under ``value`` (Unresolved if it leads nowhere)."""
    where = root
    for step in reference.path:
        if isinstance(value, Mapping):
            key = str(step)
            if key not in value:
                raise Unresolved(reference, f"key '{key}' not found in {where}")
            value = value[key]
        elif isinstance(value, list):
            index = step if isinstance(step, int) else int(step) if step.isdigit() else None
            if index is None:
                raise Unresolved(reference, f"{where} is a list: '{step}' is not an index")
            if index >= len(value):
                raise Unresolved(
                    reference, f"index {index} is out of range in {where} ({len(value)} items)"
                )
            value = value[index]
        else:
            kind = "null" if value is None else type(value).__name__
            raise Unresolved(reference, f"{where} is {kind}, not an object or a list")
        where = f"{where}.{step}"
    return value


Lookup = Callable[[Reference], Any]


def resolve(template: Any, lookup: Lookup) -> Any:
    """The template with its references replaced by what ``lookup`` gives for each
    (Unresolved propagates). The template is left as it was."""
    if isinstance(template, str):
        if "{{" not in template:
            return template
        whole = _BRACES.fullmatch(template)
        if whole is not None:  # exactly one reference: the value, with its type
            return lookup(parse(whole.group(1)))
        return _BRACES.sub(lambda m: _text(lookup(parse(m.group(1)))), template)
    if isinstance(template, dict):
        return {key: resolve(value, lookup) for key, value in template.items()}
    if isinstance(template, list):
        return [resolve(value, lookup) for value in template]
    return template


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def lookup_in(
    run_input: Mapping[str, Any] | None,
    parents: Mapping[str, tuple[str, Mapping[str, Any] | None]],
) -> Lookup:
    """A lookup over the run's input and the parents' (status, output) by job name."""

    def lookup(reference: Reference) -> Any:
        if reference.parent is None:
            if reference.variable is not None:
                raise Unresolved(reference, f"'{reference.variable}' is a mapped job's alone")
            return walk(run_input or {}, reference, INPUT)
        parent = parents.get(reference.parent)
        if parent is None:
            raise Unresolved(reference, f"'{reference.parent}' is not a parent of this job")
        status, output = parent
        if output is None:
            raise Unresolved(reference, f"'{reference.parent}' has no output ({status})")
        return walk(output, reference, f"parents.{reference.parent}.output")

    return lookup


def with_item(lookup: Lookup, item: Any, index: int) -> Lookup:
    """``lookup`` for one mapped child: ``{{ item... }}`` and ``{{ index }}`` are its own."""

    def mapped(reference: Reference) -> Any:
        if reference.variable == ITEM:
            return walk(item, reference, ITEM)
        if reference.variable == INDEX:
            return walk(index, reference, INDEX)
        return lookup(reference)

    return mapped


def map_source(text: str) -> Reference:
    """The list a ``map_over`` names: a reference to the run's input or a parent's
    output, braces optional (ValueError: malformed, or ``item``/``index``)."""
    body = text.strip()
    whole = _BRACES.fullmatch(body)
    reference = parse(whole.group(1) if whole is not None else body)
    if reference.variable is not None:
        raise ValueError(f"'{reference.source}' is not a list of the run ({SYNTAX})")
    return reference
