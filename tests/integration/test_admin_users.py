"""Users, invitations, roles, deactivation, password changes and the key listing: the
rules, tenant isolation, bad input, and the refusal of revoked credentials."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
import websockets
from sqlalchemy import select

from taskforge.domain.enums import UserRole
from taskforge.persistence.tables import ApiKey, Invitation, Organization, User
from taskforge.runtime import Runtime
from taskforge.services import auth, users
from taskforge.services.base import Services
from tests.conftest import PASSWORD, admin_of, make_settings, new_org
from tests.helpers import GraphQLClient, asgi_client, served, subscribe, wait_for_subscribers

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
INVITE = """mutation($e: String!, $r: UserRole!) {
  inviteUser(email: $e, role: $r) { token invitation { id email role expiresAt } }
}"""
ACCEPT = """mutation($t: String!, $n: String!, $p: String!) {
  acceptInvitation(token: $t, name: $n, password: $p) {
    token expiresAt user { id email role name }
  }
}"""
USERS = "{ users { totalCount edges { node { id email role name active } } } }"
INVITATIONS = "{ invitations { totalCount edges { node { id email } } } }"
API_KEYS = """{ apiKeys { totalCount edges { node {
  id name prefix permissions createdBy lastUsedAt expiresAt revokedAt } } } }"""
SET_ROLE = "mutation($id: ID!, $r: UserRole!) { updateUserRole(id: $id, role: $r) { id role } }"
DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) { id active } }"
CHANGE = """mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { token user { email } }
}"""
CREATE_KEY = """mutation($n: String!, $p: [String!]!) {
  createApiKey(name: $n, permissions: $p) { secret apiKey { id createdBy permissions } }
}"""
MEMBER_PASSWORD = "member-password-123"


async def token_of(gql: GraphQLClient, email: str, password: str = PASSWORD) -> str:
    token: str = (await gql.as_(None).ok(LOGIN, {"e": email, "p": password}))["login"]["token"]
    return token


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime) as client:
        yield client.as_(await token_of(client, org.admin.email))


async def join(gql: GraphQLClient, email: str, role: str = "MEMBER") -> dict[str, Any]:
    """Invite ``email`` and accept: the new user's login payload."""
    invited = (await gql.ok(INVITE, {"e": email, "r": role}))["inviteUser"]
    data = await gql.as_(None).ok(
        ACCEPT, {"t": invited["token"], "n": "New One", "p": MEMBER_PASSWORD}
    )
    payload: dict[str, Any] = data["acceptInvitation"]
    return payload


async def rows(runtime, model: Any) -> str:
    """Every row of ``model`` (the table's state), serialised."""
    async with runtime.db.read() as session:
        found = await session.scalars(select(model))
        return json.dumps(
            sorted(
                json.dumps(
                    {
                        c.name: str(getattr(r, c.key))
                        for c in model.__mapper__.columns
                        if c.name != "last_used_at"
                    },
                    sort_keys=True,
                )
                for r in found
            )
        )


async def test_invited_user_joins_the_inviting_organization(gql, org) -> None:
    invited = (await gql.ok(INVITE, {"e": "Ann@Example.com", "r": "MEMBER"}))["inviteUser"]
    assert invited["invitation"]["email"] == "ann@example.com"
    assert invited["token"].startswith("tfi_")
    listed = (await gql.ok(INVITATIONS))["invitations"]
    assert [e["node"]["email"] for e in listed["edges"]] == ["ann@example.com"]

    joined = (
        await gql.as_(None).ok(ACCEPT, {"t": invited["token"], "n": "Ann", "p": MEMBER_PASSWORD})
    )["acceptInvitation"]
    assert joined["user"]["email"] == "ann@example.com"
    assert joined["user"]["role"] == "MEMBER" and joined["user"]["name"] == "Ann"
    ann = gql.as_(joined["token"])
    viewer = await ann.ok("{ viewer { organization { id } user { email } } }")
    assert viewer["viewer"]["organization"]["id"] == str(org.organization.id)
    assert await token_of(gql, "ann@example.com", MEMBER_PASSWORD)
    # accepted: no longer pending, and single use
    assert (await gql.ok(INVITATIONS))["invitations"]["totalCount"] == 0
    again = {"t": invited["token"], "n": "Ann", "p": MEMBER_PASSWORD}
    assert await gql.as_(None).error(ACCEPT, again) == "NOT_FOUND"
    # members read the organization's users too
    emails = {e["node"]["email"] for e in (await ann.ok(USERS))["users"]["edges"]}
    assert emails == {org.admin.email, "ann@example.com"}


async def test_unusable_invitation_tokens_are_one_answer_and_write_nothing(
    gql, runtime, svc, org
) -> None:
    revoked = (await gql.ok(INVITE, {"e": "rev@example.com", "r": "MEMBER"}))["inviteUser"]
    await gql.ok(
        "mutation($id: ID!) { revokeInvitation(id: $id) { revokedAt } }",
        {"id": revoked["invitation"]["id"]},
    )
    expired = await users.invite_user(svc, admin_of(org), "late@example.com", UserRole.MEMBER)
    before_users, before_invitations = await rows(runtime, User), await rows(runtime, Invitation)
    real_clock = svc.clock
    svc.clock = lambda: real_clock() + timedelta(hours=svc.settings.invitation_ttl_hours, seconds=1)
    try:
        for token in (revoked["token"], expired.token, "tfi_unknown"):
            code = await gql.as_(None).error(ACCEPT, {"t": token, "n": "X", "p": MEMBER_PASSWORD})
            assert code == "NOT_FOUND"
    finally:
        svc.clock = real_clock
    assert await rows(runtime, User) == before_users
    assert await rows(runtime, Invitation) == before_invitations


async def test_existing_email_anywhere_is_a_conflict(gql, other_org) -> None:
    assert await gql.error(INVITE, {"e": other_org.admin.email, "r": "MEMBER"}) == "CONFLICT"
    await gql.ok(INVITE, {"e": "twice@example.com", "r": "MEMBER"})
    assert await gql.error(INVITE, {"e": "twice@example.com", "r": "ADMIN"}) == "CONFLICT"


async def test_members_cannot_administer_users(gql, runtime, org) -> None:
    member = await join(gql, "m@example.com")
    as_member = gql.as_(member["token"])
    before = await rows(runtime, User), await rows(runtime, Invitation)
    admin_id = str(org.admin.id)
    for query, variables in (
        (INVITE, {"e": "x@example.com", "r": "MEMBER"}),
        (INVITATIONS, None),
        (SET_ROLE, {"id": member["user"]["id"], "r": "ADMIN"}),  # not even their own
        (SET_ROLE, {"id": admin_id, "r": "MEMBER"}),
        (DEACTIVATE, {"id": admin_id}),
    ):
        assert await as_member.error(query, variables) == "FORBIDDEN", query
    assert (await rows(runtime, User), await rows(runtime, Invitation)) == before


async def test_the_last_active_admin_stays(gql, runtime, org) -> None:
    admin_id = str(org.admin.id)
    before = await rows(runtime, User)
    assert await gql.error(SET_ROLE, {"id": admin_id, "r": "MEMBER"}) == "CONFLICT"
    assert await gql.error(DEACTIVATE, {"id": admin_id}) == "CONFLICT"
    assert await rows(runtime, User) == before
    second = await join(gql, "second@example.com", "ADMIN")
    assert (await gql.ok(SET_ROLE, {"id": admin_id, "r": "MEMBER"}))["updateUserRole"][
        "role"
    ] == "MEMBER"
    # the demoted admin's own token now carries a member's permissions
    assert await gql.error(INVITE, {"e": "y@example.com", "r": "MEMBER"}) == "FORBIDDEN"
    as_second = gql.as_(second["token"])
    assert await as_second.error(DEACTIVATE, {"id": second["user"]["id"]}) == "CONFLICT"
    promoted = await as_second.ok(SET_ROLE, {"id": admin_id, "r": "ADMIN"})
    assert promoted["updateUserRole"]["role"] == "ADMIN"


async def test_deactivated_users_tokens_and_keys_are_refused(gql, runtime) -> None:
    member = await join(gql, "gone@example.com")
    as_member = gql.as_(member["token"])
    key = (await as_member.ok(CREATE_KEY, {"n": "mine", "p": ["jobs:read"]}))["createApiKey"]
    assert key["apiKey"]["createdBy"] == member["user"]["id"]
    as_key = gql.as_(key["secret"])
    await as_key.ok("{ jobs { totalCount } }")
    done = await gql.ok(DEACTIVATE, {"id": member["user"]["id"]})
    assert done["deactivateUser"]["active"] is False
    assert await as_member.error("{ jobs { totalCount } }") == "UNAUTHENTICATED"
    assert await as_key.error("{ jobs { totalCount } }") == "UNAUTHENTICATED"
    assert (
        await gql.as_(None).error(LOGIN, {"e": "gone@example.com", "p": MEMBER_PASSWORD})
        == "UNAUTHENTICATED"
    )


async def test_deactivation_reaches_other_replicas_within_the_cache_window(svc, org) -> None:
    admin = admin_of(org)
    invited = await users.invite_user(svc, admin, "far@example.com", UserRole.MEMBER)
    login = await users.accept_invitation(svc, invited.token, "Far", MEMBER_PASSWORD)
    replica = Services(svc.db, svc.settings)  # a second API process on the same database
    await auth.authenticate(replica, login.token)  # trusted by the replica
    await users.deactivate_user(svc, admin, login.user.id)
    assert await auth.authenticate(replica, login.token)  # until its window ends
    real_clock = replica.clock
    replica.clock = lambda: real_clock() + timedelta(seconds=svc.settings.auth_cache_seconds + 1)
    with pytest.raises(auth.Unauthenticated):
        await auth.authenticate(replica, login.token)


async def test_change_password_refuses_older_tokens(gql, org, svc) -> None:
    other_session = await token_of(gql, org.admin.email)  # e.g. another browser
    changed = (await gql.ok(CHANGE, {"c": PASSWORD, "n": "a-new-password-1"}))["changePassword"]
    assert changed["user"]["email"] == org.admin.email
    fresh = gql.as_(changed["token"])
    await fresh.ok("{ viewer { user { email } } }")
    for stale in (gql, gql.as_(other_session)):
        assert await stale.error("{ viewer { user { email } } }") == "UNAUTHENTICATED"
    assert await gql.as_(None).error(LOGIN, {"e": org.admin.email, "p": PASSWORD}) == (
        "UNAUTHENTICATED"
    )
    assert await token_of(gql, org.admin.email, "a-new-password-1")
    # a wrong current password, and an API key (no user behind it), change nothing
    assert await fresh.error(CHANGE, {"c": "wrong-password", "n": "b-new-password"}) == (
        "BAD_USER_INPUT"
    )
    assert (
        await gql.as_(org.api_key.secret).error(
            CHANGE, {"c": "a-new-password-1", "n": "b-new-password"}
        )
        == "FORBIDDEN"
    )
    await fresh.ok("{ viewer { user { email } } }")


async def test_members_create_keys_within_their_own_permissions(gql, runtime) -> None:
    member = await join(gql, "keys@example.com")
    as_member = gql.as_(member["token"])
    before = await rows(runtime, ApiKey)
    body = await as_member.raw(CREATE_KEY, {"n": "too much", "p": ["jobs:read", "admin"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "'admin'" in body["errors"][0]["message"]
    assert await rows(runtime, ApiKey) == before
    made = (await as_member.ok(CREATE_KEY, {"n": "reader", "p": ["jobs:read"]}))["createApiKey"]
    # a member's listing holds their own keys, an admin's every key; never a secret
    mine = (await as_member.ok(API_KEYS))["apiKeys"]
    assert [e["node"]["id"] for e in mine["edges"]] == [made["apiKey"]["id"]]
    every = (await gql.ok(API_KEYS))["apiKeys"]
    assert every["totalCount"] == 2
    assert made["secret"] not in json.dumps(every)
    # a member revokes their own key, not another's
    admin_key = next(e["node"]["id"] for e in every["edges"] if e["node"]["createdBy"] is None)
    revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }"
    assert await as_member.error(revoke, {"id": admin_key}) == "FORBIDDEN"
    await as_member.ok(revoke, {"id": made["apiKey"]["id"]})


async def test_last_used_at_is_kept(gql, org) -> None:
    await gql.as_(org.api_key.secret).ok("{ jobs { totalCount } }")
    keys = (await gql.ok(API_KEYS))["apiKeys"]["edges"]
    assert keys[0]["node"]["lastUsedAt"] is not None


async def test_another_tenants_ids_are_not_found(gql, runtime, svc, other_org) -> None:
    theirs = await users.invite_user(svc, admin_of(other_org), "t@example.com", UserRole.MEMBER)
    before = [await rows(runtime, m) for m in (User, Invitation, ApiKey)]
    user_id = str(other_org.admin.id)
    for query, variables in (
        (SET_ROLE, {"id": user_id, "r": "MEMBER"}),
        (DEACTIVATE, {"id": user_id}),
        (
            "mutation($id: ID!) { revokeInvitation(id: $id) { id } }",
            {"id": str(theirs.invitation.id)},
        ),
        (
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            {"id": str(other_org.api_key.key.id)},
        ),
    ):
        assert await gql.error(query, variables) == "NOT_FOUND", query
    assert [await rows(runtime, m) for m in (User, Invitation, ApiKey)] == before
    listed = json.dumps([await gql.ok(USERS), await gql.ok(INVITATIONS), await gql.ok(API_KEYS)])
    for foreign in (user_id, other_org.admin.email, "t@example.com", str(other_org.api_key.key.id)):
        assert foreign not in listed


BAD = [
    (INVITE, {"e": "not-an-email", "r": "MEMBER"}),
    (INVITE, {"e": "a\x00b@example.com", "r": "MEMBER"}),
    (INVITE, {"e": "x@example.com", "r": "OWNER"}),
    (ACCEPT, {"t": "tfi_\x00", "n": "N", "p": MEMBER_PASSWORD}),
    (ACCEPT, {"t": "t" * 1000, "n": "N", "p": MEMBER_PASSWORD}),
    (SET_ROLE, {"id": "not-an-id", "r": "MEMBER"}),
    (SET_ROLE, {"id": "00000000-0000-0000-0000-000000000000", "r": "BOSS"}),
    (DEACTIVATE, {"id": "not-an-id"}),
    ("mutation($id: ID!) { revokeInvitation(id: $id) { id } }", {"id": "nope"}),
    (CHANGE, {"c": PASSWORD, "n": "short"}),
    (CHANGE, {"c": "x" * 2000, "n": "long-enough-1"}),
    ("{ users(first: -1) { totalCount } }", None),
    ('{ users(after: "bm90IGEgY3Vyc29y") { totalCount } }', None),
    ("{ invitations(first: 100000) { totalCount } }", None),
    ('{ apiKeys(after: "garbage!") { totalCount } }', None),
]


@pytest.mark.parametrize(("query", "variables"), BAD)
async def test_bad_input_is_refused_and_writes_nothing(gql, runtime, query, variables) -> None:
    before = [await rows(runtime, m) for m in (User, Invitation, ApiKey)]
    body = await gql.raw(query, variables)
    assert body.get("errors"), body
    code = body["errors"][0].get("extensions", {}).get("code")
    assert code in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"), body
    assert [await rows(runtime, m) for m in (User, Invitation, ApiKey)] == before


async def test_bad_accept_input_names_the_field(gql) -> None:
    invited = (await gql.ok(INVITE, {"e": "fields@example.com", "r": "MEMBER"}))["inviteUser"]
    for name, password, field in (("", MEMBER_PASSWORD, "name"), ("N", "short", "password")):
        body = await gql.as_(None).raw(ACCEPT, {"t": invited["token"], "n": name, "p": password})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == field
    # still pending: a refused attempt did not use the invitation up
    assert (await gql.ok(INVITATIONS))["invitations"]["totalCount"] == 1


def reset(database_url: str, tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    env["TASKFORGE_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "taskforge.cli", "users", "reset-password", *args],
        env=env,
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_operator_resets_a_password(svc, org, database_url, tmp_path) -> None:
    token, _, _ = await auth.login(svc, org.admin.email, PASSWORD)
    done = await asyncio.to_thread(reset, database_url, tmp_path, "--email", org.admin.email)
    assert done.returncode == 0, done.stderr
    generated = done.stdout.strip()
    assert len(generated) >= 16
    svc.auth_cache.clear()  # as on a replica past its window
    with pytest.raises(auth.Unauthenticated):
        await auth.authenticate(svc, token)
    await auth.login(svc, org.admin.email, generated)

    chosen = "chosen-by-operator"
    args = ("--email", org.admin.email.upper(), "--stdin")
    done = await asyncio.to_thread(reset, database_url, tmp_path, *args, stdin=chosen + "\n")
    assert done.returncode == 0, done.stderr
    assert chosen not in done.stdout
    await auth.login(svc, org.admin.email, chosen)

    for args, stdin in (
        (("--email", "nobody@example.com"), ""),
        (("--email", org.admin.email, "--stdin"), "short\n"),
        (("--email", "not an email"), ""),
    ):
        done = await asyncio.to_thread(reset, database_url, tmp_path, *args, stdin=stdin)
        assert done.returncode != 0
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
    await auth.login(svc, org.admin.email, chosen)  # unchanged by the refusals


TICKS = "subscription { schedulerTicks { eventId } }"


async def closed_code(sub: Any, timeout: float) -> int:
    try:
        while True:
            await sub.next(timeout=timeout)
    except websockets.exceptions.ConnectionClosed as exc:
        assert exc.rcvd is not None, exc
        return exc.rcvd.code


async def test_a_connection_closes_once_its_credential_is_refused(database_url, tmp_path) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path, auth_cache_seconds=1.0))
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        admin = admin_of(org)
        invited = await users.invite_user(rt.services, admin, "ws@example.com", UserRole.MEMBER)
        login = await users.accept_invitation(rt.services, invited.token, "Ws", MEMBER_PASSWORD)
        async with (
            served(rt) as base,
            subscribe(base, login.token, TICKS) as by_token,
            subscribe(base, org.api_key.secret, TICKS) as by_key,
        ):
            await wait_for_subscribers(rt, 2)
            async with rt.db.write() as session:  # as another replica would
                user = await session.get(User, login.user.id)
                assert user is not None
                user.deactivated_at = rt.services.clock()
            assert await closed_code(by_token, 3.0) == 4403
            await by_key.nothing_for(0.2)  # the admin's key is still good
    finally:
        await rt.stop()


async def test_connections_of_a_suspended_organization_close(database_url, tmp_path) -> None:
    """A suspension (by the operator, on another process) closes the organization's open
    subscriptions within the credential cache window; another tenant's stay open."""
    rt = Runtime.create(make_settings(database_url, tmp_path, auth_cache_seconds=1.0))
    await rt.start(migrate=False, engines=False)
    try:
        org, other = await new_org(rt.services), await new_org(rt.services, "Globex")
        async with (
            served(rt) as base,
            subscribe(base, org.api_key.secret, TICKS) as suspended,
            subscribe(base, other.api_key.secret, TICKS) as untouched,
        ):
            await wait_for_subscribers(rt, 2)
            async with rt.db.write() as session:  # as the operator's command would
                row = await session.get(Organization, org.organization.id)
                assert row is not None
                row.suspended_at = rt.services.clock()
            assert await closed_code(suspended, 3.0) == 4403
            await untouched.nothing_for(0.2)
    finally:
        await rt.stop()
