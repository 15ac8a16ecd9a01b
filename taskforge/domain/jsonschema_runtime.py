"""The validator that applies an ``input_schema``, with bounded work: it runs on the event
loop, inside the transaction that creates or starts a run.

- ``pattern``, ``patternProperties`` (and the keywords that read them,
  ``additionalProperties`` and ``unevaluatedProperties``) and ``format: regex`` use RE2,
  whose matching is linear in the text: no pattern backtracks catastrophically.
- ``uniqueItems`` compares items by a hash of their canonical JSON: linear, not pairwise.
- every keyword the validator applies spends from a budget of work (``MAX_WORK``: a unit
  per keyword, more for one that resolves a reference or walks an array or object): a
  schema whose references fan out at each level of a deep input, or many alternatives
  tried on each item of a long array, stop there, as BAD_USER_INPUT.
- validators are built once per schema (an LRU of ``CACHE_SIZE``, by the hash of the
  schema's JSON) and patterns compiled once (an LRU too).

The jsonschema and re2 modules are imported when a schema is first applied.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import orjson

from taskforge.domain import jsonschema_formats

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.protocols import Validator

MAX_WORK = 600_000  # under a second for the costliest keywords; a 256 KiB input of plain items fits
CACHE_SIZE = 128  # validators kept, by schema
PATTERNS = 512  # compiled patterns kept
RE2_MEMORY = 1 << 20  # bytes of RE2 program and DFA cache per pattern (its default: 8 MiB)

Keyword = Callable[[Any, Any, Any, Any], Iterator[Any] | None]


class TooCostly(Exception):
    """Applying the schema to this input takes more than ``MAX_WORK``."""


class BadPattern(ValueError):
    """A pattern RE2 cannot compile (lookaround, backreference, too large)."""


_work: ContextVar[list[int] | None] = ContextVar("jsonschema_work", default=None)


@contextmanager
def budget(units: int = MAX_WORK) -> Iterator[None]:
    """Keywords applied within spend from ``units``; TooCostly once they are spent."""
    token = _work.set([units])
    try:
        yield
    finally:
        _work.reset(token)


def _spend(units: int) -> None:
    left = _work.get()
    if left is not None:
        left[0] -= units
        if left[0] < 0:
            raise TooCostly(f"checking it takes more than {MAX_WORK:,} steps")


def _width(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 0


# what a keyword costs, calibrated by time: a unit, and two for each subschema it
# applies (a descent makes a validator and a scope), ten for a reference to resolve, one
# per item it compares or key it matches; and four for each error it passes on
_APPLY_ITEMS = frozenset(
    {"items", "prefixItems", "contains", "unevaluatedItems", "additionalProperties"}
    | {"unevaluatedProperties", "propertyNames"}
)
_APPLY_LISTED = frozenset(
    {"allOf", "anyOf", "oneOf", "properties", "dependentSchemas", "not", "if", "then"} | {"else"}
)
_COMPARE = frozenset({"required", "enum", "dependentRequired"})


def _cost(name: str) -> Callable[[Any, Any], int]:
    if name in ("$ref", "$dynamicRef"):
        return lambda value, instance: 10
    if name in _APPLY_ITEMS:
        return lambda value, instance: 1 + 2 * _width(instance)
    if name in _APPLY_LISTED:
        return lambda value, instance: 1 + 2 * max(1, _width(value))
    if name == "patternProperties":
        return lambda value, instance: 1 + _width(value) * (1 + 2 * _width(instance))
    if name in _COMPARE or name == "uniqueItems":
        return lambda value, instance: 1 + _width(value) + _width(instance)
    return lambda value, instance: 1


def _counted(name: str, keyword: Keyword) -> Keyword:
    cost = _cost(name)

    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        _spend(cost(value, instance))
        errors = keyword(validator, value, instance, schema)
        for error in errors or ():
            _spend(4)  # made, then dressed by each keyword it passes on the way out
            yield error

    return run


# --- RE2 ------------------------------------------------------------------------------


def compile_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (BadPattern if it cannot be)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # else each refused pattern is a line on stderr
    options.max_mem = RE2_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise BadPattern(text[:200]) from None


_pattern = functools.lru_cache(maxsize=PATTERNS)(compile_pattern)


def is_regex(value: object) -> bool:
    """``format: regex``: whether RE2 compiles it (never cached: any input's string)."""
    if not isinstance(value, str):
        return True
    compile_pattern(value)  # BadPattern: the format checker's "not a 'regex'"
    return True


def _keywords() -> dict[str, Keyword]:
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not _pattern(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    def pattern_properties(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        for patrn, subschema in value.items():
            compiled = _pattern(patrn)
            for key, item in instance.items():
                if compiled.search(key):
                    yield from validator.descend(item, subschema, path=key, schema_path=patrn)

    def additional_properties(
        validator: Any, value: Any, instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        extras = _additional(instance, schema)
        if validator.is_type(value, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], value, path=extra)
        elif not value and extras:
            joined = ", ".join(repr(each) for each in sorted(extras))
            if "patternProperties" in schema:
                verb = "does" if len(extras) == 1 else "do"
                patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
                yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
            else:
                verb = "was" if len(extras) == 1 else "were"
                yield ValidationError(
                    f"Additional properties are not allowed ({joined} {verb} unexpected)"
                )

    def unevaluated_properties(
        validator: Any, value: Any, instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        evaluated = _evaluated_keys(validator, instance, schema)
        bad = [
            key
            for key in instance
            if key not in evaluated
            and next(validator.descend(instance[key], value, path=key), None) is not None
        ]
        if bad:
            joined = ", ".join(repr(each) for each in sorted(bad))
            verb = "was" if len(bad) == 1 else "were"
            if value is False:
                yield ValidationError(
                    f"Unevaluated properties are not allowed ({joined} {verb} unexpected)"
                )
            else:
                yield ValidationError(
                    "Unevaluated properties are not valid under the given schema "
                    f"({joined} {verb} unevaluated and invalid)"
                )

    def unique_items(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if value and validator.is_type(instance, "array") and not _unique(instance):
            yield ValidationError(f"{instance!r} has non-unique elements")

    return {
        "pattern": pattern,
        "patternProperties": pattern_properties,
        "additionalProperties": additional_properties,
        "unevaluatedProperties": unevaluated_properties,
        "uniqueItems": unique_items,
    }


def _additional(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The instance's keys neither ``properties`` nor ``patternProperties`` name."""
    properties = schema.get("properties", {})
    patterns = [_pattern(p) for p in schema.get("patternProperties", {})]
    return [
        key
        for key in instance
        if key not in properties and not any(p.search(key) for p in patterns)
    ]


def _evaluated_keys(validator: Any, instance: Mapping[str, Any], schema: Any) -> set[str]:
    """The keys of ``instance`` that ``schema`` evaluates, for unevaluatedProperties (as
    jsonschema's own, with RE2 and a set)."""
    if validator.is_type(schema, "boolean"):
        return set()
    _spend(1 + len(instance))
    keys: set[str] = set()
    for keyword in ("$ref", "$dynamicRef"):
        if (ref := schema.get(keyword)) is not None:
            resolved = validator._resolver.lookup(ref)
            inner = validator.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            keys |= _evaluated_keys(inner, instance, resolved.contents)
    if validator.is_type(properties := schema.get("properties"), "object"):
        keys |= properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if (subschema := schema.get(keyword)) is not None:
            keys |= {
                key
                for key, item in instance.items()
                if next(validator.descend(item, subschema), None) is None
            }
    if "patternProperties" in schema:
        patterns = [_pattern(p) for p in schema["patternProperties"]]
        keys |= {key for key in instance if any(p.search(key) for p in patterns)}
    for key, subschema in schema.get("dependentSchemas", {}).items():
        if key in instance:
            keys |= _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if next(validator.descend(instance, subschema), None) is None:
                keys |= _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys |= _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys |= _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys |= _evaluated_keys(validator, instance, schema["else"])
    return keys


def _canonical(value: Any) -> Any:
    """``value`` with integral floats as ints: JSON Schema equality (1 == 1.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    return value


def _unique(items: list[Any]) -> bool:
    """Whether no two items are equal as JSON (object keys in any order; true is not 1)."""
    _spend(len(items))
    seen: set[bytes] = set()
    for item in items:
        key = orjson.dumps(_canonical(item), option=orjson.OPT_SORT_KEYS)
        if key in seen:
            return False
        seen.add(key)
    return True


# --- the validator ----------------------------------------------------------------------


@functools.cache
def format_checker() -> FormatChecker:
    """The formats asserted on inputs: those of domain/jsonschema_formats, whatever
    optional packages jsonschema would use, and ``regex`` by RE2."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in jsonschema_formats.CHECKS.items():
        checker.checks(name)(_on_strings(check))
    checker.checks("regex", raises=BadPattern)(is_regex)
    return checker


def _on_strings(check: Callable[[str], bool]) -> Callable[[object], bool]:
    """A format applies to strings; any other value passes it."""
    return lambda value: not isinstance(value, str) or check(value)


@functools.cache
def meta_format_checker() -> FormatChecker:
    """The formats asserted on a schema against the meta-schema: only ``regex`` (its
    patterns), by RE2, so a pattern RE2 cannot run is refused when saved."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("regex", raises=BadPattern)(is_regex)
    return checker


@functools.cache
def _validator_class() -> type[Validator]:
    from jsonschema import Draft202012Validator, validators

    keywords = {**Draft202012Validator.VALIDATORS, **_keywords()}
    counted = {name: _counted(name, keyword) for name, keyword in keywords.items()}
    extended: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, counted, format_checker=format_checker()
    )
    return extended


_validators: OrderedDict[bytes, Validator] = OrderedDict()


def validator_for(schema: Mapping[str, Any]) -> Validator:
    """The validator of ``schema``: built once (on a copy: the caller's may change),
    then taken from the LRU by the hash of the schema's JSON."""
    from referencing import Registry

    encoded = orjson.dumps(schema)
    key = hashlib.blake2b(encoded, digest_size=16).digest()
    found = _validators.get(key)
    if found is not None:
        _validators.move_to_end(key)
        return found
    # an empty registry retrieves nothing: jsonschema's default one fetches a remote or
    # file:// $ref (a schema stored before the save checks may hold one)
    validator = _validator_class()(
        orjson.loads(encoded), format_checker=format_checker(), registry=Registry()
    )
    _validators[key] = validator
    while len(_validators) > CACHE_SIZE:
        _validators.popitem(last=False)
    return validator
