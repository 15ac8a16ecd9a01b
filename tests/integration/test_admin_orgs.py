"""Organizations: sign-up, updateOrganization, subscription periods and usage, the
operator's tier, suspension and deletion (the removal engine counted table by table)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, insert, select, update

from taskforge.domain.enums import DependencyType, LogLevel, ScheduleKind, Tier, UserRole
from taskforge.domain.errors import Conflict, QuotaExceeded, Unauthenticated
from taskforge.domain.flow import RateLimit
from taskforge.domain.webhooks import WebhookEventType
from taskforge.persistence.common import organizations as org_repo
from taskforge.persistence.tables import (
    ApiKey,
    Base,
    Organization,
    Subscription,
    User,
)
from taskforge.services import (
    auth,
    dependencies,
    executions,
    jobs,
    organizations,
    queues,
    scheduler,
    schedules,
    templates,
    users,
    webhooks,
    workflows,
)
from taskforge.services.base import Services
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import PASSWORD, admin_of, new_org
from tests.helpers import asgi_client
from tests.integration.test_execution import Clock, make_worker

SIGN_UP = """mutation($o: String!, $e: String!, $p: String!) {
  signUp(organizationName: $o, email: $e, password: $p) { token expiresAt user { email role } } }"""
UPDATE = """mutation($n: String, $b: String) {
  updateOrganization(name: $n, billingEmail: $b) { id name billingEmail status } }"""
VIEWER = """{ viewer { organization { id name billingEmail status tier maxJobsPerMonth maxWorkers
  jobsUsedThisMonth subscription { tier currentPeriodEnd
    limits { maxJobsPerPeriod maxWorkers maxSchedules }
    usage { jobsThisPeriod maxJobsPerPeriod workers maxWorkers } } } } }"""


async def raw(gql: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Post with the JSON escaped to ASCII: a lone surrogate travels as ``\\ud800``."""
    headers = {"Content-Type": "application/json"}
    if gql.token:
        headers["Authorization"] = f"Bearer {gql.token}"
    body = json.dumps({"query": query, "variables": variables})
    resp = await gql.http.post("/graphql", content=body, headers=headers)
    result: dict[str, Any] = resp.json()
    return result


async def org_count(svc: Any) -> int:
    async with svc.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Organization)))


async def organization(svc: Any, org_id: uuid.UUID) -> Organization | None:
    async with svc.read() as session:
        return await session.get(Organization, org_id)


async def member_token(svc: Any, org: Any) -> str:
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    async with svc.write() as session:
        session.add(
            User(
                organization_id=org.organization.id,
                email=email,
                password_hash=await auth.hash_password(PASSWORD),
                role=UserRole.MEMBER,
            )
        )
    token, _, _ = await auth.login(svc, email, PASSWORD)
    return token


# -- sign-up ----------------------------------------------------------------------


async def test_sign_up_is_closed_by_default(runtime, svc) -> None:
    async with asgi_client(runtime) as gql:
        body = await gql.raw(SIGN_UP, {"o": "New Co", "e": "new@example.com", "p": PASSWORD})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "sign-up is closed" in body["errors"][0]["message"]
    assert await org_count(svc) == 0


async def test_sign_up_creates_an_organization_with_its_admin_logged_in(
    runtime, svc, org, monkeypatch
) -> None:
    monkeypatch.setattr(svc.settings, "signup", "open")
    async with asgi_client(runtime) as gql:
        data = await gql.ok(SIGN_UP, {"o": "New Co", "e": "New@Example.com", "p": PASSWORD})
        payload = data["signUp"]
        assert payload["user"] == {"email": "new@example.com", "role": "ADMIN"}
        viewer = (await gql.as_(payload["token"]).ok(VIEWER))["viewer"]["organization"]
        assert viewer["name"] == "New Co" and viewer["status"] == "ACTIVE"
        assert viewer["id"] != str(org.organization.id)
        assert viewer["subscription"]["tier"] == "STARTER"
        async with svc.read() as session:  # no key made that nobody was shown
            keys = await session.scalar(
                select(func.count())
                .select_from(ApiKey)
                .where(ApiKey.organization_id == uuid.UUID(viewer["id"]))
            )
        assert keys == 0
        # the same email again, or an existing organization's admin: CONFLICT
        for email in ("new@example.com", org.admin.email):
            before = await org_count(svc)
            assert await gql.error(SIGN_UP, {"o": "Again", "e": email, "p": PASSWORD}) == "CONFLICT"
            assert await org_count(svc) == before
        # the first organization sees nothing of the new one
        mine = (await gql.as_(org.api_key.secret).ok(VIEWER))["viewer"]["organization"]
        assert mine["id"] == str(org.organization.id)


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"o": "   "}, "organizationName"),
        ({"o": "x" * 201}, "organizationName"),
        ({"o": "a\x00b"}, "organizationName"),
        ({"e": "not-an-email"}, "email"),
        ({"e": "a" * 320 + "@example.com"}, "email"),
        ({"e": "a\ud800@example.com"}, "email"),
        ({"p": "short"}, "password"),
        ({"p": "x" * 1001}, "password"),
        ({"p": "pass\x00word-long"}, "password"),
    ],
)
async def test_sign_up_refuses_bad_input_and_writes_nothing(
    runtime, svc, monkeypatch, variables, field
) -> None:
    monkeypatch.setattr(svc.settings, "signup", "open")
    args = {"o": "Fine Co", "e": "fine@example.com", "p": PASSWORD, **variables}
    async with asgi_client(runtime) as gql:
        body = await raw(gql, SIGN_UP, args)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    # a lone surrogate may be refused by the JSON parser, before any field is known
    assert body["errors"][0]["extensions"].get("field", field) == field
    assert await org_count(svc) == 0


# -- updateOrganization -----------------------------------------------------------


async def test_update_organization_for_admins_only_and_own_tenant(runtime, svc, org, other_org):
    member = await member_token(svc, org)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        data = await gql.ok(UPDATE, {"n": "Acme Renamed", "b": "Billing@Acme.io"})
        assert data["updateOrganization"] == {
            "id": str(org.organization.id),
            "name": "Acme Renamed",
            "billingEmail": "billing@acme.io",
            "status": "ACTIVE",
        }
        assert (await gql.ok(UPDATE, {"n": "Only Name"}))["updateOrganization"][
            "billingEmail"
        ] == "billing@acme.io"
        # a member, or a key without admin: FORBIDDEN, nothing changed
        assert await gql.as_(member).error(UPDATE, {"n": "Member Was Here"}) == "FORBIDDEN"
        key = await gql.ok(
            'mutation { createApiKey(name: "w", permissions: ["jobs:write"]) { secret } }'
        )
        writer = gql.as_(key["createApiKey"]["secret"])
        assert await writer.error(UPDATE, {"n": "Writer Was Here"}) == "FORBIDDEN"
        assert (await organization(svc, org.organization.id)).name == "Only Name"
        # another tenant's admin changes their own organization, never this one
        other = gql.as_(other_org.api_key.secret)
        assert (await other.ok(UPDATE, {"n": "Globex 2"}))["updateOrganization"]["id"] == str(
            other_org.organization.id
        )
        assert (await organization(svc, org.organization.id)).name == "Only Name"
        seen = (await other.ok(VIEWER))["viewer"]["organization"]
        assert seen["id"] == str(other_org.organization.id) and seen["name"] == "Globex 2"


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"n": ""}, "name"),
        ({"n": "x" * 201}, "name"),
        ({"n": "a\x00"}, "name"),
        ({"b": "nope"}, "billingEmail"),
        ({"b": "x\ud800@example.com"}, "billingEmail"),
    ],
)
async def test_update_organization_refuses_bad_input(runtime, svc, org, variables, field) -> None:
    async with asgi_client(runtime, org.api_key.secret) as gql:
        body = await raw(gql, UPDATE, variables)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    # a lone surrogate may be refused by the JSON parser, before any field is known
    assert body["errors"][0]["extensions"].get("field", field) == field
    row = await organization(svc, org.organization.id)
    assert (row.name, row.billing_email) == ("Acme", org.admin.email)


# -- subscription, periods, tiers -------------------------------------------------


async def test_subscription_usage_through_viewer(runtime, svc, org, other_org) -> None:
    admin = admin_of(org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 2)
    await make_worker(svc, admin, org.queue.id)
    await jobs.enqueue(
        svc, admin_of(other_org), [jobs.NewJob(queue_id=other_org.queue.id, job_type="t")]
    )
    async with asgi_client(runtime, org.api_key.secret) as gql:
        o = (await gql.ok(VIEWER))["viewer"]["organization"]
    sub = o["subscription"]
    assert sub["limits"] == {"maxJobsPerPeriod": 10_000, "maxWorkers": 5, "maxSchedules": 100}
    assert sub["usage"] == {
        "jobsThisPeriod": 2,
        "maxJobsPerPeriod": 10_000,
        "workers": 1,
        "maxWorkers": 5,
    }
    assert (o["jobsUsedThisMonth"], o["maxJobsPerMonth"], o["maxWorkers"]) == (2, 10_000, 5)
    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    assert end > svc.clock() + timedelta(days=27)


async def test_periods_roll_forward_from_the_anchor_and_quotas_count_within_them(svc) -> None:
    clock = Clock(svc)
    clock.now = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    org = await new_org(svc, "Periodic")
    await organizations.set_tier(svc, org.organization.id, Tier.STARTER, max_jobs_per_period=3)
    admin = admin_of(org)
    spec = jobs.NewJob(queue_id=org.queue.id, job_type="t")
    view = await organizations.show(svc, org.organization.id)
    assert view.period.end == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # clamped to February
    await jobs.enqueue(svc, admin, [spec] * 3)
    with pytest.raises(QuotaExceeded):
        await jobs.enqueue(svc, admin, [spec])
    clock.now = datetime(2026, 2, 28, 9, 59, tzinfo=UTC)  # the last minute of the period
    with pytest.raises(QuotaExceeded):
        await jobs.enqueue(svc, admin, [spec])
    clock.now = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # the next period
    view = await organizations.show(svc, org.organization.id)
    assert (view.period.end, view.usage.jobs_this_period) == (
        datetime(2026, 3, 31, 10, 0, tzinfo=UTC),  # the anchor's day again, no drift
        0,
    )
    await jobs.enqueue(svc, admin, [spec] * 2)
    view = await organizations.show(svc, org.organization.id)
    assert view.usage.jobs_this_period == 2
    async with svc.read() as session:
        stored = await session.scalar(
            select(Subscription.current_period_end).where(
                Subscription.organization_id == org.organization.id
            )
        )
    assert stored == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    # months without a charge: the next one opens the period holding it, from zero
    clock.now = datetime(2026, 6, 15, tzinfo=UTC)
    await jobs.enqueue(svc, admin, [spec] * 3)
    view = await organizations.show(svc, org.organization.id)
    assert view.period.end == datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
    assert view.usage.jobs_this_period == 3


async def test_a_subscription_from_before_periods_keeps_its_month(svc, org) -> None:
    clock = Clock(svc)
    clock.now = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    async with svc.write() as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(
                period_anchor=None,
                current_period_end=None,
                usage_period="2026-05",
                jobs_used=7,
                max_jobs_per_month=8,
            )
        )
    view = await organizations.show(svc, org.organization.id)
    assert view.period.end == datetime(2026, 6, 1, tzinfo=UTC)
    assert view.usage.jobs_this_period == 7
    admin, spec = admin_of(org), jobs.NewJob(queue_id=org.queue.id, job_type="t")
    await jobs.enqueue(svc, admin, [spec])  # the 8th of the month
    with pytest.raises(QuotaExceeded):
        await jobs.enqueue(svc, admin, [spec])
    clock.now = datetime(2026, 6, 1, tzinfo=UTC)
    await jobs.enqueue(svc, admin, [spec] * 8)
    assert (await organizations.show(svc, org.organization.id)).period.end == datetime(
        2026, 7, 1, tzinfo=UTC
    )


async def test_set_tier_changes_limits_and_keeps_usage(svc, org) -> None:
    admin = admin_of(org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    view = await organizations.set_tier(svc, org.organization.id, Tier.PRO)
    assert (view.subscription.tier, view.usage.max_jobs_per_period, view.usage.max_workers) == (
        Tier.PRO,
        1_000_000,
        50,
    )
    assert view.usage.jobs_this_period == 1
    view = await organizations.set_tier(svc, org.organization.id, Tier.ENTERPRISE, max_workers=3)
    assert (view.usage.max_jobs_per_period, view.usage.max_workers) == (None, 3)
    await make_worker(svc, admin, org.queue.id, name="a")
    await make_worker(svc, admin, org.queue.id, name="b")
    await make_worker(svc, admin, org.queue.id, name="c")
    with pytest.raises(QuotaExceeded):
        await make_worker(svc, admin, org.queue.id, name="d")


# -- suspension -------------------------------------------------------------------


async def test_suspension_refuses_credentials_within_the_cache_window(svc, org, other_org) -> None:
    replica = Services(svc.db, svc.settings)  # another API process on the same database
    clock = Clock(replica)
    token, _, _ = await auth.login(svc, org.admin.email, PASSWORD)
    for credential in (org.api_key.secret, token):
        await auth.authenticate(replica, credential)  # trusted by the replica now
    await organizations.suspend(svc, org.organization.id)
    for credential in (org.api_key.secret, token):
        with pytest.raises(Unauthenticated, match="suspended"):
            await auth.authenticate(svc, credential)  # the operator's process: at once
        await auth.authenticate(replica, credential)  # still within the window
    clock.advance(svc.settings.auth_cache_seconds + 0.1)
    for credential in (org.api_key.secret, token):
        with pytest.raises(Unauthenticated, match="suspended"):
            await auth.authenticate(replica, credential)
    with pytest.raises(Unauthenticated, match="suspended"):
        await auth.login(svc, org.admin.email, PASSWORD)
    await auth.authenticate(replica, other_org.api_key.secret)  # other tenants unaffected
    await organizations.unsuspend(svc, org.organization.id)
    clock.advance(svc.settings.auth_cache_seconds + 0.1)
    assert (await auth.authenticate(replica, token)).organization_id == org.organization.id


async def test_suspension_over_graphql_says_so(runtime, svc, org) -> None:
    await organizations.suspend(svc, org.organization.id)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        body = await gql.raw("{ viewer { organization { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "suspended" in body["errors"][0]["message"]


async def test_a_suspended_organization_claims_nothing(svc, org, other_org) -> None:
    admin, other = admin_of(org), admin_of(other_org)
    worker = await make_worker(svc, admin, org.queue.id)
    other_worker = await make_worker(svc, other, other_org.queue.id)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    await jobs.enqueue(svc, other, [jobs.NewJob(queue_id=other_org.queue.id, job_type="t")])
    await organizations.suspend(svc, org.organization.id)
    assert await executions.claim(svc, admin, worker.id, None, 10) == []
    assert len(await executions.claim(svc, other, other_worker.id, None, 10)) == 1
    await organizations.unsuspend(svc, org.organization.id)
    assert len(await executions.claim(svc, admin, worker.id, None, 10)) == 1


async def test_a_suspended_organizations_schedules_do_not_fire(svc, org, other_org) -> None:
    clock = Clock(svc)
    clock.now = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)
    made = {}
    for tenant in (org, other_org):
        spec = ScheduleSpec(
            name="every minute",
            kind=ScheduleKind.CRON,
            expression="* * * * *",
            queue_id=tenant.queue.id,
            job_type="report",
        )
        made[tenant.organization.id] = await schedules.create(svc, admin_of(tenant), spec)
    await organizations.suspend(svc, org.organization.id)
    clock.advance(40)  # 09:01:10, both due
    await scheduler.tick(svc)
    mine = await schedules.get(svc, admin_of(org), made[org.organization.id].id)
    theirs = await schedules.get(svc, admin_of(other_org), made[other_org.organization.id].id)
    assert (mine.runs_count, theirs.runs_count) == (0, 1)
    await organizations.unsuspend(svc, org.organization.id)
    await scheduler.tick(svc)
    mine = await schedules.get(svc, admin_of(org), made[org.organization.id].id)
    assert mine.runs_count == 1


async def test_operator_changes_to_a_deleted_organization_conflict(svc, org) -> None:
    await organizations.delete(svc, org.organization.id)
    for change in (organizations.suspend, organizations.unsuspend):
        with pytest.raises(Conflict):
            await change(svc, org.organization.id)
    with pytest.raises(Conflict):
        await organizations.set_tier(svc, org.organization.id, Tier.PRO)


# -- deletion ---------------------------------------------------------------------

GLOBAL = {"organizations", "outbox_cursor", "engine_leases", "webhook_cursor"}


def _owner_counts() -> dict[str, Any]:
    """For each table, how to count one organization's rows in it: by its own
    organization_id, or by a join to the table that has one (named here: a new table
    without organization_id must be added, and to the removal plan's LINKS if no
    foreign key leads to its owner)."""
    t = Base.metadata.tables
    joined = {
        "execution_logs": (t["job_executions"], "execution_id"),
        "queue_worker_assignments": (t["workers"], "worker_id"),
        "workflow_job_counts": (t["workflows"], "workflow_id"),
    }
    out: dict[str, Any] = {}
    for name, table in t.items():
        if name in GLOBAL:
            continue
        if "organization_id" in table.c:
            out[name] = lambda org, table=table: (
                select(func.count()).select_from(table).where(table.c.organization_id == org)
            )
        else:
            assert name in joined, f"{name}: no organization_id; say who owns its rows"
            parent, column = joined[name]
            out[name] = lambda org, table=table, parent=parent, column=column: (
                select(func.count())
                .select_from(table.join(parent, table.c[column] == parent.c.id))
                .where(parent.c.organization_id == org)
            )
    return out


async def counts(svc: Any, org_id: uuid.UUID) -> dict[str, int]:
    async with svc.read() as session:
        return {
            name: int(await session.scalar(count(org_id)))
            for name, count in _owner_counts().items()
        }


async def populate(svc: Any, tenant: Any) -> None:
    """Rows of this organization in every table."""
    admin = admin_of(tenant)
    q = tenant.queue.id
    # a rate limit: the claim below records its start (rate_limit_starts)
    await queues.update_queue(svc, admin, q, settings={"rate_limit": RateLimit.parse(None, 9, 60)})
    a, b = await jobs.enqueue(
        svc,
        admin,
        [
            jobs.NewJob(queue_id=q, job_type="t"),
            jobs.NewJob(queue_id=q, job_type="t", idempotency_key="populate"),
        ],
    )
    await dependencies.create(svc, admin, a.id, b.id, DependencyType.SEQUENTIAL)
    await workflows.create(
        svc,
        admin,
        tenant.project.id,
        {"name": "wf", "jobs": [{"name": "x", "job_type": "t", "queue": "default"}]},
        start=True,
    )
    await templates.create(
        svc, admin, tenant.project.id, {"name": "tpl", "jobs": [{"name": "x", "job_type": "t"}]}
    )
    worker = await make_worker(svc, admin, q)
    claimed = await executions.claim(svc, admin, worker.id, None, 1)
    await executions.append_logs(
        svc, admin, claimed[0].execution_id, [(LogLevel.INFO, "hello", None)]
    )
    await executions.complete(svc, admin, [(claimed[0].execution_id, {"ok": True})])
    spec = ScheduleSpec(
        name="s", kind=ScheduleKind.RECURRING, expression="1s", queue_id=q, job_type="t"
    )
    await schedules.create(svc, admin, spec)
    Clock(svc).advance(2)
    await scheduler.tick(svc)
    await users.invite_user(
        svc, admin, f"invited-{tenant.organization.id}@example.com", UserRole.MEMBER
    )
    hook = await webhooks.create(
        svc, admin, "https://example.com/hook", [WebhookEventType.JOB_FAILED]
    )
    async with svc.write() as session:  # SQLite keeps no count rows: one by hand
        await session.execute(  # and a delivery without waiting for the webhook engine
            insert(Base.metadata.tables["webhook_deliveries"]).values(
                id=uuid.uuid4(),
                organization_id=tenant.organization.id,
                webhook_id=hook.webhook.id,
                ordinal=1,
                event_type="JOB_FAILED",
                event_id=1,
                body="{}",
                status="PENDING",
                attempts=0,
                created_at=svc.clock(),
            )
        )
        wf_table: Table = Base.metadata.tables["workflows"]
        wf_id = await session.scalar(
            select(wf_table.c.id).where(wf_table.c.organization_id == tenant.organization.id)
        )
        await session.execute(
            insert(Base.metadata.tables["workflow_job_counts"]).values(
                workflow_id=wf_id, status="PENDING", delta=0
            )
        )


async def test_deletion_removes_every_row_it_owns_and_nothing_else(svc, org, other_org) -> None:
    await populate(svc, org)
    await populate(svc, other_org)
    before, others_before = (
        await counts(svc, org.organization.id),
        await counts(svc, other_org.organization.id),
    )
    assert [t for t, n in before.items() if n == 0] == [], before
    await organizations.delete(svc, org.organization.id)
    with pytest.raises(Unauthenticated, match="deleted"):
        await auth.authenticate(svc, org.api_key.secret)
    # within the credential cache window nothing is removed yet
    assert await organizations.remove_deleted(svc) == 0
    svc.settings.org_removal_batch = 2  # many small transactions
    clock = Clock(svc)
    clock.advance(svc.settings.auth_cache_seconds + 1)
    removed = await organizations.remove_deleted(svc)
    assert removed >= sum(before.values())
    assert await counts(svc, org.organization.id) == dict.fromkeys(before, 0)
    assert await organization(svc, org.organization.id) is None
    assert await counts(svc, other_org.organization.id) == others_before
    assert await auth.authenticate(svc, other_org.api_key.secret)


async def test_removal_batches_are_bounded(svc, org, monkeypatch) -> None:
    admin = admin_of(org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 25)
    await organizations.delete(svc, org.organization.id)
    svc.settings.org_removal_batch = 10
    sizes: list[int] = []
    real = org_repo.remove_batch

    async def spy(session, step, org_id, limit):  # type: ignore[no-untyped-def]
        n = await real(session, step, org_id, limit)
        sizes.append(n)
        return n

    monkeypatch.setattr(org_repo, "remove_batch", spy)
    Clock(svc).advance(svc.settings.auth_cache_seconds + 1)
    await organizations.remove_deleted(svc)
    assert max(sizes) == 10 and sizes.count(10) >= 2  # the 25 jobs took three batches
    assert await organization(svc, org.organization.id) is None
