"""The real server as a subprocess, driven by real HTTP and WebSocket clients."""

from __future__ import annotations

import asyncio
import re
import subprocess

import httpx
import pytest
from alembic.script import ScriptDirectory

from taskforge.persistence.migrate import alembic_config
from tests.e2e.conftest import TASKFORGE, _pg, _url, server
from tests.helpers import GraphQLClient, subscribe

pytestmark = pytest.mark.e2e


async def _wait_subscribed(http: httpx.AsyncClient, n: int) -> None:
    for _ in range(500):
        metrics = (await http.get("/metrics")).text
        if int(re.search(r"^taskforge_subscriptions (\d+)", metrics, re.M).group(1)) >= n:  # type: ignore[union-attr]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("subscription never registered")


async def test_first_run_login_create_subscribe_cancel(server_env, tmp_path) -> None:
    with server(server_env, tmp_path) as (base, creds):
        assert creds["email"] == "admin@taskforge.local" and creds["API key"].startswith("tf_")
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=10) as http:
            assert (await http.get("/healthz")).json()["status"] == "ok"
            assert (await http.get("/readyz")).json() == {
                "status": "ok",
                "database": "ok",
                "broker": "ok",
            }
            graphiql = await http.get("/graphql", headers={"accept": "text/html"})
            assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

            anon = GraphQLClient(http)
            login = await anon.ok(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                {"e": creds["email"], "p": creds["password"]},
            )
            gql = anon.as_(login["login"]["token"])
            project = (await gql.ok('mutation { createProject(name: "e2e") { id } }'))[
                "createProject"
            ]["id"]
            queue = (
                await gql.ok(
                    'mutation($p: ID!) { createQueue(projectId: $p, name: "q") { id } }',
                    {"p": project},
                )
            )["createQueue"]["id"]
            job = (
                await gql.ok(
                    "mutation($q: ID!) { enqueueJob(input: {queueId: $q, "
                    'jobType: "report", payload: {n: 1}}) { id status } }',
                    {"q": queue},
                )
            )["enqueueJob"]
            assert job["status"] == "PENDING"

            # the creation event may still be on its way: watch for the cancel only
            query = (
                "subscription($id: ID!) { jobStatusChanged(jobId: $id, statuses: [CANCELLED]) "
                "{ eventId jobId status previousStatus } }"
            )
            async with subscribe(base, login["login"]["token"], query, {"id": job["id"]}) as sub:
                await _wait_subscribed(http, 1)
                await gql.ok("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job["id"]})
                event = (await sub.next(timeout=10))["payload"]["data"]["jobStatusChanged"]
            assert event["jobId"] == job["id"]
            assert (event["status"], event["previousStatus"]) == ("CANCELLED", "PENDING")
            assert int(event["eventId"]) > 0


async def test_second_start_does_not_bootstrap_again(server_env, tmp_path) -> None:
    with server(server_env, tmp_path) as (_, creds):
        assert "API key" in creds
    made = subprocess.run(  # noqa: ASYNC221 (nothing else runs meanwhile)
        [*TASKFORGE, "apikey", "create", "--name", "ci", "--permission", "jobs:read"],
        env=server_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    new_key = made.stdout.strip()
    assert new_key.startswith("tf_")
    with server(server_env, tmp_path) as (base, creds):
        assert creds == {}
        async with httpx.AsyncClient(base_url=f"http://{base}") as http:
            assert (await http.get("/readyz")).status_code == 200
            reader = GraphQLClient(http, new_key)
            viewer = await reader.ok("{ viewer { permissions apiKey { name } } }")
            assert viewer["viewer"] == {"permissions": ["jobs:read"], "apiKey": {"name": "ci"}}
            assert await reader.error('mutation { createProject(name: "x") { id } }') == (
                "FORBIDDEN"
            )


def test_serve_on_an_unmigrated_database_says_to_migrate(tmp_path) -> None:
    """PostgreSQL is migrated by ``taskforge migrate``, not by ``serve``: a database
    without the schema stops the server at once, in one line naming the command, not
    with a traceback from its first statement."""
    import os

    db = f"taskforge_unmigrated_{os.getpid()}"
    _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{db}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    env["TASKFORGE_DATABASE_URL"] = _url(db)
    try:
        done = subprocess.run(
            [*TASKFORGE, "serve", "--port", "0"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert done.stderr.strip().splitlines() == [
        f"error: the database has no schema yet (this release expects revision {head}):"
        " run `taskforge migrate` first"
    ]
