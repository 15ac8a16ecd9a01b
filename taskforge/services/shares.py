"""Queue weights as shares: how a worker's claims are split across its queues.

A worker's queues with one weight form a class, served by queue priority then claim
order, as one queue would be. Classes share claims in proportion to their weight times
the number of their queues that have work (stride scheduling): with ``default`` at 1 and
``emails`` at 3, ``emails`` gets three claims for every one of ``default`` while both
have work, and all of them while it alone has. Equal weights (the default) give one
class, so queue priority alone orders the queues, as before weights were shares.

The passes (claims served over weight) are kept per worker in this process: a worker
served by several replicas gets its shares from each of them. A class without work is
forgotten, so that it does not come back with a burst of credit.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_WORKERS = 10_000  # workers whose passes a process remembers (least recent forgotten)


@dataclass(frozen=True)
class Share:
    weight: int  # the class's key: its queues' weight
    share: int  # weight x its queues with work
    priority: int  # its best queue priority: breaks ties between classes


@dataclass
class Passes:
    """Per worker: each weight class's claims served over its share so far."""

    workers: OrderedDict[uuid.UUID, dict[int, float]] = field(default_factory=OrderedDict)

    def of(self, worker_id: uuid.UUID, classes: Iterable[Share]) -> dict[int, float]:
        passes = self.workers.pop(worker_id, {})
        self.workers[worker_id] = passes
        while len(self.workers) > MAX_WORKERS:
            self.workers.popitem(last=False)
        weights = {c.weight for c in classes}
        for idle in [w for w in passes if w not in weights]:
            del passes[idle]
        # a class (back) with work starts level with the others, not ahead of them
        start = min(passes.values(), default=0.0)
        for weight in weights:
            passes.setdefault(weight, start)
        return passes


def allocate(passes: dict[int, float], classes: list[Share], limit: int) -> dict[int, int]:
    """How many of ``limit`` claims each class gets: one at a time to the class furthest
    behind its share (ties: the higher queue priority, then the higher weight)."""
    ahead = dict(passes)
    given = dict.fromkeys((c.weight for c in classes), 0)
    for _ in range(limit):
        best = min(classes, key=lambda c: (ahead[c.weight], -c.priority, -c.weight))
        ahead[best.weight] += 1 / best.share
        given[best.weight] += 1
    return given


def charge(
    passes: dict[int, float], classes: list[Share], got: dict[int, int], dry: set[int]
) -> None:
    """Count what each class was actually served (a class short of work pays for no more).
    A class found out of work saves no credit: it goes behind the others, and is served
    again after them (at once, if they have no work)."""
    for c in classes:
        passes[c.weight] += got.get(c.weight, 0) / c.share
    if dry:
        last = max(passes[c.weight] for c in classes)
        for weight in dry:
            passes[weight] = last
