"""The store interface: every operation whose statements differ between the databases
TaskForge runs on, in domain terms, one implementation per database
(``persistence/postgres/``, ``persistence/sqlite/``). The portable statements, identical
on both, are in ``persistence/common/``; they reach the store of their session through
``store_of``.

A store is chosen once, from the URL, when the ``Database`` is opened; every session
the database makes carries it (``session.info[STORE]``), so no code asks a session which
database it is bound to.

Deliberate differences between the stores, stated where they apply below:

- SQLite runs one write transaction at a time (BEGIN IMMEDIATE, queued in-process), so
  row locks, SKIP LOCKED and advisory locks are no-ops there: what they guard against
  (two writers interleaving) cannot happen.
- Workflow job counts: PostgreSQL keeps them in a trigger-kept counts table (folded in
  the background); SQLite counts a workflow's jobs. The states read are the same.
- The hottest statements (claim, acknowledgement, outbox, dependency release) are raw
  SQL prepared once per connection on PostgreSQL; SQLite runs their SQLAlchemy Core
  versions. Their results have one shape.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Insert, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.selectable import GenerativeSelect

from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    JobStatus,
    WorkerStatus,
    WorkflowStatus,
)
from taskforge.domain.rows import Released

# set in a session's info by whatever writes outbox events in its transaction
EVENTS_WRITTEN = "taskforge.events_written"
# the key of a session's store in its ``info``
STORE = "taskforge.store"
# True inside a write transaction (``Database.write``): SQLite then begins IMMEDIATE,
# so a writer never has to upgrade its lock mid-transaction (SQLITE_BUSY, not a wait)
WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("writing", default=False)

T = TypeVar("T", bound=GenerativeSelect)


class Executions(Protocol):
    """"""

    async def claim_targets(
        self, session: AsyncSession, org_id: uuid.UUID, worker_id: uuid.UUID, now: datetime
    ) -> tuple[WorkerStatus | None, list[Any]]:
        """Record the claiming worker's sign of life (ONLINE unless DRAINING; at most once
        per ``BEAT_EVERY``); return its status (None: no such worker) and its assignments
        (queue_id, weight, is_active, priority, settings, ready, due).

        On PostgreSQL this commits on its own when it opens the unit of work: a sign of life
        need not wait for the claim, and a claim that finds nothing to do then costs one
        round trip (no BEGIN, no COMMIT, and no WAL unless the heartbeat was due)."""
        ...

    async def claim(
        self,
        session: AsyncSession,
        queue_groups: Sequence[Sequence[uuid.UUID]],
        limit: int,
        now: datetime,
        worker_id: uuid.UUID,
        lease_until: datetime,
        deadlines: dict[uuid.UUID, datetime | None],
    ) -> list[tuple[Any, uuid.UUID, bool | None]]:
        """Take up to ``limit`` ready jobs, group by group (queues of equal rank), each group
        by job priority then age; they come back PROCESSING with their attempt counted and
        one STARTED execution each (``deadlines``: per queue).

        Returns (job row, execution id, whether the start decides edges: PENDING outgoing
        PARALLEL edges, or None if not known).
        Each claim walks the partial index of ready jobs in claim order, so its cost is the
        number of rows taken, not the number waiting."""
        ...

    async def ack_rows(
        self, session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
    ) -> list[Any]:
        """Just what an acknowledgement checks, with both rows locked (in execution id order,
        so two acknowledgements of overlapping batches, a retried one, cannot deadlock).
        Whether a job has PENDING outgoing edges is not read here: read in this statement,
        which may have waited for the locks, it could miss an edge committed meanwhile (a
        createDependency from the running job); the engine reads them in its own."""
        ...

    async def succeed(
        self, session: AsyncSession, done: Sequence[tuple[uuid.UUID, uuid.UUID, Any]], now: datetime
    ) -> None:
        """(execution id, job id, output) triples: both rows SUCCEEDED, batched.

        Portable path: acks without output (the common case) share one UPDATE per table;
        the rest go as one executemany with per-row outputs."""
        ...


class Jobs(Protocol):
    """"""

    async def insert_in_queues(
        self, session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
    ) -> list[Any]:
        """Insert rows (``_INSERT_COLUMNS``) into the organization's queues, each with its
        queue's project; returns the new rows in the order given. Rows whose queue is not
        one of the organization's are left out."""
        ...


class Outbox(Protocol):
    """"""

    async def append(self, session: AsyncSession, events: list[dict[str, Any]]) -> None:
        """events: organization_id, topic, type, payload, in order (one multi-row INSERT
        of their spans)."""
        ...

    async def lock_cursor(self, session: AsyncSession) -> int | None:
        """Take the relay's cursor row and return its last seq; None while another replica's
        relay holds it."""
        ...

    async def stamp_next(self, session: AsyncSession, limit: int) -> list[Any] | None:
        """Take the cursor and stamp the oldest ``limit`` unstamped rows with the next
        ``seq`` values, in insertion order, each row as many as its span; returns them in
        ``seq`` order with the payload as JSON text (seq, span, organization_id, topic,
        type, payload, created_at). None while another replica's relay holds the cursor.

        The cursor is locked in its own statement first: the stamping statement must take
        its snapshot after the lock, or it would still see as unstamped the events another
        relay stamped and committed while this one waited (and stamp them twice)."""
        ...


class Workflows(Protocol):
    """"""

    async def lock_for_refresh(self, session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Any]:
        """The workflows, locked in id order (two transactions never wait on each other in a
        cycle), each with id, status, failure_policy and whether any job is still live (read
        once the lock is held): what the engine decides on after every batch of
        acknowledgements. The engine loads a workflow's entity (``locked``) only to change
        it."""
        ...

    async def has_live_jobs(self, session: AsyncSession, workflow_id: uuid.UUID) -> bool:
        """Whether any job of the workflow has not ended (an index probe; asked after every
        batch of acknowledgements in a workflow, so on the driver connection when it can)."""
        ...

    async def states(
        self, session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
        """Each workflow's status and its jobs' counts per status, in one statement, with
        this session's pending changes flushed first. On PostgreSQL the counts are sums of
        the trigger-kept changes (a few rows per batch that touched the workflow); elsewhere
        the jobs are counted."""
        ...

    async def fold_counts(self, session: AsyncSession, over: int, limit: int) -> int:
        """Fold the count changes of up to ``limit`` workflows with more than ``over`` rows,
        so that ``states`` sums a few rows however long a workflow runs. Returns how many
        were folded (PostgreSQL; elsewhere jobs are counted and there is nothing to fold).

        Each workflow's row is share-locked, so a deleteWorkflow (FOR UPDATE) either waits
        for the fold and then removes the folded rows too, or holds the row and the fold
        skips it; without that, rows folded during a deletion outlived their workflow. The
        engine's lock (FOR NO KEY UPDATE) does not conflict: busy workflows still fold."""
        ...


class Graph(Protocol):
    """"""

    async def graph_jobs(
        self, session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
    ) -> list[Any]: ...

    async def graph_of_workflow(
        self, session: AsyncSession, workflow_id: uuid.UUID
    ) -> tuple[list[Any], list[Any]]: ...

    async def graph_step(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        job_ids: Sequence[uuid.UUID],
        *,
        upstream: bool,
    ) -> list[Any]:
        """Edges into (upstream) or out of (downstream) these jobs: one BFS step."""
        ...


class Dependencies(Protocol):
    """"""

    async def insert_edges(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """rows: the columns above."""
        ...

    async def pending_out(
        self, session: AsyncSession, parent_ids: Sequence[uuid.UUID]
    ) -> list[Any]:
        """PENDING edges leaving these parents (the only ones a parent's change can decide).
        Called for every batch of acknowledgements in a workflow: on PostgreSQL it runs on
        the driver connection, without SQLAlchemy's compile and result processing."""
        ...

    async def decide(
        self, session: AsyncSession, parents: Sequence[tuple[uuid.UUID, JobStatus]], now: datetime
    ) -> tuple[set[uuid.UUID], list[Any]]:
        """Decide what the parents' statuses alone decide: (children of the edges decided
        here, PENDING edges left for the caller to evaluate). On PostgreSQL the first part
        is one UPDATE and the second holds only edges with an expression; elsewhere nothing
        is decided here and every PENDING edge is returned."""
        ...

    async def set_status(
        self,
        session: AsyncSession,
        edge_ids: Sequence[uuid.UUID],
        status: EdgeStatus,
        now: datetime,
        by: str,
    ) -> None: ...

    async def lock_children(self, session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
        """Serialize the deciders of these children (row locks; the caller reads their edges
        in a later statement, which sees what the previous holder committed). SQLite runs
        one write transaction at a time and needs none."""
        ...

    async def children_state(
        self, session: AsyncSession, child_ids: Iterable[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any]]:
        """The engine rows of these children, and which edge statuses their incoming edges
        have: all of them, or on PostgreSQL those that decide ``child_outcome`` (the same
        outcome). Index probes per child, so a fan-in of thousands costs what a single edge
        does. One round trip on PostgreSQL (asked after every batch of acknowledgements in
        a workflow)."""
        ...

    async def decide_children(
        self, session: AsyncSession, child_ids: Iterable[uuid.UUID], now: datetime
    ) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any], list[Released]]:
        """(deciding edge statuses, engine rows, released groups) of these children. On
        PostgreSQL the children with every edge RESOLVED are already SATISFIED and only
        listed in the groups; elsewhere this is children_state and nothing is released."""
        ...

    async def set_dependency_status(
        self,
        session: AsyncSession,
        job_ids: Sequence[uuid.UUID],
        status: DependencyStatus,
        now: datetime,
    ) -> None:
        """On PostgreSQL one array parameter: a fan-out releasing 10,000 children would
        otherwise compile and plan a statement with 10,000 placeholders."""
        ...


class Store(Protocol):
    """A database's engine and lock strategy and its implementations of the areas."""

    executions: Executions
    jobs: Jobs
    outbox: Outbox
    workflows: Workflows
    graph: Graph
    dependencies: Dependencies

    @property
    def embedded(self) -> bool:
        """Whether the database lives in this process's data directory (SQLite): it is
        then migrated on start, since no other deployment step owns it."""
        ...

    def engine_kwargs(self, pool_size: int) -> dict[str, Any]: ...

    def configure(self, engine: AsyncEngine) -> None:
        """Connection set-up (pragmas, pool checks) on a new engine."""
        ...

    def read_options(self) -> dict[str, Any]:
        """Execution options of read-only sessions."""
        ...

    def serialize_writes(self) -> bool:
        """Whether this process should queue its write transactions itself (SQLite has
        one writer; waiting writers would otherwise poll in its busy handler)."""
        ...

    def lock_for_claim(self, stmt: T, of: Any = None) -> T:
        """Row locks for a claim (of ``of``'s rows) that skip rows locked by others
        (SKIP LOCKED). A no-op on SQLite, whose writers are serialized."""
        ...

    def lock_row(self, stmt: T) -> T:
        """A row lock that waits (FOR UPDATE). A no-op on SQLite (writers serialized)."""
        ...

    async def xact_lock(self, session: AsyncSession, key: int) -> None:
        """Serialize a rare use case across processes until the transaction ends (an
        advisory lock). A no-op on SQLite (writers serialized)."""
        ...

    def insert_ignore(self, table: Table) -> Insert:
        """An INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING)."""
        ...


def store_of(session: AsyncSession) -> Store:
    """The store of the database that made this session."""
    store: Store = session.info[STORE]
    return store


def store_for(url: str) -> Store:
    """The store for a database URL (chosen once, when the database is opened)."""
    from sqlalchemy.engine import make_url

    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        from taskforge.persistence.postgres import PostgresStore

        return PostgresStore()
    if backend == "sqlite":
        from taskforge.persistence.sqlite import SqliteStore

        return SqliteStore()
    raise ValueError(
        f"unsupported database: {backend} (use postgresql+asyncpg or sqlite+aiosqlite)"
    )
