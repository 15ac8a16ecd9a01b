"""Login tokens, API keys, bootstrap and quotas on both backends."""

from datetime import timedelta

import jwt
import pytest

from taskforge.domain.enums import Tier
from taskforge.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    Unauthenticated,
)
from taskforge.persistence.common import tenancy as repo
from taskforge.services import auth, jobs, tenancy
from taskforge.services.base import Principal
from tests.conftest import PASSWORD, admin_of, new_org


async def test_login_issues_a_token_that_authenticates(svc, org) -> None:
    token, expires, user = await auth.login(svc, org.admin.email.upper(), PASSWORD)
    assert user.id == org.admin.id
    assert expires > svc.clock()
    principal = await auth.authenticate(svc, token)
    assert principal.organization_id == org.organization.id
    assert principal.user_id == org.admin.id
    assert "admin" in principal.permissions


@pytest.mark.parametrize("email,password", [("nobody@example.com", PASSWORD), (None, "wrong-pass")])
async def test_bad_credentials(svc, org, email, password) -> None:
    with pytest.raises(Unauthenticated):
        await auth.login(svc, email or org.admin.email, password)


async def test_malformed_email_on_login(svc) -> None:
    with pytest.raises(InvalidInput):
        await auth.login(svc, "not-an-email", PASSWORD)


async def test_expired_token_is_rejected(svc, org) -> None:
    real_clock = svc.clock
    svc.clock = lambda: real_clock() - timedelta(seconds=svc.settings.token_ttl_seconds + 5)
    try:
        token, _, _ = await auth.login(svc, org.admin.email, PASSWORD)
    finally:
        svc.clock = real_clock
    with pytest.raises(Unauthenticated, match="expired"):
        await auth.authenticate(svc, token)


@pytest.mark.parametrize("credential", [None, "", "garbage", "tf_not-a-key"])
async def test_bad_credentials_do_not_authenticate(svc, credential) -> None:
    with pytest.raises(Unauthenticated):
        await auth.authenticate(svc, credential)


async def test_token_signed_with_another_key_is_rejected(svc, org) -> None:
    forged = jwt.encode(
        {
            "sub": str(org.admin.id),
            "org": str(org.organization.id),
            "exp": svc.clock() + timedelta(hours=1),
        },
        "some-other-secret-that-is-long-enough-000000",
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated):
        await auth.authenticate(svc, forged)


async def test_api_key_lifecycle(svc, org, admin) -> None:
    created = await auth.create_api_key(svc, admin, "ci", ["jobs:read"])
    assert created.secret.startswith("tf_")
    async with svc.read() as session:
        stored = await repo.api_key(session, org.organization.id, created.key.id)
    assert stored is not None and created.secret not in (stored.key_hash, stored.prefix)
    assert stored.last_used_at is None

    principal = await auth.authenticate(svc, created.secret)
    assert principal.permissions == frozenset({"jobs:read"})
    async with svc.read() as session:
        stored = await repo.api_key(session, org.organization.id, created.key.id)
    assert stored is not None and stored.last_used_at is not None

    with pytest.raises(Forbidden):
        principal.require("jobs:write")
    await auth.revoke_api_key(svc, admin, created.key.id)
    with pytest.raises(Unauthenticated):
        await auth.authenticate(svc, created.secret)


async def test_expired_api_key(svc, admin) -> None:
    created = await auth.create_api_key(
        svc, admin, "short", ["jobs:read"], expires_at=svc.clock() + timedelta(seconds=30)
    )
    real_clock = svc.clock
    svc.clock = lambda: real_clock() + timedelta(minutes=1)
    try:
        with pytest.raises(Unauthenticated, match="expired"):
            await auth.authenticate(svc, created.secret)
    finally:
        svc.clock = real_clock


async def test_api_key_input_is_validated(svc, admin) -> None:
    with pytest.raises(InvalidInput):
        await auth.create_api_key(svc, admin, "k", ["jobs:read", "superuser"])
    with pytest.raises(InvalidInput):
        await auth.create_api_key(svc, admin, "", ["jobs:read"])
    with pytest.raises(InvalidInput):
        await auth.create_api_key(
            svc, admin, "k", ["jobs:read"], expires_at=svc.clock() - timedelta(seconds=1)
        )


async def test_only_admins_manage_keys(svc, org) -> None:
    member = Principal(org.organization.id, frozenset({"jobs:read", "jobs:write"}))
    with pytest.raises(Forbidden):
        await auth.create_api_key(svc, member, "k", ["jobs:read"])
    with pytest.raises(Forbidden):
        await auth.revoke_api_key(svc, member, org.api_key.key.id)


async def test_keys_of_another_tenant_are_not_found(svc, org, other_org) -> None:
    with pytest.raises(NotFound):
        await auth.revoke_api_key(svc, admin_of(org), other_org.api_key.key.id)
    assert (await auth.authenticate(svc, other_org.api_key.secret)).organization_id == (
        other_org.organization.id
    )


async def test_bootstrap_runs_once(svc) -> None:
    first = await tenancy.bootstrap(svc)
    assert first is not None and first.api_key.secret.startswith("tf_")
    assert await tenancy.bootstrap(svc) is None
    principal = await auth.authenticate(svc, first.api_key.secret)
    assert principal.organization_id == first.organization.id


async def test_duplicate_admin_email(svc, org) -> None:
    with pytest.raises(Conflict):
        await tenancy.create_organization(svc, "Again", org.admin.email, PASSWORD)


async def test_monthly_job_quota(svc) -> None:
    org = await new_org(svc, "Small", Tier.STARTER)
    async with svc.write() as session:
        sub = await repo.subscription(session, org.organization.id)
        assert sub is not None
        sub.max_jobs_per_month = 3
    admin = admin_of(org)
    spec = jobs.NewJob(queue_id=org.queue.id, job_type="noop")
    await jobs.enqueue(svc, admin, [spec, spec])
    with pytest.raises(QuotaExceeded):
        await jobs.enqueue(svc, admin, [spec, spec])  # would make 4: all refused
    await jobs.enqueue(svc, admin, [spec])
    with pytest.raises(QuotaExceeded):
        await jobs.enqueue(svc, admin, [spec])
    listing = await jobs.list_jobs(svc, admin, first=10, after=None)
    assert await listing.total() == 3


async def test_revocation_reaches_other_replicas_within_the_cache_window(svc, admin) -> None:
    from taskforge.services.base import Services

    replica = Services(svc.db, svc.settings)  # a second API process on the same database
    created = await auth.create_api_key(svc, admin, "shared", ["jobs:read"])
    await auth.authenticate(svc, created.secret)  # now trusted by this replica
    await auth.revoke_api_key(replica, admin, created.key.id)
    with pytest.raises(Unauthenticated):
        await auth.authenticate(replica, created.secret)  # the revoking replica: at once
    assert await auth.authenticate(svc, created.secret)  # the other: until its window ends
    real_clock = svc.clock
    svc.clock = lambda: real_clock() + timedelta(seconds=svc.settings.auth_cache_seconds + 1)
    try:
        with pytest.raises(Unauthenticated):
            await auth.authenticate(svc, created.secret)
    finally:
        svc.clock = real_clock
