"""What every use case needs: the caller, the database, settings, a clock, events."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.config import Settings
from taskforge.counters import Counters, InProcessCounters
from taskforge.domain.errors import Forbidden, NotFound
from taskforge.domain.events import Event
from taskforge.domain.tenancy import grants
from taskforge.metrics.server import PENDING, Pending
from taskforge.persistence.common import gauges, outbox
from taskforge.persistence.database import Database, is_retryable
from taskforge.persistence.types import utcnow
from taskforge.services.shares import Passes
from taskforge.services.workflow_flags import WorkflowFlags

if TYPE_CHECKING:
    from taskforge.metrics.server import ServerMetrics
    from taskforge.services.auth import CredentialWatch


log = logging.getLogger(__name__)
# a write session's info: the payload limit (the engine holds resolved payloads to it)
PAYLOAD_BYTES = "taskforge.payload_bytes"

# a write session's info: the Services that opened it (services_of), for the engine's
# hooks that need settings deep inside a use case
SERVICES = "taskforge.services"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: always exactly one organization."""

    organization_id: uuid.UUID
    permissions: frozenset[str]
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    # the user who created the key (a key's principal), whose deactivation stops it
    key_owner_id: uuid.UUID | None = None

    def require(self, permission: str) -> None:
        if not grants(self.permissions, permission):
            raise Forbidden(f"this operation needs the '{permission}' permission")


@dataclass
class Services:
    db: Database
    settings: Settings
    clock: Callable[[], datetime] = utcnow
    # called after every committed write; wakes the outbox relay at once
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    # called after a schedule changed; wakes this process's scheduler loop
    on_schedule_change: list[Callable[[], None]] = field(default_factory=list)
    # credential -> (principal, trusted until): spares a lookup per request
    auth_cache: dict[str, tuple[Principal, datetime]] = field(default_factory=dict)
    # credential -> its long-lived holders (WebSocket connections), checked together
    credential_watches: dict[str, CredentialWatch] = field(default_factory=dict)
    # request and attempt counters (services/abuse.py): Redis when configured
    counters: Counters = field(default_factory=InProcessCounters)
    # organization -> (its requests per minute, known until)
    rate_tiers: dict[uuid.UUID, tuple[int | None, datetime]] = field(default_factory=dict)
    # Prometheus series (metrics/server.py); None: TASKFORGE_METRICS=false, nothing counted
    metrics: ServerMetrics | None = None
    # each worker's claims served per queue weight (services.shares)
    claim_passes: Passes = field(default_factory=Passes)
    # whether a workflow has workflow jobs (services.subworkflows), map templates
    # (services.mapping): fixed when it is created
    subworkflow_hosts: WorkflowFlags = field(default_factory=WorkflowFlags)
    map_hosts: WorkflowFlags = field(default_factory=WorkflowFlags)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        metrics = self.metrics
        notes = None if metrics is None else Pending()
        async with self.db.write() as session:
            session.info[SERVICES] = self
            if notes is not None:
                session.info[PENDING] = notes
            # the engine resolves payload references and holds them to this limit
            session.info[PAYLOAD_BYTES] = self.settings.limits.payload_bytes
            yield session
        for hook in self.on_commit:
            hook()
        if metrics is not None and notes:
            try:
                await metrics.committed(notes, self._queue_names)
            except Exception as exc:  # committed all the same: never the caller's error
                log.warning("counting a committed change failed: %r", exc)

    async def _queue_names(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        async with self.db.read() as session:
            return await gauges.queue_names(session, ids)

    def read(self) -> Any:
        return self.db.read()


def services_of(session: AsyncSession) -> Services:
    """The Services whose ``write`` opened this session."""
    svc: Services = session.info[SERVICES]
    return svc


async def emit(session: AsyncSession, event: Event) -> None:
    """Record one event in the caller's transaction (the outbox)."""
    await outbox.append(session, [event])


T = TypeVar("T")
P = ParamSpec("P")
ATTEMPTS = 3


def retried(use_case: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run the use case again (up to ATTEMPTS times, a random moment apart) when the
    database aborted its transaction to break a deadlock. Use cases take row locks in
    different orders: an acknowledgement holds its jobs, then their children, then
    waits for their workflow; cancelWorkflow and the timeout hold the workflow and wait
    for its jobs; a claim starting PARALLEL children locks them too. One transaction
    per use case, and events leave only after a commit: nothing of the aborted attempt
    remains."""

    @functools.wraps(use_case)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await use_case(*args, **kwargs)
            except Exception as exc:
                if attempt == ATTEMPTS or not is_retryable(exc):
                    raise
            # apart, so that the two do not meet again the same way
            await asyncio.sleep(random.uniform(0, 0.05) * attempt)
        raise AssertionError("unreachable")

    return run


def found(row: T | None, kind: str, ident: object) -> T:
    """The row, or NOT_FOUND (also what another tenant's id gets)."""
    if row is None:
        raise NotFound(kind, ident)
    return row
