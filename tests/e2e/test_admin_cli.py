"""The administration commands end to end: `taskforge jobs|queues|schedules|apikey|users`
against the real server, as tables and as JSON, with one-line errors and a non-zero
exit (never a traceback)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

ENQUEUE = """mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "noop"}) { id } }"""
FAIL = """mutation($id: ID!) { cancelJob(id: $id) { status } }"""
SCHEDULE = """mutation($q: ID!) { createSchedule(input: {name: "nightly", type: CRON,
  expression: "0 3 * * *", queueId: $q, jobType: "noop"}) { id } }"""


class Cli:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd

    async def run(self, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> str:
        """stdout of ``taskforge ARGS``, or its stderr when it must fail."""
        proc = await asyncio.create_subprocess_exec(
            *TASKFORGE,
            *args,
            env=env or self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert (proc.returncode == 0) is ok, f"{args}: {proc.returncode}\n{out!r}\n{err!r}"
        if ok:
            return out.decode()
        text = err.decode()
        assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
        return text

    async def json(self, *args: str) -> Any:
        return json.loads(await self.run(*args, "--json"))


async def test_jobs_queues_and_schedules(server_env: dict[str, str], tmp_path: Path) -> None:
    with server(server_env, tmp_path) as (base, creds):
        key = creds["API key"]
        cli = Cli(
            {**server_env, "TASKFORGE_URL": f"http://{base}", "TASKFORGE_API_KEY": key}, tmp_path
        )
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
            gql = GraphQLClient(http, key)

            # queues: create (table), list (JSON), pause and resume
            created = await cli.run("queues", "create", "--name", "reports", "--priority", "7")
            assert created.splitlines()[0].split() == ["ID", "NAME", "PRIORITY", "STATE"]
            assert "reports" in created and "active" in created
            queues = {q["name"]: q for q in await cli.json("queues", "list")}
            assert set(queues) == {"default", "reports"}
            qid = queues["reports"]["id"]
            assert (await cli.json("queues", "pause", qid))["isPaused"] is True
            assert "paused" in await cli.run("queues", "list")
            assert (await cli.json("queues", "resume", qid))["isPaused"] is False

            # jobs: list, show, cancel, retry
            job = (await gql.ok(ENQUEUE, {"q": qid}))["enqueueJob"]["id"]
            listed = await cli.json("jobs", "list", "--queue", qid)
            assert [(j["id"], j["status"]) for j in listed] == [(job, "PENDING")]
            assert job in await cli.run("jobs", "list", "--status", "pending")
            assert await cli.json("jobs", "list", "--queue", qid, "--status", "FAILED") == []
            shown = await cli.run("jobs", "show", job)
            assert "id:" in shown and job in shown and "PENDING" in shown
            cancelled = await cli.json("jobs", "cancel", job, "--reason", "not needed")
            assert (cancelled["status"], cancelled["statusReason"]) == ("CANCELLED", "not needed")
            assert (await cli.json("jobs", "retry", job))["status"] == "PENDING"

            # schedules: list, show, pause, resume, trigger, preview
            sid = (await gql.ok(SCHEDULE, {"q": qid}))["createSchedule"]["id"]
            assert [s["id"] for s in await cli.json("schedules", "list")] == [sid]
            assert "0 3 * * *" in await cli.run("schedules", "show", sid)
            assert (await cli.json("schedules", "pause", sid))["status"] == "PAUSED"
            assert (await cli.json("schedules", "resume", sid))["status"] == "ACTIVE"
            assert (await cli.json("schedules", "trigger", sid))["runsCount"] == 1
            times = await cli.run(
                "schedules", "preview", "--expression", "*/5 * * * *", "--count", "3"
            )
            assert len(times.split()) == 3

            # schedules: policies changed and shown, a backfill (twice: created once)
            changed = await cli.json(
                "schedules",
                "update",
                sid,
                "--expression",
                "@hourly",
                "--overlap-policy",
                "skip",
                "--jitter",
                "30",
                "--pause-after-failures",
                "3",
            )
            assert (changed["overlapPolicy"], changed["jitter"]) == ("SKIP", 30)
            assert changed["pauseAfterFailures"] == 3 and changed["expression"] == "@hourly"
            shown = await cli.run("schedules", "show", sid)
            assert "overlap:" in shown and "SKIP" in shown and "jitter (s):" in shown
            off = await cli.json("schedules", "update", sid, "--pause-after-failures", "off")
            assert off["pauseAfterFailures"] is None and off["jitter"] == 30
            window = ("--from", "2021-01-01T00:00:00Z", "--to", "2021-01-01T02:00:00Z")
            first = await cli.run("schedules", "backfill", sid, *window)
            assert first.startswith("3 occurrences in the range: 3 to run, 0 fired before")
            again = await cli.json("schedules", "backfill", sid, *window)
            assert (again["created"], again["alreadyFired"]) == (0, 3)
            future = ("--from", "2021-01-01T00:00:00Z", "--to", "2999-01-01T00:00:00Z")
            assert "BAD_USER_INPUT" in await cli.run(
                "schedules", "backfill", sid, *future, ok=False
            )

            # errors: one line naming the code, exit 1
            missing = str(uuid.uuid4())
            assert "NOT_FOUND" in await cli.run("jobs", "show", missing, ok=False)
            assert "CONFLICT" in await cli.run("jobs", "retry", job, ok=False)
            assert "BAD_USER_INPUT" in await cli.run("jobs", "show", "not-an-id", ok=False)
            keyless = {k: v for k, v in cli.env.items() if k != "TASKFORGE_API_KEY"}
            assert "API key" in await cli.run("jobs", "list", ok=False, env=keyless)
            wrong = {**cli.env, "TASKFORGE_API_KEY": "tf_wrong"}
            assert "UNAUTHENTICATED" in await cli.run("queues", "list", ok=False, env=wrong)


async def test_api_keys_and_users(server_env: dict[str, str], tmp_path: Path) -> None:
    with server(server_env, tmp_path) as (base, creds):
        key = creds["API key"]
        cli = Cli(
            {**server_env, "TASKFORGE_URL": f"http://{base}", "TASKFORGE_API_KEY": key}, tmp_path
        )

        keys = await cli.json("apikey", "list")
        assert len(keys) == 1 and "secret" not in keys[0]
        assert keys[0]["prefix"] in await cli.run("apikey", "list")

        users = await cli.json("users", "list")
        assert [u["email"] for u in users] == [creds["email"]]
        invited = await cli.json("users", "invite", "--email", "ana@example.com")
        assert invited["invitation"]["role"] == "MEMBER" and invited["token"]
        text = await cli.run("users", "invite", "--email", "bo@example.com", "--role", "admin")
        assert "bo@example.com" in text and "ADMIN" in text
        # the last admin cannot be demoted
        admin_id = users[0]["id"]
        assert "CONFLICT" in await cli.run(
            "users", "set-role", admin_id, "--role", "member", ok=False
        )
        assert "CONFLICT" in await cli.run("users", "deactivate", admin_id, ok=False)

        # a key revoked through the CLI stops working
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
            gql = GraphQLClient(http, key)
            made = await gql.ok(
                'mutation { createApiKey(name: "ci", permissions: ["jobs:read"]) '
                "{ apiKey { id } secret } }"
            )
        other = made["createApiKey"]
        revoked = await cli.json("apikey", "revoke", other["apiKey"]["id"])
        assert revoked["revokedAt"] is not None
        assert "revoked" in await cli.run("apikey", "list")
        with_revoked = {**cli.env, "TASKFORGE_API_KEY": other["secret"]}
        assert "UNAUTHENTICATED" in await cli.run("jobs", "list", ok=False, env=with_revoked)
