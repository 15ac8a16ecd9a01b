"""What the engine remembers per workflow, in this process: facts fixed when a workflow
is created (whether it has workflow jobs, map templates, payload references), so the
release of each step of a chain or of a fan-out's waves asks at most once per workflow.
Bounded: forgetting the oldest costs one query, nothing more."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable

Read = Callable[[list[uuid.UUID]], Awaitable[Collection[uuid.UUID]]]


class WorkflowFlags:
    """One fact per workflow id (ids are never reused, and the fact never changes)."""

    def __init__(self, kept: int = 20_000) -> None:
        self._known: OrderedDict[uuid.UUID, bool] = OrderedDict()
        self._kept = kept

    async def having(self, workflow_ids: Iterable[uuid.UUID], read: Read) -> set[uuid.UUID]:
        """The workflows among these that have the fact; ``read`` is asked, once, for
        the ids not known yet (it returns those of them that have it)."""
        ids = set(workflow_ids)
        unknown = [w for w in ids if w not in self._known]
        found = set(await read(unknown)) if unknown else set()
        having = {w for w in ids if w in found or self._known.get(w)}
        for w in unknown:
            self._known[w] = w in found
        while len(self._known) > self._kept:  # the oldest first
            self._known.popitem(last=False)
        return having
