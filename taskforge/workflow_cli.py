"""`taskforge workflow`: list, show, create, inspect and steer workflows through the API."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from taskforge.cli_client import (
    Action,
    attach,
    connection_options,
    mutate,
    project_or_first,
    read,
    table,
)
from taskforge.worker.client import Client

STATUSES = ("PENDING", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED")
INPUT_HELP = "the run's input: a JSON object, or @FILE of one ({{ input.x }} in payloads)"

LIST = """query($first: Int!, $status: [WorkflowStatus!], $project: ID) {
  workflows(first: $first, status: $status, projectId: $project) {
    totalCount edges { node { id name status stats { completionPercentage } } } } }"""
SHOW = """query($id: ID!) { workflow(id: $id) { id name status failurePolicy timeoutSeconds
  createdAt startedAt finishedAt template { name version } parentJobId input
  stats { total completed completionPercentage counts { status count } }
  jobs { id name jobType status statusReason } } }"""
CREATE = "mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { id status } }"
DEPENDENCIES = """query($id: ID!) {
  checkDependencies(jobId: $id) { canExecute total resolved pending failed dependencyStatus
    triggerRule }
  job(id: $id) { id name status workflowId
    parents { id name status } children { id name status } } }"""
GRAPH = "query($id: ID!) {{ workflow(id: $id) {{ graph {{ {field} }} }} }}"
STEER = "mutation($id: ID!) {{ {field}(id: $id) {{ id status }} }}"
START = """mutation($id: ID!, $input: JSON) {
  startWorkflow(id: $id, input: $input) { id status } }"""
RESUME = """mutation($id: ID!, $a: ResumeAction!) {
  resumeWorkflow(id: $id, action: $a) { id status } }"""
DELETE = "mutation($id: ID!) { deleteWorkflow(id: $id) }"
SAVE_TEMPLATE = """mutation($input: CreateWorkflowTemplateInput!) {
  createWorkflowTemplate(input: $input) { id name version jobCount } }"""
TEMPLATES = """query($first: Int!, $project: ID, $name: String, $all: Boolean!) {
  workflowTemplates(first: $first, projectId: $project, name: $name, allVersions: $all) {
    totalCount edges { node { id name version jobCount createdAt } } } }"""


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
        ("template", f"{t['name']} v{t['version']}" if (t := wf["template"]) else None),
        ("parent", wf["parentJobId"] and f"job {wf['parentJobId']}"),
        ("created", wf["createdAt"]),
        ("started", wf["startedAt"]),
        ("finished", wf["finishedAt"]),
        (
            "progress",
            f"{stats['completed']}/{stats['total']} jobs ended "
            f"({stats['completionPercentage']:.1f}%)",
        ),
        ("counts", counts),
        ("input", None if wf["input"] is None else json.dumps(wf["input"], sort_keys=True)),
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


def read_input(value: str) -> dict[str, Any]:
    """The run's input: a JSON object, as text or ``@FILE`` for a file of one. Anything
    else is refused here: ``null`` would send no input at all, silently."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise argparse.ArgumentTypeError(
                f"cannot read {value[1:]}: {exc.strerror or exc}"
            ) from None
    try:
        given = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--input is not JSON: {exc}") from None
    if not isinstance(given, dict):
        raise argparse.ArgumentTypeError(
            f"--input must be a JSON object, not {json.dumps(given)[:40]}"
        )
    return given


async def create(client: Client, args: argparse.Namespace) -> None:
    if (args.definition is None) == (args.template is None):
        raise SystemExit("error: give --file or --template")
    project = await project_or_first(client, args.project)
    inp: dict[str, Any] = {"projectId": project, "start": args.start}
    if args.template is not None:
        inp["template"] = {"name": args.template, "version": args.version}
    else:
        inp["definition"] = args.definition
    if args.input is not None:
        inp["input"] = args.input
    print((await mutate(client, CREATE, {"input": inp}))["createWorkflow"]["id"])


async def start(client: Client, args: argparse.Namespace) -> None:
    variables = {"id": args.id, "input": args.input}
    wf = (await mutate(client, START, variables))["startWorkflow"]
    print(f"{wf['id']} {wf['status']}")


async def dependencies(client: Client, args: argparse.Namespace) -> None:
    data = await read(client, DEPENDENCIES, {"id": args.job_id})
    check, job = data["checkDependencies"], data["job"]
    print(f"job:          {job['name'] or job['id']} ({job['status']})")
    print(f"can execute:  {'yes' if check['canExecute'] else 'no'}")
    print(
        f"dependencies: {check['dependencyStatus']}: {check['total']} total, "
        f"{check['resolved']} resolved, {check['pending']} pending, {check['failed']} failed"
    )
    print(f"trigger rule: {check['triggerRule']}")
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


async def create_template(client: Client, args: argparse.Namespace) -> None:
    project = await project_or_first(client, args.project)
    inp = {"projectId": project, "definition": args.definition}
    saved = (await mutate(client, SAVE_TEMPLATE, {"input": inp}))["createWorkflowTemplate"]
    print(f"{saved['name']} v{saved['version']} ({saved['jobCount']} jobs) {saved['id']}")


async def list_templates(client: Client, args: argparse.Namespace) -> None:
    variables = {"first": args.first, "project": args.project, "name": args.name, "all": args.all}
    page = (await read(client, TEMPLATES, variables))["workflowTemplates"]
    rows = [
        (n["name"], n["version"], n["jobCount"], n["createdAt"], n["id"])
        for n in (e["node"] for e in page["edges"])
    ]
    print(table(("NAME", "VERSION", "JOBS", "CREATED", "ID"), rows))
    if page["totalCount"] > len(rows):
        print(f"({len(rows)} of {page['totalCount']}; use --first for more)")


def add_parser(sub: Any) -> None:
    common = connection_options(json_output=False)
    summary = "create, inspect and steer workflows and their templates"
    group = sub.add_parser("workflow", help=summary, description=summary)
    actions = group.add_subparsers(dest="workflow_command", required=True)
    command = attach(actions, common)

    c = command("list", list_, "list workflows with their completion")
    c.add_argument("--status", action="append", type=str.upper, choices=STATUSES)
    c.add_argument("--project", help="project id")
    c.add_argument("--first", type=int, default=50)
    command("show", show, "status, policy, stats and jobs of a workflow").add_argument("id")
    c = command("create", create, "create a workflow from a JSON or YAML file, or a template")
    c.add_argument("--file", dest="definition", metavar="FILE", type=read_definition)
    c.add_argument("--template", metavar="NAME", help="instead of --file: a template's latest")
    c.add_argument("--version", type=int, help="with --template: this version")
    c.add_argument("--project", help="project id (default: the first project)")
    c.add_argument("--start", action="store_true", help="start it right away")
    c.add_argument("--input", type=read_input, help=INPUT_HELP)
    c = command("dependencies", dependencies, "a job's dependency check, parents and children")
    c.add_argument("job_id")
    c = command("graph", graph, "print the workflow's graph")
    c.add_argument("id")
    c.add_argument("--format", choices=("dot", "mermaid", "json"), default="mermaid")
    c = command("start", start, "start a pending workflow")
    c.add_argument("id")
    c.add_argument("--input", type=read_input, help=INPUT_HELP)
    command("cancel", steer("cancelWorkflow"), "cancel a workflow").add_argument("id")
    command("retry", steer("retryWorkflow"), "re-run failed and cancelled jobs").add_argument("id")
    c = command("resume", resume, "answer a paused (MANUAL) workflow")
    c.add_argument("id")
    c.add_argument("--action", required=True, choices=("retry-failed", "skip-failed", "abort"))
    command("delete", delete, "delete a workflow and its jobs").add_argument("id")
    summary = "named, versioned workflow definitions that runs and workflow jobs start"
    templates = actions.add_parser("template", help=summary, description=summary)
    template = attach(templates.add_subparsers(dest="template_command", required=True), common)
    c = template("create", create_template, "save a JSON or YAML file as a template's next version")
    c.add_argument("definition", metavar="FILE", type=read_definition)
    c.add_argument("--project", help="project id (default: the first project)")
    c = template("list", list_templates, "list templates: the latest version of each name")
    c.add_argument("--name", help="only this template")
    c.add_argument("--all", action="store_true", help="every version, not only the latest")
    c.add_argument("--project", help="project id")
    c.add_argument("--first", type=int, default=50)
