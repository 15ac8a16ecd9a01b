"""Every command's --help names the settings it reads; a user's error is one line."""

from __future__ import annotations

import httpx
import pytest

from taskforge.cli import main
from taskforge.cli_errors import describe
from taskforge.domain.errors import InvalidInput
from taskforge.worker.client import ApiError

COMMANDS = [
    ["serve"],
    ["scheduler"],
    ["migrate"],
    ["apikey", "create"],
    ["apikey", "list"],
    ["users", "list"],
    ["users", "reset-password"],
    ["worker"],
    ["workflow", "list"],
    ["jobs", "list"],
    ["queues", "create"],
    ["schedules", "list"],
    ["schedules", "update"],
    ["schedules", "backfill"],
    ["org", "list"],
]


def help_of(capsys: pytest.CaptureFixture[str], command: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_names_its_settings(capsys, command) -> None:
    assert "TASKFORGE_" in help_of(capsys, command)


def test_the_worker_help_names_its_settings_defaults_and_key(capsys) -> None:
    text = help_of(capsys, ["worker"])
    for needed in ("TASKFORGE_URL", "TASKFORGE_API_KEY", "http://127.0.0.1:8000", "jobs:read"):
        assert needed in text
    assert "workers" in text and "current directory" in text and "(default 8)" in text


def test_user_errors_are_one_line_and_bugs_are_not_hidden() -> None:
    assert describe(ApiError("invalid API key", "UNAUTHENTICATED")) == (
        "error: UNAUTHENTICATED: invalid API key"
    )
    bad = describe(InvalidInput("unknown permission 'jobs:writ'", field="permissions"))
    assert bad == "error: BAD_USER_INPUT: unknown permission 'jobs:writ'"
    request = httpx.Request("POST", "http://127.0.0.1:9/graphql")
    refused = describe(httpx.ConnectError("connection refused", request=request))
    assert refused is not None and refused.startswith("error: cannot reach http://127.0.0.1:9")
    assert describe(ConnectionRefusedError(111, "Connection refused")) == (
        "error: Connection refused"
    )
    assert describe(KeyError("a bug")) is None


def test_database_errors_a_user_can_act_on_are_one_line_and_others_are_bugs() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    missing = describe(OperationalError("SELECT 1", {}, Exception("no such table: jobs")))
    assert missing == (
        "error: database: no such table: jobs (is TASKFORGE_DATABASE_URL right, and migrated?)"
    )
    duplicate = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert describe(duplicate) is None  # a bug: its traceback is wanted
