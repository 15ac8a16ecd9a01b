"""`taskforge jobs|queues|schedules` and the API halves of `apikey` and `users`: the
administration an operator does from a shell, through the API like any client (so the
same permissions, tenancy and errors apply)."""

from __future__ import annotations

import argparse
from typing import Any

from taskforge.cli_client import (
    attach,
    commands,
    connection_options,
    emit,
    fields,
    listing,
    mutate,
    project_or_first,
    read,
    table,
)
from taskforge.worker.client import Client

JOB_STATUSES = ("PENDING", "SCHEDULED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED")
SCHEDULE_STATUSES = ("ACTIVE", "PAUSED", "COMPLETED", "FAILED")
SCHEDULE_TYPES = ("ONCE", "RECURRING", "CRON")
ROLES = ("ADMIN", "MEMBER")

JOB = """id jobType status statusReason priority attempts maxAttempts queueId projectId
  workflowId name scheduledFor createdAt startedAt finishedAt error"""
JOBS = f"""query($first: Int!, $queue: ID, $project: ID, $status: [JobStatus!], $type: String) {{
  jobs(first: $first, queueId: $queue, projectId: $project, status: $status, jobType: $type) {{
    totalCount edges {{ node {{ {JOB} }} }} }} }}"""
JOB_SHOW = f"query($id: ID!) {{ job(id: $id) {{ {JOB} payload output }} }}"
JOB_CANCEL = f"""mutation($id: ID!, $reason: String) {{
  cancelJob(id: $id, reason: $reason) {{ {JOB} }} }}"""
JOB_RETRY = f"mutation($id: ID!) {{ retryJob(id: $id) {{ {JOB} }} }}"

QUEUE = "id name priority projectId isPaused pausedAt createdAt"
QUEUES = f"""query($first: Int!, $project: ID) {{
  queues(first: $first, projectId: $project) {{ totalCount edges {{ node {{ {QUEUE} }} }} }} }}"""
QUEUE_CREATE = f"""mutation($project: ID!, $name: String!, $priority: Int!) {{
  createQueue(projectId: $project, name: $name, priority: $priority) {{ {QUEUE} }} }}"""
QUEUE_STEER = f"mutation($id: ID!) {{{{ {{field}}(id: $id) {{{{ {QUEUE} }}}} }}}}"

SCHEDULE = """id name type expression timezone status queueId jobType runsCount maxRuns
  nextRunAt lastRunAt"""
SCHEDULES = f"""query($first: Int!, $status: [ScheduleStatus!]) {{
  schedules(first: $first, status: $status) {{ totalCount edges {{ node {{ {SCHEDULE} }} }} }} }}"""
POLICIES = """misfirePolicy overlapPolicy jitter pauseAfterFailures consecutiveFailures
  pausedReason skippedCount bufferedOccurrence nextOccurrenceAt"""
SCHEDULE_SHOW = f"query($id: ID!) {{ schedule(id: $id) {{ {SCHEDULE} {POLICIES} payload }} }}"
SCHEDULE_STEER = f"mutation($id: ID!) {{{{ {{field}}(id: $id) {{{{ {SCHEDULE} }}}} }}}}"
SCHEDULE_UPDATE = f"""mutation($id: ID!, $input: ScheduleInput!) {{
  updateSchedule(id: $id, input: $input) {{ {SCHEDULE} {POLICIES} }} }}"""
SCHEDULE_BACKFILL = f"""mutation($id: ID!, $from: DateTime!, $to: DateTime!) {{
  backfillSchedule(id: $id, from: $from, to: $to) {{
    occurrences created alreadyFired firstRunAt lastRunAt schedule {{ {SCHEDULE} }} }} }}"""
OVERLAP_POLICIES = ("SKIP", "BUFFER_ONE", "ALLOW_ALL", "CANCEL_PREVIOUS")
PREVIEW = """query($type: ScheduleType!, $expression: String!, $timezone: String!, $count: Int!) {
  previewSchedule(type: $type, expression: $expression, timezone: $timezone, count: $count) }"""

API_KEY = "id name prefix permissions projectId createdAt expiresAt lastUsedAt revokedAt"
API_KEYS = f"""query($first: Int!) {{
  apiKeys(first: $first) {{ totalCount edges {{ node {{ {API_KEY} }} }} }} }}"""
API_KEY_REVOKE = f"mutation($id: ID!) {{ revokeApiKey(id: $id) {{ {API_KEY} }} }}"

USER = "id email name role active createdAt"
USERS = f"""query($first: Int!) {{
  users(first: $first) {{ totalCount edges {{ node {{ {USER} }} }} }} }}"""
USER_INVITE = """mutation($email: String!, $role: UserRole!) {
  inviteUser(email: $email, role: $role) { token invitation { id email role expiresAt } } }"""
USER_ROLE = f"""mutation($id: ID!, $role: UserRole!) {{
  updateUserRole(id: $id, role: $role) {{ {USER} }} }}"""
USER_DEACTIVATE = f"mutation($id: ID!) {{ deactivateUser(id: $id) {{ {USER} }} }}"


def _job_row(j: dict[str, Any]) -> tuple[Any, ...]:
    return (j["id"], j["jobType"], j["status"], j["priority"], j["attempts"], j["createdAt"])


def _show_job(args: argparse.Namespace, job: dict[str, Any]) -> None:
    labels = [
        ("id", "id"),
        ("type", "jobType"),
        ("status", "status"),
        ("reason", "statusReason"),
        ("priority", "priority"),
        ("attempts", "attempts"),
        ("queue", "queueId"),
        ("workflow", "workflowId"),
        ("scheduled", "scheduledFor"),
        ("created", "createdAt"),
        ("started", "startedAt"),
        ("finished", "finishedAt"),
        ("error", "error"),
    ]
    emit(args, job, lambda: fields(job, labels))


async def jobs_list(client: Client, args: argparse.Namespace) -> None:
    variables = {
        "first": args.first,
        "queue": args.queue,
        "project": args.project,
        "status": args.status,
        "type": args.type,
    }
    page = (await read(client, JOBS, variables))["jobs"]
    listing(args, page, ("ID", "TYPE", "STATUS", "PRIORITY", "ATTEMPTS", "CREATED"), _job_row)


async def jobs_show(client: Client, args: argparse.Namespace) -> None:
    _show_job(args, (await read(client, JOB_SHOW, {"id": args.id}))["job"])


async def jobs_cancel(client: Client, args: argparse.Namespace) -> None:
    variables = {"id": args.id, "reason": args.reason}
    _show_job(args, (await mutate(client, JOB_CANCEL, variables))["cancelJob"])


async def jobs_retry(client: Client, args: argparse.Namespace) -> None:
    _show_job(args, (await mutate(client, JOB_RETRY, {"id": args.id}))["retryJob"])


def _queue_row(q: dict[str, Any]) -> tuple[Any, ...]:
    return (q["id"], q["name"], q["priority"], "paused" if q["isPaused"] else "active")


def _queues_table(args: argparse.Namespace, queue: dict[str, Any]) -> None:
    emit(args, queue, lambda: table(("ID", "NAME", "PRIORITY", "STATE"), [_queue_row(queue)]))


async def queues_list(client: Client, args: argparse.Namespace) -> None:
    page = (await read(client, QUEUES, {"first": args.first, "project": args.project}))["queues"]
    listing(args, page, ("ID", "NAME", "PRIORITY", "STATE"), _queue_row)


async def queues_create(client: Client, args: argparse.Namespace) -> None:
    project = await project_or_first(client, args.project)
    variables = {"project": project, "name": args.name, "priority": args.priority}
    _queues_table(args, (await mutate(client, QUEUE_CREATE, variables))["createQueue"])


def queue_steer(field: str) -> Any:
    async def run(client: Client, args: argparse.Namespace) -> None:
        query = QUEUE_STEER.format(field=field)
        _queues_table(args, (await mutate(client, query, {"id": args.id}))[field])

    return run


def _schedule_row(s: dict[str, Any]) -> tuple[Any, ...]:
    return (s["id"], s["name"], s["type"], s["expression"], s["status"], s["nextRunAt"])


SCHEDULE_HEADERS = ("ID", "NAME", "TYPE", "EXPRESSION", "STATUS", "NEXT RUN")


async def schedules_list(client: Client, args: argparse.Namespace) -> None:
    variables = {"first": args.first, "status": args.status}
    page = (await read(client, SCHEDULES, variables))["schedules"]
    listing(args, page, SCHEDULE_HEADERS, _schedule_row)


async def schedules_show(client: Client, args: argparse.Namespace) -> None:
    schedule = (await read(client, SCHEDULE_SHOW, {"id": args.id}))["schedule"]
    labels = [
        ("id", "id"),
        ("name", "name"),
        ("type", "type"),
        ("expression", "expression"),
        ("timezone", "timezone"),
        ("status", "status"),
        ("misfire", "misfirePolicy"),
        ("overlap", "overlapPolicy"),
        ("jitter (s)", "jitter"),
        ("pause after", "pauseAfterFailures"),
        ("failures", "consecutiveFailures"),
        ("paused why", "pausedReason"),
        ("skipped", "skippedCount"),
        ("buffered", "bufferedOccurrence"),
        ("job type", "jobType"),
        ("queue", "queueId"),
        ("runs", "runsCount"),
        ("max runs", "maxRuns"),
        ("next run", "nextRunAt"),
        ("occurrence", "nextOccurrenceAt"),
        ("last run", "lastRunAt"),
    ]
    emit(args, schedule, lambda: fields(schedule, labels))


def _failures(text: str) -> int | None:
    """--pause-after-failures: a count, or "off"."""
    if text.lower() == "off":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number or 'off'") from None


async def schedules_update(client: Client, args: argparse.Namespace) -> None:
    given: dict[str, Any] = {
        "overlapPolicy": args.overlap_policy,
        "jitter": args.jitter,
        "expression": args.expression,
        "timezone": args.timezone,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if args.pause_after_failures is not ...:
        changes["pauseAfterFailures"] = args.pause_after_failures  # None: off
    variables = {"id": args.id, "input": changes}
    schedule = (await mutate(client, SCHEDULE_UPDATE, variables))["updateSchedule"]
    emit(args, schedule, lambda: table(SCHEDULE_HEADERS, [_schedule_row(schedule)]))


async def schedules_backfill(client: Client, args: argparse.Namespace) -> None:
    variables = {"id": args.id, "from": args.start, "to": args.end}
    report = (await mutate(client, SCHEDULE_BACKFILL, variables))["backfillSchedule"]

    def render() -> str:
        lines = [
            f"{report['occurrences']} occurrences in the range: {report['created']} to run, "
            f"{report['alreadyFired']} fired before"
        ]
        if report["created"]:
            lines.append(f"runs start from {report['firstRunAt']} to {report['lastRunAt']}")
        return "\n".join(lines)

    emit(args, report, render)


def schedule_steer(field: str) -> Any:
    async def run(client: Client, args: argparse.Namespace) -> None:
        schedule = (await mutate(client, SCHEDULE_STEER.format(field=field), {"id": args.id}))[
            field
        ]
        emit(args, schedule, lambda: table(SCHEDULE_HEADERS, [_schedule_row(schedule)]))

    return run


async def schedules_preview(client: Client, args: argparse.Namespace) -> None:
    variables = {
        "type": args.type,
        "expression": args.expression,
        "timezone": args.timezone,
        "count": args.count,
    }
    times = (await read(client, PREVIEW, variables))["previewSchedule"]
    emit(args, times, lambda: "\n".join(times) if times else "(no occurrence)")


def _key_row(k: dict[str, Any]) -> tuple[Any, ...]:
    state = "revoked" if k["revokedAt"] else "active"
    return (k["id"], k["name"], k["prefix"], ",".join(k["permissions"]), state, k["lastUsedAt"])


KEY_HEADERS = ("ID", "NAME", "PREFIX", "PERMISSIONS", "STATE", "LAST USED")


async def apikey_list(client: Client, args: argparse.Namespace) -> None:
    page = (await read(client, API_KEYS, {"first": args.first}))["apiKeys"]
    listing(args, page, KEY_HEADERS, _key_row)


async def apikey_revoke(client: Client, args: argparse.Namespace) -> None:
    key = (await mutate(client, API_KEY_REVOKE, {"id": args.id}))["revokeApiKey"]
    emit(args, key, lambda: table(KEY_HEADERS, [_key_row(key)]))


def _user_row(u: dict[str, Any]) -> tuple[Any, ...]:
    return (u["id"], u["email"], u["name"], u["role"], "active" if u["active"] else "deactivated")


USER_HEADERS = ("ID", "EMAIL", "NAME", "ROLE", "STATE")


def _user_table(args: argparse.Namespace, user: dict[str, Any]) -> None:
    emit(args, user, lambda: table(USER_HEADERS, [_user_row(user)]))


async def users_list(client: Client, args: argparse.Namespace) -> None:
    page = (await read(client, USERS, {"first": args.first}))["users"]
    listing(args, page, USER_HEADERS, _user_row)


async def users_invite(client: Client, args: argparse.Namespace) -> None:
    variables = {"email": args.email, "role": args.role}
    invited = (await mutate(client, USER_INVITE, variables))["inviteUser"]
    invitation = invited["invitation"]

    def render() -> str:
        return "\n".join(
            [
                f"invited {invitation['email']} as {invitation['role']}",
                f"invitation token (shown once, expires {invitation['expiresAt']}):",
                f"  {invited['token']}",
                "pass it on: acceptInvitation(token, name, password) creates the user",
            ]
        )

    emit(args, invited, render)


async def users_set_role(client: Client, args: argparse.Namespace) -> None:
    variables = {"id": args.id, "role": args.role}
    _user_table(args, (await mutate(client, USER_ROLE, variables))["updateUserRole"])


async def users_deactivate(client: Client, args: argparse.Namespace) -> None:
    _user_table(args, (await mutate(client, USER_DEACTIVATE, {"id": args.id}))["deactivateUser"])


def _first(c: argparse.ArgumentParser) -> None:
    c.add_argument("--first", type=int, default=50, help="how many (default 50)")


def add_parsers(sub: Any) -> None:
    """`taskforge jobs`, `queues` and `schedules`."""
    common = connection_options()

    command = commands(sub, "jobs", "list, inspect, cancel and retry jobs", common)
    c = command("list", jobs_list, "list jobs, newest first")
    c.add_argument("--queue", help="queue id")
    c.add_argument("--project", help="project id")
    c.add_argument("--status", action="append", type=str.upper, choices=JOB_STATUSES)
    c.add_argument("--type", help="job type")
    _first(c)
    command("show", jobs_show, "one job's fields").add_argument("id")
    c = command("cancel", jobs_cancel, "cancel a job that has not ended")
    c.add_argument("id")
    c.add_argument("--reason", help="recorded as the job's status reason")
    command("retry", jobs_retry, "run a failed or cancelled job again").add_argument("id")

    command = commands(sub, "queues", "list, create, pause and resume queues", common)
    c = command("list", queues_list, "list queues")
    c.add_argument("--project", help="project id")
    _first(c)
    c = command("create", queues_create, "create a queue")
    c.add_argument("--name", required=True)
    c.add_argument("--project", help="project id (default: the first project)")
    c.add_argument("--priority", type=int, default=5, help="0-9 (default 5)")
    c = command("pause", queue_steer("pauseQueue"), "stop starting the queue's jobs")
    c.add_argument("id")
    command("resume", queue_steer("resumeQueue"), "start its jobs again").add_argument("id")

    command = commands(sub, "schedules", "inspect, pause, resume and trigger schedules", common)
    c = command("list", schedules_list, "list schedules")
    c.add_argument("--status", action="append", type=str.upper, choices=SCHEDULE_STATUSES)
    _first(c)
    command("show", schedules_show, "one schedule's fields").add_argument("id")
    command("pause", schedule_steer("pauseSchedule"), "pause a schedule").add_argument("id")
    command("resume", schedule_steer("resumeSchedule"), "resume a schedule").add_argument("id")
    c = command("trigger", schedule_steer("triggerSchedule"), "fire a schedule now")
    c.add_argument("id")
    c = command("update", schedules_update, "change a schedule's expression or policies")
    c.add_argument("id")
    c.add_argument("--expression", help="a new expression (type unchanged), e.g. @daily")
    c.add_argument("--timezone", help="a new IANA timezone")
    c.add_argument("--overlap-policy", type=str.upper, choices=OVERLAP_POLICIES)
    c.add_argument("--jitter", type=int, help="seconds, 0-86400")
    c.add_argument(
        "--pause-after-failures",
        type=_failures,
        default=...,
        help="pause after this many failed runs in a row (1-1000), or 'off'",
    )
    c = command("backfill", schedules_backfill, "fire each past occurrence of a range once")
    c.add_argument("id")
    c.add_argument("--from", dest="start", required=True, help="RFC 3339: 2026-01-01T00:00:00Z")
    c.add_argument("--to", dest="end", required=True, help="RFC 3339, not in the future")
    c = command("preview", schedules_preview, "the next occurrences of an expression")
    c.add_argument("--type", type=str.upper, choices=SCHEDULE_TYPES, default="CRON")
    c.add_argument("--expression", required=True)
    c.add_argument("--timezone", default="UTC")
    c.add_argument("--count", type=int, default=5)


def add_apikey_commands(actions: Any) -> None:
    """`taskforge apikey list|revoke` beside the operator's `apikey create`."""
    command = attach(actions, connection_options())
    _first(command("list", apikey_list, "list the organization's API keys (never secrets)"))
    command("revoke", apikey_revoke, "revoke an API key").add_argument("id")


def add_user_commands(actions: Any) -> None:
    """`taskforge users list|invite|set-role|deactivate`."""
    command = attach(actions, connection_options())
    _first(command("list", users_list, "list the organization's users"))
    c = command("invite", users_invite, "invite a user; prints a single-use token")
    c.add_argument("--email", required=True)
    c.add_argument("--role", type=str.upper, choices=ROLES, default="MEMBER")
    c = command("set-role", users_set_role, "change a user's role")
    c.add_argument("id")
    c.add_argument("--role", type=str.upper, choices=ROLES, required=True)
    command("deactivate", users_deactivate, "deactivate a user").add_argument("id")
