"""Queue settings: retry policy and timeout, validated and with defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from taskforge.domain.errors import InvalidInput
from taskforge.domain.flow import Concurrency, RateLimit

MAX_DELAY_SECONDS = 366 * 86_400  # a retry lands within a year: its time never overflows
MAX_RETENTION_DAYS = 3650  # a queue's own retention of finished jobs: up to ten years


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 300.0
    jitter: bool = True


@dataclass(frozen=True)
class QueueSettings:
    retry: RetryPolicy = RetryPolicy()
    timeout_seconds: int | None = None
    # flow rules its jobs follow unless a job brings its own (domain.flow)
    concurrency: Concurrency | None = None
    rate_limit: RateLimit | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "retry": asdict(self.retry),
            "timeout_seconds": self.timeout_seconds,
        }
        if self.concurrency is not None:  # absent, not null: older readers see nothing new
            out["concurrency"] = self.concurrency.to_json()
        if self.rate_limit is not None:
            out["rate_limit"] = self.rate_limit.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> QueueSettings:
        data = data or {}
        return cls(
            RetryPolicy(**data.get("retry", {})),
            data.get("timeout_seconds"),
            Concurrency.from_json(data.get("concurrency")),
            RateLimit.from_json(data.get("rate_limit")),
        )

    @property
    def has_flow_rules(self) -> bool:
        return self.concurrency is not None or self.rate_limit is not None


def validate_settings(settings: QueueSettings) -> QueueSettings:
    r = settings.retry
    if not 1 <= r.max_attempts <= 100:
        raise InvalidInput("maxAttempts must be between 1 and 100", field="maxAttempts")
    if r.base_delay < 0 or r.max_delay < 0:
        raise InvalidInput("retry delays cannot be negative", field="baseDelaySeconds")
    if r.max_delay > MAX_DELAY_SECONDS:  # also bounds base_delay, which is at most this
        raise InvalidInput(
            f"maxDelaySeconds must be at most {MAX_DELAY_SECONDS} (a year)",
            field="maxDelaySeconds",
        )
    if r.max_delay < r.base_delay:
        raise InvalidInput(
            "maxDelaySeconds must be at least baseDelaySeconds", field="maxDelaySeconds"
        )
    if not 1.0 <= r.multiplier <= 100.0:
        raise InvalidInput("multiplier must be between 1 and 100", field="multiplier")
    if settings.timeout_seconds is not None and settings.timeout_seconds <= 0:
        raise InvalidInput("timeoutSeconds must be positive", field="timeoutSeconds")
    return settings


def retention_days(value: int, field: str = "retentionDays") -> int | None:
    """A queue's retention of finished jobs in days; 0 means the deployment's default."""
    if value == 0:
        return None
    if not 1 <= value <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"{field} must be between 1 and {MAX_RETENTION_DAYS} (0: the default), got {value}",
            field=field,
        )
    return value
