"""Schedules end to end: the real server's scheduler engine, a real `taskforge worker`,
and (on PostgreSQL) a second `taskforge scheduler` process on the same database. An
every-second CRON schedule fires once a second, its jobs run, pausing stops it, resuming
starts it again without a burst, and two engines never fire an occurrence twice."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

JOB_TYPE = "noop"
EVERY_SECOND = "*/1 * * * * *"
CREATE = """mutation($i: ScheduleInput!) { createSchedule(input: $i) {
  id status nextRunAt misfirePolicy } }"""
SCHEDULE = """query($id: ID!) { schedule(id: $id) {
  status runsCount lastRunAt nextRunAt upcomingRuns(count: 3) } }"""
JOBS = """query($t: String!, $a: String) { jobs(jobType: $t, first: 100, after: $a) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id status createdAt } } } }"""
SUCCEEDED = """query($t: String!) { jobs(jobType: $t, status: [SUCCEEDED]) { totalCount } }"""


async def wait_until(
    check: Callable[[], Awaitable[Any]], timeout: float, interval: float = 0.2
) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout} s")
        await asyncio.sleep(interval)
    return result


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Schedules:
    """GraphQL calls for one schedule and the jobs it creates."""

    def __init__(self, gql: GraphQLClient) -> None:
        self.gql = gql
        self.id = ""

    async def create(self) -> dict[str, Any]:
        queue = (await self.gql.ok("{ queues(first: 1) { edges { node { id name } } } }"))[
            "queues"
        ]["edges"][0]["node"]
        assert queue["name"] == "default"
        created: dict[str, Any] = (
            await self.gql.ok(
                CREATE,
                {
                    "i": {
                        "name": "every-second",
                        "type": "CRON",
                        "expression": EVERY_SECOND,
                        "timezone": "UTC",
                        "queueId": queue["id"],
                        "jobType": JOB_TYPE,
                        "payload": {},
                    }
                },
            )
        )["createSchedule"]
        self.id = created["id"]
        return created

    async def schedule(self) -> dict[str, Any]:
        s: dict[str, Any] = (await self.gql.ok(SCHEDULE, {"id": self.id}))["schedule"]
        return s

    async def jobs(self) -> list[dict[str, Any]]:
        """Every job of the schedule's type, oldest first.

        totalCount is its own statement, so a fire committed between the page and
        the count makes them differ: read again until a walk agrees with its count.
        """
        for _ in range(10):
            nodes: list[dict[str, Any]] = []
            after = None
            while True:
                page = (await self.gql.ok(JOBS, {"t": JOB_TYPE, "a": after}))["jobs"]
                nodes += [e["node"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            if len(nodes) == page["totalCount"]:
                break
        assert len(nodes) == page["totalCount"]
        return sorted(nodes, key=lambda n: ts(n["createdAt"]))

    async def succeeded(self) -> int:
        count: int = (await self.gql.ok(SUCCEEDED, {"t": JOB_TYPE}))["jobs"]["totalCount"]
        return count

    async def consistent(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The schedule and its jobs as of one moment: read until no fire falls between."""
        for _ in range(20):
            before = await self.schedule()
            jobs = await self.jobs()
            after = await self.schedule()
            if before["runsCount"] == after["runsCount"]:
                return after, jobs
        raise AssertionError("the schedule kept firing between two reads")


def check_once_per_second(jobs: list[dict[str, Any]], runs: int) -> None:
    """One job per run, each in its own second, about a second after the previous one."""
    created = [ts(j["createdAt"]) for j in jobs]
    shown = [c.isoformat() for c in created]
    assert len(jobs) == runs, f"{len(jobs)} jobs for {runs} runs: {shown}"
    seconds = {c.replace(microsecond=0) for c in created}
    assert len(seconds) == len(jobs), f"two jobs in one second: {shown}"
    for earlier, later in itertools.pairwise(created):
        gap = (later - earlier).total_seconds()
        assert 0.5 <= gap <= 1.5, f"{gap:.3f} s between runs: {shown}"


def start_worker(env: dict[str, str], cwd: Path, base: str) -> subprocess.Popen[bytes]:
    args = ["--url", f"http://{base}", "--queue", "default", "--concurrency", "4"]
    with (cwd / "worker.log").open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [*TASKFORGE, "worker", *args, "--grace", "5", "--name", "e2e"],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def start_scheduler(env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """`taskforge scheduler`: only the engine, on the database ``env`` names."""
    with log_path.open("w") as log:
        return subprocess.Popen(
            [*TASKFORGE, "scheduler"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM and wait: the process must exit cleanly."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0, log.read_text()


@contextlib.asynccontextmanager
async def running(
    server_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[Schedules, dict[str, str]]]:
    """The server and one worker; yields the schedule helper and the worker's env."""
    with server(server_env, tmp_path) as (base, creds):
        key = creds["API key"]
        env = {**server_env, "TASKFORGE_API_KEY": key}
        worker = start_worker(env, tmp_path, base)
        try:
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
                yield Schedules(GraphQLClient(http, key)), env
            stop(worker, tmp_path / "worker.log")
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)


async def test_every_second_schedule_fires_pauses_and_resumes(server_env, tmp_path) -> None:
    async with running(server_env, tmp_path) as (tf, _):
        created = await tf.create()
        assert created["status"] == "ACTIVE" and created["misfirePolicy"] == "FIRE_ONCE"
        assert created["nextRunAt"] is not None

        # fires every second and the worker runs each job
        async def three_succeeded() -> bool:
            return await tf.succeeded() >= 3

        await wait_until(three_succeeded, 15)
        sched, jobs = await tf.consistent()
        assert sched["status"] == "ACTIVE"
        check_once_per_second(jobs, sched["runsCount"])
        upcoming = [ts(t) for t in sched["upcomingRuns"]]
        assert [(b - a).total_seconds() for a, b in itertools.pairwise(upcoming)] == [
            1.0,
            1.0,
        ]
        assert ts(sched["lastRunAt"]) == ts(jobs[-1]["createdAt"])

        # paused: nothing fires
        paused = (
            await tf.gql.ok(
                "mutation($id: ID!) { pauseSchedule(id: $id) { status } }", {"id": tf.id}
            )
        )["pauseSchedule"]
        assert paused["status"] == "PAUSED"
        sched, jobs = await tf.consistent()
        assert sched["status"] == "PAUSED"
        runs_at_pause, jobs_at_pause = sched["runsCount"], len(jobs)
        next_at_pause = sched["nextRunAt"]
        assert jobs_at_pause == runs_at_pause
        await asyncio.sleep(2.5)
        sched, jobs = await tf.consistent()
        assert (sched["runsCount"], len(jobs)) == (runs_at_pause, jobs_at_pause), [
            j["createdAt"] for j in jobs[jobs_at_pause:]
        ]

        # resumed: fires again, without a burst for the seconds missed while paused
        resumed = (
            await tf.gql.ok(
                "mutation($id: ID!) { resumeSchedule(id: $id) { status updatedAt } }",
                {"id": tf.id},
            )
        )["resumeSchedule"]
        assert resumed["status"] == "ACTIVE"
        resumed_at = ts(resumed["updatedAt"])

        async def three_more_succeeded() -> bool:
            return await tf.succeeded() >= jobs_at_pause + 5

        await wait_until(three_more_succeeded, 10)
        sched, jobs = await tf.consistent()
        assert sched["status"] == "ACTIVE"
        new = jobs[jobs_at_pause:]
        shown = [j["createdAt"] for j in new]
        assert sched["runsCount"] == len(jobs), (sched["runsCount"], len(jobs), shown)
        assert all(ts(j["createdAt"]) >= resumed_at for j in new), (resumed_at, shown)
        first_second = [j for j in new if ts(j["createdAt"]) < resumed_at + timedelta(seconds=1)]
        assert len(first_second) <= 2, (
            f"burst after resume at {resumed_at} (paused with nextRunAt {next_at_pause}, "
            f"last run {jobs[jobs_at_pause - 1]['createdAt']}): {shown}"
        )
        # the one catch-up run (FIRE_ONCE) may share the resume tick with an on-time run;
        # after that, one run per second
        steady = new[2:]
        assert len({ts(j["createdAt"]).replace(microsecond=0) for j in steady}) == len(steady)

        async def all_succeeded() -> bool:
            current = await tf.jobs()
            return all(
                j["status"] == "SUCCEEDED"
                for j in current
                if ts(j["createdAt"]) <= ts(new[-1]["createdAt"])
            )

        await wait_until(all_succeeded, 10)


# only on PostgreSQL: `taskforge scheduler` shares the server's database from another process
@pytest.mark.parametrize("server_env", ["postgres+redis"], indirect=True)
async def test_a_second_scheduler_process_fires_nothing_twice(server_env, tmp_path) -> None:
    async with running(server_env, tmp_path) as (tf, _):
        await tf.create()

        async def fired() -> bool:
            return len(await tf.jobs()) >= 1

        await wait_until(fired, 10)

        log_path = tmp_path / "scheduler.log"
        scheduler = start_scheduler(server_env, tmp_path, log_path)
        try:

            async def scheduler_up() -> bool:
                assert scheduler.poll() is None, log_path.read_text()
                return "scheduler running" in log_path.read_text()

            await wait_until(scheduler_up, 20)
            _, jobs = await tf.consistent()
            start = len(jobs)

            async def three_more() -> bool:
                return len(await tf.jobs()) >= start + 3

            await wait_until(three_more, 10)
            await asyncio.sleep(0.5)  # one more tick with both engines awake
            sched, jobs = await tf.consistent()
            check_once_per_second(jobs, sched["runsCount"])
            assert scheduler.poll() is None, log_path.read_text()
            stop(scheduler, log_path)
            assert "tick failed" not in log_path.read_text(), log_path.read_text()

            async def all_succeeded() -> bool:
                return await tf.succeeded() >= len(jobs)

            await wait_until(all_succeeded, 10)
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
                scheduler.wait(10)
