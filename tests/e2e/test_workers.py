"""The real server with real worker processes: 500 jobs with failures and retries, a
worker killed mid-job (its job re-runs after the lease), a worker drained by SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

ENQUEUE = "mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }"
JOB = """query($id: ID!) { job(id: $id) { status attempts statusReason
  executions { status error worker { name } } } }"""


def start_worker(env, cwd: Path, key: str, base: str, name: str, *queues: str) -> subprocess.Popen:
    args = [
        *TASKFORGE,
        "worker",
        "--url",
        f"http://{base}",
        "--name",
        name,
        "--lease",
        "2",
        "--concurrency",
        "8",
        "--poll",
        "0.2",
        "--grace",
        "10",
    ]
    for q in queues:
        args += ["--queue", q]
    return subprocess.Popen(
        args,
        env={**env, "TASKFORGE_API_KEY": key},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_until(check, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)


async def test_workers_run_everything_survive_a_kill_and_drain(server_env, tmp_path) -> None:
    env = {**server_env, "TASKFORGE_REAPER_INTERVAL": "0.2"}
    procs: list[subprocess.Popen] = []
    with server(env, tmp_path) as (base, creds):
        key = creds["API key"]
        try:
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
                gql = GraphQLClient(http, key)
                project = (await gql.ok("{ projects { edges { node { id } } } }"))["projects"][
                    "edges"
                ][0]["node"]["id"]
                for name in ("work", "slow"):
                    await gql.ok(
                        "mutation($p: ID!, $n: String!) { createQueue(projectId: $p, name: $n, "
                        "settings: {maxAttempts: 3, baseDelaySeconds: 0.1, maxDelaySeconds: 0.5, "
                        "jitter: false}) { id } }",
                        {"p": project, "n": name},
                    )

                # a worker that will die holding a job
                [slow_job] = (
                    await gql.ok(
                        ENQUEUE,
                        {
                            "j": [
                                {
                                    "queueId": await queue_id(gql, "slow"),
                                    "jobType": "sleep",
                                    "payload": {"seconds": 2},
                                }
                            ]
                        },
                    )
                )["enqueueJobs"]
                victim = start_worker(env, tmp_path, key, base, "victim", "slow")
                procs.append(victim)

                async def slow_running():
                    job = (await gql.ok(JOB, {"id": slow_job["id"]}))["job"]
                    return job["status"] == "PROCESSING"

                await wait_until(slow_running, 30)
                victim.send_signal(signal.SIGKILL)
                victim.wait(10)

                work = await queue_id(gql, "work")
                kinds = (
                    [("noop", {})] * 300
                    + [("fail", {"times": 1})] * 100
                    + [("fail", {"retryable": False})] * 50
                    + [("fail", {})] * 50
                )
                ids: dict[str, str] = {}
                for chunk in range(0, len(kinds), 250):
                    batch = kinds[chunk : chunk + 250]
                    made = (
                        await gql.ok(
                            ENQUEUE,
                            {
                                "j": [
                                    {"queueId": work, "jobType": t, "payload": p} for t, p in batch
                                ]
                            },
                        )
                    )["enqueueJobs"]
                    for (t, p), j in zip(batch, made, strict=True):
                        ids[j["id"]] = f"{t}{p}"
                for name in ("a", "b"):
                    procs.append(start_worker(env, tmp_path, key, base, name, "work", "slow"))

                async def all_done():
                    counts = {}
                    for status in ("PENDING", "SCHEDULED", "PROCESSING"):
                        q = f"{{ jobs(status: [{status}]) {{ totalCount }} }}"
                        counts[status] = (await gql.ok(q))["jobs"]["totalCount"]
                    return sum(counts.values()) == 0

                await wait_until(all_done, 90, 0.5)
                outcome: Counter[tuple[str, str, int]] = Counter()
                after = None
                while True:
                    page = (
                        await gql.ok(
                            "query($a: String) { jobs(first: 100, after: $a) { pageInfo "
                            "{ hasNextPage endCursor } edges { node { id status attempts } } } }",
                            {"a": after},
                        )
                    )["jobs"]
                    for e in page["edges"]:
                        n = e["node"]
                        if n["id"] in ids:
                            outcome[(ids[n["id"]], n["status"], n["attempts"])] += 1
                    if not page["pageInfo"]["hasNextPage"]:
                        break
                    after = page["pageInfo"]["endCursor"]
                assert outcome == {
                    ("noop{}", "SUCCEEDED", 1): 300,
                    ("fail{'times': 1}", "SUCCEEDED", 2): 100,
                    ("fail{'retryable': False}", "FAILED", 1): 50,
                    ("fail{}", "FAILED", 3): 50,
                }
                # the killed worker's job ran again after its lease and finished
                slow = (await gql.ok(JOB, {"id": slow_job["id"]}))["job"]
                assert slow["status"] == "SUCCEEDED" and slow["attempts"] == 2
                first, second = slow["executions"]
                assert (first["status"], first["error"], first["worker"]["name"]) == (
                    "RETRYING",
                    "lease_expired",
                    "victim",
                )
                assert second["status"] == "SUCCEEDED" and second["worker"]["name"] in {"a", "b"}

                # SIGTERM drains: the held job finishes, the process exits cleanly
                [held] = (
                    await gql.ok(
                        ENQUEUE,
                        {
                            "j": [
                                {
                                    "queueId": await queue_id(gql, "slow"),
                                    "jobType": "sleep",
                                    "payload": {"seconds": 1.5},
                                }
                            ]
                        },
                    )
                )["enqueueJobs"]

                async def holder():
                    job = (await gql.ok(JOB, {"id": held["id"]}))["job"]
                    if job["status"] == "PROCESSING":
                        return job["executions"][-1]["worker"]["name"]
                    return None

                name = await wait_until(holder, 30, 0.05)
                proc = procs[1] if name == "a" else procs[2]
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(20) == 0, proc.stderr.read() if proc.stderr else ""
                done = (await gql.ok(JOB, {"id": held["id"]}))["job"]
                assert done["status"] == "SUCCEEDED" and done["attempts"] == 1
                workers = await gql.ok("{ workers { edges { node { name status } } } }")
                statuses = {
                    e["node"]["name"]: e["node"]["status"] for e in workers["workers"]["edges"]
                }
                assert statuses[name] == "DRAINING"
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.communicate(timeout=10)


async def queue_id(gql: GraphQLClient, name: str) -> str:
    edges = (await gql.ok("{ queues { edges { node { id name } } } }"))["queues"]["edges"]
    return next(e["node"]["id"] for e in edges if e["node"]["name"] == name)
