"""Two real `taskforge serve` processes on one PostgreSQL database: credentials revoked
through server A (a revoked key, a deactivated user with their token and the key they
created) close the subscriptions open on server B within the credential cache window,
with 4403, and B refuses them for requests too."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import websockets

from tests.e2e.test_realtime import private_redis, serve, shared_env  # noqa: F401 (fixtures)
from tests.helpers import GraphQLClient, subscribe

pytestmark = pytest.mark.e2e

WINDOW = 1.0  # TASKFORGE_AUTH_CACHE_SECONDS of both servers
SLACK = 1.5  # a database round trip and the close handshake, on a loaded machine
TICKS = "subscription { schedulerTicks { eventId } }"
INVITE = """mutation { inviteUser(email: "sub@example.com", role: MEMBER) { token } }"""
ACCEPT = """mutation($t: String!) {
  acceptInvitation(token: $t, name: "Sub", password: "subscriber-pw-1") { token user { id } }
}"""
CREATE_KEY = """mutation($n: String!) {
  createApiKey(name: $n, permissions: ["jobs:read", "scheduled_job:read"]) { secret apiKey { id } }
}"""


async def closed_code(sub, timeout: float) -> int:
    """The close code once the server closes the connection (within ``timeout``)."""
    try:
        while True:
            await sub.next(timeout=timeout)
    except websockets.exceptions.ConnectionClosed as exc:
        assert exc.rcvd is not None, exc
        return exc.rcvd.code


async def test_revoked_and_deactivated_subscriptions_close_on_the_other_replica(
    shared_env,  # noqa: F811
    tmp_path,
) -> None:
    a_env = {**shared_env, "TASKFORGE_AUTH_CACHE_SECONDS": str(WINDOW)}
    b_env = {**a_env, "TASKFORGE_BOOTSTRAP": "false"}
    with (
        serve(a_env, tmp_path / "a", "a") as (a_base, creds),
        serve(b_env, tmp_path / "b", "b") as (b_base, _),
    ):
        admin = {"Authorization": f"Bearer {creds['API key']}"}
        async with (
            httpx.AsyncClient(base_url=f"http://{a_base}", timeout=30, headers=admin) as a_http,
            httpx.AsyncClient(base_url=f"http://{b_base}", timeout=30) as b_http,
        ):
            a = GraphQLClient(a_http)
            b = GraphQLClient(b_http)
            token = (await a.ok(INVITE))["inviteUser"]["token"]
            joined = (await a.as_(None).ok(ACCEPT, {"t": token}))["acceptInvitation"]
            member = a.as_(joined["token"])
            member_key = (await member.ok(CREATE_KEY, {"n": "member's"}))["createApiKey"]
            admin_key = (await a.ok(CREATE_KEY, {"n": "admin's"}))["createApiKey"]

            async with (
                subscribe(b_base, admin_key["secret"], TICKS) as by_key,
                subscribe(b_base, joined["token"], TICKS) as by_token,
                subscribe(b_base, member_key["secret"], TICKS) as by_member_key,
            ):
                for credential in (admin_key["secret"], joined["token"], member_key["secret"]):
                    await b.as_(credential).ok("{ jobs { totalCount } }")  # B trusts them
                await a.ok(
                    "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
                    {"id": admin_key["apiKey"]["id"]},
                )
                revoked_at = time.monotonic()
                assert await closed_code(by_key, WINDOW + SLACK) == 4403
                assert time.monotonic() - revoked_at < WINDOW + SLACK
                # still open: the others' credentials are good
                await by_token.nothing_for(0.1)

                await a.ok(
                    "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
                    {"id": joined["user"]["id"]},
                )
                deactivated_at = time.monotonic()
                codes = await asyncio.gather(
                    closed_code(by_token, WINDOW + SLACK),
                    closed_code(by_member_key, WINDOW + SLACK),
                )
                assert codes == [4403, 4403]
                assert time.monotonic() - deactivated_at < WINDOW + SLACK

            for credential in (admin_key["secret"], joined["token"], member_key["secret"]):
                code = await b.as_(credential).error("{ jobs { totalCount } }")
                assert code == "UNAUTHENTICATED"
