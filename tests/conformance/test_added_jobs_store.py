"""``Store.jobs.insert_added`` on every store: jobs added to a running workflow are
written with every column given (flow columns absent: none, position 0), and read back
as any job is."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.persistence.tables import Job
from taskforge.services import workflows
from tests.conftest import admin_of


async def test_added_jobs_are_written_as_given(svc: Any, org: Any) -> None:
    definition = {"name": "w", "jobs": [{"name": "a", "job_type": "t"}]}
    wf = await workflows.create(svc, admin_of(org), org.project.id, definition)
    now = svc.clock()
    template = uuid.uuid4()
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "organization_id": org.organization.id,
            "project_id": org.project.id,
            "queue_id": org.queue.id,
            "workflow_id": wf.id,
            "name": f"a[{i}]",
            "job_type": "t",
            "payload": {"item": {"id": i, "s": "é"}, "n": None},
            "priority": 7,
            "max_attempts": 3 if i else None,
            "status": JobStatus.PENDING,
            "dependency_status": DependencyStatus.NONE,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "trace_context": None,
            "map_parent_id": template,
            "map_index": i,
        }
        for i in range(3)
    ]
    rows[2] |= {"concurrency_key": "k", "concurrency_max": 1, "fair_seq": 4}
    async with svc.write() as session:
        await jobs_repo.insert_added(session, rows)
        await jobs_repo.insert_added(session, [])
    async with svc.read() as session:
        got = {
            j.name: j
            for j in await session.scalars(
                select(Job).where(Job.workflow_id == wf.id, Job.map_parent_id == template)
            )
        }
    assert sorted(got) == ["a[0]", "a[1]", "a[2]"]
    for i, row in enumerate(rows):
        job = got[f"a[{i}]"]
        assert (job.id, job.payload, job.priority, job.max_attempts) == (
            row["id"],
            row["payload"],
            7,
            row["max_attempts"],
        )
        assert (job.status, job.dependency_status) == (JobStatus.PENDING, DependencyStatus.NONE)
        assert (job.map_parent_id, job.map_index, job.created_at) == (template, i, now)
        assert job.organization_id == org.organization.id and job.project_id == org.project.id
    assert (got["a[0]"].concurrency_key, got["a[0]"].fair_seq) == (None, 0)
    assert (got["a[2]"].concurrency_key, got["a[2]"].concurrency_max) == ("k", 1)
    assert got["a[2]"].fair_seq == 4


async def test_shared_columns_are_written_to_every_row(svc: Any, org: Any) -> None:
    """A map's children: the columns they share given once, each row its own."""
    definition = {"name": "w", "jobs": [{"name": "a", "job_type": "t"}]}
    wf = await workflows.create(svc, admin_of(org), org.project.id, definition)
    now = svc.clock()
    template = uuid.uuid4()
    shared: dict[str, Any] = {
        "organization_id": org.organization.id,
        "project_id": org.project.id,
        "queue_id": org.queue.id,
        "workflow_id": wf.id,
        "job_type": "t",
        "priority": 3,
        "max_attempts": 2,
        "status": JobStatus.PENDING,
        "dependency_status": DependencyStatus.NONE,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "trace_context": "tc",
        "map_parent_id": template,
    }
    rows = [
        {"id": uuid.uuid4(), "name": f"a[{i}]", "payload": {"i": i}, "map_index": i}
        for i in range(3)
    ]
    async with svc.write() as session:
        await jobs_repo.insert_added(session, rows, shared)
    async with svc.read() as session:
        got = {
            j.id: j for j in await session.scalars(select(Job).where(Job.map_parent_id == template))
        }
    assert set(got) == {r["id"] for r in rows}
    for row in rows:
        job = got[row["id"]]
        assert (job.name, job.payload, job.map_index) == (
            row["name"],
            row["payload"],
            row["map_index"],
        )
        assert (job.queue_id, job.workflow_id, job.job_type) == (org.queue.id, wf.id, "t")
        assert (job.priority, job.max_attempts, job.trace_context) == (3, 2, "tc")
        assert (job.status, job.dependency_status) == (JobStatus.PENDING, DependencyStatus.NONE)
        assert (job.concurrency_key, job.fair_seq, job.created_at) == (None, 0, now)
