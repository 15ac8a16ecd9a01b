"""Live execution output on both databases and both brokers: progress reports (stored,
on the job and the execution, and carried by jobStatusChanged once per change), the
executionLogs subscription (replay after a cursor, then live, tenant-scoped), a
failure's bounded traceback, and the heartbeat's answer about cancelled executions."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from taskforge.domain.enums import ExecutionStatus, LogLevel, WorkerType
from taskforge.domain.executions import PROGRESS_EVENT_SECONDS, TRACEBACK_BYTES
from taskforge.persistence.tables import Event
from taskforge.runtime import Runtime
from taskforge.schema.execution_types import encode_log_cursor
from taskforge.services import executions, jobs, workers
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import asgi_client, served, stored_events, subscribe, wait_for_subscribers

STATUS = """subscription($job: ID!) {
  jobStatusChanged(jobId: $job) { jobId status reason progress progressMessage } }"""
LOGS = """subscription($e: ID!, $after: String) {
  executionLogs(executionId: $e, after: $after) { cursor node { level message metadata } } }"""
REPORT = """mutation($e: ID, $j: ID, $f: Float!, $m: String) {
  reportProgress(executionId: $e, jobId: $j, fraction: $f, message: $m) {
    id progress progressMessage } }"""
JOB = """query($id: ID!) { job(id: $id) { progress progressMessage
  executions { status progress progressMessage error traceback } } }"""
BEAT = """mutation($w: ID!, $held: [ID!]) {
  workerHeartbeat(workerId: $w, executionIds: $held) { leasesExtended cancelledExecutionIds } }"""


@pytest.fixture(params=["memory", "redis"])
def broker_url(request):
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


@pytest.fixture
async def rt(database_url, tmp_path, broker_url):
    runtime = Runtime.create(make_settings(database_url, tmp_path, redis_url=broker_url))
    await runtime.start(migrate=False, engines=False)
    yield runtime
    await runtime.stop()


async def running_job(svc: Any, org: Any, n: int = 1) -> tuple[Any, list[executions.Claimed]]:
    """A worker of the organization's queue holding ``n`` running jobs."""
    admin = admin_of(org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * n)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    claimed = await executions.claim(svc, admin, worker.id, None, n)
    assert len(claimed) == n
    return worker, claimed


async def data(sub: Any, field: str) -> dict[str, Any]:
    msg = await sub.next()
    assert msg["type"] == "next", msg
    return msg["payload"]["data"][field]  # type: ignore[no-any-return]


def code_of(msg: dict[str, Any]) -> str:
    errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
    return str(errors[0]["extensions"]["code"])


async def test_progress_is_stored_shown_and_streamed_once_per_change(rt) -> None:
    svc = rt.services
    org, other = await new_org(svc), await new_org(svc, "Globex")
    _, [claim] = await running_job(svc, org)
    e, j = str(claim.execution_id), str(claim.job_id)
    async with (
        served(rt) as base,
        subscribe(base, org.api_key.secret, STATUS, {"job": j}) as sub,
        asgi_client(rt, org.api_key.secret) as gql,
    ):
        await wait_for_subscribers(rt, 1)
        got = await gql.ok(REPORT, {"e": e, "f": 0.25, "m": "a quarter"})
        assert got["reportProgress"] == {"id": e, "progress": 0.25, "progressMessage": "a quarter"}
        event = await data(sub, "jobStatusChanged")
        assert event == {
            "jobId": j,
            "status": "PROCESSING",
            "reason": "progress",
            "progress": 0.25,
            "progressMessage": "a quarter",
        }
        # the same report again changes nothing and sends nothing
        await gql.ok(REPORT, {"e": e, "f": 0.25, "m": "a quarter"})
        await sub.nothing_for(0.4)
        # by job id: its running attempt
        await gql.ok(REPORT, {"j": j, "f": 0.5})
        assert (await data(sub, "jobStatusChanged"))["progress"] == 0.5
        shown = (await gql.ok(JOB, {"id": j}))["job"]
        assert (shown["progress"], shown["progressMessage"]) == (0.5, None)
        assert shown["executions"][0]["progress"] == 0.5
        # refused: out of range, both or neither id, another tenant's execution or job
        for bad in ({"e": e, "f": 1.5}, {"e": e, "f": -0.1}, {"f": 0.1}, {"e": e, "j": j, "f": 0}):
            assert await gql.error(REPORT, bad) == "BAD_USER_INPUT"
        foreign = gql.as_(other.api_key.secret)
        assert await foreign.error(REPORT, {"e": e, "f": 0.9}) == "NOT_FOUND"
        assert await foreign.error(REPORT, {"j": j, "f": 0.9}) == "NOT_FOUND"
        # a job that is no longer running takes no progress
        await jobs.cancel(svc, admin_of(org), claim.job_id)
        assert await gql.error(REPORT, {"e": e, "f": 0.9}) == "CONFLICT"
        assert await gql.error(REPORT, {"j": j, "f": 0.9}) == "CONFLICT"
        assert (await data(sub, "jobStatusChanged"))["status"] == "CANCELLED"
    [row] = await executions.executions_of(svc, admin_of(org), [claim.job_id])
    assert row.progress == 0.5 and row.status is ExecutionStatus.CANCELLED


async def test_execution_logs_replay_after_a_cursor_then_go_live(rt) -> None:
    svc = rt.services
    org, other = await new_org(svc), await new_org(svc, "Globex")
    admin = admin_of(org)
    _, [claim] = await running_job(svc, org)
    _, [elsewhere] = await running_job(svc, org)  # another execution's lines never show
    entries = [(LogLevel.INFO, f"line {i}", {"i": i}) for i in range(3)]
    await executions.append_logs(svc, admin, claim.execution_id, entries)
    await executions.append_logs(svc, admin, elsewhere.execution_id, entries)
    [first, *_] = await executions.logs_of(svc, admin, [claim.execution_id])
    e = str(claim.execution_id)
    async with served(rt) as base:
        async with subscribe(
            base, org.api_key.secret, LOGS, {"e": e, "after": encode_log_cursor(first.id)}
        ) as sub:
            replayed = [await data(sub, "executionLogs") for _ in range(2)]
            assert [r["node"]["message"] for r in replayed] == ["line 1", "line 2"]
            await wait_for_subscribers(rt, 1)
            for i in range(3, 6):  # live, each call its own append
                await executions.append_logs(
                    svc, admin, claim.execution_id, [(LogLevel.WARN, f"line {i}", None)]
                )
                await executions.append_logs(svc, admin, elsewhere.execution_id, entries)
            live = [await data(sub, "executionLogs") for _ in range(3)]
            assert [r["node"]["message"] for r in live] == ["line 3", "line 4", "line 5"]
            assert live[0]["node"] == {"level": "WARN", "message": "line 3", "metadata": {}}
            await sub.nothing_for(0.3)
            last = live[-1]["cursor"]
        # without a cursor: from the first line; resumed from the last cursor: nothing old
        async with subscribe(base, org.api_key.secret, LOGS, {"e": e}) as sub:
            every = [await data(sub, "executionLogs") for _ in range(6)]
            assert [r["node"]["message"] for r in every] == [f"line {i}" for i in range(6)]
        async with subscribe(base, org.api_key.secret, LOGS, {"e": e, "after": last}) as sub:
            await sub.nothing_for(0.3)
        # another tenant's execution is NOT_FOUND; a bad cursor BAD_USER_INPUT
        async with subscribe(base, other.api_key.secret, LOGS, {"e": e}) as sub:
            assert code_of(await sub.next()) == "NOT_FOUND"
        async with subscribe(base, org.api_key.secret, LOGS, {"e": e, "after": "nope"}) as sub:
            assert code_of(await sub.next()) == "BAD_USER_INPUT"
        huge = encode_log_cursor(2**70)  # beyond the database's integers: refused, not masked
        async with subscribe(base, org.api_key.secret, LOGS, {"e": e, "after": huge}) as sub:
            assert code_of(await sub.next()) == "BAD_USER_INPUT"


async def test_a_failure_keeps_the_tail_of_its_traceback(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    _, [small, big] = await running_job(svc, org, 2)
    huge = "".join(f"  frame {i}\n" for i in range(5000)) + "ValueError: the end\n"
    async with asgi_client(runtime, org.api_key.secret) as gql:
        await gql.ok(
            """mutation($e: ID!) { failJob(executionId: $e, error: "ValueError: x",
            retryable: false, traceback: "Traceback...\\nValueError: x") { id } }""",
            {"e": str(small.execution_id)},
        )
        results = await executions.fail(svc, admin, [(big.execution_id, ("boom", False, huge))])
        assert results[0].error is None
        shown = (await gql.ok(JOB, {"id": str(small.job_id)}))["job"]["executions"][0]
    assert shown["traceback"] == "Traceback...\nValueError: x" and shown["error"] == "ValueError: x"
    [row] = await executions.executions_of(svc, admin, [big.job_id])
    assert row.traceback is not None and len(row.traceback.encode()) <= TRACEBACK_BYTES
    assert row.traceback.endswith("frame 4999\nValueError: the end\n")
    assert row.error == "boom"


async def test_the_heartbeat_names_the_held_executions_that_were_cancelled(
    runtime, org, other_org
) -> None:
    svc, admin = runtime.services, admin_of(org)
    worker, [kept, gone] = await running_job(svc, org, 2)
    other_worker, [foreign] = await running_job(svc, other_org)
    await jobs.cancel(svc, admin, gone.job_id)
    await jobs.cancel(svc, admin_of(other_org), foreign.job_id)
    held = [str(kept.execution_id), str(gone.execution_id), str(foreign.execution_id)]
    async with asgi_client(runtime, org.api_key.secret) as gql:
        beat = (await gql.ok(BEAT, {"w": str(worker.id), "held": held}))["workerHeartbeat"]
        # another tenant's cancelled execution is not this worker's to hear about
        assert beat["cancelledExecutionIds"] == [str(gone.execution_id)]
        assert beat["leasesExtended"] == 1
        plain = (await gql.ok(BEAT, {"w": str(worker.id)}))["workerHeartbeat"]
        assert plain["cancelledExecutionIds"] == []
        foreign_beat = {"w": str(other_worker.id), "held": held}
        assert await gql.error(BEAT, foreign_beat) == "NOT_FOUND"
    [row] = await executions.executions_of(svc, admin, [gone.job_id])
    assert row.status is ExecutionStatus.CANCELLED


async def test_progress_reports_of_a_batch_skip_those_no_longer_running(runtime, org) -> None:
    """The worker channel's form: a flush's reports in one call, stale ones skipped."""
    svc, admin = runtime.services, admin_of(org)
    _, [a, b] = await running_job(svc, org, 2)
    await jobs.cancel(svc, admin, b.job_id)
    reports = [
        executions.Progress(a.execution_id, None, 0.3, "m"),
        executions.Progress(b.execution_id, None, 0.4),
    ]
    rows = await executions.report_progress(svc, admin, reports, strict=False)
    assert [(r.id, r.progress) for r in rows] == [(a.execution_id, 0.3)]
    with pytest.raises(Exception, match="no longer current"):
        await executions.report_progress(svc, admin, reports)


async def test_many_log_appends_arrive_in_order_while_streaming(rt) -> None:
    """A burst of appends (a busy handler's flushes): every line once, in order."""
    svc = rt.services
    org = await new_org(svc)
    admin = admin_of(org)
    _, [claim] = await running_job(svc, org)
    async with (
        served(rt) as base,
        subscribe(base, org.api_key.secret, LOGS, {"e": str(claim.execution_id)}) as sub,
    ):
        await wait_for_subscribers(rt, 1)

        async def writer() -> None:
            for i in range(0, 200, 5):
                batch = [(LogLevel.INFO, f"{n}", None) for n in range(i, i + 5)]
                await executions.append_logs(svc, admin, claim.execution_id, batch)

        task = asyncio.create_task(writer())
        got = [int((await data(sub, "executionLogs"))["node"]["message"]) for _ in range(200)]
        await task
        await sub.nothing_for(0.3)
    assert got == list(range(200))


async def test_progress_events_are_throttled_per_attempt(runtime, org) -> None:
    """A client reporting in a loop: every report is stored, but an attempt writes a
    jobStatusChanged event at most every PROGRESS_EVENT_SECONDS, and always for 1.0."""
    svc, admin = runtime.services, admin_of(org)
    now = svc.clock()
    svc.clock = lambda: now
    _, [a, b] = await running_job(svc, org, 2)

    async def report(claim: Any, fraction: float) -> None:
        await executions.report_progress(
            svc, admin, [executions.Progress(claim.execution_id, None, fraction)]
        )

    for fraction in (0.1, 0.2, 0.3):  # one moment: the first writes an event
        await report(a, fraction)
    await report(b, 0.5)  # another attempt has its own pace
    now += timedelta(seconds=PROGRESS_EVENT_SECONDS)
    await report(a, 0.4)
    await report(a, 0.45)
    await report(a, 1.0)  # the end: always
    async with svc.read() as session:
        stored = await stored_events(session, Event.type == "job.progressed")
    written = [(e["payload"]["jobId"], e["payload"]["progress"]) for e in stored]
    job_a, job_b = str(a.job_id), str(b.job_id)
    assert written == [(job_a, 0.1), (job_b, 0.5), (job_a, 0.4), (job_a, 1.0)]
    [row] = await executions.executions_of(svc, admin, [a.job_id])
    assert row.progress == 1.0


async def test_appends_to_one_execution_commit_in_the_order_they_began(runtime, org) -> None:
    """An append waits for one in flight on the same execution: log ids commit in order,
    so a subscriber reading after the last id it saw cannot skip lines committed later."""
    from taskforge.persistence.common import executions as store

    svc, admin = runtime.services, admin_of(org)
    _, [run] = await running_job(svc, org)
    line = [(LogLevel.INFO, "second", None)]
    async with svc.write() as session:  # a first append, not yet committed
        assert await store.get(session, org.organization.id, run.execution_id, lock=True)
        [first_id] = [
            await store.add_logs(
                session,
                [
                    {
                        "execution_id": run.execution_id,
                        "level": LogLevel.INFO,
                        "message": "first",
                        "metadata_": {},
                        "logged_at": svc.clock(),
                    }
                ],
            )
        ]
        second = asyncio.create_task(executions.append_logs(svc, admin, run.execution_id, line))
        await asyncio.sleep(0.3)
        assert not second.done()  # it waits for the first to commit
    await asyncio.wait_for(second, 10)
    from sqlalchemy import select

    from taskforge.persistence.tables import ExecutionLog

    async with svc.read() as session:
        found = await session.execute(
            select(ExecutionLog.message, ExecutionLog.id).where(
                ExecutionLog.execution_id == run.execution_id
            )
        )
        by_message = {message: ident for message, ident in found.all()}
    assert by_message["first"] == first_id < by_message["second"]


async def test_job_status_events_say_which_one_is_a_deletion(rt) -> None:
    """A client that keeps rows from the events alone (no `job` per event) tells a
    deletion from a status change by ``deleted`` (replayed here: the same events)."""
    svc = rt.services
    org = await new_org(svc)
    admin = admin_of(org)
    [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    await jobs.cancel(svc, admin, job.id)
    await jobs.delete(svc, admin, job.id)
    query = """subscription($after: ID) {
      jobStatusChanged(after: $after) { jobId status previousStatus deleted } }"""
    async with (
        served(rt) as base,
        subscribe(base, org.api_key.secret, query, {"after": "0"}) as sub,
    ):
        got = [await data(sub, "jobStatusChanged") for _ in range(3)]
    j = str(job.id)
    assert got == [
        {"jobId": j, "status": "PENDING", "previousStatus": None, "deleted": False},
        {"jobId": j, "status": "CANCELLED", "previousStatus": "PENDING", "deleted": False},
        {"jobId": j, "status": "CANCELLED", "previousStatus": "CANCELLED", "deleted": True},
    ]
