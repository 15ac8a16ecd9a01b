"""Workflows end to end: the real server, a real `taskforge worker` and the
`taskforge workflow` CLI. A 20-job diamond runs in dependency order; a failing job
under each failure policy ends the workflow the way the policy says."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
WORKFLOW = """query($id: ID!) { workflow(id: $id) { status stats { total completed }
  jobs { id name status statusReason startedAt finishedAt parents { name finishedAt } } } }"""


class Env:
    """One server, one worker, and the CLI pointed at them."""

    def __init__(self, env: dict[str, str], cwd: Path, base: str, gql: GraphQLClient) -> None:
        self.env, self.cwd, self.gql = env, cwd, gql
        self.cli_env = {**env, "TASKFORGE_URL": f"http://{base}"}

    async def cli(self, *args: str, ok: bool = True) -> str:
        """Run ``taskforge workflow ARGS``: its stdout, or its stderr when it must fail."""
        proc = await asyncio.create_subprocess_exec(
            *TASKFORGE,
            "workflow",
            *args,
            env=self.cli_env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == (0 if ok else 1), f"{args}: {proc.returncode}\n{err.decode()}"
        return out.decode() if ok else err.decode()

    async def workflow(self, wf_id: str) -> dict[str, Any]:
        wf: dict[str, Any] = (await self.gql.ok(WORKFLOW, {"id": wf_id}))["workflow"]
        return wf

    async def settle(self, wf_id: str, expected: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll until the workflow reaches ``expected`` (or ends otherwise): no fixed sleeps."""

        async def reached() -> dict[str, Any] | None:
            wf = await self.workflow(wf_id)
            return wf if wf["status"] in TERMINAL | {expected} else None

        wf = await wait_until(reached, timeout)
        assert wf["status"] == expected, summary(wf)
        return wf


async def wait_until(check: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.25)
    return result


def summary(wf: dict[str, Any]) -> str:
    jobs = ", ".join(f"{j['name']}={j['status']}({j['statusReason']})" for j in wf["jobs"])
    return f"workflow {wf['status']}: {jobs}"


def start_worker(env: dict[str, str], cwd: Path, base: str) -> subprocess.Popen[bytes]:
    args = ["--url", f"http://{base}", "--queue", "default", "--concurrency", "8"]
    with (cwd / "worker.log").open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [*TASKFORGE, "worker", *args, "--lease", "5", "--grace", "5", "--name", "e2e"],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@contextlib.asynccontextmanager
async def running(server_env: dict[str, str], tmp_path: Path) -> AsyncIterator[Env]:
    with server(server_env, tmp_path) as (base, creds):
        key = creds["API key"]
        env = {**server_env, "TASKFORGE_API_KEY": key}
        worker = start_worker(env, tmp_path, base)
        try:
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
                yield Env(env, tmp_path, base, GraphQLClient(http, key))
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(20) == 0, (tmp_path / "worker.log").read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)


def diamond() -> str:
    """root -> 9 -> join -> 8 -> sink: a two-level diamond of 20 noop jobs, as YAML."""
    first = [f"a{i}" for i in range(1, 10)]
    second = [f"b{i}" for i in range(1, 9)]
    lines = [
        "name: diamond",
        "failure_policy: FAIL_FAST",
        "jobs:",
        "  - {name: root, job_type: noop}",
    ]
    lines += [f"  - {{name: {n}, job_type: noop, depends_on: [root]}}" for n in first]
    lines.append(f"  - name: join\n    job_type: noop\n    depends_on: [{', '.join(first)}]")
    lines += [f"  - {{name: {n}, job_type: noop, depends_on: join}}" for n in second]
    lines.append(f"  - name: sink\n    job_type: noop\n    depends_on: [{', '.join(second)}]")
    return "\n".join(lines) + "\n"


async def test_diamond_runs_in_dependency_order(server_env, tmp_path) -> None:
    (tmp_path / "diamond.yaml").write_text(diamond())
    async with running(server_env, tmp_path) as tf:
        wf_id = (await tf.cli("create", "--file", "diamond.yaml", "--start")).strip()
        wf = await tf.settle(wf_id, "SUCCEEDED")

        assert wf["stats"] == {"total": 20, "completed": 20}
        names = {j["name"] for j in wf["jobs"]}
        assert len(names) == 20
        for job in wf["jobs"]:
            assert job["status"] == "SUCCEEDED", summary(wf)
            started = datetime.fromisoformat(job["startedAt"])
            for parent in job["parents"]:
                assert started >= datetime.fromisoformat(parent["finishedAt"]), (job, parent)
        parents = {j["name"]: sorted(p["name"] for p in j["parents"]) for j in wf["jobs"]}
        assert parents["join"] == [f"a{i}" for i in range(1, 10)]
        assert parents["sink"] == [f"b{i}" for i in range(1, 9)]

        mermaid = await tf.cli("graph", wf_id, "--format", "mermaid")
        assert mermaid.startswith("flowchart")
        assert set(re.findall(r'\["([^"<]+)<br/>SUCCEEDED"\]', mermaid)) == names
        dot = await tf.cli("graph", wf_id, "--format", "dot")
        assert dot.startswith("digraph")
        assert set(re.findall(r'label="([^"\\]+)\\nSUCCEEDED"', dot)) == names
        assert len(re.findall(r"->", dot)) == 9 + 9 + 8 + 8

        listing = await tf.cli("list", "--status", "succeeded")
        assert re.search(rf"^{wf_id}\s+diamond\s+SUCCEEDED\s+100\.0%$", listing, re.M), listing


def with_failure(policy: str) -> str:
    """``boom`` fails for good, ``after`` waits on it; ``slow -> i2 -> i3`` is independent."""
    jobs = [
        {"name": "boom", "job_type": "fail", "payload": {"retryable": False}, "max_attempts": 1},
        {"name": "after", "job_type": "noop", "depends_on": ["boom"]},
        {"name": "slow", "job_type": "sleep", "payload": {"seconds": 1.5}},
        {"name": "i2", "job_type": "noop", "depends_on": ["slow"]},
        {"name": "i3", "job_type": "noop", "depends_on": ["i2"]},
    ]
    return json.dumps({"name": f"fails-{policy.lower()}", "failure_policy": policy, "jobs": jobs})


@pytest.mark.parametrize("policy", ["FAIL_FAST", "CONTINUE_ON_FAILURE", "MANUAL"])
async def test_a_failing_job_under_each_policy(server_env, tmp_path, policy: str) -> None:
    (tmp_path / "wf.json").write_text(with_failure(policy))
    async with running(server_env, tmp_path) as tf:
        wf_id = (await tf.cli("create", "--file", "wf.json", "--start")).strip()

        def jobs(wf: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
            return {j["name"]: (j["status"], j["statusReason"]) for j in wf["jobs"]}

        if policy == "FAIL_FAST":
            wf = await tf.settle(wf_id, "FAILED")
            got = jobs(wf)
            assert got["boom"][0] == "FAILED"
            assert got["after"][0] == "CANCELLED"
            # the running job is let finish; what had not started is cancelled
            assert got["slow"][0] == "SUCCEEDED"
            assert got["i2"] == got["i3"] == ("CANCELLED", "workflow_failed"), summary(wf)
        elif policy == "CONTINUE_ON_FAILURE":
            wf = await tf.settle(wf_id, "FAILED")
            got = jobs(wf)
            assert got["boom"][0] == "FAILED"
            assert got["after"] == ("CANCELLED", "dependency_failed"), summary(wf)
            assert {got[n][0] for n in ("slow", "i2", "i3")} == {"SUCCEEDED"}, summary(wf)
        else:
            wf = await tf.settle(wf_id, "PAUSED")
            got = jobs(wf)
            assert got["boom"][0] == "FAILED" and got["after"][0] == "PENDING", summary(wf)
            after_id = next(j["id"] for j in wf["jobs"] if j["name"] == "after")
            deps = await tf.cli("dependencies", after_id)
            assert "can execute:  no" in deps
            assert re.search(r"^boom\s+FAILED\s", deps, re.M), deps
            shown = await tf.cli("show", wf_id)
            assert re.search(r"^status:\s+PAUSED$", shown, re.M)
            assert re.search(r"^policy:\s+MANUAL$", shown, re.M)

            assert "RUNNING" in await tf.cli("resume", wf_id, "--action", "skip-failed")
            wf = await tf.settle(wf_id, "SUCCEEDED")
            got = jobs(wf)
            assert got["boom"] == ("SKIPPED", "skipped_by_operator")
            assert {got[n][0] for n in ("after", "slow", "i2", "i3")} == {"SUCCEEDED"}

        # a finished workflow cannot be resumed: the CLI reports the API's error code
        err = await tf.cli("resume", wf_id, "--action", "abort", ok=False)
        assert err.startswith("error: CONFLICT: "), err


ETL = """name: etl
jobs:
  - {name: extract, job_type: noop}
  - {name: load, job_type: noop, depends_on: [extract]}
"""
NIGHTLY = """name: nightly
jobs:
  - {name: prep, job_type: noop}
  - {name: etl, workflow: {template: etl}, depends_on: [prep], input: {day: 1}}
  - {name: report, job_type: noop, depends_on: [etl]}
"""


async def test_templates_and_a_sub_workflow_through_the_cli(server_env, tmp_path) -> None:
    """Templates saved and listed with the CLI; a run of one whose workflow job starts
    the other as a child run, which the real worker runs to the end."""
    (tmp_path / "etl.yaml").write_text(ETL)
    (tmp_path / "nightly.yaml").write_text(NIGHTLY)
    async with running(server_env, tmp_path) as tf:
        assert (await tf.cli("template", "create", "etl.yaml")).startswith("etl v1 (2 jobs) ")
        assert (await tf.cli("template", "create", "nightly.yaml")).startswith("nightly v1 (3 ")
        assert (await tf.cli("template", "create", "etl.yaml")).startswith("etl v2 (2 jobs) ")
        listing = await tf.cli("template", "list")
        assert re.search(r"^etl\s+2\s+2\s", listing, re.M), listing
        assert re.search(r"^nightly\s+1\s+3\s", listing, re.M), listing
        every = await tf.cli("template", "list", "--name", "etl", "--all")
        assert len(re.findall(r"^etl\s", every, re.M)) == 2, every

        wf_id = (await tf.cli("create", "--template", "nightly", "--start")).strip()
        wf = await tf.settle(wf_id, "SUCCEEDED")
        assert {j["name"]: j["status"] for j in wf["jobs"]} == dict.fromkeys(
            ("prep", "etl", "report"), "SUCCEEDED"
        ), summary(wf)
        shown = await tf.cli("show", wf_id)
        assert re.search(r"^template:\s+nightly v1$", shown, re.M), shown
        assert re.search(r"^etl\s+@workflow\s+SUCCEEDED", shown, re.M), shown
        err = await tf.cli("template", "create", "nightly.yaml", "--project", "nope", ok=False)
        assert err.startswith("error: BAD_USER_INPUT: "), err
