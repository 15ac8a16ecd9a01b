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
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Insert, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.selectable import GenerativeSelect

from taskforge.domain.enums import (
    DependencyStatus,
    EdgeStatus,
    JobStatus,
    WorkerStatus,
    WorkflowStatus,
)
from taskforge.domain.events import Event, WorkflowState
from taskforge.domain.flow_claims import Candidate
from taskforge.domain.rows import (
    GraphEdge,
    GraphJob,
    PendingEdge,
    RefreshRow,
    Released,
    Succeeded,
)

# set in a session's info by whatever writes outbox events in its transaction
EVENTS_WRITTEN = "taskforge.events_written"
# the key of a session's store in its ``info``
STORE = "taskforge.store"
# True inside a write transaction (``Database.write``): SQLite then begins IMMEDIATE,
# so a writer never has to upgrade its lock mid-transaction (SQLITE_BUSY, not a wait)
WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("writing", default=False)

# a write session's info: rows its bulk statements inserted, by table
INSERTED = "taskforge.inserted"
# a write session's info: workflows' (status, counts) as a statement of this transaction
# left them (the engine's refresh, a claim), for the events recorded next
# (services/job_events.with_workflow_state)
WORKFLOW_STATES = "taskforge.workflow_states"

T = TypeVar("T", bound=GenerativeSelect)


def note_inserted(session: AsyncSession, table: str, rows: int) -> None:
    """Count rows a bulk statement of this transaction inserted (``Store.committed``)."""
    counts: dict[str, int] = session.info.setdefault(INSERTED, {})
    counts[table] = counts.get(table, 0) + rows


class Executions(Protocol):
    """Claims and acknowledgements: the statements every job runs."""

    async def claim_targets(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        worker_id: uuid.UUID,
        now: datetime,
        probe: bool = True,
        job_types: Sequence[str] | None = None,
    ) -> tuple[WorkerStatus | None, list[Any]]:
        """Record the claiming worker's sign of life (ONLINE unless DRAINING; at most once
        per ``BEAT_EVERY``); return its status (None: no such worker) and its assignments
        (``ready`` probed for jobs of ``job_types`` only, by the typed ready index, unless
        None)
        (rows with queue_id, weight, is_active, priority, settings, flow_control, paused,
        ready, due; a
        paused queue, or any queue of a suspended or deleted organization, is neither
        ready nor due, so such a claim takes nothing without another round trip).
        Without ``probe``, every other queue is reported ready without looking (the
        caller expects a backlog: the claim itself finds out, and the probe would walk
        the same index entries).

        PostgreSQL commits this on its own when it opens the unit of work (a sign of life
        need not wait for the claim, and an empty claim costs one round trip); SQLite
        writes it in the unit of work. Either way it is written."""
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
        job_types: Sequence[str] | None = None,
        parents: bool = False,
    ) -> list[tuple[Any, uuid.UUID, bool | None]]:
        """Take up to ``limit`` ready jobs, group by group (queues of equal rank), each group
        by job priority then age; they come back PROCESSING with their attempt counted and
        one STARTED execution each (``deadlines``: per queue). ``job_types``: only jobs
        of these types, found by the typed ready index (None: any type).

        Returns (job row with every job column, execution id, whether the start decides
        edges: PENDING outgoing PARALLEL edges; None where the store does not read it,
        SQLite, and the engine then looks). Two concurrent claims never take the same
        job: SKIP LOCKED on PostgreSQL, one writer at a time on SQLite. ``parents``:
        PostgreSQL's rows carry ``parent_outputs``, each workflow job's parents' outputs
        by name (read by the claim itself; None: not read, the caller reads them)."""
        ...

    async def ack_rows(
        self, session: AsyncSession, org_id: uuid.UUID, execution_ids: Sequence[uuid.UUID]
    ) -> list[Any]:
        """What an acknowledgement checks (id, status, job_id, job_status, organization_id,
        queue_id, project_id, job_type, workflow_id), in execution id order, with both
        rows locked (so two acknowledgements of overlapping batches cannot deadlock).
        Outgoing edges are not read here: this statement may have waited for the locks
        and could miss an edge committed meanwhile; the engine reads them itself."""
        ...

    async def succeed_current(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        items: Sequence[tuple[uuid.UUID, Any]],
        now: datetime,
    ) -> list[Succeeded]:
        """(execution id, output) pairs: each execution of the tenant that is STARTED,
        with its job running, ends SUCCEEDED together with its job (that output, finished
        now, the job's error cleared); the rest are left as they are. Returns those that
        ended. PostgreSQL does it in one statement without a locking read (the update of
        each job waits for whatever holds it, then checks again); SQLite reads with
        ``ack_rows`` and writes with ``succeed``."""
        ...

    async def succeed(
        self,
        session: AsyncSession,
        done: Sequence[tuple[uuid.UUID, uuid.UUID, Any]],
        now: datetime,
    ) -> None:
        """(execution id, job id, output) triples: both rows SUCCEEDED with that output,
        finished now, the job's error cleared; batched."""
        ...


class Jobs(Protocol):
    async def insert_in_queues(
        self, session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
    ) -> list[Any]:
        """Insert job rows into the organization's queues, each with its queue's project;
        returns the new rows (every job column) in the order given. Rows whose queue is
        not one of the organization's are left out, and so are rows of queues with flow
        control (their rows are written by services/flow)."""
        ...

    async def insert_rows(
        self, session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
    ) -> list[Any]:
        """Insert job rows of the organization whose queues the caller checked, each
        with its project, flow-control columns (concurrency and rate keys, round-robin
        position), status reason and end time; returns them (every job column) in the
        order given. PostgreSQL: one statement of one array per column, nothing read
        back; SQLite: a multi-row INSERT ... RETURNING."""
        ...

    async def insert_added(
        self,
        session: AsyncSession,
        rows: list[dict[str, Any]],
        shared: Mapping[str, Any] | None = None,
    ) -> None:
        """Insert jobs added to a running workflow (a template's mapped children, spawned
        jobs): each row has ``jobs.ADDED_COLUMNS`` but those in ``shared``, the values
        every row has (a map's queue, type, workflow...: sent once, not per row; flow
        columns optional: absent, none), nothing read back. PostgreSQL: one statement of
        one array per column and one value per shared column (10,000 mapped children in
        one acknowledgement: through SQLAlchemy's multi-row INSERT, with every column
        returned, it took a second); SQLite: an executemany."""
        ...


class Flow(Protocol):
    """Flow claims (concurrency keys, rate limits, round robin; persistence/common/flow
    has the portable statements and the reasons for the locks)."""

    async def lock(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Take these transaction-level advisory locks, in the order given (callers sort
        them), waiting for each. A no-op on SQLite (writers serialized)."""
        ...

    async def candidates(
        self,
        session: AsyncSession,
        group: Sequence[uuid.UUID],
        window: int,
        job_types: Sequence[str] | None = None,
        after: int = 0,
    ) -> list[Candidate]:
        """Up to ``window`` ready jobs of these queues (of ``job_types`` only, unless
        None) in claim order (priority, round-robin position, age), leaving out those
        whose concurrency key has its max running, and the first ``after`` of the rest
        (an earlier walk's); each with its rules and the running jobs of its key in its
        queue (0 without one). Read after the queues' claim locks (PostgreSQL: one
        statement, whose snapshot sees every claim committed before them); no row
        locks."""
        ...

    async def start(
        self,
        session: AsyncSession,
        ids: Sequence[uuid.UUID],
        now: datetime,
        worker_id: uuid.UUID,
        lease_until: datetime,
        deadlines: dict[uuid.UUID, datetime | None],
    ) -> list[tuple[Any, uuid.UUID, bool | None]]:
        """Start these jobs as ``Executions.claim`` starts its own (same rows back, in no
        order): those still ready; on PostgreSQL those another transaction holds are
        skipped (SKIP LOCKED)."""
        ...


class Keys(Protocol):
    async def insert_new(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]]
    ) -> set[tuple[str, str]]:
        """Insert idempotency key rows (every column) in the order given, skipping keys
        held already (ON CONFLICT DO NOTHING); returns the (scope, key) pairs inserted.
        On PostgreSQL a key another transaction has inserted and not yet committed
        makes this wait for it: skipped if it commits, inserted if it rolls back.
        Callers sort the rows by (scope, key), so that two batches wait on each other's
        keys in one order (never a deadlock)."""
        ...


class Outbox(Protocol):
    async def append(
        self,
        session: AsyncSession,
        new: Sequence[Event],
        workflows: Mapping[uuid.UUID, WorkflowState] | None = None,
    ) -> None:
        """Typed events, in order: one multi-row INSERT of their encoded rows
        (``events.encode``, with ``workflows``: runs of one tenant, topic and type
        share a row). Marks the session as having written events."""
        ...

    async def lock_cursor(self, session: AsyncSession) -> int | None:
        """Take the relay's cursor row and return its last seq; None while another
        replica's relay holds it (never on SQLite, whose writers are serialized)."""
        ...

    async def stamp_next(self, session: AsyncSession, limit: int) -> list[Any] | None:
        """Take the cursor and stamp the oldest ``limit`` unstamped rows with the next
        ``seq`` values, in insertion order, each row as many as its span; returns them in
        ``seq`` order (seq, span, organization_id, topic, type, payload as JSON text,
        created_at). None while another replica's relay holds the cursor."""
        ...


class Workflows(Protocol):
    async def lock_for_refresh(
        self,
        session: AsyncSession,
        ids: Iterable[uuid.UUID],
        locked: Iterable[uuid.UUID] = (),
    ) -> list[RefreshRow]:
        """The workflows, locked in id order (two transactions never wait on each other in
        a cycle), each with whether any job is still live, read once the lock is held:
        what the engine decides on after every batch of acknowledgements. ``locked``:
        those this transaction holds already (``Dependencies.decide`` took them)."""
        ...

    async def has_live_jobs(self, session: AsyncSession, workflow_id: uuid.UUID) -> bool:
        """Whether any job of the workflow has not ended."""
        ...

    async def states(
        self, session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
        """Each workflow's status and its jobs' counts per status (statuses with no job
        left out), with this session's pending changes flushed first.

        Deliberate difference, same result: PostgreSQL sums the changes a trigger keeps
        in a counts table (a few rows per batch that touched the workflow, folded by
        ``fold_counts``); SQLite counts the workflow's jobs."""
        ...

    async def fold_counts(self, session: AsyncSession, over: int, limit: int) -> int:
        """Fold the count changes of up to ``limit`` workflows with more than ``over``
        rows into one row per status; returns how many workflows were folded. Always 0
        on SQLite, which keeps no count changes (see ``states``).

        PostgreSQL share-locks each workflow's row, so a deleteWorkflow either waits for
        the fold and then removes the folded rows too, or holds the row and the fold
        skips it."""
        ...

    async def parents(
        self, session: AsyncSession, child_ids: Sequence[uuid.UUID], org_id: uuid.UUID | None
    ) -> dict[uuid.UUID, dict[str, tuple[JobStatus, Any]]]:
        """Each job's direct parents that have a name (workflow jobs), by name: their
        status and output, in one statement by the edges' child index (``org_id``: only
        that organization's edges). Read by claims of workflow jobs (``ctx.parents``)
        and as payload references resolve."""
        ...


class Graph(Protocol):
    async def graph_jobs(
        self, session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[str]
    ) -> list[GraphJob]:
        """These jobs of the organization (ids as text), as a graph shows them."""
        ...

    async def graph_of_workflow(
        self, session: AsyncSession, workflow_id: uuid.UUID
    ) -> tuple[list[GraphJob], list[GraphEdge]]:
        """A workflow's jobs (by creation, then name) and the edges leaving them."""
        ...

    async def graph_step(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        job_ids: Sequence[str],
        *,
        upstream: bool,
    ) -> list[GraphEdge]:
        """Edges into (upstream) or out of (downstream) these jobs: one BFS step."""
        ...


class Dependencies(Protocol):
    """The resolution engine's set-based reads and writes of edges."""

    async def insert_edges(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Insert edges (id, organization_id, parent_job_id, child_job_id,
        dependency_type, condition, expression, status, created_at), in one statement."""
        ...

    async def pending_out(
        self, session: AsyncSession, parent_ids: Sequence[uuid.UUID]
    ) -> list[PendingEdge]:
        """PENDING edges leaving these parents (the only ones a parent's change can
        decide), with this session's pending changes flushed first."""
        ...

    async def decide(
        self,
        session: AsyncSession,
        parents: Sequence[tuple[uuid.UUID, JobStatus]],
        now: datetime,
        workflows: Iterable[uuid.UUID] = (),
        mapped: Iterable[uuid.UUID] = (),
    ) -> tuple[set[uuid.UUID], list[PendingEdge]]:
        """Decide the parents' PENDING edges without an expression by the parents'
        statuses alone (``evaluate_edge``; resolved_by ``parent:STATUS``) and return the
        children of the edges decided, locked as ``lock_children`` locks them, with the
        PENDING edges that have an expression, left for the caller (they need the
        parent's output). The same decisions on every store: one UPDATE on PostgreSQL
        (which takes the locks too), evaluated in Python on SQLite. ``workflows`` are
        then locked as ``Workflows.lock_for_refresh`` locks them (after the children).
        ``mapped``: the parents that may be mapped children (ended, in a workflow): the
        templates of those that are come back and are locked with the children (their
        implied edges into them decide them as a stored edge would)."""
        ...

    async def set_status(
        self,
        session: AsyncSession,
        edge_ids: Sequence[uuid.UUID],
        status: EdgeStatus,
        now: datetime,
        by: str,
    ) -> None:
        """These edges, if still PENDING, decided: ``status``, resolved now ``by``."""
        ...

    async def lock_children(self, session: AsyncSession, child_ids: Sequence[uuid.UUID]) -> None:
        """Serialize the deciders of these children: row locks in id order on PostgreSQL
        (the caller reads their edges in a later statement, which then sees what the
        previous holder committed). Deliberately a no-op on SQLite: its one write
        transaction at a time already serializes them."""
        ...

    async def children_state(
        self, session: AsyncSession, child_ids: Iterable[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any]]:
        """The engine rows of these children (``ENGINE_COLUMNS``) and, per child with
        incoming edges, edge statuses that decide ``child_outcome``: every status present
        on SQLite, the deciding ones on PostgreSQL. The outcome is the same."""
        ...

    async def decide_children(
        self, session: AsyncSession, child_ids: Iterable[uuid.UUID], now: datetime
    ) -> tuple[dict[uuid.UUID, set[EdgeStatus]], list[Any], list[Released]]:
        """``children_state``, with the commonest decision applied: children whose
        incoming edges are all RESOLVED become SATISFIED here, are left out of the state
        and rows, and those that changed and are PENDING are listed in the released
        groups (one per organization, project, queue and workflow)."""
        ...

    async def set_dependency_status(
        self,
        session: AsyncSession,
        job_ids: Sequence[uuid.UUID],
        status: DependencyStatus,
        now: datetime,
    ) -> None:
        """These jobs' dependency status set (one array parameter on PostgreSQL: a
        fan-out releasing 10,000 children would otherwise plan 10,000 placeholders)."""
        ...


class Retention(Protocol):
    async def expired(
        self, session: AsyncSession, now: datetime, default_days: float, limit: int
    ) -> list[uuid.UUID]:
        """Up to ``limit`` finished jobs outside workflows whose queue's retention (its
        ``retention_days``, else ``default_days``) has passed since they finished, with
        no edge to or from a job that has not finished; locked on PostgreSQL (skipping
        rows others hold). Each queue's are found by an index range scan, oldest first:
        one statement on PostgreSQL (LATERAL), the queues one by one on SQLite."""
        ...

    async def expired_workflows(
        self, session: AsyncSession, now: datetime, default_days: float, limit: int
    ) -> list[uuid.UUID]:
        """Up to ``limit`` ended workflows (SUCCEEDED, FAILED, CANCELLED) whose jobs
        retention has not deleted yet, ended longer ago than the longest retention among
        their project's queues (each queue's ``retention_days``, else ``default_days``;
        ``default_days`` for a project without queues), with no job that has not ended;
        locked on PostgreSQL (skipping rows others hold). Each project's are found by a
        range scan of ``idx_workflows_expirable``, oldest first: one statement on
        PostgreSQL (LATERAL), the projects one by one on SQLite."""
        ...


class Store(Protocol):
    """A database's engine and lock strategy and its implementations of the areas."""

    executions: Executions
    jobs: Jobs
    flow: Flow
    keys: Keys
    outbox: Outbox
    workflows: Workflows
    graph: Graph
    dependencies: Dependencies
    retention: Retention

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

    def committed(self, engine: AsyncEngine, session: AsyncSession) -> None:
        """After a write transaction committed: upkeep its writes call for (PostgreSQL
        analyzes a table a bulk insert has doubled, in the background)."""
        ...

    async def idle(self, cancel_after: float | None = None) -> None:
        """Wait for the background upkeep under way (tests); after ``cancel_after``
        seconds (shutdown), what is still running is cancelled."""
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

    async def xact_locks(
        self, session: AsyncSession, keys: Sequence[int], shared: bool = False
    ) -> None:
        """``xact_lock`` of each key (signed 64-bit), in the order given, in one round
        trip: callers give them sorted, so two transactions taking overlapping sets
        cannot wait on each other in a cycle. ``shared``: locks that exclude only the
        exclusive holders of their keys. A no-op on SQLite (writers serialized)."""
        ...

    def insert_ignore(self, table: Table) -> Insert:
        """An INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING)."""
        ...

    def minutes_since(self, column: Any, start: datetime) -> ColumnElement[int]:
        """Whole minutes from ``start`` (a minute's start, UTC) to the time in ``column``
        (at or after it): the minute it falls in, counted from 0. Exact at the minutes'
        boundaries (integer arithmetic, no floating point)."""
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
