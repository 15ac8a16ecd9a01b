"""The real commands' logs: `taskforge serve` (uvicorn's lines included) and
`taskforge scheduler`, as text and as JSON lines."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def command(
    args: list[str], env: dict[str, str], cwd: Path, ready: str
) -> Iterator[tuple[Path, str]]:
    """Run a taskforge command until `ready` appears in its log (stderr); yields the log
    file and what it printed on stdout so far. Stopped with SIGTERM at the end."""
    log = cwd / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [*TASKFORGE, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True
        )
        try:
            deadline = time.monotonic() + 30
            while ready not in log.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            assert proc.stdout is not None
            stdout = ""
            if args[0] == "serve":  # the first-run banner, printed before the server listens
                while "project:" not in stdout:
                    stdout += proc.stdout.readline()
            yield log, stdout
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            if proc.stdout is not None:
                proc.stdout.close()


@pytest.mark.parametrize("server_env", ["embedded"], indirect=True)
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_serve_logs(server_env, tmp_path, log_format) -> None:
    env = server_env | {"TASKFORGE_LOG_FORMAT": log_format}
    port = free_port()
    with command(["serve", "--port", str(port)], env, tmp_path, "Uvicorn running") as (log, out):
        key = out.split("API key:")[1].split()[0]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            auth = {"authorization": f"Bearer {key}"}
            ok = http.post(
                "/graphql",
                json={"query": "query Me { viewer { permissions } }"},
                headers={**auth, "x-request-id": "e2e-ok"},
            )
            assert ok.status_code == 200 and ok.headers["x-request-id"] == "e2e-ok"
            for _ in range(20):  # coded errors: one line each at most, no traceback
                http.post("/graphql", json={"query": "query Jobs { jobs { totalCount } }"})
                http.post("/graphql", json={"query": "{ nope }"}, headers=auth)
                bad = http.post(
                    "/graphql", content=b'"str"', headers={"content-type": "application/json"}
                )
                assert bad.status_code == 400
    lines = log.read_text().splitlines()
    output = "\n".join(lines)
    assert "Traceback" not in output, output
    assert sum("taskforge.errors" in line for line in lines) <= 60
    if log_format == "text":
        assert any("uvicorn.error: Uvicorn running" in line for line in lines), output
        line = next(line for line in lines if "request_id=e2e-ok" in line)
        assert "taskforge.access: 127.0.0.1 POST /graphql 200" in line
        assert "ok [request_id=e2e-ok organization_id=" in line and "operation=Me]" in line
        return
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(
        r["logger"] == "uvicorn.error" and r["message"].startswith("Uvicorn running")
        for r in records
    )
    assert not any("color_message" in r for r in records)
    access = next(r for r in records if r.get("request_id") == "e2e-ok")
    assert access["logger"] == "taskforge.access"
    assert access["operation"] == "Me" and access["outcome"] == "ok" and access["status"] == 200
    assert access["organization_id"] and access["duration_ms"] >= 0 and access["time"]
    outcomes = [r["outcome"] for r in records if r["logger"] == "taskforge.access"]
    assert outcomes.count("UNAUTHENTICATED") == 20 and outcomes.count("BAD_USER_INPUT") == 40


def test_scheduler_logs_json(tmp_path) -> None:
    env = {"TASKFORGE_LOG_FORMAT": "json", "PATH": "/usr/bin:/bin"}
    with command(["scheduler"], env, tmp_path, "scheduler running") as (log, _):
        pass
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(r["message"] == "scheduler running" and r["level"] == "INFO" for r in records)
