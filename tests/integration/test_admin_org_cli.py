"""`taskforge org ...` on both databases: what an operator types and reads."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from taskforge.cli import main
from taskforge.config import Settings
from taskforge.domain.errors import Unauthenticated
from taskforge.persistence.database import Database
from taskforge.services import auth
from taskforge.services.base import Services


@pytest.fixture
def operator(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TASKFORGE_DATABASE_URL", database_url)
    monkeypatch.setenv("TASKFORGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORGE_SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
    return database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(["org", *argv])
    out: str = capsys.readouterr().out
    return out


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The command exits non-zero with one line on stderr (no traceback)."""
    with pytest.raises(SystemExit) as exc:
        main(["org", *argv])
    assert exc.value.code not in (0, None)
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def check(url: str, credential: str) -> Any:
    async def go() -> Any:
        settings = Settings(database_url=url)
        db = Database(url)
        try:
            return await auth.authenticate(Services(db, settings), credential)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_org_lifecycle(operator: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = run(capsys, "create", "--name", "Initech", "--email", "boss@initech.com")
    assert "Initech" in text and "password:" in text and "API key:" in text
    created = json.loads(
        run(
            capsys, "create", "--name", "Hooli", "--email", "g@hooli.xyz", "--tier", "PRO", "--json"
        )
    )
    assert created["tier"] == "PRO" and created["apiKey"].startswith("tf_")
    assert check(operator, created["apiKey"]).organization_id.hex == created["id"].replace("-", "")

    table = run(capsys, "list")
    header, *rows = table.splitlines()
    assert header.split()[:4] == ["ID", "NAME", "STATUS", "TIER"]
    assert [r.split()[1] for r in rows] == ["Initech", "Hooli"]
    listed = json.loads(run(capsys, "list", "--json"))
    assert [o["name"] for o in listed] == ["Initech", "Hooli"]

    oid = created["id"]
    shown = run(capsys, "show", oid)
    assert "status:        ACTIVE" in shown and "period ends:" in shown
    tier = json.loads(run(capsys, "set-tier", oid, "STARTER", "--max-workers", "7", "--json"))
    assert (tier["tier"], tier["maxWorkers"], tier["maxJobsPerPeriod"]) == ("STARTER", 7, 10_000)

    assert json.loads(run(capsys, "suspend", oid, "--json"))["status"] == "SUSPENDED"
    with pytest.raises(Unauthenticated, match="suspended"):
        check(operator, created["apiKey"])
    assert json.loads(run(capsys, "unsuspend", oid, "--json"))["status"] == "ACTIVE"
    check(operator, created["apiKey"])

    assert "--yes" in fails(capsys, "delete", oid)
    assert "marked deleted" in run(capsys, "delete", oid, "--yes")
    with pytest.raises(Unauthenticated, match="deleted"):
        check(operator, created["apiKey"])
    assert json.loads(run(capsys, "show", oid, "--json"))["status"] == "DELETED"
    assert "deleted" in fails(capsys, "suspend", oid)
    # the other organization is untouched
    assert json.loads(run(capsys, "list", "--json"))[0]["status"] == "ACTIVE"


def test_org_errors_are_one_line(operator: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "create", "--name", "Initech", "--email", "boss@initech.com")
    assert "already exists" in fails(
        capsys, "create", "--name", "Again", "--email", "boss@initech.com"
    )
    assert "email" in fails(capsys, "create", "--name", "Bad", "--email", "nope")
    assert "password" in fails(
        capsys, "create", "--name", "Bad", "--email", "a@b.io", "--password", "short"
    )
    assert "name" in fails(capsys, "create", "--name", " ", "--email", "c@d.io")
    assert "not an organization id" in fails(capsys, "show", "nope")
    assert "not found" in fails(capsys, "show", "00000000-0000-0000-0000-000000000000")
    oid = json.loads(run(capsys, "list", "--json"))[0]["id"]
    assert "maxWorkers" in fails(capsys, "set-tier", oid, "PRO", "--max-workers", "-1")
    assert len(json.loads(run(capsys, "list", "--json"))) == 1  # nothing else written


def test_help_and_no_traceback_as_a_process(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'absent' / 'x.db'}",
        "TASKFORGE_DATA_DIR": str(tmp_path),
    }
    cmd = [sys.executable, "-m", "taskforge.cli", "org"]
    for sub in ("create", "list", "show", "set-tier", "suspend", "unsuspend", "delete"):
        done = subprocess.run([*cmd, sub, "--help"], capture_output=True, text=True, env=env)
        assert done.returncode == 0 and "--json" in done.stdout, done.stderr
    done = subprocess.run([*cmd, "list"], capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: "), done.stderr
