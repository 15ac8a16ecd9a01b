"""Upgrades that lose nothing, on both databases: a database at the previous Alembic head
(the revision before head, read from the scripts) is filled with raw SQL (jobs,
executions, edges, workflows and schedules in every status, events in each stored
format), upgraded to head, and must read the same through the GraphQL API; its events
replay through subscriptions.

The rows are written in the columns the previous head has: when a revision changes a
table, this test is where its data migration is proven.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    EdgeStatus,
    ExecutionStatus,
    JobStatus,
    ScheduleStatus,
    WorkflowStatus,
)
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.database import Database
from taskforge.persistence.migrate import alembic_config, upgrade
from taskforge.persistence.tables import Base
from taskforge.runtime import Runtime
from taskforge.services import auth
from taskforge.services.base import Principal
from tests.conftest import PG_DB, _pg_admin, _pg_url, make_settings
from tests.helpers import asgi_client, served, subscribe

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def previous_head() -> str:
    """The revision before head (the history is linear)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_revision(scripts.get_current_head())
    assert head is not None and isinstance(head.down_revision, str), "one linear history"
    return head.down_revision


def test_the_previous_head_is_read_from_the_scripts() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in scripts.walk_revisions()]  # head first
    assert previous_head() == revisions[1]


@pytest.fixture(params=["sqlite", "postgres"])
async def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own (the shared test databases are at head already)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    name = f"{PG_DB}_upgrade"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def insert(session: AsyncSession, table: str, rows: list[dict[str, Any]]) -> None:
    """A raw INSERT; values are bound with the column types (how UUIDs, timestamps and
    JSON are stored on each database), the statement names the columns itself."""
    columns = list(rows[0])
    types = Base.metadata.tables[table].c
    names = ", ".join(f'"{c}"' for c in columns)
    stmt = text(
        f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + c for c in columns)})"
    ).bindparams(*[bindparam(c, type_=types[c].type) for c in columns])
    await session.execute(stmt, rows)


class Fixture:
    """What was written, kept to compare with what the API reads after the upgrade."""

    def __init__(self) -> None:
        self.org, self.project, self.queue = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.jobs: dict[uuid.UUID, dict[str, Any]] = {}
        self.executions: dict[uuid.UUID, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.edges: dict[uuid.UUID, dict[str, Any]] = {}
        self.workflows: dict[uuid.UUID, dict[str, Any]] = {}
        self.schedules: dict[uuid.UUID, dict[str, Any]] = {}
        self.by_status: dict[JobStatus, uuid.UUID] = {}

    def job(self, status: JobStatus, **extra: Any) -> uuid.UUID:
        row = {
            "id": uuid.uuid4(),
            "organization_id": self.org,
            "project_id": self.project,
            "queue_id": self.queue,
            "workflow_id": None,
            "name": None,
            "job_type": f"t-{status.value.lower()}",
            "payload": {"status": status.value, "n": [1, 2]},
            "status": status,
            "status_reason": None,
            "dependency_status": "NONE",
            "priority": 5,
            "scheduled_for": None,
            "attempts": 0,
            "max_attempts": None,
            "output": None,
            "error": None,
            "created_at": T0,
            "updated_at": T0,
            "started_at": None,
            "finished_at": None,
            **extra,
        }
        self.jobs[row["id"]] = row
        return row["id"]

    def execution(self, job_id: uuid.UUID, status: ExecutionStatus, **extra: Any) -> None:
        row = {
            "id": uuid.uuid4(),
            "organization_id": self.org,
            "job_id": job_id,
            "worker_id": None,
            "status": status,
            "attempt_number": 1,
            "output": None,
            "error": None,
            "started_at": T0,
            "finished_at": None if status is ExecutionStatus.STARTED else T0 + timedelta(1),
            "lease_expires_at": T0 + timedelta(minutes=5),
            "deadline_at": None,
            "created_at": T0,
            **extra,
        }
        self.executions[row["id"]] = row
        # a table whose parent a migration rebuilds (SQLite) must keep its rows
        self.logs.append(
            {
                "execution_id": row["id"],
                "level": "INFO",
                "message": f"log of {row['id']}",
                "metadata": {"n": 1},
                "logged_at": T0,
            }
        )

    def edge(
        self, parent: uuid.UUID, child: uuid.UUID, status: EdgeStatus, kind: str, **extra: Any
    ) -> None:
        row = {
            "id": uuid.uuid4(),
            "organization_id": self.org,
            "parent_job_id": parent,
            "child_job_id": child,
            "dependency_type": kind,
            "condition": "SUCCEEDED",
            "expression": None,
            "status": status,
            "resolved_at": None if status is EdgeStatus.PENDING else T0,
            "resolved_by": None if status is EdgeStatus.PENDING else "engine",
            "created_at": T0,
            **extra,
        }
        self.edges[row["id"]] = row


def populate() -> Fixture:
    f = Fixture()
    J, E = JobStatus, ExecutionStatus
    # a job in every status, its attempts as they would be
    pending = f.job(J.PENDING, dependency_status="WAITING")
    scheduled = f.job(
        J.SCHEDULED,
        scheduled_for=T0 + timedelta(days=1),
        attempts=1,
        max_attempts=3,
        error="boom",
        status_reason="retrying",
        dependency_status="SATISFIED",
    )
    f.execution(scheduled, E.RETRYING, error="boom")
    processing = f.job(J.PROCESSING, attempts=1, started_at=T0)
    f.execution(processing, E.STARTED)
    succeeded = f.job(J.SUCCEEDED, attempts=1, output={"ok": True}, finished_at=T0)
    f.execution(succeeded, E.SUCCEEDED, output={"ok": True})
    failed = f.job(J.FAILED, attempts=1, error="bad", status_reason="failed", finished_at=T0)
    f.execution(failed, E.FAILED, error="bad")
    cancelled = f.job(J.CANCELLED, attempts=1, status_reason="cancelled_by_user")
    f.execution(cancelled, E.CANCELLED, error="cancelled_by_user")
    skipped = f.job(J.SKIPPED, status_reason="dependency_failed", dependency_status="FAILED")
    f.by_status = {
        J.PENDING: pending,
        J.SCHEDULED: scheduled,
        J.PROCESSING: processing,
        J.SUCCEEDED: succeeded,
        J.FAILED: failed,
        J.CANCELLED: cancelled,
        J.SKIPPED: skipped,
    }
    # an edge in every status, of several types
    f.edge(processing, pending, EdgeStatus.PENDING, "SEQUENTIAL")
    f.edge(succeeded, scheduled, EdgeStatus.RESOLVED, "PARALLEL")
    f.edge(
        failed,
        skipped,
        EdgeStatus.FAILED,
        "CONDITIONAL",
        expression='output.validation_status == "valid"',
    )
    f.edge(cancelled, skipped, EdgeStatus.CANCELLED, "FAN_IN", condition="ALWAYS")
    # a workflow in every status, with one job as its status implies
    job_of = {
        WorkflowStatus.PENDING: J.PENDING,
        WorkflowStatus.RUNNING: J.PROCESSING,
        WorkflowStatus.PAUSED: J.FAILED,
        WorkflowStatus.SUCCEEDED: J.SUCCEEDED,
        WorkflowStatus.FAILED: J.FAILED,
        WorkflowStatus.CANCELLED: J.CANCELLED,
    }
    for status, job_status in job_of.items():
        wf = {
            "id": uuid.uuid4(),
            "organization_id": f.org,
            "project_id": f.project,
            "name": f"wf-{status.value.lower()}",
            "description": "upgraded",
            "definition": {"name": "wf", "jobs": [{"name": "a", "job_type": "t"}]},
            "status": status,
            "failure_policy": "MANUAL" if status is WorkflowStatus.PAUSED else "FAIL_FAST",
            "timeout_seconds": 3600,
            "priority": 5,
            "created_at": T0,
            "updated_at": T0,
            "started_at": None if status is WorkflowStatus.PENDING else T0,
            "finished_at": None,
            "deadline_at": None,
        }
        f.workflows[wf["id"]] = wf
        f.job(job_status, workflow_id=wf["id"], name="a", job_type="t")
    # a schedule in every status
    for status in ScheduleStatus:
        live = status in (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED)
        s = {
            "id": uuid.uuid4(),
            "organization_id": f.org,
            "project_id": f.project,
            "queue_id": f.queue,
            "name": f"s-{status.value.lower()}",
            "kind": "CRON",
            "expression": "*/5 * * * *",
            "timezone": "Europe/Berlin",
            "job_type": "report",
            "payload": {"k": "v"},
            "priority": 7,
            "max_attempts": 2,
            "workflow_definition": None,
            "status": status,
            "misfire_policy": "FIRE_ONCE",
            "max_runs": 10,
            "runs_count": 3,
            "anchor_at": T0,
            "next_run_at": T0 + timedelta(minutes=5) if live else None,
            "last_run_at": T0,
            "rate_limit_per_minute": 30,
            "pending_fire_at": None,
            "deferrals": 1,
            "last_deferred_at": T0,
            "last_error": "queue gone" if status is ScheduleStatus.FAILED else None,
            "metadata": {"team": "ops"},
            "created_by": "admin",
            "deleted_at": None,
            "created_at": T0,
            "updated_at": T0,
        }
        f.schedules[s["id"]] = s
    return f


def ref(f: Fixture, job_id: uuid.UUID) -> dict[str, Any]:
    job = f.jobs[job_id]
    workflow = job["workflow_id"]
    return {
        "jobId": str(job_id),
        "queueId": str(f.queue),
        "projectId": str(f.project),
        "workflowId": str(workflow) if workflow else None,
        "jobType": job["job_type"],
    }


def changed(f: Fixture, job_id: uuid.UUID, previous: str | None, status: str) -> dict[str, Any]:
    return {**ref(f, job_id), "status": status, "previousStatus": previous, "reason": None}


def event_rows(f: Fixture) -> tuple[list[dict[str, Any]], list[tuple[str, str]], uuid.UUID]:
    """Outbox rows in the formats stored today: a lone event, a run of events (a list),
    a run sharing one workflow state; and the (jobId, status) the replay must give."""
    done = f.by_status[JobStatus.SUCCEEDED]
    [wf_id] = [w for w, row in f.workflows.items() if row["status"] is WorkflowStatus.SUCCEEDED]
    [wf_job] = [j for j, row in f.jobs.items() if row["workflow_id"] == wf_id]
    stats = {
        "total": 1,
        "counts": {s.value: int(s is JobStatus.SUCCEEDED) for s in JobStatus},
        "completed": 1,
        "completionPercentage": 100.0,
    }
    pending = f.by_status[JobStatus.PENDING]
    rows = [
        (1, "jobs", "job.status_changed", changed(f, pending, None, "PENDING")),
        (
            2,
            "jobs",
            "job.status_changed",
            [
                changed(f, done, "PENDING", "PROCESSING"),
                changed(f, done, "PROCESSING", "SUCCEEDED"),
            ],
        ),
        (
            2,
            "jobs",
            "job.status_changed",
            {
                "workflow": {"status": "SUCCEEDED", "stats": stats},
                "events": [
                    changed(f, wf_job, "PENDING", "PROCESSING"),
                    changed(f, wf_job, "PROCESSING", "SUCCEEDED"),
                ],
            },
        ),
        (
            1,
            "workflows",
            "workflow.status_changed",
            {
                "workflowId": str(wf_id),
                "projectId": str(f.project),
                "status": "SUCCEEDED",
                "previousStatus": "RUNNING",
                "stats": stats,
            },
        ),
    ]
    out = [
        {
            "seq": None,  # not relayed yet when the old release stopped
            "span": span,
            "organization_id": f.org,
            "topic": topic,
            "type": type_,
            "payload": payload,
            "created_at": datetime.now(UTC),  # within the replay window
        }
        for span, topic, type_, payload in rows
    ]
    expected = [
        (str(pending), "PENDING"),
        (str(done), "PROCESSING"),
        (str(done), "SUCCEEDED"),
        (str(wf_job), "PROCESSING"),
        (str(wf_job), "SUCCEEDED"),
    ]
    return out, expected, wf_id


async def write_old(url: str, f: Fixture, events: list[dict[str, Any]]) -> None:
    db = Database(url)
    try:
        await upgrade(db, previous_head())
        async with db.write() as session:
            org = {"id": f.org, "name": "Old", "billing_email": "old@example.com", "created_at": T0}
            await insert(session, "organizations", [org])
            sub = {
                "id": uuid.uuid4(),
                "organization_id": f.org,
                "tier": "PRO",
                "max_jobs_per_month": None,
                "max_workers": None,
                "current_period_end": None,
                "usage_period": "2026-01",
                "jobs_used": 0,
            }
            await insert(session, "subscriptions", [sub])
            project = {
                "id": f.project,
                "organization_id": f.org,
                "name": "p",
                "description": None,
                "created_at": T0,
            }
            await insert(session, "projects", [project])
            queue = {
                "id": f.queue,
                "organization_id": f.org,
                "project_id": f.project,
                "name": "q",
                "priority": 5,
                "settings": {},
                "created_at": T0,
            }
            await insert(session, "job_queues", [queue])
            await insert(session, "workflows", list(f.workflows.values()))
            await insert(session, "jobs", list(f.jobs.values()))
            await insert(session, "job_executions", list(f.executions.values()))
            await insert(session, "execution_logs", f.logs)
            await insert(session, "job_dependencies", list(f.edges.values()))
            await insert(session, "scheduled_jobs", list(f.schedules.values()))
            await insert(session, "events", events)
    finally:
        await db.dispose()


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


JOB = """query($id: ID!) { job(id: $id) {
  id jobType payload status statusReason dependencyStatus priority scheduledFor attempts
  maxAttempts output error createdAt startedAt finishedAt queueId projectId name workflowId
  executions { id attempt status output error startedAt finishedAt leaseExpiresAt
    logsConnection { edges { node { level message metadata loggedAt } } } }
  dependencies { id parentJobId childJobId type condition expression status resolvedAt
    resolvedBy }
} }"""
WORKFLOW = """query($id: ID!) { workflow(id: $id) {
  id name description status failurePolicy timeoutSeconds priority createdAt startedAt
  definition stats { total completed counts { status count } } jobs { id status }
} }"""
SCHEDULE = """query($id: ID!) { schedule(id: $id) {
  id name type expression timezone status queueId jobType payload priority maxAttempts
  misfirePolicy maxRuns runsCount nextRunAt lastRunAt rateLimitPerMinute deferrals
  lastDeferredAt lastError metadata createdBy
} }"""
STATUS = """subscription { jobStatusChanged(after: "0") {
  eventId jobId status previousStatus workflowId } }"""
PROGRESS = """subscription($id: ID!) { workflowProgress(workflowId: $id, after: "0") {
  eventId jobId jobStatus workflowStatus stats { total completed } } }"""


def check_job(read: dict[str, Any], row: dict[str, Any], f: Fixture) -> None:
    assert read["status"] == row["status"].value
    assert read["jobType"] == row["job_type"]
    assert read["payload"] == row["payload"]
    assert read["statusReason"] == row["status_reason"]
    assert read["dependencyStatus"] == row["dependency_status"]
    assert (read["attempts"], read["maxAttempts"]) == (row["attempts"], row["max_attempts"])
    assert (read["output"], read["error"]) == (row["output"], row["error"])
    assert at(read["scheduledFor"]) == row["scheduled_for"]
    assert at(read["createdAt"]) == row["created_at"]
    assert at(read["startedAt"]) == row["started_at"]
    assert at(read["finishedAt"]) == row["finished_at"]
    assert (read["queueId"], read["projectId"]) == (str(f.queue), str(f.project))
    assert read["name"] == row["name"]
    assert read["workflowId"] == (str(row["workflow_id"]) if row["workflow_id"] else None)
    mine = [e for e in f.executions.values() if e["job_id"] == row["id"]]
    assert len(read["executions"]) == len(mine)
    for got, e in zip(read["executions"], mine, strict=True):
        assert got["id"] == str(e["id"])
        assert (got["attempt"], got["status"]) == (e["attempt_number"], e["status"].value)
        assert (got["output"], got["error"]) == (e["output"], e["error"])
        assert at(got["startedAt"]) == e["started_at"]
        assert at(got["finishedAt"]) == e["finished_at"]
        assert at(got["leaseExpiresAt"]) == e["lease_expires_at"]
        logs = [edge["node"] for edge in got["logsConnection"]["edges"]]
        assert [(g["level"], g["message"], g["metadata"], at(g["loggedAt"])) for g in logs] == [
            (x["level"], x["message"], x["metadata"], x["logged_at"])
            for x in f.logs
            if x["execution_id"] == e["id"]
        ]
    into = {str(e["id"]): e for e in f.edges.values() if e["child_job_id"] == row["id"]}
    assert {d["id"] for d in read["dependencies"]} == set(into)
    for d in read["dependencies"]:
        e = into[d["id"]]
        assert (d["parentJobId"], d["childJobId"]) == (str(e["parent_job_id"]), str(row["id"]))
        assert (d["type"], d["condition"]) == (e["dependency_type"], e["condition"])
        assert (d["expression"], d["status"]) == (e["expression"], e["status"].value)
        assert (at(d["resolvedAt"]), d["resolvedBy"]) == (e["resolved_at"], e["resolved_by"])


def check_schedule(read: dict[str, Any], row: dict[str, Any]) -> None:
    assert read["status"] == row["status"].value
    assert (read["name"], read["type"], read["expression"]) == (
        row["name"],
        row["kind"],
        row["expression"],
    )
    assert (read["timezone"], read["queueId"], read["jobType"]) == (
        row["timezone"],
        str(row["queue_id"]),
        row["job_type"],
    )
    assert (read["payload"], read["priority"], read["maxAttempts"]) == (
        row["payload"],
        row["priority"],
        row["max_attempts"],
    )
    assert (read["misfirePolicy"], read["maxRuns"], read["runsCount"]) == (
        row["misfire_policy"],
        row["max_runs"],
        row["runs_count"],
    )
    assert at(read["nextRunAt"]) == row["next_run_at"]
    assert at(read["lastRunAt"]) == row["last_run_at"]
    assert at(read["lastDeferredAt"]) == row["last_deferred_at"]
    assert (read["rateLimitPerMinute"], read["deferrals"]) == (
        row["rate_limit_per_minute"],
        row["deferrals"],
    )
    assert (read["lastError"], read["metadata"], read["createdBy"]) == (
        row["last_error"],
        row["metadata"],
        row["created_by"],
    )


async def relayed(rt: Runtime, n: int) -> None:
    """Wait for the relay to stamp the rows the old release left unrelayed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while loop.time() < deadline:
        async with rt.db.read() as session:
            left = await session.scalar(text("SELECT count(*) FROM events WHERE seq IS NULL"))
        if left == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{n} outbox rows were not relayed")


async def next_data(sub: Any, field: str) -> dict[str, Any]:
    msg = await asyncio.wait_for(sub.next(), 10)
    assert msg["type"] == "next", msg
    data: dict[str, Any] = msg["payload"]["data"][field]
    return data


async def test_an_upgrade_keeps_every_row_and_event(old_url: str, tmp_path: Path) -> None:
    f = populate()
    events, expected, wf_id = event_rows(f)
    await write_old(old_url, f, events)

    rt = Runtime.create(make_settings(old_url, tmp_path))
    await rt.start(migrate=True, engines=False)  # as `taskforge migrate`, then serve
    try:
        key = await auth.create_api_key(
            rt.services, Principal(f.org, frozenset({ADMIN})), "reader", [ADMIN]
        )
        async with asgi_client(rt, key.secret) as gql:
            for job_id, row in f.jobs.items():
                read = (await gql.ok(JOB, {"id": str(job_id)}))["job"]
                check_job(read, row, f)
            total = await gql.ok("{ jobs(first: 100) { totalCount } }")
            assert total["jobs"]["totalCount"] == len(f.jobs)
            for wf_id_, row in f.workflows.items():
                read = (await gql.ok(WORKFLOW, {"id": str(wf_id_)}))["workflow"]
                assert read["status"] == row["status"].value
                assert (read["name"], read["description"]) == (row["name"], row["description"])
                assert (read["failurePolicy"], read["timeoutSeconds"]) == (
                    row["failure_policy"],
                    row["timeout_seconds"],
                )
                assert read["definition"] == row["definition"]
                assert at(read["startedAt"]) == row["started_at"]
                [job] = [j for j in f.jobs.values() if j["workflow_id"] == wf_id_]
                assert read["jobs"] == [{"id": str(job["id"]), "status": job["status"].value}]
                counts = {c["status"]: c["count"] for c in read["stats"]["counts"]}
                assert read["stats"]["total"] == 1
                assert counts[job["status"].value] == 1
            for schedule_id, row in f.schedules.items():
                read = (await gql.ok(SCHEDULE, {"id": str(schedule_id)}))["schedule"]
                check_schedule(read, row)

        await relayed(rt, len(events))
        async with served(rt) as base:
            async with subscribe(base, key.secret, STATUS) as sub:
                seen = [await next_data(sub, "jobStatusChanged") for _ in expected]
            assert [(e["jobId"], e["status"]) for e in seen] == expected
            ids = [int(e["eventId"]) for e in seen]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            async with subscribe(base, key.secret, PROGRESS, {"id": str(wf_id)}) as sub:
                progress = [await next_data(sub, "workflowProgress") for _ in range(3)]
            assert [(e["jobStatus"], e["workflowStatus"]) for e in progress] == [
                ("PROCESSING", "SUCCEEDED"),
                ("SUCCEEDED", "SUCCEEDED"),
                (None, "SUCCEEDED"),
            ]
            assert [e["stats"]["completed"] for e in progress] == [1, 1, 1]
    finally:
        await rt.stop()
