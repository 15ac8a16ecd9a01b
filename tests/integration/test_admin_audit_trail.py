"""Every administrative change leaves its audit entry (in its own transaction), and the
credential operations that can be guessed at are throttled: sign-up, accepting an
invitation and changing a password. Both databases."""

from __future__ import annotations

from typing import Any

import pytest

from taskforge.domain.enums import Tier, UserRole, WorkerType
from taskforge.domain.errors import RateLimited
from taskforge.services import audit, fleet, job_admin, organizations, users, workers
from taskforge.services import jobs as job_service
from taskforge.services import queues as queue_service
from tests.conftest import PASSWORD, admin_of


async def _actions(svc: Any, org: Any) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(action, target id, details) of the organization's entries, oldest first."""
    page = await audit.entries(svc, admin_of(org), 100, None)
    return [(e.action, e.target_id, e.details) for e in reversed(page.items)]


async def test_user_administration_is_audited(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    invited = await users.invite_user(svc, admin, "ana@example.com", UserRole.MEMBER)
    spare = await users.invite_user(svc, admin, "bo@example.com", UserRole.ADMIN)
    await users.revoke_invitation(svc, admin, spare.invitation.id)
    joined = await users.accept_invitation(svc, invited.token, "Ana", "another-horse-battery")
    ana = joined.user.id
    await users.update_user_role(svc, admin, ana, UserRole.ADMIN)
    await users.update_user_role(svc, admin, ana, UserRole.ADMIN)  # no change: no entry
    await users.reset_password(svc, "ana@example.com", "a-third-horse-battery")
    await users.deactivate_user(svc, admin, ana)
    await users.change_password(svc, admin, PASSWORD, "a-fourth-horse-battery")
    entries = await _actions(svc, org)
    mine = [(a, t) for a, t, _ in entries if a.split(".")[0] in {"user", "invitation"}]
    assert mine == [
        ("user.invited", str(invited.invitation.id)),
        ("user.invited", str(spare.invitation.id)),
        ("invitation.revoked", str(spare.invitation.id)),
        ("invitation.accepted", str(ana)),
        ("user.role_changed", str(ana)),
        ("user.password_reset", str(ana)),
        ("user.deactivated", str(ana)),
        ("user.password_changed", str(org.admin.id)),
    ]
    details = {a: d for a, _, d in entries}
    assert details["user.role_changed"] == {"from": "MEMBER", "to": "ADMIN"}
    assert details["user.invited"] == {"email": "bo@example.com", "role": "ADMIN"}
    # never a secret: the invitation token and the passwords appear nowhere
    text = repr(entries)
    assert invited.token not in text and "horse" not in text


async def test_projects_queues_and_workers_are_audited(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    await fleet.update_project(svc, admin, org.project.id, name="renamed")
    spare = (await queue_service.create_queue(svc, admin, org.project.id, "spare")).id
    await fleet.pause_queue(svc, admin, org.queue.id)
    await fleet.pause_queue(svc, admin, org.queue.id)  # already paused: no entry
    await fleet.resume_queue(svc, admin, org.queue.id)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(spare)]
    )
    await fleet.assign_queue(svc, admin, worker.id, org.queue.id, 3)
    await fleet.update_assignment(svc, admin, worker.id, org.queue.id, is_active=False)
    await fleet.unassign_queue(svc, admin, worker.id, org.queue.id)
    await fleet.delete_project(svc, admin, org.project.id, force=True)
    actions = [a for a, _, _ in await _actions(svc, org)]
    assert [
        a
        for a in actions
        if a.startswith(("project.", "queue.paused", "queue.resumed", "worker."))
        and a != "project.created"
    ] == [
        "project.updated",
        "queue.paused",
        "queue.resumed",
        "worker.assigned",
        "worker.assignment_updated",
        "worker.unassigned",
        "project.deleted",
    ]


async def test_organizations_are_audited(svc: Any, org: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(svc.settings, "signup", "open")
    _, _, user = await organizations.sign_up(svc, "Initech", "peter@example.com", PASSWORD)
    new = user.organization_id
    await organizations.set_tier(svc, new, Tier.PRO)
    await organizations.suspend(svc, new)
    await organizations.unsuspend(svc, new)
    await organizations.update(svc, admin_of(org), "Acme Two", None)
    page = await audit.entries(svc, admin_of(org), 50, None)
    assert "organization.updated" in [e.action for e in page.items]
    # the new organization's log, read as its admin
    from taskforge.services.base import Principal

    theirs = Principal(new, frozenset({"admin"}), user_id=user.id)
    log = [
        (e.action, e.details) for e in reversed((await audit.entries(svc, theirs, 50, None)).items)
    ]
    assert [a for a, _ in log] == [
        "organization.created",
        "organization.tier_changed",
        "organization.suspended",
        "organization.unsuspended",
    ]
    assert log[0][1]["via"] == "signup"
    assert (log[1][1]["from"], log[1][1]["to"]) == ("STARTER", "PRO")
    # and nothing of it is in the first organization's log
    assert not [e for e in page.items if e.target_id == str(new)]


async def test_bulk_operations_leave_one_entry_per_batch(
    svc: Any, org: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(svc.settings, "bulk_batch_size", 4)
    admin = admin_of(org)
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="bulk")
    await job_service.enqueue(svc, admin, [spec] * 10)
    where = job_admin.JobFilter(job_type="bulk")
    assert await job_admin.cancel_many(svc, admin, where, "cleanup") == 10
    assert await job_admin.retry_many(svc, admin, where) == 10
    entries = await _actions(svc, org)
    cancelled = [d for a, _, d in entries if a == "jobs.cancelled"]
    retried = [d for a, _, d in entries if a == "jobs.retried"]
    assert [d["jobs"] for d in cancelled] == [4, 4, 2]
    assert [d["jobs"] for d in retried] == [4, 4, 2]
    assert cancelled[0]["filter"] == {"job_type": "bulk"} and cancelled[0]["reason"] == "cleanup"


@pytest.mark.parametrize("operation", ["signup", "accept_invitation", "change_password"])
async def test_credential_operations_are_throttled(
    svc: Any, org: Any, monkeypatch: Any, operation: str
) -> None:
    monkeypatch.setattr(svc.settings, "throttle_per_account", 2)
    monkeypatch.setattr(svc.settings, "signup", "open")
    admin = admin_of(org)

    async def attempt() -> None:
        if operation == "signup":
            # the same email each time: the first creates, the next are CONFLICT
            await organizations.sign_up(svc, "Org", "same@example.com", PASSWORD, "10.0.0.9")
        elif operation == "accept_invitation":
            await users.accept_invitation(svc, "tfi_guess", "Eve", PASSWORD, "10.0.0.9")
        else:
            await users.change_password(
                svc, admin, "wrong-password", "new-horse-battery", "10.0.0.9"
            )

    for _ in range(2):
        try:
            await attempt()
        except RateLimited:
            raise
        except Exception:
            pass
    with pytest.raises(RateLimited) as refused:
        await attempt()
    assert refused.value.details["retry_after"] > 0
