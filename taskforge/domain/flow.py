"""Flow control rules: concurrency keys, rate limits and debounce, validated.

Each rule groups jobs by a key, an expression over the job's payload in the language of
dependency conditions (domain.expressions, root ``payload``); a rule without a key puts
all its jobs in one group. A key's value is compared as text: a string is itself, any
other value its JSON (``null`` for a missing path, so all such jobs share one group).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from taskforge.domain.errors import InvalidInput
from taskforge.domain.expressions import Expression, compile_key

MAX_KEY_VALUE = 255  # characters of a key's value: longer ones are cut (still grouped)
MAX_PERIOD_SECONDS = 7 * 86_400
MAX_LIMIT = 1_000_000


class ConcurrencyStrategy(StrEnum):
    QUEUE = "QUEUE"  # the rest wait, in order
    CANCEL_NEWEST = "CANCEL_NEWEST"  # a new job of a full key is cancelled at once
    CANCEL_IN_PROGRESS = "CANCEL_IN_PROGRESS"  # a new job replaces the oldest running one


@lru_cache(maxsize=1024)  # a queue's key is evaluated on each of its enqueues
def _compiled(source: str) -> Expression:
    return compile_key(source)


def key_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text[:MAX_KEY_VALUE]


@dataclass(frozen=True)
class Key:
    """A validated key expression (None: one group for all)."""

    source: str | None = None

    def __post_init__(self) -> None:
        if self.source is not None:
            _compiled(self.source)

    def value(self, payload: Mapping[str, Any] | None) -> str:
        if self.source is None:
            return key_text(None)
        return key_text(_compiled(self.source).value(payload))


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}, got {value}", field=name)
    return value


def _key(source: str | None, field: str) -> Key:
    if source is not None and not source.strip():
        raise InvalidInput("key expression is empty (omit it for one group)", field=field)
    try:
        return Key(source)
    except InvalidInput as exc:
        raise InvalidInput(f"invalid key expression: {exc}", field=field) from None


@dataclass(frozen=True)
class Concurrency:
    """At most ``max`` jobs of one key value run at once."""

    key: Key
    max: int
    strategy: ConcurrencyStrategy = ConcurrencyStrategy.QUEUE

    @classmethod
    def parse(
        cls, key: str | None, max: int, strategy: ConcurrencyStrategy | str | None = None
    ) -> Concurrency:
        try:
            chosen = ConcurrencyStrategy(strategy or ConcurrencyStrategy.QUEUE)
        except ValueError:
            raise InvalidInput(
                f"unknown concurrency strategy {strategy!r}", field="concurrency.strategy"
            ) from None
        return cls(
            _key(key, "concurrency.key"), _bounded(max, "concurrency.max", 1, MAX_LIMIT), chosen
        )

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key.source, "max": self.max, "strategy": self.strategy.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Concurrency | None:
        if not data:
            return None
        return cls(Key(data.get("key")), data["max"], ConcurrencyStrategy(data["strategy"]))


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` starts per ``period`` seconds per key value."""

    key: Key
    limit: int
    period: int

    @classmethod
    def parse(cls, key: str | None, limit: int, period: int) -> RateLimit:
        return cls(
            _key(key, "rateLimit.key"),
            _bounded(limit, "rateLimit.limit", 1, MAX_LIMIT),
            _bounded(period, "rateLimit.period", 1, MAX_PERIOD_SECONDS),
        )

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key.source, "limit": self.limit, "period": self.period}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RateLimit | None:
        if not data:
            return None
        return cls(Key(data.get("key")), data["limit"], data["period"])


@dataclass(frozen=True)
class Debounce:
    """Only the last of a key value's enqueues within ``period`` seconds runs."""

    key: Key
    period: int

    @classmethod
    def parse(cls, key: str | None, period: int) -> Debounce:
        return cls(
            _key(key, "debounce.key"), _bounded(period, "debounce.period", 1, MAX_PERIOD_SECONDS)
        )

    def eligible_at(self, now: datetime, scheduled_for: datetime | None) -> datetime:
        """When a job enqueued now may first be claimed: a period after this enqueue (the
        last of its key value until another comes), or its own later ``scheduledFor``."""
        end = now + timedelta(seconds=self.period)
        return max(end, scheduled_for) if scheduled_for is not None else end
