"""`taskforge worker`: load handlers, resolve queues, run until SIGTERM/SIGINT, over the
worker channel (default) or GraphQL (``--transport graphql``)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from taskforge import tracing
from taskforge.worker import JOB_TYPE_ATTRIBUTE
from taskforge.worker.channel import ChannelWorker
from taskforge.worker.client import Client
from taskforge.worker.handlers import BUILTIN
from taskforge.worker.runner import Handler, Settings, Worker

QUEUES = "{ queues(first: 100) { edges { node { id name project { name } } } } }"


def load_handlers(modules: list[str]) -> dict[str, Handler]:
    """Built-ins, then each module's ``@handler`` functions and ``handlers`` dict. The
    modules are looked up in the current directory first (as ``python -m`` does): the
    console script's own directory is all that is on the path otherwise."""
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    found: dict[str, Handler] = dict(BUILTIN)
    for name in modules:
        module = importlib.import_module(name)
        found.update(getattr(module, "handlers", {}))
        for value in vars(module).values():
            job_type = getattr(value, JOB_TYPE_ATTRIBUTE, None)
            if isinstance(job_type, str):
                found[job_type] = value
    return found


async def resolve_queues(client: Client, specs: list[str]) -> list[tuple[str, int]]:
    """``name``, ``project/name`` or an id, each optionally ``:weight``."""
    edges = (await client.call(QUEUES))["queues"]["edges"]
    nodes: list[dict[str, Any]] = [e["node"] for e in edges]
    resolved = []
    for spec in specs:
        ref, _, weight = spec.partition(":")
        matches = [
            n for n in nodes if ref in (n["id"], n["name"], f"{n['project']['name']}/{n['name']}")
        ]
        if len(matches) > 1:
            raise SystemExit(f"error: queue {ref!r}: ambiguous, use project/name")
        if not matches:
            raise SystemExit(
                f"error: NOT_FOUND: queue {ref!r} not found"
                f" (create it: taskforge queues create --name {ref})"
            )
        resolved.append((matches[0]["id"], int(weight or 1)))
    return resolved


def expose_metrics(worker: Worker, port: int, host: str = "127.0.0.1") -> Callable[[], None]:
    """The worker's own series on http://host:port/metrics (prometheus_client's server);
    returns what stops serving them."""
    from taskforge.metrics.worker import WorkerMetrics

    metrics = WorkerMetrics(worker.handlers)
    metrics.track(lambda: len(worker._running))
    worker.metrics = metrics
    return metrics.serve(port, host)


async def run(args: argparse.Namespace) -> int:
    client = Client(args.url, args.api_key)
    try:
        queues = await resolve_queues(client, args.queue)
        settings = Settings(
            concurrency=args.concurrency,
            batch=args.batch,
            lease_seconds=args.lease,
            grace_seconds=args.grace,
            poll_interval=args.poll,
        )
        # the channel pushes jobs up to --concurrency; GraphQL claims up to --batch per call
        kind = ChannelWorker if args.transport == "channel" else Worker
        worker = kind(client, load_handlers(args.handlers or []), queues, settings, args.name)
        if args.metrics_port is not None:
            expose_metrics(worker, args.metrics_port, args.metrics_host)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # Every job allocates a task, its context and its share of a claim's JSON: with
        # the default thresholds a busy worker ran a full collection every ~70,000
        # allocations, each a 20-40 ms pause in which no claim or acknowledgement goes
        # out. The modules loaded so far live as long as the process: out of the way.
        gc.freeze()
        gc.set_threshold(5_000, 20, 100)
        await worker.run(stop)
        logging.getLogger("taskforge.worker").info("stopped after %d jobs", worker.processed)
        return 0
    finally:
        await client.close()
        tracing.flush()


ENVIRONMENT = """environment:
  TASKFORGE_URL         the server, as --url (default http://127.0.0.1:8000)
  TASKFORGE_API_KEY     the API key, as --api-key; it needs the permissions `workers`
                        (register, claim, acknowledge) and `jobs:read` (find the queues)
  TASKFORGE_LOG_FORMAT  text or json (default text)"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "worker",
        help="run jobs with the Python worker SDK",
        description="Run the handlers of --handlers modules (found in the current directory "
        "first) and the built-ins (noop, sleep, echo, fail) on the given queues.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--url",
        default=os.environ.get("TASKFORGE_URL", "http://127.0.0.1:8000"),
        help="the server (default: $TASKFORGE_URL or http://127.0.0.1:8000)",
    )
    p.add_argument(
        "--api-key",
        default=os.environ.get("TASKFORGE_API_KEY"),
        help="an API key with the workers and jobs:read permissions (default: $TASKFORGE_API_KEY)",
    )
    p.add_argument(
        "--queue",
        action="append",
        default=None,
        help="name, project/name or id, optionally :weight, the queue's share of the "
        "claims (emails:3 gets three for every one of a :1 queue while both have work); "
        "repeatable (default: default)",
    )
    p.add_argument(
        "--handlers",
        action="append",
        help="module with handlers (e.g. myapp.jobs, imported from the current directory "
        "first); repeatable",
    )
    p.add_argument("--concurrency", type=int, default=8, help="jobs run at once (default 8)")
    p.add_argument(
        "--batch",
        type=int,
        default=50,
        help="most jobs claimed per call (--transport graphql; default 50)",
    )
    p.add_argument("--lease", type=int, default=30, help="lease seconds (default 30)")
    p.add_argument("--grace", type=float, default=30.0, help="drain grace seconds (default 30)")
    p.add_argument("--poll", type=float, default=1.0, help="polling fallback seconds (default 1)")
    p.add_argument("--name", help="the worker's name (default: host-pid)")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve this worker's Prometheus metrics on this port (/metrics); default: none",
    )
    p.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        help="address of the metrics port (default: %(default)s)",
    )
    p.add_argument(
        "--transport",
        choices=("channel", "graphql"),
        default="channel",
        help="channel: one WebSocket (/workers/channel) that jobs are pushed on; graphql: "
        "claimJobs/acknowledgeJobs over HTTP and the jobsAvailable subscription",
    )

    def main(args: argparse.Namespace) -> None:
        if not args.api_key:
            raise SystemExit("error: an API key is needed: --api-key or TASKFORGE_API_KEY")
        args.queue = args.queue or ["default"]
        from taskforge import logs
        from taskforge.config import Settings as ServerSettings

        settings = ServerSettings()
        logs.setup(settings.log_format)
        # TASKFORGE_TRACING: each attempt a span in its job's trace (taskforge[otel])
        tracing.setup(settings.tracing, settings.otel_exporter, service="taskforge-worker")
        raise SystemExit(asyncio.run(run(args)))

    p.set_defaults(func=main)
