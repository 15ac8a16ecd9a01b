"""The sampler: queue depths, oldest waiting job ages and the outbox backlog, read in the
background by one replica at a time, never on scrape.

Every server process runs it; each tick the process takes or renews the
``metrics-sampler`` lease (``engine_leases``, held for three intervals), and only the
holder reads the database: one bounded statement for the queues (each queue's ready
jobs counted through the ready index up to ``DEPTH_CAP``) and one for the backlog. The
others clear those gauges (labelled ones disappear; the backlog reads 0), so summing or
taking the max over replicas gives the sampled figures; ``taskforge_metrics_sampler_leader``
says which process sampled. Every tick also refreshes this process's own gauges
(subscriptions, pool), which multiprocess mode cannot read at scrape time from
another process.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from taskforge.metrics import multiprocess
from taskforge.metrics.server import ServerMetrics
from taskforge.persistence.common import gauges
from taskforge.services.base import Services

LEASE = "metrics-sampler"
DEPTH_CAP = 10_000  # ready jobs counted per queue: a deeper queue reads as this
QUEUES_CAP = 1_000  # queues sampled (in id order)
BACKLOG_CAP = 100_000


class Sampler:
    def __init__(self, svc: Services, metrics: ServerMetrics) -> None:
        self.svc, self.metrics = svc, metrics
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False
        self._queues: set[str] = set()

    async def tick(self) -> bool:
        """One sample if this process holds the lease; returns whether it does."""
        self.metrics.refresh()
        svc, now = self.svc, self.svc.clock()
        until = now + timedelta(seconds=3 * svc.settings.metrics_sample_interval)
        async with svc.db.write() as session:
            self.leading = await gauges.take_lease(session, LEASE, self.holder, now, until)
        self.metrics.sampler_leader.set(1 if self.leading else 0)
        if not self.leading:
            self._clear()
            return False
        async with svc.db.read() as session:
            rows = await gauges.queue_depths(session, DEPTH_CAP, QUEUES_CAP)
            backlog = await gauges.outbox_backlog(session, BACKLOG_CAP)
        now = svc.clock()
        depth: dict[str, int] = {}
        oldest: dict[str, float] = {}
        for name, ready, first in rows:  # queue names repeat across projects: summed
            depth[name] = depth.get(name, 0) + ready
            age = 0.0 if first is None else max((now - first).total_seconds(), 0.0)
            oldest[name] = max(oldest.get(name, 0.0), age)
        self._drop(self._queues.difference(depth))  # a deleted queue stops being exported
        for name, n in depth.items():
            self.metrics.queue_depth.labels(name).set(n)
            self.metrics.queue_oldest.labels(name).set(oldest[name])
        self._queues = set(depth)
        self.metrics.outbox_backlog.set(backlog)
        return True

    def _clear(self) -> None:
        self._drop(self._queues)
        self.metrics.outbox_backlog.set(0)
        self._queues = set()

    def _drop(self, names: set[str]) -> None:
        """Stop exporting these queues' gauges. In multiprocess mode a series cannot be
        removed (its value stays in this process's file, and ``livemax`` would keep a
        former leader's last depth): it is set to 0 instead."""
        shared = multiprocess()
        for name in names:
            for gauge in (self.metrics.queue_depth, self.metrics.queue_oldest):
                if shared:
                    gauge.labels(name).set(0)
                else:
                    gauge.remove(name)
