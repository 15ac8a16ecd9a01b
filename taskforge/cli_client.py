"""What the API commands of ``taskforge`` share: the connection options, reads that
retry and mutations that are never sent twice, tables or ``--json``, and one-line
errors with a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from taskforge.worker.client import ApiError, Client

Action = Callable[[Client, argparse.Namespace], Awaitable[None]]
# further attempts after an UNAVAILABLE answer or a failed connection (about 6 s in all,
# more when the server asks for it with Retry-After)
RETRIES = 5


async def read(client: Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    return await client.call(query, variables, retries=RETRIES)


async def mutate(client: Client, query: str, variables: dict[str, Any]) -> Any:
    """Not sent again once it may have reached the server (it must not run twice); an
    UNAVAILABLE answer, which means it did not run, is retried."""
    return await client.call(query, variables, retries=RETRIES, resend=False)


PROJECTS = "query { projects(first: 1) { edges { node { id } } } }"


async def project_or_first(client: Client, project: str | None) -> str:
    """The project given, else the caller's first one (a fresh install has one)."""
    if project is not None:
        return project
    edges = (await read(client, PROJECTS))["projects"]["edges"]
    if not edges:
        raise SystemExit("error: no project found: pass --project ID")
    return str(edges[0]["node"]["id"])


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers), *([("-" if c is None else str(c)) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def emit(args: argparse.Namespace, data: Any, render: Callable[[], str]) -> None:
    """``data`` as JSON with ``--json``, else the readable form."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(render())


def fields(record: dict[str, Any], labels: Sequence[tuple[str, str]]) -> str:
    """One record as ``label: value`` lines."""
    width = max(len(label) for label, _ in labels) + 2
    return "\n".join(
        f"{label + ':':<{width}}{'-' if record.get(key) is None else record[key]}"
        for label, key in labels
    )


def listing(
    args: argparse.Namespace, page: dict[str, Any], headers: Sequence[str], row: Callable[..., Any]
) -> None:
    """A connection page as a table (with a hint when there are more) or as JSON."""
    nodes = [e["node"] for e in page["edges"]]

    def render() -> str:
        text = table(headers, [row(n) for n in nodes]) if nodes else "(none)"
        total = page.get("totalCount")
        if total is not None and total > len(nodes):
            text += f"\n({len(nodes)} of {total}; use --first for more)"
        return text

    emit(args, nodes, render)


async def _run(action: Action, args: argparse.Namespace) -> int:
    client = Client(args.url, args.api_key)
    try:
        await action(client, args)
        return 0
    except ApiError as exc:
        message = str(exc).split(": ", 1)[-1]
        print(f"error: {exc.code or 'ERROR'}: {message}", file=sys.stderr)
    except httpx.HTTPError as exc:
        print(f"error: cannot reach {client.url}: {exc}", file=sys.stderr)
    finally:
        await client.close()
    return 1


def _main(args: argparse.Namespace) -> None:
    if not args.api_key:
        raise SystemExit("error: an API key is needed: --api-key or TASKFORGE_API_KEY")
    # the client's retries are not news for a one-shot command: only its outcome is said
    logging.getLogger("taskforge.worker").setLevel(logging.ERROR)
    raise SystemExit(asyncio.run(_run(args.run, args)))


def connection_options(*, json_output: bool = True) -> argparse.ArgumentParser:
    """The options every API command takes (as an argparse parent)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get("TASKFORGE_URL", "http://127.0.0.1:8000"),
        help="the server (default: $TASKFORGE_URL or http://127.0.0.1:8000)",
    )
    common.add_argument(
        "--api-key",
        default=os.environ.get("TASKFORGE_API_KEY"),
        help="an API key or a login token (default: $TASKFORGE_API_KEY)",
    )
    if json_output:
        common.add_argument("--json", action="store_true", help="print JSON, not a table")
    return common


def commands(
    sub: Any, name: str, summary: str, common: argparse.ArgumentParser
) -> Callable[[str, Action, str], argparse.ArgumentParser]:
    """A command group (``taskforge NAME ...``) and a function adding its commands."""
    group = sub.add_parser(name, help=summary, description=summary)
    actions = group.add_subparsers(dest=f"{name}_command", required=True)
    return attach(actions, common)


def attach(
    actions: Any, common: argparse.ArgumentParser
) -> Callable[[str, Action, str], argparse.ArgumentParser]:
    """A function adding API commands to an existing group's subparsers."""

    def command(name: str, action: Action, summary: str) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = actions.add_parser(
            name, help=summary, description=summary, parents=[common]
        )
        c.set_defaults(func=_main, run=action)
        return c

    return command
