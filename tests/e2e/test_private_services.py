"""The test command on a machine where nothing answers on the usual ports (here pointed
at free ports): ``scripts/services`` starts a private PostgreSQL (initdb into a
temporary folder) and Redis, runs an integration module on both databases against
them, and stops and removes them afterwards."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.services import SERVICES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# on SQLite and PostgreSQL, with the Redis broker
MODULE = "tests/integration/test_realtime.py"
SELECTION = "events_reach_other_replicas_through_redis"


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_private_instances_are_started_used_and_stopped() -> None:
    pg_port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    env |= {"TASKFORGE_TEST_PG_PORT": str(pg_port), "TASKFORGE_TEST_REDIS_PORT": str(redis_port)}
    pytest_args = [MODULE, "-k", SELECTION, "-v", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [SERVICES, "run", "--", sys.executable, "-m", "pytest", *pytest_args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, report
    started = dict(
        (kind, (int(port), Path(folder)))
        for kind, port, folder in re.findall(
            r"started a private (PostgreSQL|Redis) on 127\.0\.0\.1:(\d+) in (\S+)", done.stderr
        )
    )
    assert set(started) == {"PostgreSQL", "Redis"}, report
    for database in ("sqlite", "postgres"):  # the module ran on both
        assert re.search(rf"\[{database}[^\]]*\] PASSED", done.stdout), report
    assert "stopped the private PostgreSQL" in done.stderr, report
    assert "stopped the private Redis" in done.stderr, report
    for port, folder in started.values():
        assert port not in (pg_port, redis_port, 5432, 6379)
        assert not answers(port), f"something still answers on {port}"
        assert not folder.exists(), f"{folder} was left behind"
