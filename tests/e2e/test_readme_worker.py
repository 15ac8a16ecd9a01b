"""The README's worker section runs as written: its handler module is written where the
README says, its shell commands run in bash with the console script ``taskforge`` (not
``python -m``, which would put the current directory on the path for it) against the
real server, and a job enqueued on the queue they create runs. The CLI's errors are
one line and a non-zero exit."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import server
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

README = Path(__file__).parents[2] / "README.md"
SECTION = "### Your own handlers"
QUEUES = "{ queues(first: 100) { edges { node { id name } } } }"
ENQUEUE = """mutation($q: ID!, $t: String!, $p: JSON) {
  enqueueJob(input: {queueId: $q, jobType: $t, payload: $p}) { id } }"""
JOB = """query($id: ID!) { job(id: $id) { status output waitingForHandler
  executions { logs { message } } } }"""


def worker_section() -> tuple[dict[str, str], str]:
    """The section's Python files (by the path in their first line) and its shell code."""
    text = README.read_text()
    start = text.index(SECTION)
    section = text[start : text.index("\n### ", start + len(SECTION))]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    files = {
        code.splitlines()[0].removeprefix("# ").strip(): code
        for kind, code in blocks
        if kind == "python"
    }
    shell = "".join(code for kind, code in blocks if kind == "sh")
    assert files and shell, "the README's worker section lost its examples"
    return files, shell


def console_env(env: dict[str, str], base: str) -> dict[str, str]:
    """The environment of a user's shell: the virtualenv's bin first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "TASKFORGE_URL": base}


async def wait_until(check, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.2)
    return result


async def test_the_readme_worker_example_runs_as_written(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    files, shell = worker_section()
    with server(server_env, tmp_path) as (base, creds):
        for name, code in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(code)
        script = shell.replace("tf_...", creds["API key"])
        proc = subprocess.Popen(  # noqa: ASYNC220 (started once, polled without blocking)
            ["bash", "-e", "-c", script],
            env=console_env(server_env, f"http://{base}"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the worker it starts is stopped with it
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
                gql = GraphQLClient(http, creds["API key"])

                async def emails() -> str | None:
                    assert proc.poll() is None, proc.communicate()[0]
                    edges = (await gql.ok(QUEUES))["queues"]["edges"]
                    ids = [e["node"]["id"] for e in edges if e["node"]["name"] == "emails"]
                    return ids[0] if ids else None

                queue = await wait_until(emails)
                payload = {"to": "ada@example.com"}
                ids = [
                    (await gql.ok(ENQUEUE, {"q": queue, "t": t, "p": payload}))["enqueueJob"]["id"]
                    for t in ("send_email", "nobody_handles_this")
                ]

                async def ran() -> dict | None:  # type: ignore[type-arg]
                    assert proc.poll() is None, proc.communicate()[0]
                    job = (await gql.ok(JOB, {"id": ids[0]}))["job"]
                    return job if job["status"] == "SUCCEEDED" else None

                done = await wait_until(ran)
                assert done["output"] == {"sent": True}
                assert [log["message"] for log in done["executions"][0]["logs"]] == ["sending"]
                # the worker has no handler for the other type: it waits, it does not fail
                await asyncio.sleep(1.0)
                other = (await gql.ok(JOB, {"id": ids[1]}))["job"]
                assert (other["status"], other["waitingForHandler"]) == ("PENDING", True)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.communicate(timeout=30)  # reaps it and closes its pipe


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    """stderr of a ``taskforge`` command that must fail: one line, no traceback."""
    proc = subprocess.run(
        ["taskforge", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=90
    )
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, (
        proc.stderr
    )
    return proc.stderr.strip()


async def test_cli_errors_are_one_line(server_env: dict[str, str], tmp_path: Path) -> None:
    with server(server_env, tmp_path) as (base, creds):
        env = console_env(server_env, f"http://{base}")
        wrong = {**env, "TASKFORGE_API_KEY": "tf_wrong"}
        line = run_cli(wrong, tmp_path, "worker", "--queue", "default")
        assert line.startswith("error: UNAUTHENTICATED: "), line
        assert run_cli(wrong, tmp_path, "queues", "list").startswith("error: UNAUTHENTICATED")
        admin = {**env, "TASKFORGE_API_KEY": creds["API key"]}
        line = run_cli(admin, tmp_path, "worker", "--queue", "emails")
        assert line.startswith("error: NOT_FOUND: queue 'emails' not found"), line
        assert "taskforge queues create --name emails" in line
        bad = ("--name", "w", "--permission", "jobs:writ")
        line = run_cli(env, tmp_path, "apikey", "create", *bad)
        assert line.startswith("error: BAD_USER_INPUT: "), line
        # a server that is not there (the port of nothing)
        away = {**admin, "TASKFORGE_URL": "http://127.0.0.1:9"}
        line = run_cli(away, tmp_path, "queues", "list")
        assert line.startswith("error: cannot reach"), line
