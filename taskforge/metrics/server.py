"""The server's series, and what a transaction leaves to count once it has committed.

Use cases note what happened in ``Pending`` (kept in their session's ``info``) while
their transaction runs; ``Services.write`` applies it after the commit, so a rolled
back or retried transaction counts nothing. With metrics off there is no ``Pending``
and the use cases skip the notes (one ``dict.get``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.events import Event
from taskforge.metrics.jobs import JobSeries

PENDING = "taskforge.metrics"

LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600)


@dataclass(slots=True)
class Pending:
    """A transaction's notes: job status events, jobs created without one (a workflow's:
    queue id, job type), queue waits and run times by queue id (named after the commit),
    lease expirations, and label-free observations."""

    changes: list[Sequence[Event]] = field(default_factory=list)
    created: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    waits: list[tuple[uuid.UUID, float]] = field(default_factory=list)
    runs: list[tuple[uuid.UUID, str, float]] = field(default_factory=list)
    expirations: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    later: list[Callable[[], None]] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether there is anything to count (most transactions: a heartbeat, an empty
        claim, have nothing)."""
        return bool(
            self.changes
            or self.created
            or self.waits
            or self.runs
            or self.expirations
            or self.later
        )


def pending(session: AsyncSession) -> Pending | None:
    """The session's notes; None when metrics are off."""
    found: Pending | None = session.info.get(PENDING)
    return found


class ServerMetrics:
    """Every series of a server process, in its own registry (each app its own counts;
    in multiprocess mode /metrics reads the shared directory instead)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.started = time.monotonic()
        self.requests = Counter(
            "taskforge_graphql_requests",
            "GraphQL operations by root field and outcome (ok, or the first error's code); "
            "a subscription counts when it ends.",
            ("operation", "outcome"),
            registry=r,
        )
        self.latency = Histogram(
            "taskforge_graphql_operation_seconds",
            "GraphQL operation latency by root field (subscriptions are not timed).",
            ("operation",),
            registry=r,
        )
        self.jobs = JobSeries(r)
        self.lease_expirations = Counter(
            "taskforge_lease_expirations",
            "Attempts the reaper failed: lease expired (worker silent) or timeout (deadline).",
            ("queue", "reason"),
            registry=r,
        )
        self.schedule_fires = Counter(
            "taskforge_schedule_fires", "Schedule occurrences fired.", registry=r
        )
        self.schedule_lateness = Histogram(
            "taskforge_schedule_lateness_seconds",
            "How late an occurrence fired: fire time minus due time.",
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.relay_lag = Histogram(
            "taskforge_relay_lag_seconds",
            "Outbox relay lag: an event row's commit to its publication.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.events_published = Counter(
            "taskforge_events_published", "Events published by the outbox relay.", registry=r
        )
        # sampled by the replica holding the sampler lease; the others export nothing
        self.outbox_backlog = Gauge(
            "taskforge_outbox_backlog",
            "Outbox rows not yet stamped by the relay (sampled; capped).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.queue_depth = Gauge(
            "taskforge_queue_depth",
            "Jobs ready to be claimed, by queue name (sampled; capped per queue).",
            ("queue",),
            registry=r,
            multiprocess_mode="livemax",
        )
        self.queue_oldest = Gauge(
            "taskforge_queue_oldest_age_seconds",
            "Age of the oldest job ready to be claimed, by queue name (sampled).",
            ("queue",),
            registry=r,
            multiprocess_mode="livemax",
        )
        self.sampler_leader = Gauge(
            "taskforge_metrics_sampler_leader",
            "1 in the process whose sampler holds the lease (its gauges are the sampled ones).",
            registry=r,
            multiprocess_mode="livemax",
        )
        # this process's own; in multiprocess mode one series per live process (``pid``
        # label), which PromQL's sum() adds up
        self.subscriptions = Gauge(
            "taskforge_subscriptions",
            "Live GraphQL subscriptions.",
            registry=r,
            multiprocess_mode="liveall",
        )
        self.websockets = Gauge(
            "taskforge_websocket_connections",
            "Open WebSocket connections by endpoint.",
            ("endpoint",),
            registry=r,
            multiprocess_mode="liveall",
        )
        self.pool_checked_out = Gauge(
            "taskforge_db_pool_checked_out",
            "Database connections in use.",
            registry=r,
            multiprocess_mode="liveall",
        )
        self.pool_size = Gauge(
            "taskforge_db_pool_size",
            "Database connections the pool holds (in use or idle).",
            registry=r,
            multiprocess_mode="liveall",
        )
        self.uptime = Gauge(
            "taskforge_uptime_seconds",
            "Seconds since the process started.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.queue_names: dict[uuid.UUID, str] = {}
        self._probes: list[Callable[[], None]] = []

    def probe(self, refresh: Callable[[], None]) -> None:
        """Register a read of this process's state (subscriptions, pool) into gauges, run
        before every scrape and by the sampler's every tick."""
        self._probes.append(refresh)

    def refresh(self) -> None:
        self.uptime.set(time.monotonic() - self.started)
        for refresh in self._probes:
            refresh()

    async def committed(
        self,
        notes: Pending,
        names_of: Callable[[set[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]],
    ) -> None:
        """Count a committed transaction's notes (naming new queues with one read)."""
        names = self.queue_names
        unnamed = self.jobs.count(notes.changes, names) if notes.changes else []
        missing = {e.queue_id for e in unnamed} if unnamed else set()
        for notes_of in (notes.waits, notes.runs, notes.expirations, notes.created):
            if notes_of:
                missing.update(note[0] for note in notes_of if note[0] not in names)
        if missing:  # the first sight of a queue in this process: one read
            found = await names_of(missing)
            names.update({q: found.get(q, "unknown") for q in missing})
        if unnamed:
            self.jobs.count([unnamed], names)
        if notes.created:
            self.jobs.created(notes.created, names)
        if notes.waits:
            self.jobs.observe_waits(notes.waits, names)
        if notes.runs:
            self.jobs.observe_runs(notes.runs, names)
        for queue_id, reason in notes.expirations:
            self.lease_expirations.labels(names.get(queue_id, "unknown"), reason).inc()
        for observe in notes.later:
            observe()
