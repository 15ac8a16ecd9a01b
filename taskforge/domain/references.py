"""Payload references: a workflow job's payload may name the run's input and its parents'
outputs, ``{{ input.date }}`` or ``{{ parents.extract.output.rows }}``.

A ``{{ ... }}`` is a reference when its first word is a root the job may use (``ROOTS``,
or more a caller allows, such as a mapped job's item); any other is literal text, left
as it is (``Hi {{ user.name }}``), except a first word within two edits of a root
(``imput``, ``parent``), refused as a likely typo.

References are checked when the definition is saved (each names ``input`` or a direct
parent of its job) and resolved when the job becomes ready. A string that is exactly
one reference takes the referenced JSON value with its type; a reference inside a
longer string is replaced by its text (a string as it is, any other value as compact
JSON). A path is keys and list indexes, dotted (``rows.0.id``) or bracketed
(``rows[0]``, ``["a key"]``); whitespace inside the braces is optional.

A job that maps over a list (``map_over``) may also use ``{{ item }}`` (a path may
follow: ``{{ item.id }}``) and ``{{ index }}``: each of its children resolves them to its
own item and position (services/mapping). Any other job is refused them.
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
ROOTS: frozenset[str] = frozenset({INPUT, PARENTS})  # what any workflow job may name
ITEM, INDEX = "item", "index"  # a mapped job's item and its position
MAPPED_ROOTS: frozenset[str] = ROOTS | {ITEM, INDEX}
TYPO = 2  # a first word this many edits from a root, or fewer, is refused
_ROOT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# one step: .key | [index] | ["key"] | ['key']
_STEP = re.compile(r"""\.([^.\[\]\s"']+)|\[\s*(\d+)\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*'([^']*)'\s*\]""")


def _syntax(roots: Collection[str]) -> str:
    forms = ["input.PATH", "parents.NAME.output.PATH"]
    forms += [f"{root}.PATH" for root in sorted(set(roots) - ROOTS)]
    return f"expected {', '.join(forms[:-1])} or {forms[-1]}"


def _shown(source: str) -> str:
    return f"{{{{ {source} }}}}" if source else "{{ }}"


Step = str | int


@dataclass(frozen=True)
class Reference:
    """One ``{{ ... }}``: ``parent`` names a parent (root ``parents``); None, the run's
    input or another root the caller allowed (``root``)."""

    source: str  # the text between the braces, stripped
    parent: str | None
    path: tuple[Step, ...]
    root: str = ""  # default: parents if ``parent`` is given, else input

    def __post_init__(self) -> None:
        if not self.root:
            object.__setattr__(self, "root", INPUT if self.parent is None else PARENTS)

    @property
    def variable(self) -> str | None:
        """A mapped job's ``item`` or ``index``, if that is what it names."""
        return self.root if self.root in (ITEM, INDEX) else None


class Unresolved(Exception):
    """A reference that names nothing at run time; ``reason`` says what is missing."""

    def __init__(self, reference: Reference, reason: str) -> None:
        super().__init__(f"{reference.source}: {reason}")
        self.reference, self.reason = reference, reason


def edits(a: str, b: str, most: int = TYPO) -> int:
    """The edit (Levenshtein) distance of two words, or ``most + 1`` if over ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return min(row[-1], most + 1)


def parse(body: str, roots: Collection[str] = ROOTS) -> Reference | None:
    """The reference written between a pair of braces; None if it is literal text (its
    first word is not one of ``roots``). ValueError: malformed, or a likely typo."""
    source = body.strip()
    root = _ROOT.match(source)
    if root is None:
        return None
    if root.group() not in roots:
        word = root.group()
        near = min(roots, key=lambda r: (edits(word.lower(), r), r))
        if edits(word.lower(), near) > TYPO:
            return None
        raise ValueError(
            f"unknown root '{word}' in reference '{_shown(source)}'; did you mean '{near}'? "
            f"(text whose first word is not {_or(roots)} is left as it is)"
        )
    steps: list[Step] = []
    at = root.end()
    while at < len(source):
        step = _STEP.match(source, at)
        if step is None:
            raise _malformed(source, roots)
        key, index, double, single = step.groups()
        steps.append(
            int(index)
            if index is not None
            else next(s for s in (key, double, single) if s is not None)
        )
        at = step.end()
    if root.group() != PARENTS:
        return Reference(source, None, tuple(steps), root.group())
    if len(steps) < 2 or not isinstance(steps[0], str) or steps[1] != OUTPUT:
        raise _malformed(source, roots)
    return Reference(source, steps[0], tuple(steps[2:]))


def _malformed(source: str, roots: Collection[str]) -> ValueError:
    return ValueError(f"malformed reference '{_shown(source)}' ({_syntax(roots)})")


def _or(words: Collection[str]) -> str:
    quoted = [f"'{w}'" for w in sorted(words)]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Each ``{{ ... }}`` of ``text``: (start, end, the text between the braces). A body
    never holds "}}": the first one after an opening closes it. Linear: each search
    starts where the last one ended, and none is made once no "}}" is left."""
    at = 0
    while (start := text.find("{{", at)) >= 0:
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2, text[start + 2 : end]
        at = end + 2


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


def references(payload: Any, roots: Collection[str] = ROOTS) -> list[Reference]:
    """The payload's references, in order, literal text left out (ValueError: one is
    malformed or a likely typo of a root)."""
    found = (parse(body, roots) for s in _strings(payload) if "{{" in s for *_, body in _spans(s))
    return [ref for ref in found if ref is not None]


def check(
    job: str,
    payload: Any,
    parents: Collection[str],
    field: str,
    roots: Collection[str] = ROOTS,
    parallel: Collection[str] = (),
    mapped: bool = False,
) -> bool:
    """Whether the job's payload has references (whose first words are ``roots``, and
    ``item`` / ``index``); InvalidInput (at ``field``) for one that is malformed, a likely
    typo of a root, names ``item`` or ``index`` in a job that is not ``mapped``, or names a
    job that is not a direct parent of ``job``, or one of its ``parallel`` parents (a
    PARALLEL edge releases the job once the parent starts: no output yet)."""
    try:
        found = references(payload, set(roots) | {ITEM, INDEX})
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
        if ref.parent in parallel:
            raise InvalidInput(
                f"job '{job}' references parents.{ref.parent}, but its dependency on "
                f"'{ref.parent}' is PARALLEL: '{job}' starts once '{ref.parent}' starts, "
                "before it has an output (depend on it SEQUENTIAL to read its output)",
                field=field,
                reference=ref.source,
            )
        check_parent(job, ref, parents, field)
    return bool(found)


def check_parent(job: str, ref: Reference, parents: Collection[str], field: str) -> None:
    """InvalidInput (at ``field``) if ``ref`` names a job that is not a direct parent."""
    if ref.parent is None or ref.parent in parents:
        return
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


def resolve(template: Any, lookup: Lookup, roots: Collection[str] = ROOTS) -> Any:
    """The template with its references replaced by what ``lookup`` gives for each
    (Unresolved propagates), literal text as it is. The template is left as it was."""
    if isinstance(template, str):
        if "{{" not in template:
            return template
        found = [(start, end, parse(body, roots)) for start, end, body in _spans(template)]
        spans = [(start, end, ref) for start, end, ref in found if ref is not None]
        if len(spans) == 1 and spans[0][:2] == (0, len(template)):
            return lookup(spans[0][2])  # exactly one reference: the value, with its type
        parts: list[str] = []
        at = 0
        for start, end, ref in spans:
            parts += (template[at:start], _text(lookup(ref)))
            at = end
        parts.append(template[at:])
        return "".join(parts)
    if isinstance(template, dict):
        return {key: resolve(value, lookup, roots) for key, value in template.items()}
    if isinstance(template, list):
        return [resolve(value, lookup, roots) for value in template]
    return template


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def lookup_in(
    run_input: Mapping[str, Any] | None,
    parents: Mapping[str, tuple[str, Mapping[str, Any] | None]],
    values: Mapping[str, Any] | None = None,
) -> Lookup:
    """A lookup over the run's input, the parents' (status, output) by job name and the
    ``values`` of other roots the caller allowed (by root)."""

    def lookup(reference: Reference) -> Any:
        if reference.root == INPUT:
            return walk(run_input or {}, reference, INPUT)
        if reference.root != PARENTS:
            if values is None or reference.root not in values:
                raise Unresolved(reference, f"'{reference.root}' has no value here")
            return walk(values[reference.root], reference, reference.root)
        parent = parents.get(reference.parent or "")
        if parent is None:
            raise Unresolved(reference, f"'{reference.parent}' is not a parent of this job")
        status, output = parent
        if output is None:
            raise Unresolved(reference, f"'{reference.parent}' has no output ({status})")
        return walk(output, reference, f"parents.{reference.parent}.output")

    return lookup


def with_item(lookup: Lookup, item: Any, index: int) -> Lookup:
    """``lookup`` for one mapped child: ``{{ item... }}`` and ``{{ index }}`` are its own
    (resolve the template with ``MAPPED_ROOTS``)."""

    def mapped(reference: Reference) -> Any:
        if reference.root == ITEM:
            return walk(item, reference, ITEM)
        if reference.root == INDEX:
            return walk(index, reference, INDEX)
        return lookup(reference)

    return mapped


def map_source(text: str) -> Reference:
    """The list a ``map_over`` names: a reference to the run's input or a parent's
    output, braces optional (ValueError: malformed, or not such a reference)."""
    body = text.strip()
    if body.startswith("{{") and body.endswith("}}") and "}}" not in body[2:-2]:
        body = body[2:-2]
    reference = parse(body, MAPPED_ROOTS)
    if reference is None:  # no literal text here: any first word but a root is wrong
        word = _ROOT.match(body.strip())
        named = f"unknown root '{word.group()}'" if word else "no root"
        raise ValueError(f"{named} in '{body.strip()}' ({_syntax(ROOTS)})")
    if reference.variable is not None:
        raise ValueError(f"'{body.strip()}' is not a list of the run ({_syntax(ROOTS)})")
    return reference
