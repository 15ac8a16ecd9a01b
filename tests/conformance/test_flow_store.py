"""The flow-control statements, specified once and checked on every store (SQLite and
PostgreSQL): the flow claim's walk and start (``Store.flow``), the locks, and the
portable statements of persistence/common/flow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from taskforge.domain.enums import DependencyStatus, ExecutionStatus, JobStatus, WorkerType
from taskforge.persistence.common import flow, jobs
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, JobExecution, JobQueue
from taskforge.services import workers
from tests.conftest import admin_of

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def row(org: Any, **values: Any) -> dict[str, Any]:
    out = {
        "id": uuid.uuid4(),
        "organization_id": org.organization.id,
        "project_id": org.project.id,
        "queue_id": org.queue.id,
        "job_type": "t",
        "payload": {},
        "priority": 5,
        "status": JobStatus.PENDING,
        "dependency_status": DependencyStatus.NONE,
        "attempts": 0,
        "scheduled_for": None,
        "max_attempts": None,
        "trace_context": None,
        "status_reason": None,
        "finished_at": None,
        "created_at": NOW,
        "updated_at": NOW,
        "concurrency_key": None,
        "concurrency_max": None,
        "rate_key": None,
        "rate_limit": None,
        "rate_period": None,
        "fair_seq": 0,
    }
    return out | values


async def insert(svc: Any, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    async with svc.write() as session:
        await jobs.insert_many(session, rows)
    return [r["id"] for r in rows]


async def test_the_walk_in_claim_order_without_full_keys(svc: Any, org: Any) -> None:
    later = NOW + timedelta(seconds=1)
    ids = await insert(
        svc,
        [
            row(org, concurrency_key="a", concurrency_max=1, fair_seq=1),
            row(org, concurrency_key="a", concurrency_max=1, fair_seq=2),
            row(org, concurrency_key="b", concurrency_max=2, fair_seq=1, created_at=later),
            row(org, fair_seq=1, created_at=later, job_type="u"),
            row(org, priority=9, fair_seq=7, rate_key="r", rate_limit=3, rate_period=60),
            row(org, concurrency_key="b", status=JobStatus.PROCESSING, concurrency_max=2),
            row(org, concurrency_key="c", status=JobStatus.PROCESSING, concurrency_max=1),
            row(org, concurrency_key="c", concurrency_max=1, fair_seq=0),  # full: left out
            row(org, dependency_status=DependencyStatus.WAITING),  # not ready
        ],
    )
    async with svc.write() as session:
        got = await store_of(session).flow.candidates(session, [org.queue.id], 10)
        typed = await store_of(session).flow.candidates(session, [org.queue.id], 10, ["u"])
        two = await store_of(session).flow.candidates(session, [org.queue.id], 2)
        rest = await store_of(session).flow.candidates(session, [org.queue.id], 9, after=2)
    assert [r.id for r in got] == [ids[4], ids[0], ids[2], ids[3], ids[1]]
    first = got[0]
    assert (first.queue_id, first.rate_key, first.rate_limit, first.rate_period) == (
        org.queue.id,
        "r",
        3,
        60,
    )
    assert [(r.concurrency_key, r.concurrency_max, r.running) for r in got] == [
        (None, None, 0),
        ("a", 1, 0),
        ("b", 2, 1),
        (None, None, 0),
        ("a", 1, 0),
    ]
    assert [r.id for r in typed] == [ids[3]]
    assert [r.id for r in two] == [ids[4], ids[0]]
    assert [r.id for r in rest] == [ids[2], ids[3], ids[1]]  # after the first walk's two


async def test_start_takes_the_ready_ones_among_the_chosen(svc: Any, org: Any) -> None:
    ready, waiting = await insert(
        svc, [row(org), row(org, dependency_status=DependencyStatus.WAITING)]
    )
    worker = await workers.register(
        svc, admin_of(org), "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    lease = NOW + timedelta(seconds=60)
    async with svc.write() as session:
        started = await store_of(session).flow.start(
            session, [ready, waiting], NOW, worker.id, lease, {org.queue.id: None}
        )
        assert await store_of(session).flow.start(session, [], NOW, worker.id, lease, {}) == []
    [(job, execution_id, _)] = started
    assert (job.id, job.status, job.attempts, job.started_at) == (
        ready,
        JobStatus.PROCESSING,
        1,
        NOW,
    )
    async with svc.read() as session:
        execution = await session.get(JobExecution, execution_id)
    assert execution is not None and execution.status is ExecutionStatus.STARTED
    assert (execution.job_id, execution.worker_id) == (ready, worker.id)


async def test_locks_are_held_until_the_transaction_ends(svc: Any, org: Any) -> None:
    ids = [flow.claim_lock(org.queue.id), flow.enqueue_lock(org.queue.id, "k")]
    assert ids[0] == flow.claim_lock(org.queue.id) and ids[0] != ids[1]  # stable, distinct
    async with svc.write() as session:
        await flow.lock(session, ids)
        if session.bind.dialect.name == "postgresql":  # a no-op on SQLite (one writer)
            held = await session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            )
            assert held == 2
    # stripes: a bounded number of enqueue locks per queue, whatever the keys
    stripes = {flow.enqueue_lock(org.queue.id, f"key-{i}") for i in range(1000)}
    assert len(stripes) == flow.STRIPES


async def test_flags_and_queue_reads_are_the_tenants(svc: Any, org: Any, other_org: Any) -> None:
    async with svc.write() as session:
        await flow.flag_queues(session, other_org.organization.id, [org.queue.id])
        assert await flow.queues_of(session, other_org.organization.id, [org.queue.id]) == {}
        await flow.flag_queues(session, org.organization.id, [org.queue.id])
        [found] = (await flow.queues_of(session, org.organization.id, [org.queue.id])).values()
        assert (found.id, found.project_id, found.flow_control) == (
            org.queue.id,
            org.project.id,
            True,
        )
    # a flagged queue's rows are the flow path's: the plain insert leaves them out
    async with svc.write() as session:
        assert await jobs.insert_in_queues(session, org.organization.id, [row(org)]) == []
    async with svc.read() as session:
        queue = await session.get(JobQueue, other_org.queue.id)
        assert queue is not None and not queue.flow_control


async def test_positions_and_counts_of_keys(svc: Any, org: Any) -> None:
    ids = await insert(
        svc,
        [
            row(org, concurrency_key="a", fair_seq=4, priority=1),
            row(org, concurrency_key="a", fair_seq=9, status=JobStatus.SCHEDULED),
            row(org, concurrency_key="a", fair_seq=12, status=JobStatus.SUCCEEDED),  # ended
            row(org, concurrency_key="b", fair_seq=3, status=JobStatus.PROCESSING),
            row(org, fair_seq=6, priority=8),  # the head: the next claim's first job
        ],
    )
    async with svc.write() as session:
        heads, last = await flow.fair_positions(session, {org.queue.id: ["a", "b", "z"]})
        assert heads == {org.queue.id: 6}
        assert last == {(org.queue.id, "a"): 9, (org.queue.id, "b"): 3}
        assert await flow.live_counts(session, org.queue.id, ["a", "b", "z"]) == {"a": 2, "b": 1}
        assert await flow.running_counts(session, [org.queue.id]) == {(org.queue.id, "b"): 1}
        more = row(
            org, concurrency_key="a", status=JobStatus.PROCESSING, created_at=NOW + timedelta(1)
        )
        await jobs.insert_many(session, [more])
        oldest = await flow.oldest_live(session, org.queue.id, "a", 2)
        assert [j.id for j in oldest] == [more["id"], ids[0]]  # running first, then by age
        empty, _ = await flow.fair_positions(session, {uuid.uuid4(): []})
        assert list(empty.values()) == [0]


async def test_rate_starts_are_counted_within_their_period(svc: Any, org: Any) -> None:
    q, other = org.queue.id, uuid.uuid4()
    starts = [
        {
            "organization_id": org.organization.id,
            "queue_id": queue,
            "rate_key": key,
            "started_at": NOW - timedelta(seconds=ago),
            "expires_at": NOW - timedelta(seconds=ago) + timedelta(seconds=60),
        }
        for queue, key, ago in [
            (q, "k", 70),
            (q, "k", 50),
            (q, "k", 10),
            (q, "j", 5),
            (other, "k", 1),
        ]
    ]
    async with svc.write() as session:
        await flow.record_starts(session, starts)
        await flow.record_starts(session, [])
        counted = await flow.starts_within(
            session, [(q, "k", 60), (q, "k", 20), (q, "j", 60), (q, "x", 60)], NOW
        )
        assert counted == {(q, "k", 60): 2, (q, "k", 20): 1, (q, "j", 60): 1, (q, "x", 60): 0}
        oldest = await flow.oldest_starts(session, (q, "k", 60), NOW, 1, 5)
        assert oldest == [NOW - timedelta(seconds=10)]
        assert await flow.purge_starts(session, NOW, 10) == 1  # the one of 70 s ago
        assert await flow.purge_starts(session, NOW, 10) == 0


async def test_throttle_reschedules_only_ready_jobs(svc: Any, org: Any) -> None:
    ready, other, cancelled = await insert(
        svc, [row(org), row(org), row(org, status=JobStatus.CANCELLED)]
    )
    at = {ready: NOW + timedelta(seconds=30), other: NOW + timedelta(seconds=90)}
    async with svc.write() as session:
        changed = await flow.throttle(session, {**at, cancelled: NOW}, NOW)
        assert await flow.throttle(session, {}, NOW) == []
    assert {r.id: (r.status, r.status_reason, r.scheduled_for) for r in changed} == {
        job: (JobStatus.SCHEDULED, "rate_limited", when) for job, when in at.items()
    }
    async with svc.read() as session:
        status = await session.scalar(select(Job.status).where(Job.id == cancelled))
    assert status is JobStatus.CANCELLED


async def test_rows_with_flow_columns_come_back_as_written(svc: Any, org: Any) -> None:
    written = [
        row(org, payload={"c": 1}, concurrency_key="1", concurrency_max=2, fair_seq=5),
        row(
            org,
            status=JobStatus.CANCELLED,
            status_reason="concurrency_limit",
            finished_at=NOW,
            rate_key="r",
            rate_limit=3,
            rate_period=60,
        ),
    ]
    async with svc.write() as session:
        got = await jobs.insert_rows(session, org.organization.id, [dict(r) for r in written])
    async with svc.read() as session:
        stored = {j.id: j for j in await session.scalars(select(Job))}
    columns = [c.name for c in Job.__table__.columns]
    for sent, back in zip(written, got, strict=True):
        assert back.id == sent["id"]
        read = stored[sent["id"]]
        # what the statement hands back is what a read finds, column by column
        assert {c: getattr(back, c) for c in columns} == {c: getattr(read, c) for c in columns}
        for column in ("status_reason", "finished_at", "concurrency_key", "rate_period"):
            assert getattr(read, column) == sent[column]
