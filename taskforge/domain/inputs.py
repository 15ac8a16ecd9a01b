"""The rules every value from outside obeys, whatever field it is for.

Both databases must store and refuse exactly the same values, so anything one of them
cannot keep is refused here, as BAD_USER_INPUT naming the field and the rule:

- text: no NUL (U+0000; PostgreSQL cannot store it in text or JSON), no lone
  surrogates (U+D800-U+DFFF are not Unicode scalar values and cannot be encoded as
  UTF-8), at most ``MAX_TEXT`` characters unless a field has a tighter limit;
- JSON: objects and arrays nested at most ``MAX_JSON_DEPTH`` levels, string keys,
  strings as above, numbers finite and within JavaScript's safe integer range (beyond
  it browsers cannot hold integers exactly, and PostgreSQL returns a float such as
  1e300 as a 301-digit integer), nothing but dicts, lists, strings, numbers, booleans
  and null;
- timestamps: with a UTC offset, from ``EARLIEST`` up to (not including) ``LATEST``,
  so that adding a retry delay or a lease to one can never overflow.

Everything is pure; each check is one walk, without serialising anything.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from taskforge.domain.errors import InvalidInput

MAX_TEXT = 1 << 20  # characters of any text without a tighter limit of its own
MAX_JSON_DEPTH = 64  # nested objects and arrays: {"a": [1]} is 2 deep
MAX_SAFE_INTEGER = 2**53 - 1  # Number.MAX_SAFE_INTEGER
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # leaves a year for arithmetic before datetime.max

NUL = "contains a NUL character (U+0000), which cannot be stored"
SURROGATE = "contains a lone surrogate (U+D800-U+DFFF), which is not valid Unicode"
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}", re.ASCII)


class Refused(Exception):
    """A rule a value broke. ``path`` locates it inside a JSON value and ``outer``
    inside the arguments of a call; both are filled in while a walk unwinds."""

    def __init__(self, rule: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.rule, self.message, self.details = rule, message, details
        self.path: list[str] = []
        self.outer: list[str] = []

    def error(self, field: str) -> InvalidInput:
        where = field + "".join(reversed(self.path))
        return InvalidInput(f"{where} {self.message}", field=field, rule=self.rule, **self.details)


def _unicode(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate): cheap for ASCII."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def text_problem(value: str, max_chars: int = MAX_TEXT) -> Refused | None:
    """What is wrong with a string for storage on either database, or None."""
    if len(value) > max_chars:
        return Refused("length", f"is longer than {max_chars} characters")
    if "\x00" in value:
        return Refused("nul", NUL)
    if not _unicode(value):
        return Refused("surrogate", SURROGATE)
    return None


def check_text(value: str, field: str, max_chars: int = MAX_TEXT) -> str:
    """``value`` if it can be stored as text of at most ``max_chars`` characters."""
    problem = text_problem(value, max_chars)
    if problem is not None:
        raise problem.error(field)
    return value


def _key(key: str) -> str:
    return f".{key}" if _SIMPLE_KEY.fullmatch(key) else f"[{json.dumps(key[:40])}]"


def _unsafe(number: int | float) -> Refused:
    return Refused(
        "integer" if type(number) is int else "number",
        f"has the number {number!s:.40}, outside ±{MAX_SAFE_INTEGER} (JavaScript's safe "
        "integers); send larger numbers as strings",
    )


def _walk(value: Any, depth: int, budget: int) -> int:
    """Check ``value`` (see ``walk_json``); returns its size: characters of its strings
    and keys plus one per node, a lower bound of its encoded size. Raises ``Refused``
    as soon as the size passes ``budget``, before walking the rest, so that YAML alias
    bombs, whose shared nodes count each time they are reached, stop early."""
    kind = type(value)
    if kind is str:
        if "\x00" in value or not _unicode(value):
            raise text_problem(value, len(value)) or Refused("text", "is not valid text")
        return len(value) + 1
    if kind is dict or kind is list:
        if depth >= MAX_JSON_DEPTH:
            raise Refused("depth", f"is nested deeper than {MAX_JSON_DEPTH} levels")
        used = 1
        if kind is list:
            for i, item in enumerate(value):
                try:
                    used += _walk(item, depth + 1, budget - used)
                except Refused as exc:
                    exc.path.append(f"[{i}]")
                    raise
        else:
            for key, item in value.items():
                try:
                    if type(key) is not str:
                        raise Refused("key", f"has a key that is not a string: {key!r:.40}")
                    if "\x00" in key or not _unicode(key):
                        problem = text_problem(key, len(key))
                        assert problem is not None
                        raise Refused(problem.rule, f"has a key that {problem.message}")
                    used += len(key) + _walk(item, depth + 1, budget - used)
                except Refused as exc:
                    exc.path.append(_key(key) if type(key) is str else f"[{key!r:.40}]")
                    raise
        if used > budget:
            raise Refused("size", "")
        return used
    if kind is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _unsafe(value)
    elif kind is float:
        if not math.isfinite(value):
            raise Refused("number", f"has a number that is not finite ({value})")
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _unsafe(value)
    elif value is not None and kind is not bool:
        raise Refused("json", f"has a value that is not JSON ({kind.__name__})")
    return 1


def walk_json(value: Any, budget: int = 1 << 62) -> None:
    """Raise ``Refused`` if ``value`` is not JSON that both databases store and return
    unchanged (the rules above). ``budget``: refuse a value whose size (see ``_walk``)
    is larger; callers that limit the encoded size pass that limit."""
    try:
        _walk(value, 0, budget)
    except Refused as exc:
        if exc.rule == "size":
            raise Refused("size", f"is over the limit of {budget} bytes", limit=budget) from None
        raise


def check_json(value: Any, field: str, budget: int = 1 << 62) -> Any:
    """``value`` if ``walk_json`` accepts it, else InvalidInput naming ``field``."""
    try:
        walk_json(value, budget)
    except Refused as exc:
        raise exc.error(field) from None
    return value


def timestamp_problem(value: datetime) -> Refused | None:
    if value.tzinfo is None or value.utcoffset() is None:
        return Refused("timezone", "needs a UTC offset, e.g. 2030-01-01T09:00:00Z")
    if not EARLIEST <= value < LATEST:
        return Refused("range", f"must be from {EARLIEST:%Y-%m-%d} up to {LATEST:%Y-%m-%d} (UTC)")
    return None


def check_timestamp(value: datetime, field: str) -> datetime:
    """``value`` in UTC if it has an offset and lies in [EARLIEST, LATEST)."""
    problem = timestamp_problem(value)
    if problem is not None:
        raise problem.error(field)
    return value.astimezone(UTC)
