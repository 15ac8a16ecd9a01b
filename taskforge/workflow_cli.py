"""`taskforge workflow`: list, show, create, inspect and steer workflows through the API."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from taskforge.worker.client import ApiError, Client

Action = Callable[[Client, argparse.Namespace], Awaitable[None]]
# further attempts after an UNAVAILABLE answer or a failed connection (about 6 s in all,
# more when the server asks for it with Retry-After)
RETRIES = 5
STATUSES = ("PENDING", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED")

LIST = """query($first: Int!, $status: [WorkflowStatus!], $project: ID) {
  workflows(first: $first, status: $status, projectId: $project) {
    totalCount edges { node { id name status stats { completionPercentage } } } } }"""
SHOW = """query($id: ID!) { workflow(id: $id) { id name status failurePolicy timeoutSeconds
  createdAt startedAt finishedAt
  stats { total completed completionPercentage counts { status count } }
  jobs { id name jobType status statusReason } } }"""
PROJECTS = "query { projects(first: 1) { edges { node { id } } } }"
CREATE = "mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { id status } }"
DEPENDENCIES = """query($id: ID!) {
  checkDependencies(jobId: $id) { canExecute total resolved pending failed dependencyStatus }
  job(id: $id) { id name status workflowId
    parents { id name status } children { id name status } } }"""
GRAPH = "query($id: ID!) {{ workflow(id: $id) {{ graph {{ {field} }} }} }}"
STEER = "mutation($id: ID!) {{ {field}(id: $id) {{ id status }} }}"
RESUME = """mutation($id: ID!, $a: ResumeAction!) {
  resumeWorkflow(id: $id, action: $a) { id status } }"""
DELETE = "mutation($id: ID!) { deleteWorkflow(id: $id) }"


async def read(client: Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    return await client.call(query, variables, retries=RETRIES)


async def mutate(client: Client, query: str, variables: dict[str, Any]) -> Any:
    """Not sent again once it may have reached the server (it must not run twice); an
    UNAVAILABLE answer, which means it did not run, is retried."""
    return await client.call(query, variables, retries=RETRIES, resend=False)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers), *([("-" if c is None else str(c)) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


async def list_(client: Client, args: argparse.Namespace) -> None:
    variables = {"first": args.first, "status": args.status, "project": args.project}
    page = (await read(client, LIST, variables))["workflows"]
    rows = [
        (n["id"], n["name"], n["status"], f"{n['stats']['completionPercentage']:.1f}%")
        for n in (e["node"] for e in page["edges"])
    ]
    print(table(("ID", "NAME", "STATUS", "DONE"), rows))
    if page["totalCount"] > len(rows):
        print(f"({len(rows)} of {page['totalCount']}; use --first for more)")


async def show(client: Client, args: argparse.Namespace) -> None:
    wf = (await read(client, SHOW, {"id": args.id}))["workflow"]
    stats = wf["stats"]
    counts = ", ".join(f"{c['status']} {c['count']}" for c in stats["counts"] if c["count"])
    for label, value in (
        ("id", wf["id"]),
        ("name", wf["name"]),
        ("status", wf["status"]),
        ("policy", wf["failurePolicy"]),
        ("timeout", f"{wf['timeoutSeconds']}s" if wf["timeoutSeconds"] else None),
        ("created", wf["createdAt"]),
        ("started", wf["startedAt"]),
        ("finished", wf["finishedAt"]),
        (
            "progress",
            f"{stats['completed']}/{stats['total']} jobs ended "
            f"({stats['completionPercentage']:.1f}%)",
        ),
        ("counts", counts),
    ):
        print(f"{label + ':':<10} {'-' if value is None else value}")
    print()
    rows = [(j["name"], j["jobType"], j["status"], j["statusReason"], j["id"]) for j in wf["jobs"]]
    print(table(("NAME", "TYPE", "STATUS", "REASON", "ID"), rows))


def read_definition(path: str) -> str:
    """The file's text, sent as is: the server parses JSON or YAML and names bad fields."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc.strerror or exc}") from None


async def create(client: Client, args: argparse.Namespace) -> None:
    project = args.project
    if project is None:
        edges = (await read(client, PROJECTS))["projects"]["edges"]
        if not edges:
            raise SystemExit("error: no project found: pass --project ID")
        project = edges[0]["node"]["id"]
    inp = {"projectId": project, "definition": args.definition, "start": args.start}
    print((await mutate(client, CREATE, {"input": inp}))["createWorkflow"]["id"])


async def dependencies(client: Client, args: argparse.Namespace) -> None:
    data = await read(client, DEPENDENCIES, {"id": args.job_id})
    check, job = data["checkDependencies"], data["job"]
    print(f"job:          {job['name'] or job['id']} ({job['status']})")
    print(f"can execute:  {'yes' if check['canExecute'] else 'no'}")
    print(
        f"dependencies: {check['dependencyStatus']}: {check['total']} total, "
        f"{check['resolved']} resolved, {check['pending']} pending, {check['failed']} failed"
    )
    for label in ("parents", "children"):
        print(f"\n{label}:")
        related = [(j["name"], j["status"], j["id"]) for j in job[label]]
        print(table(("NAME", "STATUS", "ID"), related) if related else "  (none)")


async def graph(client: Client, args: argparse.Namespace) -> None:
    query = GRAPH.format(field=args.format)
    export = (await read(client, query, {"id": args.id}))["workflow"]["graph"]
    value = export[args.format]
    print(json.dumps(value, indent=2) if args.format == "json" else value.rstrip("\n"))


def steer(field: str) -> Action:
    async def run(client: Client, args: argparse.Namespace) -> None:
        wf = (await mutate(client, STEER.format(field=field), {"id": args.id}))[field]
        print(f"{wf['id']} {wf['status']}")

    return run


async def resume(client: Client, args: argparse.Namespace) -> None:
    action = args.action.upper().replace("-", "_")
    wf = (await mutate(client, RESUME, {"id": args.id, "a": action}))["resumeWorkflow"]
    print(f"{wf['id']} {wf['status']}")


async def delete(client: Client, args: argparse.Namespace) -> None:
    print(f"deleted {(await mutate(client, DELETE, {'id': args.id}))['deleteWorkflow']}")


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
    raise SystemExit(asyncio.run(_run(args.run, args)))


def add_parser(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("TASKFORGE_URL", "http://127.0.0.1:8000"))
    common.add_argument(
        "--api-key", default=os.environ.get("TASKFORGE_API_KEY"), help="default: $TASKFORGE_API_KEY"
    )
    p = sub.add_parser("workflow", help="create, inspect and steer workflows")
    commands = p.add_subparsers(dest="workflow_command", required=True)

    def command(name: str, action: Action, summary: str) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = commands.add_parser(name, help=summary, parents=[common])
        c.set_defaults(func=_main, run=action)
        return c

    c = command("list", list_, "list workflows with their completion")
    c.add_argument("--status", action="append", type=str.upper, choices=STATUSES)
    c.add_argument("--project", help="project id")
    c.add_argument("--first", type=int, default=50)
    command("show", show, "status, policy, stats and jobs of a workflow").add_argument("id")
    c = command("create", create, "create a workflow from a JSON or YAML file")
    c.add_argument("--file", required=True, dest="definition", metavar="FILE", type=read_definition)
    c.add_argument("--project", help="project id (default: the first project)")
    c.add_argument("--start", action="store_true", help="start it right away")
    c = command("dependencies", dependencies, "a job's dependency check, parents and children")
    c.add_argument("job_id")
    c = command("graph", graph, "print the workflow's graph")
    c.add_argument("id")
    c.add_argument("--format", choices=("dot", "mermaid", "json"), default="mermaid")
    command("start", steer("startWorkflow"), "start a pending workflow").add_argument("id")
    command("cancel", steer("cancelWorkflow"), "cancel a workflow").add_argument("id")
    command("retry", steer("retryWorkflow"), "re-run failed and cancelled jobs").add_argument("id")
    c = command("resume", resume, "answer a paused (MANUAL) workflow")
    c.add_argument("id")
    c.add_argument("--action", required=True, choices=("retry-failed", "skip-failed", "abort"))
    command("delete", delete, "delete a workflow and its jobs").add_argument("id")
