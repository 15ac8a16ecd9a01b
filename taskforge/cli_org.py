"""`taskforge org`: the operator's commands for organizations, on the database directly
(like `taskforge migrate`): create, list, show, set-tier, suspend, unsuspend, delete."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from taskforge.cli_client import table
from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.domain.errors import TaskForgeError

Action = Callable[[Any, argparse.Namespace], Awaitable[Any]]


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        _fail(f"{value!r} is not an organization id")


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _overview(view: Any) -> dict[str, Any]:
    org, sub, usage = view.organization, view.subscription, view.usage
    return {
        "id": str(org.id),
        "name": org.name,
        "billingEmail": org.billing_email,
        "status": view.status.value,
        "createdAt": _when(org.created_at),
        "suspendedAt": _when(org.suspended_at),
        "deletedAt": _when(org.deleted_at),
        "tier": sub.tier.value,
        "currentPeriodEnd": _when(view.period.end),
        "jobsThisPeriod": usage.jobs_this_period,
        "maxJobsPerPeriod": usage.max_jobs_per_period,
        "workers": usage.workers,
        "maxWorkers": usage.max_workers,
    }


def _limit(value: int | None) -> str:
    return "unlimited" if value is None else f"{value:,}"


def _print_overview(view: Any, as_json: bool) -> None:
    o = _overview(view)
    if as_json:
        print(json.dumps(o, indent=2))
        return
    rows = [
        ("id", o["id"]),
        ("name", o["name"]),
        ("status", o["status"]),
        ("billing email", o["billingEmail"]),
        ("created", o["createdAt"]),
        ("suspended", o["suspendedAt"]),
        ("deleted", o["deletedAt"]),
        ("tier", o["tier"]),
        ("period ends", o["currentPeriodEnd"]),
        ("jobs", f"{o['jobsThisPeriod']:,} of {_limit(o['maxJobsPerPeriod'])} this period"),
        ("workers", f"{o['workers']} of {_limit(o['maxWorkers'])}"),
    ]
    for label, value in rows:
        if value is not None:
            print(f"{label + ':':<15}{value}")


async def create(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    password = args.password or secrets.token_urlsafe(12)
    created = await organizations.create(svc, args.name, args.email, password, Tier(args.tier))
    assert created.api_key is not None
    out = {
        "id": str(created.organization.id),
        "name": created.organization.name,
        "tier": args.tier,
        "email": created.admin.email,
        "password": password,
        "apiKey": created.api_key.secret,
        "projectId": str(created.project.id),
        "queueId": str(created.queue.id),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        "\n".join(
            [
                f"Organization {out['name']!r} created with its first admin.",
                f"  organization: {out['id']} ({out['tier']})",
                f"  email:        {out['email']}",
                f"  password:     {out['password']}",
                f"  API key:      {out['apiKey']}",
                f"  project:      {out['projectId']} (default)",
                f"  queue:        {out['queueId']} (default)",
                "These are shown only once. Pass them on to the organization's admin.",
            ]
        )
    )


async def list_(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    views = await organizations.list_all(svc, args.limit)
    if args.json:
        print(json.dumps([_overview(v) for v in views], indent=2))
        return
    rows = [
        (
            o["id"],
            o["name"],
            o["status"],
            o["tier"],
            f"{o['jobsThisPeriod']}/{_limit(o['maxJobsPerPeriod'])}",
            f"{o['workers']}/{_limit(o['maxWorkers'])}",
            o["currentPeriodEnd"],
        )
        for o in map(_overview, views)
    ]
    print(table(("ID", "NAME", "STATUS", "TIER", "JOBS", "WORKERS", "PERIOD ENDS"), rows))


async def show(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    _print_overview(await organizations.show(svc, _id(args.id)), args.json)


async def set_tier(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    view = await organizations.set_tier(
        svc, _id(args.id), Tier(args.tier), args.max_jobs, args.max_workers
    )
    _print_overview(view, args.json)


async def suspend(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    _print_overview(await organizations.suspend(svc, _id(args.id)), args.json)


async def unsuspend(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    _print_overview(await organizations.unsuspend(svc, _id(args.id)), args.json)


async def delete(svc: Any, args: argparse.Namespace) -> None:
    from taskforge.services import organizations

    if not args.yes:
        _fail("deleting an organization removes everything it owns: pass --yes to confirm")
    view = await organizations.delete(svc, _id(args.id))
    if args.json:
        print(json.dumps(_overview(view), indent=2))
    else:
        print(
            f"organization {view.organization.id} marked deleted: its credentials are "
            "refused; a running server removes what it owns in the background"
        )


def _run(action: Action) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from taskforge.cli import _waiting
        from taskforge.persistence.database import Database
        from taskforge.services.base import Services

        async def main() -> None:
            settings = Settings()
            db = Database(settings.resolved_database_url, 2)
            try:
                await _waiting(lambda: action(Services(db, settings), args), args.wait)
            finally:
                await db.dispose()

        try:
            asyncio.run(main())
        except TaskForgeError as exc:
            field = exc.details.get("field")
            _fail(f"{exc.message}" + (f" ({field})" if field else ""))
        except SQLAlchemyError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            _fail(f"database error (is it migrated? taskforge migrate): {first}")

    return run


def add_parser(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    common.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a database that is unavailable (default 30)",
    )
    tiers = [t.value for t in Tier]
    p = sub.add_parser(
        "org",
        help="manage organizations (operator; on the database directly)",
        description="Manage organizations on the database directly (TASKFORGE_DATABASE_URL), "
        "as the operator of the deployment.",
    )
    orgs = p.add_subparsers(dest="org_command", required=True)

    c = orgs.add_parser(
        "create", help="create an organization and its first admin", parents=[common]
    )
    c.add_argument("--name", required=True, help="organization name")
    c.add_argument("--email", required=True, help="the first admin's email (also billing)")
    c.add_argument("--password", help="the admin's password (default: generated and printed)")
    c.add_argument("--tier", choices=tiers, default=Tier.STARTER.value)
    c.set_defaults(func=_run(create))

    c = orgs.add_parser("list", help="list organizations", parents=[common])
    c.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")
    c.set_defaults(func=_run(list_))

    c = orgs.add_parser(
        "show", help="an organization, its subscription and usage", parents=[common]
    )
    c.add_argument("id", help="organization id")
    c.set_defaults(func=_run(show))

    c = orgs.add_parser("set-tier", help="change the tier and its limits", parents=[common])
    c.add_argument("id", help="organization id")
    c.add_argument("tier", choices=tiers)
    c.add_argument("--max-jobs", type=int, help="jobs per period instead of the tier's")
    c.add_argument("--max-workers", type=int, help="live workers instead of the tier's")
    c.set_defaults(func=_run(set_tier))

    for name, action, text in (
        ("suspend", suspend, "refuse its keys and tokens, claim none of its jobs"),
        ("unsuspend", unsuspend, "lift a suspension"),
    ):
        c = orgs.add_parser(name, help=text, description=text, parents=[common])
        c.add_argument("id", help="organization id")
        c.set_defaults(func=_run(action))

    c = orgs.add_parser(
        "delete",
        help="delete an organization and everything it owns (in the background)",
        description="Mark the organization deleted: its credentials are refused at once; a "
        "running server then removes everything it owns in bounded batches.",
        parents=[common],
    )
    c.add_argument("id", help="organization id")
    c.add_argument("--yes", action="store_true", help="confirm the deletion")
    c.set_defaults(func=_run(delete))
