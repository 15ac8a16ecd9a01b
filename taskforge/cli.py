"""The ``taskforge`` command: serve, migrate, export-schema, the worker and the API
commands (workflow, jobs, queues, schedules, apikey, users)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from taskforge import logs
from taskforge.config import Limits, Settings

T = TypeVar("T")


def _settings_help() -> str:
    lines = ["configuration (environment variables):"]
    for name, field in Settings.model_fields.items():
        if name == "limits":
            continue
        lines.append(f"  TASKFORGE_{name.upper():<22} {field.description}")
    for name, field in Limits.model_fields.items():
        lines.append(
            f"  TASKFORGE_LIMIT_{name.upper():<16} {field.description} (default {field.default})"
        )
    return "\n".join(lines)


def _database_help() -> str:
    """The settings a command on the database directly reads."""
    lines = ["configuration (environment variables):"]
    for name in ("database_url", "data_dir"):
        field = Settings.model_fields[name]
        lines.append(f"  TASKFORGE_{name.upper():<22} {field.description}")
    lines.append("  (every setting: taskforge serve --help)")
    return "\n".join(lines)


def _document_environment(parser: argparse.ArgumentParser) -> None:
    """Commands on the database directly (they take --wait) that say nothing of their
    settings name the ones they read in their --help (the API commands name theirs in
    --url and --api-key)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for command in set(action.choices.values()):
            options = {o for a in command._actions for o in a.option_strings}
            if "--wait" in options and not command.epilog:
                command.epilog = _database_help()
                command.formatter_class = argparse.RawDescriptionHelpFormatter
            _document_environment(command)


def _print_bootstrap(settings: Settings):  # type: ignore[no-untyped-def]
    def show(created) -> None:  # type: ignore[no-untyped-def]
        base = f"http://{settings.host}:{settings.port}"
        print(
            "\n".join(
                [
                    "",
                    "TaskForge first run: an organization and admin were created.",
                    *([f"  Dashboard:  {base}/"] if settings.dashboard else []),
                    f"  GraphiQL:   {base}/graphql",
                    f"  email:      {created.admin.email}",
                    f"  password:   {created.admin_password}",
                    f"  API key:    {created.api_key.secret}",
                    f"  project:    {created.project.id} (default)",
                    f"  queue:      {created.queue.id} (default)",
                    "These are shown only once. In GraphiQL, set the header",
                    '  {"Authorization": "Bearer <API key>"}',
                    "",
                ]
            ),
            flush=True,
        )

    return show


# the log level a process started by ``serve --workers`` sets up (it has no arguments)
_LOG_LEVEL_ENV = "TASKFORGE_SERVE_LOG_LEVEL"


def _tune_gc() -> None:
    # A server allocates in bursts (a page of rows, a big graph): collecting the young
    # generation every 700 allocations re-walks the same live objects over and over.
    # But a young generation is collected in one pause that grows with it: at 50,000
    # objects a collection took up to 70 ms after a burst of claims, stalling every
    # request in flight; 5,000 keeps pauses under ~10 ms.
    gc.freeze()
    gc.set_threshold(5_000, 20, 100)


def _uvicorn_options(settings: Settings, log_level: str) -> dict[str, object]:
    from taskforge.http.ws_protocol import LightWebSocketProtocol

    return {
        "host": settings.host,
        "port": settings.port,
        # logging is set up once per process, uvicorn's loggers included; the guard
        # writes one access line per request (with its request id) in place of uvicorn's
        "log_config": None,
        "log_level": log_level,
        "access_log": False,
        # websockets-sansio, with less held per connection (an idle subscriber)
        "ws": LightWebSocketProtocol,
        # WebSocket keep-alive: a client that stops answering pings is dropped, and
        # its subscriptions with it
        "ws_ping_interval": 20.0,
        "ws_ping_timeout": 20.0,
        # no permessage-deflate: its zlib state is ~40 KB per connection, more than an
        # idle subscriber costs otherwise, for messages of a few hundred bytes
        "ws_per_message_deflate": False,
    }


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from taskforge.app import create_app

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)
    logs.setup(settings.log_format, args.log_level)
    options = _uvicorn_options(settings, args.log_level)
    if args.workers > 1:
        _serve_processes(settings, args.workers, args.log_level, options)
        return
    asyncio.run(_waiting(lambda: _check_schema(settings), 60))
    app = create_app(settings, on_bootstrap=_print_bootstrap(settings))
    _tune_gc()
    uvicorn.run(app, **options)  # type: ignore[arg-type]


def _serve_processes(
    settings: Settings, processes: int, log_level: str, options: dict[str, object]
) -> None:
    """``serve --workers N``: N server processes sharing the port (uvicorn's process
    manager), for machines where one event loop is the limit. Each runs what one server
    runs (engines included: replicas already share the work safely); live events and
    wake-ups cross processes through Redis, so it needs PostgreSQL and Redis. This
    process migrates and bootstraps once, before any of them starts."""
    import os

    import uvicorn

    from taskforge.persistence.store import store_for

    if store_for(settings.resolved_database_url).embedded:
        raise SystemExit(
            "error: --workers needs PostgreSQL (TASKFORGE_DATABASE_URL): the embedded "
            "SQLite database takes one writer at a time, so one process serves it"
        )
    if not settings.redis_url:
        raise SystemExit(
            "error: --workers needs Redis (TASKFORGE_REDIS_URL): it carries live events "
            "and wake-ups from one server process to the others"
        )
    _ = settings.resolved_secret_key  # generated here once, read by every process
    asyncio.run(_waiting(lambda: _prepare(settings), 60))
    if settings.metrics:
        _metrics_directory()
    # the processes read their settings from the environment, like this one did
    os.environ |= {
        "TASKFORGE_HOST": settings.host,
        "TASKFORGE_PORT": str(settings.port),
        "TASKFORGE_BOOTSTRAP": "false",
        _LOG_LEVEL_ENV: log_level,
    }
    uvicorn.run(
        "taskforge.cli:server_process_app",
        factory=True,
        workers=processes,
        **options,  # type: ignore[arg-type]
    )


def _metrics_directory() -> None:
    """prometheus_client's multiprocess mode: every process writes its values to files in
    PROMETHEUS_MULTIPROC_DIR and /metrics, in whichever process answers, adds them up.
    A directory given is emptied first (values of a previous run would count); without
    one, a temporary directory, removed at exit."""
    import atexit
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from taskforge.metrics import MULTIPROC_ENV

    given = os.environ.get(MULTIPROC_ENV)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    made = tempfile.mkdtemp(prefix="taskforge-metrics-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    os.environ[MULTIPROC_ENV] = made


async def _check_schema(settings: Settings) -> None:
    """On PostgreSQL, which ``serve`` does not migrate (``taskforge migrate``, once per
    release): a schema older than this release stops it here, in one line, rather than
    at its first statement on a missing table. The embedded database migrates itself."""
    from taskforge.persistence.database import Database
    from taskforge.persistence.migrate import behind
    from taskforge.persistence.store import store_for

    if store_for(settings.resolved_database_url).embedded:
        return
    db = Database(settings.resolved_database_url)
    try:
        if (why := await behind(db)) is not None:
            raise SystemExit(f"error: {why}: run `taskforge migrate` first")
    finally:
        await db.dispose()


async def _prepare(settings: Settings) -> None:
    """Migrate and, on an empty database, bootstrap (printing the credentials)."""
    from taskforge.runtime import Runtime
    from taskforge.services.tenancy import bootstrap

    rt = Runtime.create(settings)
    await rt.start(migrate=True, engines=False)
    try:
        if settings.bootstrap:
            created = await bootstrap(rt.services)
            if created is not None:
                _print_bootstrap(settings)(created)
    finally:
        await rt.stop()


def server_process_app():  # type: ignore[no-untyped-def]
    """The app of one process of ``serve --workers N`` (uvicorn calls it in each)."""
    import os

    from taskforge.app import create_app

    settings = Settings()
    logs.setup(settings.log_format, os.environ.get(_LOG_LEVEL_ENV, "info"))
    # set up after uvicorn silenced its access logger (it runs this factory later than
    # a single server's setup): silenced again, the guard writes the access lines
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [], False
    app = create_app(settings)
    _tune_gc()
    return app


def run_scheduler(args: argparse.Namespace) -> None:
    """The scheduler engine alone (plus the outbox relay), e.g. as its own deployment;
    ``--metrics-port``: its series (fires, lateness, relay) on that port."""
    import asyncio
    import signal

    from taskforge.runtime import Runtime, metrics_refresh
    from taskforge.services.scheduler import Scheduler

    async def run() -> None:
        rt = Runtime.create(Settings(), scheduler=False)
        rt.engines = [Scheduler(rt.services)]
        if args.metrics_port is not None and rt.metrics is not None:
            from prometheus_client import start_http_server

            rt.engines.append(metrics_refresh(rt.metrics))
            start_http_server(
                args.metrics_port, addr=args.metrics_host, registry=rt.metrics.registry
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await rt.start()
        logging.getLogger("taskforge").info("scheduler running")
        try:
            await stop.wait()
        finally:
            await rt.stop()

    logs.setup(Settings().log_format)
    asyncio.run(run())


async def _waiting(step: Callable[[], Awaitable[T]], wait: float) -> T:
    """Runs ``step`` again while the database is unavailable (starting, restarting),
    for up to ``wait`` seconds; then says so in one line, without a traceback."""
    from taskforge.domain.errors import Unavailable

    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + wait, 0.5
    while True:
        try:
            return await step()
        except Unavailable as exc:
            cause = exc.details.get("cause", exc.message)
            if loop.time() + delay > deadline:
                raise SystemExit(f"error: the database is unavailable: {cause}") from None
            print(f"the database is unavailable; retrying in {delay:.1f}s", file=sys.stderr)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def migrate(args: argparse.Namespace) -> None:
    from taskforge.persistence.database import Database
    from taskforge.persistence.migrate import upgrade

    settings = Settings()

    async def run() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await _waiting(lambda: upgrade(db), args.wait)
        finally:
            await db.dispose()

    asyncio.run(run())
    print("database is at the latest schema")


def apikey_create(args: argparse.Namespace) -> None:
    from taskforge.runtime import Runtime
    from taskforge.services import auth
    from taskforge.services.base import Principal

    async def create() -> str:
        rt = Runtime.create(Settings())
        try:
            org_id = uuid.UUID(args.org) if args.org else await _only_org(rt)
            admin = Principal(org_id, frozenset({"admin"}))
            created = await auth.create_api_key(rt.services, admin, args.name, args.permission)
            return created.secret
        finally:
            await rt.db.dispose()

    async def run() -> str:
        return await _waiting(create, args.wait)

    print(asyncio.run(run()))


async def _only_org(rt: object) -> uuid.UUID:
    from taskforge.persistence.common import tenancy

    async with rt.db.read() as session:  # type: ignore[attr-defined]
        ids = await tenancy.organization_ids(session, limit=2)
    if not ids:
        raise SystemExit("error: no organization yet: run `taskforge serve` once, or pass --org ID")
    if len(ids) != 1:
        raise SystemExit("error: several organizations exist: pass --org ID")
    return ids[0]


def export_schema(_: argparse.Namespace) -> None:
    from taskforge.schema.roots import build_schema

    sys.stdout.write(build_schema(Limits()).as_str() + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="taskforge", description="TaskForge job orchestration")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "serve",
        help="run the API server",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", help="bind address (TASKFORGE_HOST)")
    p.add_argument("--port", type=int, help="port (TASKFORGE_PORT)")
    p.add_argument("--log-level", default="info")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port (PostgreSQL and Redis only; default 1)",
    )
    p.set_defaults(func=serve)

    p = sub.add_parser(
        "scheduler",
        help="run only the scheduler engine (any number of them, on the same database)",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve this process's Prometheus metrics on this port (/metrics); default: none",
    )
    p.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        help="address of the metrics port (default: %(default)s)",
    )
    p.set_defaults(func=run_scheduler)

    wait = argparse.ArgumentParser(add_help=False)
    wait.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a database that is unavailable (default 30)",
    )

    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "migrate",
        help="migrate the database to the latest schema",
        parents=[wait],
        epilog=_settings_help(),
        formatter_class=raw,
    )
    p.set_defaults(func=migrate)

    p = sub.add_parser("apikey", help="manage API keys")
    keys = p.add_subparsers(dest="apikey_command", required=True)
    c = keys.add_parser(
        "create",
        help="create an API key and print it once",
        parents=[wait],
        epilog=_settings_help(),
        formatter_class=raw,
    )
    c.add_argument("--name", required=True)
    c.add_argument(
        "--permission",
        action="append",
        default=None,
        help="repeatable; default: admin (a worker needs workers and jobs:read)",
    )
    c.add_argument("--org", help="organization id (default: the only one)")
    c.set_defaults(func=apikey_create)
    from taskforge.cli_admin import add_apikey_commands, add_parsers, add_user_commands

    add_apikey_commands(keys)
    from taskforge.users_cli import add_parser as add_users_parser

    add_user_commands(add_users_parser(sub))

    from taskforge.worker.cli import add_parser as add_worker_parser

    add_worker_parser(sub)
    from taskforge.workflow_cli import add_parser as add_workflow_parser

    add_workflow_parser(sub)
    add_parsers(sub)
    from taskforge.cli_org import add_parser as add_org_parser

    add_org_parser(sub)

    p = sub.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    p.set_defaults(func=export_schema)

    _document_environment(parser)
    args = parser.parse_args(argv)
    if getattr(args, "permission", "unset") is None:
        args.permission = ["admin"]
    try:
        args.func(args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        from taskforge.cli_errors import describe

        line = describe(exc)
        if line is None:
            raise
        print(line, file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
