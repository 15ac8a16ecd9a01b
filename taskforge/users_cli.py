"""`taskforge users reset-password`: an operator's reset of a user's password, on the
database directly (like `migrate`), since TaskForge sends no mail."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from typing import Any

from taskforge.config import Settings
from taskforge.domain.errors import TaskForgeError


def _new_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set, and whether it was generated (and must be printed)."""
    if not args.stdin:
        return secrets.token_urlsafe(15), True
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise SystemExit("error: no password on standard input")
    return line, False


def reset_password(args: argparse.Namespace) -> None:
    from taskforge.cli import _waiting
    from taskforge.runtime import Runtime
    from taskforge.services import users

    password, generated = _new_password(args)

    async def reset() -> None:
        rt = Runtime.create(Settings())
        try:
            await users.reset_password(rt.services, args.email, password)
        finally:
            await rt.db.dispose()

    try:
        asyncio.run(_waiting(reset, args.wait))
    except TaskForgeError as exc:
        raise SystemExit(f"error: {exc.message}") from None
    if generated:
        print(password)  # shown this once
    else:
        print("password changed", file=sys.stderr)


def add_parser(sub: Any) -> Any:
    """`taskforge users`; returns its subparsers (the API commands join them)."""
    p = sub.add_parser("users", help="manage users (reset-password: on the database directly)")
    commands = p.add_subparsers(dest="users_command", required=True)
    c = commands.add_parser(
        "reset-password",
        help="set a new password for a user: printed once, or read from stdin with --stdin; "
        "the user's earlier login tokens stop working",
    )
    c.add_argument("--email", required=True)
    c.add_argument("--stdin", action="store_true", help="read the new password from stdin")
    c.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a database that is unavailable (default 30)",
    )
    c.set_defaults(func=reset_password)
    return commands
