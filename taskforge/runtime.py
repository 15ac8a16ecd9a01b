"""Assembles one process's resources: database, services, broker and relay."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client.multiprocess import mark_process_dead

from taskforge import tracing
from taskforge.config import Settings
from taskforge.counters import RedisCounters
from taskforge.metrics import multiprocess
from taskforge.metrics.sampler import Sampler
from taskforge.metrics.server import ServerMetrics
from taskforge.persistence.common import event_log
from taskforge.persistence.database import Database
from taskforge.persistence.migrate import upgrade
from taskforge.realtime.broker import Broker, make_broker
from taskforge.realtime.relay import Relay
from taskforge.realtime.tail import EventTail
from taskforge.services.base import Services
from taskforge.services.engines import (
    Periodic,
    count_folding,
    event_pruning,
    organization_removal,
    reaper,
    retention,
    workflow_timeouts,
)
from taskforge.services.scheduler import Scheduler
from taskforge.services.webhook_engine import WebhookEngine


async def _stream_id(db: Database) -> str:
    """Names this deployment's keys in a shared Redis (as its events channel)."""
    async with db.read() as session:
        return await event_log.stream_id(session)


def _probe(metrics: ServerMetrics, db: Database, tail: EventTail) -> None:
    """This process's gauges read from its own state (before each scrape, each sample)."""
    pool: Any = db.engine.pool

    def refresh() -> None:
        metrics.subscriptions.set(tail.subscribers)
        # SQLite's pool (NullPool/StaticPool) may count nothing: it reports 0
        checked_out = getattr(pool, "checkedout", _zero)()
        metrics.pool_checked_out.set(checked_out)
        # the connections it holds: in use, and idle in the pool (overflow included)
        metrics.pool_size.set(checked_out + getattr(pool, "checkedin", _zero)())

    metrics.probe(refresh)


def metrics_refresh(metrics: ServerMetrics) -> Periodic:
    """Refreshes this process's gauges every second, for scrapes that do not (another
    process's /metrics, prometheus_client's own server)."""

    async def step() -> None:
        metrics.refresh()

    return Periodic("metrics-refresh", step, 1.0)


def _zero() -> int:
    return 0


class Engine(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    db: Database
    services: Services
    broker: Broker
    relay: Relay
    tail: EventTail
    engines: list[Engine]
    metrics: ServerMetrics | None = None  # None: TASKFORGE_METRICS=false
    sampler: Sampler | None = None

    @classmethod
    def create(cls, settings: Settings, *, scheduler: bool | None = None) -> Runtime:
        tracing.setup(settings.tracing, settings.otel_exporter)
        db = Database(settings.resolved_database_url, settings.db_pool_size)
        broker = make_broker(settings.redis_url)
        metrics = ServerMetrics() if settings.metrics else None
        relay = Relay(db, broker, settings.relay_interval, metrics)
        services = Services(db, settings, on_commit=[relay.notify], metrics=metrics)
        if settings.redis_url:
            services.counters = RedisCounters(settings.redis_url, functools.partial(_stream_id, db))
        tail = EventTail(db, broker, settings.event_poll_interval, settings.subscription_buffer)
        engines: list[Engine] = [
            reaper(services),
            workflow_timeouts(services),
            event_pruning(services),
            count_folding(services),
            retention(services),
            organization_removal(services),
        ]
        sampler = None
        if metrics is not None:
            _probe(metrics, db, tail)
            sampler = Sampler(services, metrics)
            engines.append(
                Periodic("metrics-sampler", sampler.tick, settings.metrics_sample_interval)
            )
            if multiprocess():  # another process may answer the scrape: keep ours fresh
                engines.append(metrics_refresh(metrics))
        if settings.webhooks_enabled:
            engines.append(WebhookEngine(services))
        if settings.scheduler_enabled if scheduler is None else scheduler:
            engines.append(Scheduler(services))
        return cls(settings, db, services, broker, relay, tail, engines, metrics, sampler)

    @property
    def embedded(self) -> bool:
        return self.db.store.embedded

    async def start(self, *, migrate: bool | None = None, engines: bool = True) -> None:
        """Migrate (by default only the embedded SQLite database), start relay and engines."""
        if migrate if migrate is not None else self.embedded:
            await upgrade(self.db)
        self.relay.start()
        await self.tail.start()
        if engines:
            for engine in self.engines:
                engine.start()

    async def stop(self) -> None:
        for engine in self.engines:
            await engine.stop()
        await self.relay.stop()
        await self.tail.stop()
        await self.broker.close()
        await self.services.counters.close()
        await self.db.dispose()
        if self.metrics is not None and multiprocess():
            # this process's live gauges leave the aggregate with it
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
        tracing.flush()
