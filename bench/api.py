"""API read throughput on PostgreSQL: GraphQL `job(id)` and `jobs(first: 50)` through
uvicorn, against a bare Starlette endpoint reading the same rows with the same engine.

    .venv/bin/python -m bench.api [--seconds 8] [--connections 16]

Needs PostgreSQL (TASKFORGE_BENCH_PG_DSN, default postgresql://postgres@127.0.0.1:5432/test).
Targets: GraphQL at least 30% of the baseline's throughput; idle server under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx

from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.runtime import Runtime
from taskforge.services import jobs, tenancy
from taskforge.services.base import Principal

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_bench"
URL = f"{DSN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://', 1)}/{DB}"
ROOT = Path(__file__).resolve().parents[1]
FIELDS = "id jobType status priority payload createdAt queueId"


async def prepare(n_jobs: int) -> tuple[str, str, str]:
    """Fresh database with one organization and n_jobs jobs; returns key, org id, a job id."""
    conn = await asyncpg.connect(DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    rt = Runtime.create(Settings(database_url=URL, secret_key="bench", bootstrap=False))
    await rt.start(migrate=True)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        spec = jobs.NewJob(queue_id=org.queue.id, job_type="noop", payload={"n": 1})
        created = []
        for _ in range(n_jobs // 500):
            created += await jobs.enqueue(rt.services, admin, [spec] * 500)
        return org.api_key.secret, str(org.organization.id), str(created[0].id)
    finally:
        await rt.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def server(cmd: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            time.sleep(0.05)
        time.sleep(0.5)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def http_request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def load(port: int, request: bytes, seconds: float, conns: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", "127.0.0.1", str(port), str(seconds), str(conns)],
        input=request,
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def graphql(query: str, variables: dict[str, str], key: str) -> bytes:
    body = json.dumps({"query": query, "variables": variables}).encode()
    return http_request(
        "POST",
        "/graphql",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2000)
    args = parser.parse_args()

    key, org_id, job_id = asyncio.run(prepare(args.jobs))
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "BENCH_ORG_ID": org_id,
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    results: dict[str, dict[str, float]] = {}

    port = free_port()
    with server(
        [
            sys.executable,
            "-m",
            "taskforge.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env,
        port,
    ) as pid:
        idle = rss_mb(pid)
        results["graphql job(id)"] = load(
            port,
            graphql(f"query($id: ID!) {{ job(id: $id) {{ {FIELDS} }} }}", {"id": job_id}, key),
            args.seconds,
            args.connections,
        )
        results["graphql jobs(first: 50)"] = load(
            port,
            graphql(f"{{ jobs(first: 50) {{ edges {{ node {{ {FIELDS} }} }} }} }}", {}, key),
            args.seconds,
            args.connections,
        )
        loaded = rss_mb(pid)

    port = free_port()
    baseline = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baseline_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with server(baseline, env, port):
        results["bare job(id)"] = load(
            port, http_request("GET", f"/job/{job_id}"), args.seconds, args.connections
        )
        results["bare jobs(50)"] = load(
            port, http_request("GET", "/jobs"), args.seconds, args.connections
        )

    print(
        f"PostgreSQL, {args.connections} keep-alive connections, {args.seconds:g}s per run, "
        f"one uvicorn process each, {os.cpu_count()} cores shared with the database\n"
    )
    print(f"{'endpoint':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in results.items():
        print(f"{name:<26}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}")
    for gql, bare in (
        ("graphql job(id)", "bare job(id)"),
        ("graphql jobs(first: 50)", "bare jobs(50)"),
    ):
        ratio = results[gql]["rps"] / results[bare]["rps"]
        verdict = "meets" if ratio >= 0.30 else "MISSES"
        print(f"{gql}: {ratio:.0%} of the bare endpoint ({verdict} the 30% target)")
    verdict = "meets" if idle < 150 else "MISSES"
    print(
        f"server RSS: idle {idle:.0f} MB ({verdict} the 150 MB target), after load {loaded:.0f} MB"
    )


if __name__ == "__main__":
    main()
