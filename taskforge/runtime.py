"""Assembles one process's resources: database, services, broker and relay."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

from taskforge.config import Settings
from taskforge.counters import RedisCounters
from taskforge.persistence.common import event_log
from taskforge.persistence.database import Database
from taskforge.persistence.migrate import upgrade
from taskforge.realtime.broker import Broker, make_broker
from taskforge.realtime.relay import Relay
from taskforge.realtime.tail import EventTail
from taskforge.services.base import Services
from taskforge.services.engines import (
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

    @classmethod
    def create(cls, settings: Settings, *, scheduler: bool | None = None) -> Runtime:
        db = Database(settings.resolved_database_url, settings.db_pool_size)
        broker = make_broker(settings.redis_url)
        relay = Relay(db, broker, settings.relay_interval)
        services = Services(db, settings, on_commit=[relay.notify])
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
        if settings.webhooks_enabled:
            engines.append(WebhookEngine(services))
        if settings.scheduler_enabled if scheduler is None else scheduler:
            engines.append(Scheduler(services))
        return cls(settings, db, services, broker, relay, tail, engines)

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
