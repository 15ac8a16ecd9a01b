"""Planner statistics kept up with bulk inserts.

A workflow of 10,000 jobs, or a map's 10,000 children, can land in a table the planner
last measured when it held a few rows. Statements prepared on each connection are then
planned, and their generic plans cached, for a table of one page: every probe of
``job_dependencies`` by parent or child becomes a sequential scan of all its rows, per
job claimed and per acknowledgement (a map's drain took 1.7x its independent jobs',
40 ms a statement). Autovacuum analyzes such a table too, but up to a minute later, and
never where it is turned off.

So the bulk inserts count their rows per table (``store.note_inserted``), and once a committed write
has brought a table as many rows as it had when last analyzed by this process (at
least ``BULK``), the table is analyzed in the background, on a connection of its own
(``ANALYZE (SKIP_LOCKED)``: a table being altered is left alone). The new statistics
invalidate the cached plans on every connection. One ANALYZE per table at a time; a
failure is logged, never the writer's error.

Only the columns plans are made of are measured (``ANALYZED``): the JSON and text
bodies of ``jobs`` (payloads, outputs, errors) are never in a condition, and sorting
their sample for a histogram cost as much as the rest of the table (about 90 ms of the
180 ms an ANALYZE of a 40,000-job table took, in the middle of a map's drain). Their
statistics stay as autovacuum last left them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

BULK = 1000  # rows: fewer never make a plan go wrong by much
# bodies the planner never reads statistics of (no condition, join or ordering uses them)
BODIES = {"jobs": ("payload", "payload_template", "output", "error", "map_over", "trace_context")}
TABLES = frozenset({"jobs", "job_dependencies"})  # the names ANALYZE is ever given


class Statistics:
    """Rows inserted per table since this process last analyzed it, and the ANALYZEs
    under way (their tasks held here so that they are not collected mid-run)."""

    def __init__(self) -> None:
        self._since: dict[str, int] = {}
        self._measured: dict[str, float] = {}  # reltuples after this process's ANALYZE
        self._running: dict[str, asyncio.Task[None]] = {}

    def committed(self, engine: AsyncEngine, inserted: Mapping[str, int]) -> None:
        for table, rows in inserted.items():
            if table not in TABLES:
                continue
            since = self._since[table] = self._since.get(table, 0) + rows
            if since < max(BULK, self._measured.get(table, 0.0)) or table in self._running:
                continue
            self._since[table] = 0
            task = asyncio.get_running_loop().create_task(self._analyze(engine, table))
            self._running[table] = task

    async def idle(self, cancel_after: float | None = None) -> None:
        """Wait for the ANALYZEs under way (tests); after ``cancel_after`` seconds
        (shutdown), cancel those still running: an ANALYZE of a large table need not hold
        up a stop."""
        while tasks := list(self._running.values()):
            _, pending = await asyncio.wait(tasks, timeout=cancel_after)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for table, task in list(self._running.items()):
                if task.done():  # also one cancelled before it ever ran
                    del self._running[table]

    async def _analyze(self, engine: AsyncEngine, table: str) -> None:
        try:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(await _statement(conn, table)))
                measured = await conn.scalar(
                    text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                    {"t": table},
                )
            if measured is not None and float(measured) == self._measured.get(table):
                # unchanged: most likely not ours to analyze (PostgreSQL only warns)
                log.info("analyzing %s left its statistics as they were", table)
            self._measured[table] = float(measured or 0)
        except Exception as exc:  # the plans stay as they were: slower, not wrong
            log.warning("analyzing %s after a bulk insert failed: %r", table, exc)
        finally:
            self._running.pop(table, None)


async def _statement(conn: AsyncConnection, table: str) -> str:
    """The ANALYZE of ``table``'s columns but its bodies (read from the catalog: a column
    added later is measured without a change here)."""
    bodies = BODIES.get(table)
    if not bodies:
        return f"ANALYZE (SKIP_LOCKED) {table}"
    columns = await conn.scalars(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ),
        {"t": table},
    )
    kept = [f'"{c}"' for c in columns if c not in bodies]
    return f"ANALYZE (SKIP_LOCKED) {table} ({', '.join(kept)})"
