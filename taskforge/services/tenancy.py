"""Organizations (with first-run bootstrap) and projects."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from taskforge.domain import records, validation
from taskforge.domain.enums import Tier, UserRole
from taskforge.domain.errors import Conflict, NotFound
from taskforge.domain.events import OrganizationCreated, ProjectCreated
from taskforge.domain.subscriptions import add_months
from taskforge.domain.tenancy import ADMIN, TIER_LIMITS
from taskforge.persistence.common import tenancy as repo
from taskforge.persistence.tables import (
    JobQueue,
    Organization,
    Project,
    Subscription,
    User,
)
from taskforge.services import audit, auth
from taskforge.services.base import Principal, Services, emit, found
from taskforge.services.pagination import Cursor, Listing, paginate


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    admin: User
    project: Project
    queue: JobQueue
    api_key: auth.NewApiKey | None  # None: made without one (signUp)
    admin_password: str


async def create_organization(
    svc: Services,
    name: str,
    admin_email: str,
    admin_password: str,
    tier: Tier = Tier.STARTER,
    *,
    only_if_empty: bool = False,
    with_api_key: bool = True,
    via: str = "operator",
) -> NewOrganization | None:
    """An organization with its admin user, subscription, default project, queue and key.

    With ``only_if_empty`` it does nothing when any organization exists (first-run
    bootstrap, safe when several replicas start at once).
    """
    name = validation.name(name)
    email = validation.email(admin_email)
    password_hash = await auth.hash_password(validation.password(admin_password))
    limits = TIER_LIMITS[tier]
    async with svc.write() as session:
        if only_if_empty:
            await repo.serialize_bootstrap(session)
            if await repo.any_organization(session):
                return None
        if await repo.user_by_email(session, email) is not None:
            raise Conflict(f"a user with email {email} already exists", field="email")
        org = Organization(id=uuid.uuid4(), name=name, billing_email=email)
        session.add(org)
        await session.flush()
        started = svc.clock()
        session.add(
            Subscription(
                organization_id=org.id,
                tier=tier,
                max_jobs_per_month=limits.max_jobs_per_month,
                max_workers=limits.max_workers,
                period_anchor=started,
                current_period_end=add_months(started, 1),
            )
        )
        admin = User(
            organization_id=org.id, email=email, password_hash=password_hash, role=UserRole.ADMIN
        )
        project = Project(
            id=uuid.uuid4(),
            organization_id=org.id,
            name="default",
            description="Created with the organization",
        )
        session.add_all([admin, project])
        await session.flush()
        queue = JobQueue(
            organization_id=org.id, project_id=project.id, name="default", priority=5, settings={}
        )
        session.add(queue)
        key = (
            await auth.create_api_key_in(session, org.id, "admin", [ADMIN], project.id, None)
            if with_api_key
            else None
        )
        await emit(session, OrganizationCreated(org.id))
        details = {"name": name, "tier": tier.value, "via": via}
        await audit.record(
            session,
            None,
            "organization.created",
            "organization",
            org.id,
            details=details,
            organization_id=org.id,
        )
    return NewOrganization(org, admin, project, queue, key, admin_password)


async def bootstrap(svc: Services) -> NewOrganization | None:
    """First start on an empty database: an admin organization with no quotas."""
    return await create_organization(
        svc,
        "Default organization",
        "admin@taskforge.local",
        secrets.token_urlsafe(12),
        Tier.ENTERPRISE,
        only_if_empty=True,
        via="bootstrap",
    )


async def create_project(
    svc: Services, principal: Principal, name: str, description: str | None
) -> records.Project:
    principal.require("jobs:write")
    project = Project(
        id=uuid.uuid4(),
        organization_id=principal.organization_id,
        name=validation.name(name),
        description=validation.description(description),
    )
    try:
        async with svc.write() as session:
            if await repo.project_by_name(session, principal.organization_id, project.name):
                raise Conflict(f"a project named {project.name!r} already exists", field="name")
            session.add(project)
            await session.flush()
            await emit(session, ProjectCreated(principal.organization_id, project.id))
            await audit.record(
                session,
                principal,
                "project.created",
                "project",
                project.id,
                details={"name": project.name},
            )
    except IntegrityError as exc:  # a concurrent create won the unique name
        raise Conflict(f"a project named {project.name!r} already exists", field="name") from exc
    return records.Project.of(project)


async def get_project(
    svc: Services, principal: Principal, project_id: uuid.UUID
) -> records.Project:
    principal.require("jobs:read")
    async with svc.read() as session:
        project = found(
            await repo.project(session, principal.organization_id, project_id),
            "project",
            project_id,
        )
    return records.Project.of(project)


async def list_projects(
    svc: Services, principal: Principal, first: int, after: Cursor | None
) -> Listing[records.Project]:
    principal.require("jobs:read")
    stmt = repo.projects_listing(principal.organization_id)
    return await paginate(svc, stmt, Project, first, after, records.Project.all)


async def projects_by_ids(
    svc: Services, principal: Principal, ids: list[uuid.UUID]
) -> list[records.Project]:
    principal.require("jobs:read")
    async with svc.read() as session:
        rows = await repo.projects_by_ids(session, principal.organization_id, ids)
    return records.Project.all(rows)


async def viewer(svc: Services, principal: Principal) -> Viewer:
    """The caller: organization with its subscription, and the user or key behind it."""
    org_id = principal.organization_id
    async with svc.read() as session:
        org = await repo.organization(session, org_id)
        sub = await repo.subscription(session, org_id)
        user = await repo.user(session, org_id, principal.user_id) if principal.user_id else None
        key = (
            await repo.api_key(session, org_id, principal.api_key_id)
            if principal.api_key_id
            else None
        )
    if org is None or sub is None:
        raise NotFound("organization", org_id)
    return Viewer(
        records.Organization.of(org),
        records.Subscription.of(sub),
        records.User.of(user) if user else None,
        records.ApiKey.of(key) if key else None,
    )


@dataclass(frozen=True)
class Viewer:
    organization: records.Organization
    subscription: records.Subscription
    user: records.User | None
    api_key: records.ApiKey | None
