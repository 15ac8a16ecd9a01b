"""GraphQL types of flow control: concurrency keys and rate limits, on queues (the
default of their jobs) and on jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from taskforge.domain.flow import Concurrency, ConcurrencyStrategy, RateLimit
from taskforge.domain.queues import QueueSettings

ConcurrencyStrategyEnum = strawberry.enum(
    ConcurrencyStrategy,
    name="ConcurrencyStrategy",
    description="What happens to a job whose concurrency key has `max` jobs: QUEUE, it "
    "waits in order; CANCEL_NEWEST, the new job is cancelled at once (reason "
    "`concurrency_limit`); CANCEL_IN_PROGRESS, the key's oldest live job (running ones "
    "first) is cancelled to make room (reason `concurrency_replaced`, its worker is told).",
)

KEY = (
    "An expression over the job's payload, e.g. `payload.customer_id`; its value groups the "
    "jobs (a missing path is null: all such jobs share one group). Omitted: one group."
)


@strawberry.input(description="At most `max` jobs of one key value run at once, per queue.")
class ConcurrencyInput:
    key: str | None = strawberry.field(default=None, description=KEY)
    max: int = strawberry.field(description="Jobs of one key value running at once (1+).")
    strategy: ConcurrencyStrategyEnum = ConcurrencyStrategy.QUEUE  # type: ignore[valid-type]

    def rule(self) -> Concurrency:
        return Concurrency.parse(self.key, self.max, self.strategy)


@strawberry.input(description="At most `limit` starts per `period` seconds per key value.")
class RateLimitInput:
    key: str | None = strawberry.field(default=None, description=KEY)
    limit: int = strawberry.field(description="Starts allowed per period (1+).")
    period: int = strawberry.field(description="The period, in seconds (1 to 604800).")

    def rule(self) -> RateLimit:
        return RateLimit.parse(self.key, self.limit, self.period)


@strawberry.type
class ConcurrencyRule:
    key: str | None = strawberry.field(description=KEY)
    max: int
    strategy: ConcurrencyStrategyEnum  # type: ignore[valid-type]

    @classmethod
    def of(cls, rule: Concurrency | None) -> ConcurrencyRule | None:
        return (
            None if rule is None else cls(key=rule.key.source, max=rule.max, strategy=rule.strategy)
        )


@strawberry.type
class RateLimitRule:
    key: str | None = strawberry.field(description=KEY)
    limit: int
    period: int = strawberry.field(description="Seconds.")

    @classmethod
    def of(cls, rule: RateLimit | None) -> RateLimitRule | None:
        if rule is None:
            return None
        return cls(key=rule.key.source, limit=rule.limit, period=rule.period)


def queue_rules(settings: Mapping[str, Any]) -> tuple[ConcurrencyRule | None, RateLimitRule | None]:
    parsed = QueueSettings.from_json(dict(settings))
    return ConcurrencyRule.of(parsed.concurrency), RateLimitRule.of(parsed.rate_limit)


def rules(
    concurrency: ConcurrencyInput | None, rate_limit: RateLimitInput | None
) -> tuple[Concurrency | None, RateLimit | None]:
    """A job's own rules from its inputs (BAD_USER_INPUT naming the field if invalid);
    an input not given (None or UNSET) is no rule."""
    return (
        concurrency.rule() if concurrency else None,
        rate_limit.rule() if rate_limit else None,
    )
