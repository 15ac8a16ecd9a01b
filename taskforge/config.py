"""Settings, read once from the environment (prefix ``TASKFORGE_``)."""

from __future__ import annotations

import json
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from taskforge.domain.enums import Tier


class Limits(BaseSettings):
    """Request and data limits; every one is enforced with a clear error."""

    model_config = SettingsConfigDict(env_prefix="TASKFORGE_LIMIT_")

    query_depth: int = Field(12, description="Maximum GraphQL selection depth.")
    query_aliases: int = Field(30, description="Maximum aliases in one document.")
    query_tokens: int = Field(2000, description="Maximum tokens in one document.")
    page_size: int = Field(100, description="Maximum `first` of a connection.")
    payload_bytes: int = Field(256 * 1024, description="Maximum size of a job payload (JSON).")
    batch_size: int = Field(
        1000, description="Maximum jobs in one enqueueJobs or enqueueJobBatch call."
    )
    claim_size: int = Field(500, description="Maximum jobs in one claimJobs call.")
    log_entries: int = Field(1000, description="Maximum entries in one appendLogs call.")
    log_message_bytes: int = Field(64 * 1024, description="Maximum size of one log message.")
    request_bytes: int = Field(8 * 1024 * 1024, description="Maximum HTTP request body.")
    workflow_jobs: int = Field(
        10_000, description="Maximum jobs in one workflow or one connected dependency graph."
    )
    dependency_depth: int = Field(100, description="Maximum levels of a dependency graph.")
    definition_bytes: int = Field(
        4 * 1024 * 1024, description="Maximum size of a workflow definition."
    )


class Settings(BaseSettings):
    """Service configuration. Unset values fall back to the embedded default."""

    model_config = SettingsConfigDict(env_prefix="TASKFORGE_")

    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file and secret key.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; default: SQLite file in data_dir."
    )
    redis_url: str | None = Field(None, description="Redis URL; unset: in-process broker.")
    secret_key: str | None = Field(
        None, description="Token signing key; default: generated once and kept in data_dir."
    )
    host: str = Field("127.0.0.1", description="Bind address of `serve`.")
    port: int = Field(8000, description="Port of `serve`.")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as readable text or as one JSON object per line."
    )
    token_ttl_seconds: int = Field(12 * 3600, description="Lifetime of login tokens.")
    auth_cache_seconds: float = Field(
        5.0,
        description="How long a replica trusts a checked credential (0: check every request). "
        "A revoked key is refused at once by the replica that revoked it, by others within this.",
    )
    invitation_ttl_hours: float = Field(
        72.0, description="How long an invitation's token can be accepted (inviteUser)."
    )
    heartbeat_timeout_seconds: float = Field(
        30.0, description="A worker silent this long is OFFLINE."
    )
    default_lease_seconds: int = Field(60, description="Lease of a claim unless the worker asks.")
    worker_channel_poll_seconds: float = Field(
        1.0,
        description="Seconds a worker channel with credit waits for a wake-up before it "
        "claims again (retries and scheduled jobs fall due without one).",
    )
    reaper_interval: float = Field(1.0, description="Seconds between lease/timeout sweeps.")
    relay_interval: float = Field(0.2, description="Seconds between outbox relay polls.")
    metrics: bool = Field(
        True,
        description="Prometheus metrics on /metrics; false: no instrumentation and /metrics 404.",
    )
    metrics_token: str | None = Field(
        None, description="When set, /metrics needs `Authorization: Bearer <token>`."
    )
    metrics_sample_interval: float = Field(
        15.0,
        description="Seconds between samples of queue depths and the outbox backlog "
        "(taken by one replica at a time).",
    )
    queue_stats_limit: int = Field(
        10_000,
        ge=1,
        description="Where each figure of Queue.stats stops counting (each is a bounded "
        "index probe): a figure equal to it means at least that many.",
    )
    event_poll_interval: float = Field(
        0.5, description="Seconds between reads of the events table while Redis is away."
    )
    event_retention_hours: float = Field(
        72.0, description="How long events are kept for subscriptions resuming with `after`."
    )
    # buffered events are shared with every other feed (a reference each), so a deep
    # buffer costs little; it lets a tenant-wide stream ride out a relay burst or a
    # client's pause of some seconds at hundreds of events per second
    subscription_buffer: int = Field(
        10_000, description="Events a subscription may fall behind before it is dropped."
    )
    subscriptions_per_connection: int = Field(
        20, description="Most subscriptions one WebSocket connection may hold."
    )
    scheduler_enabled: bool = Field(
        True, description="Run the scheduler engine inside `serve` (or run `taskforge scheduler`)."
    )
    scheduler_max_sleep: float = Field(
        1.0, description="Longest the scheduler sleeps before looking for due schedules again."
    )
    # a tick's occurrences become visible when its transaction commits: smaller ticks
    # commit sooner (at 500 due/s, 100 kept the visible p99 under half a second)
    scheduler_batch: int = Field(100, description="Due schedules one scheduler tick claims.")
    schedule_misfire_grace_seconds: float = Field(
        60.0, description="An occurrence later than this counts as missed (misfire policy)."
    )
    schedule_misfire_cap: int = Field(100, description="Most missed runs FIRE_ALL catches up.")
    schedule_rate_limit_per_minute: int = Field(
        6000, description="Default jobs per minute schedules may create per job type and tenant."
    )
    schedule_backfill_per_second: float = Field(
        10.0,
        gt=0,
        le=1000,
        description="Runs a backfillSchedule call starts per second (its occurrences wait "
        "in turn, spaced this far apart).",
    )
    idempotency_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 3660,  # ten years: the window's end stays a valid timestamp
        description="How long an idempotencyKey is remembered after its first use: a "
        "repeat within it returns what the first call created.",
    )
    db_pool_size: int = Field(10, description="Connections per process (PostgreSQL).")
    bootstrap: bool = Field(True, description="Create an admin org on an empty database.")
    # browser-facing switches (see taskforge/web/)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins browser apps may call the API from, comma-separated "
        "(https://app.example.com); * for any. When set, WebSocket upgrades from other "
        "origins are refused.",
    )
    graphiql: bool = Field(True, description="Serve the GraphiQL page on GET /graphql.")
    dashboard: bool = Field(True, description="Serve the web dashboard at /.")
    introspection: bool = Field(
        True, description="Answer __schema/__type queries and suggest names in errors."
    )
    # retention (administration): what the background engines delete, in bounded batches
    job_retention_days: float = Field(
        30, gt=0, description="Finished jobs older than this are deleted (a queue may override)."
    )
    worker_retention_days: float = Field(
        7, gt=0, description="Workers OFFLINE for longer than this are deleted."
    )
    retention_batch: int = Field(1000, ge=1, description="Jobs one retention transaction deletes.")
    retention_interval: float = Field(60.0, description="Seconds between retention sweeps.")
    retention_yield: float = Field(
        2.0, ge=0, description="After each retention batch, pause this many times its duration."
    )
    signup: Literal["open", "closed"] = Field(
        "closed",
        description="open: anyone may create an organization with signUp; closed: only "
        "the operator (taskforge org create).",
    )
    org_removal_batch: int = Field(
        1000, description="Rows one transaction removes of a deleted organization."
    )
    bulk_batch_size: int = Field(
        500,
        gt=0,
        description="Jobs cancelJobs and retryJobs change per transaction (one batch).",
    )
    # OpenTelemetry (the taskforge[otel] extra; see taskforge/tracing.py)
    tracing: bool = Field(
        False,
        description="Trace GraphQL operations, database statements, enqueues and (in "
        "`taskforge worker`) job executions with OpenTelemetry; needs taskforge[otel].",
    )
    otel_exporter: Literal["otlp", "memory", "none"] | None = Field(
        None,
        description="Where spans go: otlp (configured by the OTEL_EXPORTER_OTLP_* "
        "variables), memory (kept in the process: benchmarks) or none; default: otlp "
        "when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none.",
    )
    limits: Limits = Field(default_factory=Limits)
    # abuse limits (services/abuse.py)
    rate_limits: bool = Field(
        True, description="Refuse API requests over the tier's per-minute limits (RATE_LIMITED)."
    )
    rate_limit_per_minute: dict[Tier, int | None] = Field(
        default_factory=dict,
        description="Per-tier requests per minute for an organization, replacing the built-in "
        'ones, as JSON: {"STARTER": 600, "ENTERPRISE": null} (null: unlimited).',
    )
    rate_limit_key_share: float = Field(
        0.5, description="Share of its organization's limit one API key or user may use."
    )
    throttle_window_seconds: int = Field(
        900, description="Window of the login (and sign-up, invitation, password) throttles."
    )
    throttle_per_account: int = Field(
        10, description="Failed logins (other attempts) per account and window; 0: no limit."
    )
    throttle_per_address: int = Field(
        100,
        description="Failed logins (other attempts) per client address and window; 0: no limit.",
    )
    # webhooks (services/webhooks.py)
    webhooks_enabled: bool = Field(
        True, description="Run the webhook engine (turn events into deliveries and send them)."
    )
    webhooks_allow_http: bool = Field(
        False,
        description="Also accept http:// webhook URLs to 127.0.0.1 or localhost (local "
        "development and tests); otherwise https only.",
    )
    webhooks_max_attempts: int = Field(
        8, ge=1, description="Attempts of a webhook delivery before it is FAILED."
    )
    webhooks_backoff_seconds: float = Field(
        10.0, gt=0, description="Delay after a delivery's first failed attempt (doubles, jittered)."
    )
    webhooks_backoff_max_seconds: float = Field(
        3600.0, gt=0, description="Longest delay between two attempts of a delivery."
    )
    webhooks_timeout_seconds: float = Field(
        10.0, gt=0, description="Timeout of one webhook request (connect, send and response)."
    )
    webhooks_interval: float = Field(
        1.0, gt=0, description="Seconds between webhook engine polls (events and due retries)."
    )
    webhooks_log_retention_days: float = Field(
        30.0, gt=0, description="Days a finished webhook delivery stays in the delivery log."
    )
    webhooks_batch: int = Field(
        50, ge=1, description="Deliveries one webhook engine step sends (concurrently)."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: a JSON list or comma-separated
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _normalize_origins(cls, origins: list[str]) -> list[str]:
        # as browsers send them (lowercase, no default port), so that CORS and the
        # WebSocket check compare alike; an entry that could never match is a mistake.
        # Imported here: strawberry's package is half of every CLI command's start-up.
        from strawberry.http.websocket_origin import normalize_origin

        out = []
        for origin in origins:
            parts = urlsplit(origin.strip())
            normalized = normalize_origin(origin)
            if origin != "*" and (
                normalized is None
                or parts.scheme.lower() not in ("http", "https")
                or parts.path not in ("", "/")
                or parts.query
                or parts.fragment
            ):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
            out.append(normalized or origin)
        return out

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'taskforge.db').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
