"""A second tenant from nothing, against the real server: the operator creates an
organization (`taskforge org create`), its admin invites a member, the member accepts,
logs in, creates a key with at most their own permissions and runs a job through a
real `taskforge worker`; the first organization sees none of it."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TASKFORGE, server
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""
INVITE = """mutation($e: String!) { inviteUser(email: $e, role: MEMBER) { token } }"""
ACCEPT = """mutation($t: String!, $p: String!) {
  acceptInvitation(token: $t, name: "Mia", password: $p) { token user { id role } } }"""
KEY = """mutation($perms: [String!]!) {
  createApiKey(name: "mia-worker", permissions: $perms) { secret apiKey { permissions } } }"""
ENQUEUE = """mutation($q: ID!, $p: JSON!) {
  enqueueJob(input: {queueId: $q, jobType: "echo", payload: $p}) { id } }"""
JOB = "query($id: ID!) { job(id: $id) { status output } }"
SEEN = """query { jobs(first: 100) { edges { node { id } } } users(first: 100) {
  edges { node { email } } } queues(first: 100) { edges { node { id } } } }"""
MEMBER_PASSWORD = "member-horse-battery-staple"


async def _ok(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    return await gql.ok(query, variables)


def _operator(env: dict[str, str], cwd: Path, *args: str) -> Any:
    done = subprocess.run(
        [*TASKFORGE, "org", *args, "--json"], env=env, cwd=cwd, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def _start_worker(env: dict[str, str], cwd: Path, base: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*TASKFORGE, "worker", "--url", f"http://{base}", "--queue", "default"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_a_second_tenant_from_nothing(server_env: dict[str, str], tmp_path: Path) -> None:
    with server(server_env, tmp_path) as (base, creds):
        created = _operator(
            server_env, tmp_path, "create", "--name", "Tenant Two", "--email", "boss@two.example"
        )
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
            anon = GraphQLClient(http)
            first = GraphQLClient(http, creds["API key"])
            boss_token = (
                await _ok(anon, LOGIN, {"e": "boss@two.example", "p": created["password"]})
            )["login"]["token"]
            boss = anon.as_(boss_token)

            invite = (await _ok(boss, INVITE, {"e": "mia@two.example"}))["inviteUser"]["token"]
            accepted = (await _ok(anon, ACCEPT, {"t": invite, "p": MEMBER_PASSWORD}))[
                "acceptInvitation"
            ]
            assert accepted["user"]["role"] == "MEMBER"
            # the invitation is single-use
            assert "NOT_FOUND" in await anon.error(ACCEPT, {"t": invite, "p": MEMBER_PASSWORD})
            token = (await _ok(anon, LOGIN, {"e": "mia@two.example", "p": MEMBER_PASSWORD}))[
                "login"
            ]["token"]
            mia = anon.as_(token)

            # a key with more than the member holds is refused; within it, created
            assert "FORBIDDEN" in await mia.error(KEY, {"perms": ["admin"]})
            perms = ["jobs:read", "jobs:write", "workers"]
            key = (await _ok(mia, KEY, {"perms": perms}))["createApiKey"]
            assert sorted(key["apiKey"]["permissions"]) == sorted(perms)

            # a job of the new tenant, run by a real worker with the member's key
            with_key = anon.as_(key["secret"])
            job_id = (
                await _ok(
                    with_key, ENQUEUE, {"q": created["queueId"], "p": {"hello": "tenant two"}}
                )
            )["enqueueJob"]["id"]
            worker = _start_worker(
                {**server_env, "TASKFORGE_API_KEY": key["secret"]}, tmp_path, base
            )
            try:
                deadline = time.monotonic() + 60
                while (job := (await _ok(with_key, JOB, {"id": job_id}))["job"])["status"] != (
                    "SUCCEEDED"
                ):
                    assert time.monotonic() < deadline, job
                    await asyncio.sleep(0.25)
                assert job["output"] == {"hello": "tenant two"}
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)

            # the first organization sees none of it
            assert "NOT_FOUND" in await first.error(JOB, {"id": job_id})
            seen = await _ok(first, SEEN)
            assert job_id not in {e["node"]["id"] for e in seen["jobs"]["edges"]}
            emails = {e["node"]["email"] for e in seen["users"]["edges"]}
            assert not emails & {"boss@two.example", "mia@two.example"}
            assert created["queueId"] not in {e["node"]["id"] for e in seen["queues"]["edges"]}
            # and the new tenant sees nothing of the first
            theirs = await _ok(mia, SEEN)
            assert {e["node"]["email"] for e in theirs["users"]["edges"]} == {
                "boss@two.example",
                "mia@two.example",
            }
            assert [e["node"]["id"] for e in theirs["jobs"]["edges"]] == [job_id]
