"""Organizations as the operator sees them (list, state, tier), the suspension check of
the hot paths, and the removal of a deleted organization's rows in bounded batches.

The removal plan is derived from the metadata, so that tables added later are covered
without a change here: every table with an ``organization_id`` column, and every table
that reaches such a table by a foreign key (``execution_logs`` through its execution),
in an order that deletes children before their parents. ``LINKS`` names the few tables
that hold a tenant's rows with neither (``tests/unit`` asserts every other table is
covered, so a new one cannot be forgotten silently).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    MetaData,
    Select,
    Table,
    UniqueConstraint,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.schema import sort_tables

from taskforge.domain.enums import WorkerStatus
from taskforge.persistence.tables import Base, Organization, Subscription, Worker

ORG = "organization_id"
# tables that belong to no organization (or are the organization itself)
GLOBAL = frozenset({"organizations", "outbox_cursor", "engine_leases", "webhook_cursor"})
# a tenant's rows reached through a column that is no foreign key (none, or kept by
# triggers: an execution's job): table -> (column, table whose ``id`` it holds)
LINKS: dict[str, tuple[str, str]] = {
    "workflow_job_counts": ("workflow_id", "workflows"),
    "job_executions": ("job_id", "jobs"),
    "rate_limit_starts": ("queue_id", "job_queues"),  # idx_rate_limit_starts_key
}


# -- the operator's reads and writes ------------------------------------------------


async def get(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, org_id)


async def with_subscriptions(
    session: AsyncSession, limit: int
) -> list[tuple[Organization, Subscription | None]]:
    """Organizations, oldest first, each with its subscription."""
    stmt = (
        select(Organization, Subscription)
        .outerjoin(Subscription, Subscription.organization_id == Organization.id)
        .order_by(Organization.created_at, Organization.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def live_workers(session: AsyncSession, org_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Workers not OFFLINE per organization (one grouped count)."""
    stmt = (
        select(Worker.organization_id, func.count())
        .where(Worker.organization_id.in_(org_ids), Worker.status != WorkerStatus.OFFLINE)
        .group_by(Worker.organization_id)
    )
    return {row[0]: int(row[1]) for row in await session.execute(stmt)}


async def inactive(session: AsyncSession, org_id: uuid.UUID) -> tuple[bool, bool] | None:
    """(suspended, deleted) of an organization, or None if there is none: one probe
    by the primary key, for the credential check and the claim."""
    row = (
        await session.execute(
            select(Organization.suspended_at, Organization.deleted_at).where(
                Organization.id == org_id
            )
        )
    ).first()
    if row is None:
        return None
    return row.suspended_at is not None, row.deleted_at is not None


def not_inactive(
    column: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
) -> ColumnElement[bool]:
    """``column`` names an organization neither suspended nor deleted (the scheduler's
    filter: a suspended organization's schedules stay due and fire after it resumes,
    under their misfire policy)."""
    return ~exists().where(
        Organization.id == column,
        or_(Organization.suspended_at.is_not(None), Organization.deleted_at.is_not(None)),
    )


async def roll_period(
    session: AsyncSession,
    org_id: uuid.UUID,
    seen_end: datetime | None,
    new_end: datetime,
    anchor: datetime,
    jobs_used: int,
) -> None:
    """Start the period ending at ``new_end`` unless another transaction did since the
    caller read ``seen_end`` (compare and set: a period rolls once)."""
    await session.execute(
        update(Subscription)
        .where(
            Subscription.organization_id == org_id,
            Subscription.current_period_end.is_not_distinct_from(seen_end),
        )
        .values(current_period_end=new_end, period_anchor=anchor, jobs_used=jobs_used)
        .execution_options(synchronize_session=False)
    )


async def deleted_before(session: AsyncSession, before: datetime, limit: int) -> list[uuid.UUID]:
    """Organizations marked deleted at or before ``before``, oldest mark first."""
    stmt = (
        select(Organization.id)
        .where(Organization.deleted_at.is_not(None), Organization.deleted_at <= before)
        .order_by(Organization.deleted_at)
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def remove_row(session: AsyncSession, org_id: uuid.UUID) -> None:
    """The organization's own row (after every table is empty of it)."""
    await session.execute(delete(Organization).where(Organization.id == org_id))


# -- the removal plan ---------------------------------------------------------------


def _leading(table: Table) -> set[str]:
    """Columns an index (or key) of ``table`` starts with: a lookup by them is a probe."""
    out = {c.name for c in table.columns if c.index or c.unique}
    keys = [list(table.primary_key.columns)]
    keys += [list(i.columns) for i in table.indexes]
    keys += [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    out |= {cols[0].name for cols in keys if cols}
    return out


@dataclass(frozen=True)
class Step:
    """One table's rows of an organization, by ``via``: ``organization_id``, or a
    column holding the ``id`` of a parent table's rows of the organization."""

    table: Table
    column: str
    parent: Step | None = None

    def owned(self, org_id: uuid.UUID) -> ColumnElement[bool]:
        col = self.table.c[self.column]
        if self.parent is None:
            return col == org_id
        parent = self.parent
        return col.in_(select(parent.table.c.id).where(parent.owned(org_id)))

    def batch(self, org_id: uuid.UUID, limit: int) -> Select[tuple[object, ...]]:
        return select(*self.table.primary_key.columns).where(self.owned(org_id)).limit(limit)


def _parents(table: Table, metadata: MetaData) -> list[tuple[str, Table]]:
    """(column, parent table) of the links from ``table`` to tables keyed by ``id``."""
    out = [
        (fk.parent.name, fk.column.table)
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.column.name == "id" and fk.column.table.name != "organizations"
    ]
    if table.name in LINKS:
        column, parent = LINKS[table.name]
        out.append((column, metadata.tables[parent]))
    return out


def removal_plan(metadata: MetaData = Base.metadata) -> list[Step]:
    """Every step removing a tenant's rows, children before parents. A table whose
    ``organization_id`` has no index goes through an indexed link to its parent first
    (batches stay probes, not scans), then by ``organization_id`` once for anything the
    link did not reach."""
    by_name: dict[str, Step] = {}

    def primary(table: Table) -> Step | None:
        if table.name in by_name:
            return by_name[table.name]
        if table.name in GLOBAL:
            return None
        leading = _leading(table)
        step: Step | None = None
        if ORG in table.c and ORG in leading:
            step = Step(table, ORG)
        else:
            for column, parent in _parents(table, metadata):
                parent_step = primary(parent)
                if parent_step is not None and column in leading:
                    step = Step(table, column, parent_step)
                    break
            if step is None and ORG in table.c:
                step = Step(table, ORG)
            if step is None:
                for column, parent in _parents(table, metadata):
                    if (parent_step := primary(parent)) is not None:
                        step = Step(table, column, parent_step)
                        break
        if step is not None:
            by_name[table.name] = step
        return step

    tables = metadata.tables
    # parents first: a link counts as a foreign key; the jobs' trigger writes counts as
    # jobs go, so those counts go after the jobs
    after = [(tables[parent], tables[name]) for name, (_, parent) in LINKS.items()]
    after.append((tables["workflow_job_counts"], tables["jobs"]))
    ordered = list(reversed(sort_tables(tables.values(), extra_dependencies=after)))
    plan: list[Step] = []
    for table in ordered:
        step = primary(table)
        if step is None:
            continue
        plan.append(step)
        if step.column != ORG and ORG in table.c:
            plan.append(Step(table, ORG))  # whatever the link did not reach
    return plan


def uncovered(metadata: MetaData = Base.metadata) -> list[str]:
    """Tables the removal plan misses (must stay empty: see LINKS)."""
    covered = {step.table.name for step in removal_plan(metadata)} | GLOBAL
    return sorted(set(metadata.tables) - covered)


PLAN = removal_plan()


async def remove_batch(session: AsyncSession, step: Step, org_id: uuid.UUID, limit: int) -> int:
    """Delete up to ``limit`` of the organization's rows of one step; how many went."""
    keys = list(step.table.primary_key.columns)
    picked = step.batch(org_id, limit)
    target = keys[0].in_(picked) if len(keys) == 1 else tuple_(*keys).in_(picked)
    result = await session.execute(
        delete(step.table).where(target).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
