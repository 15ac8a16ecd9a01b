"""Debounce: the per-(queue, key value) lock, the key written on new jobs, and the waiting
jobs of a key value (``idx_jobs_debounce``) that a newer enqueue replaces."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.store import store_of
from taskforge.persistence.tables import WAITING_PREDICATE, Job

JOBS: Table = Job.__table__  # type: ignore[assignment]

Group = tuple[uuid.UUID, str]  # (queue id, key value)

_MARK = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job_id"))
    # updated_at kept: its ORM default would stamp the wall clock, not the use case's
    .values(debounce_key=bindparam("key"), updated_at=JOBS.c.updated_at)
    .execution_options(synchronize_session=False)
)


# Most group locks one transaction takes: each is an entry in the server's shared lock
# table (about 64 per connection by default) held until commit. A batch with more groups
# takes its queues whole instead.
MAX_GROUP_LOCKS = 16


def lock_id(group: Group, person: bytes = b"tf.debounce") -> int:
    """A group's advisory lock: a signed 64-bit hash of its queue and key value, in a
    space of its own (``person``), so it meets no other use of advisory locks."""
    queue_id, key = group
    digest = hashlib.blake2b(queue_id.bytes + key.encode(), digest_size=8, person=person).digest()
    return int.from_bytes(digest, "big", signed=True)


def queue_lock_id(queue_id: uuid.UUID) -> int:
    return lock_id((queue_id, ""), person=b"tf.debounce.q")


async def lock(session: AsyncSession, groups: Iterable[Group]) -> None:
    """Hold these groups until the transaction ends: an enqueue of one waits for the one
    before it to commit, so its next statement sees that one's job (READ COMMITTED).

    A few groups: each queue's lock shared, then each group's exclusive. Many groups:
    each queue's lock exclusive (every group of the queue at once), so a transaction
    holds at most MAX_GROUP_LOCKS + its queues. Queue locks first, then group locks,
    each in id order: two transactions cannot wait on each other in a cycle."""
    groups = set(groups)
    store = store_of(session)
    queues = sorted({queue_lock_id(q) for q, _ in groups})
    if len(groups) > MAX_GROUP_LOCKS:
        await store.xact_locks(session, queues)
    else:
        await store.xact_locks(session, queues, shared=True)
        await store.xact_locks(session, sorted({lock_id(g) for g in groups}))


async def mark(session: AsyncSession, keys: Sequence[tuple[uuid.UUID, str]]) -> None:
    """(job id, key value) pairs: each new job keeps its key value. A statement of its
    own, only for debounced jobs: the enqueue's INSERT stays the same for every other."""
    await session.execute(_MARK, [{"job_id": job_id, "key": key} for job_id, key in keys])


def waiting(org_id: uuid.UUID, queue_id: uuid.UUID, keys: Collection[str]) -> Select[Any]:
    """The tenant's jobs of a queue with one of these key values that wait and never
    started (PENDING or SCHEDULED, no attempt made), in id order (id, status): an entry
    of ``idx_jobs_debounce`` per key value. One queue a statement: SQLite uses the index
    for ``queue_id = ? AND debounce_key IN (...)``, not for pairs of the two."""
    return (
        select(JOBS.c.id, JOBS.c.status)
        .where(
            JOBS.c.queue_id == queue_id,
            JOBS.c.debounce_key.in_(list(keys)),
            text(WAITING_PREDICATE),
            JOBS.c.attempts == 0,
            JOBS.c.organization_id == org_id,
        )
        .order_by(JOBS.c.id)
    )


async def lock_waiting(
    session: AsyncSession, org_id: uuid.UUID, groups: Iterable[Group]
) -> list[Row[Any]]:
    """``waiting`` of these groups, locked in id order queue by queue. A claim that took
    one of them meanwhile is waited for, and the job, PROCESSING then, no longer
    matches: it runs."""
    by_queue: dict[uuid.UUID, set[str]] = defaultdict(set)
    for queue_id, key in groups:
        by_queue[queue_id].add(key)
    found: list[Row[Any]] = []
    for queue_id, keys in sorted(by_queue.items()):
        stmt = waiting(org_id, queue_id, sorted(keys))
        found += await session.execute(store_of(session).lock_row(stmt))
    return found
