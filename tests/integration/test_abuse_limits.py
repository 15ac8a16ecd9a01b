"""Abuse limits: request rates per organization and per caller by tier, login
throttled per account and per client address. SQLite and PostgreSQL, each with the
in-process counters and real Redis; two app instances sharing Redis count together."""

from __future__ import annotations

import random
import uuid

import httpx
import pytest

from taskforge.app import create_app
from taskforge.counters import InProcessCounters, RedisCounters
from taskforge.domain.enums import Tier
from taskforge.domain.errors import RateLimited
from taskforge.domain.rates import Window
from taskforge.runtime import Runtime
from taskforge.services import abuse, auth
from tests.conftest import PASSWORD, make_settings, new_org

VIEWER = "{ viewer { organization { id } } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


@pytest.fixture(params=["local", "redis"])
def counter_url(request):
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


def limited(database_url, tmp_path, redis_url, **overrides):
    settings = {"rate_limit_per_minute": {Tier.STARTER: 4}, "redis_url": redis_url}
    return make_settings(database_url, tmp_path, **{**settings, **overrides})


@pytest.fixture
async def rt(database_url, tmp_path, counter_url):
    runtime = Runtime.create(limited(database_url, tmp_path, counter_url))
    await runtime.start(migrate=False, engines=False)
    yield runtime
    await runtime.stop()


async def post(http, query, variables=None, token=None, client=None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def client_of(runtime, address="10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(address, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def code(resp: httpx.Response) -> str | None:
    errors = resp.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


async def test_counters_are_used_as_configured(rt, counter_url) -> None:
    kind = RedisCounters if counter_url else InProcessCounters
    assert isinstance(rt.services.counters, kind)
    org = await new_org(rt.services)
    async with client_of(rt) as http:
        assert code(await post(http, VIEWER, token=org.api_key.secret)) is None
    [window] = await rt.services.counters.peek([f"org:{org.organization.id}"], abuse.MINUTE)
    assert window.current == 1


async def test_a_key_over_its_share_is_refused_with_a_hint(rt) -> None:
    """STARTER at 4 per minute: a key may make 2 (its half), the organization 4."""
    org = await new_org(rt.services)
    other = await auth.create_api_key(rt.services, _admin(org), "second", ["jobs:read"], None, None)
    async with client_of(rt) as http:
        for _ in range(2):
            assert code(await post(http, VIEWER, token=org.api_key.secret)) is None
        refused = await post(http, VIEWER, token=org.api_key.secret)
        assert refused.status_code == 429
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        wait = error["extensions"]["retryAfter"]
        assert isinstance(wait, int) and 1 <= wait <= 120
        assert refused.headers["retry-after"] == str(wait)
        # the organization still has room for the other key, then none at all
        assert code(await post(http, VIEWER, token=other.secret)) is None
        assert code(await post(http, VIEWER, token=other.secret)) == "RATE_LIMITED"


async def test_tenants_are_counted_apart(rt) -> None:
    first, second = await new_org(rt.services, "A"), await new_org(rt.services, "B")
    async with client_of(rt) as http:
        for _ in range(3):
            await post(http, VIEWER, token=first.api_key.secret)
        assert code(await post(http, VIEWER, token=first.api_key.secret)) == "RATE_LIMITED"
        assert code(await post(http, VIEWER, token=second.api_key.secret)) is None


async def test_one_request_counts_once_however_many_fields(rt) -> None:
    org = await new_org(rt.services)
    many = "{ a: viewer { permissions } b: viewer { permissions } c: jobs { totalCount } }"
    async with client_of(rt) as http:
        assert code(await post(http, many, token=org.api_key.secret)) is None
        assert code(await post(http, many, token=org.api_key.secret)) is None
        third = await post(http, many, token=org.api_key.secret)
    assert third.status_code == 429
    assert {e["extensions"]["code"] for e in third.json()["errors"]} == {"RATE_LIMITED"}


async def test_unlimited_tiers_and_the_switch(database_url, tmp_path, counter_url) -> None:
    off = Runtime.create(limited(database_url, tmp_path, counter_url, rate_limits=False))
    await off.start(migrate=False, engines=False)
    try:
        org = await new_org(off.services)
        ent = await new_org(off.services, "Ent", Tier.ENTERPRISE)
        async with client_of(off) as http:
            for _ in range(6):
                assert code(await post(http, VIEWER, token=org.api_key.secret)) is None
        off.settings.rate_limits = True
        async with client_of(off) as http:
            for _ in range(6):  # ENTERPRISE: no limit by default
                assert code(await post(http, VIEWER, token=ent.api_key.secret)) is None
    finally:
        await off.stop()


async def test_two_instances_sharing_redis_count_together(
    database_url, tmp_path, redis_url
) -> None:
    a = Runtime.create(limited(database_url, tmp_path, redis_url))
    b = Runtime.create(limited(database_url, tmp_path, redis_url))
    await a.start(migrate=False, engines=False)
    await b.start(migrate=False, engines=False)
    try:
        org = await new_org(a.services)
        async with client_of(a) as on_a, client_of(b) as on_b:
            assert code(await post(on_a, VIEWER, token=org.api_key.secret)) is None
            assert code(await post(on_b, VIEWER, token=org.api_key.secret)) is None
            assert code(await post(on_a, VIEWER, token=org.api_key.secret)) == "RATE_LIMITED"
            assert code(await post(on_b, VIEWER, token=org.api_key.secret)) == "RATE_LIMITED"
    finally:
        await a.stop()
        await b.stop()


async def test_redis_unreachable_fails_open(database_url, tmp_path, caplog) -> None:
    rt = Runtime.create(limited(database_url, tmp_path, "redis://127.0.0.1:1/0"))
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        async with client_of(rt) as http:
            # counted in process meanwhile: served, and still limited on this replica
            assert code(await post(http, VIEWER, token=org.api_key.secret)) is None
            assert code(await post(http, VIEWER, token=org.api_key.secret)) is None
            assert code(await post(http, VIEWER, token=org.api_key.secret)) == "RATE_LIMITED"
        assert "redis unreachable" in caplog.text
    finally:
        await rt.stop()


async def test_login_is_throttled_per_account(database_url, tmp_path, counter_url) -> None:
    rt = Runtime.create(limited(database_url, tmp_path, counter_url, throttle_per_account=3))
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        email = org.admin.email
        async with client_of(rt, "10.0.0.1") as one, client_of(rt, "10.0.0.2") as two:
            # a success does not count
            assert code(await post(one, LOGIN, {"e": email, "p": PASSWORD})) is None
            for http in (one, two, one):
                wrong = await post(http, LOGIN, {"e": email, "p": "wrong-password"})
                assert code(wrong) == "UNAUTHENTICATED"
            # from any address, even with the right password
            refused = await post(two, LOGIN, {"e": email, "p": PASSWORD})
            assert code(refused) == "RATE_LIMITED"
            assert refused.json()["errors"][0]["extensions"]["retryAfter"] >= 1
            assert refused.status_code == 429 and "retry-after" in refused.headers
            # another account is not affected
            other = await new_org(rt.services, "Other")
            ok = await post(one, LOGIN, {"e": other.admin.email, "p": PASSWORD})
            assert code(ok) is None
    finally:
        await rt.stop()


async def test_login_is_throttled_per_address(database_url, tmp_path, counter_url) -> None:
    rt = Runtime.create(limited(database_url, tmp_path, counter_url, throttle_per_address=3))
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        async with client_of(rt, _address()) as guesser, client_of(rt, _address()) as user:
            for n in range(3):
                wrong = {"e": f"nobody{n}@example.com", "p": "wrong-password"}
                assert code(await post(guesser, LOGIN, wrong)) == "UNAUTHENTICATED"
            refused = await post(guesser, LOGIN, {"e": org.admin.email, "p": PASSWORD})
            assert code(refused) == "RATE_LIMITED"
            # the account itself is fine from another address
            assert code(await post(user, LOGIN, {"e": org.admin.email, "p": PASSWORD})) is None
    finally:
        await rt.stop()


async def test_the_throttle_helper_counts_every_attempt(rt) -> None:
    svc = rt.services
    svc.settings.throttle_per_account = 2
    account = f"{uuid.uuid4().hex}@example.com"
    for _ in range(2):
        await abuse.throttle(svc, "signup", account=account, address="10.1.1.1")
    with pytest.raises(RateLimited) as refused:
        await abuse.throttle(svc, "signup", account=account, address="10.1.1.2")
    assert refused.value.details["retry_after"] >= 1
    # another action has its own counters
    await abuse.throttle(svc, "change_password", account=account, address="10.1.1.1")


@pytest.mark.parametrize(
    ("window", "limit", "wait"),
    [
        (Window(current=5, previous=0, elapsed=30, length=60), 4, 30 + 12),
        (Window(current=2, previous=10, elapsed=15, length=60), 4, 33),
        (Window(current=4, previous=0, elapsed=10, length=60), 4, 0),
    ],
)
def test_retry_after_is_when_the_window_fits_again(window, limit, wait) -> None:
    assert window.retry_after(limit) == wait
    if wait:
        later = Window(0, window.current, wait - (window.length - window.elapsed), 60)
        fits = (
            later.estimate <= limit
            if window.current > limit
            else Window(window.current, window.previous, window.elapsed + wait, 60).estimate
            <= limit
        )
        assert fits


def _address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def _admin(org):
    from tests.conftest import admin_of

    return admin_of(org)
