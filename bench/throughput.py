"""Job throughput on PostgreSQL: TaskForge (real server + real worker SDK) against
pgqueuer, Oban for Python, Procrastinate and a raw asyncpg SKIP LOCKED loop, on the same
database in one run.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python -m bench.throughput [--jobs 20000]

Prints enqueue jobs/s, completed jobs/s, enqueue->start latency at a steady 200 jobs/s,
and peak RSS of the server and the worker; beside the steady phase, a raw 10-row
INSERT committed at the same rate shows the floor the disk sets at those moments.
Each peer runs after TaskForge, on a fresh schema of its own, at its documented fast
path (bench.pgqueuer_peer; bench/oban_peer.py, run from a Python 3.12 venv this module
creates in bench/.oban-venv, since Oban needs 3.12: a peer that cannot run is printed
as not measured, with the reason).

With --observability it measures TaskForge alone, with metrics and tracing off and on
(bench/throughput.py's OBSERVABILITY_ON), in interleaved pairs, and prints both and the
ratio (target: on costs at most 10% of off's throughput):

    .venv/bin/python -m bench.throughput --observability [--pairs 3] [--transport graphql]

Targets (ratios within one run: this machine's speed drifts): completed jobs/s
>= 0.7x pgqueuer's; batched enqueue jobs/s >= 0.3x pgqueuer's; enqueue->start p99 at
200 jobs/s < 20 ms, read beside the same moments' commit floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from bench import pgqueuer_peer
from bench.api import free_port, server
from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.runtime import Runtime
from taskforge.services import tenancy

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = os.environ.get("TASKFORGE_BENCH_DB", "taskforge_throughput")
PG = f"{DSN.rsplit('/', 1)[0]}/{DB}"
URL = PG.replace("postgresql://", "postgresql+asyncpg://", 1)
ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (children not included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


async def database_pids(conn: asyncpg.Connection) -> list[int]:
    """The bench database's backends and the server's shared writers (WAL writer,
    checkpointer, background writer): the database's share of the work, without other
    databases' sessions that may run on the machine meanwhile."""
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 OR backend_type IN "
        "('walwriter', 'checkpointer', 'background writer')",
        DB,
    )
    return [r["pid"] for r in rows]


class CpuSplit:
    """CPU microseconds per job spent by the server, the workers and the database
    between start() and stop(): where a job's cost goes. A worker counts from its
    registration: its process start-up (imports) is not a cost per job."""

    def __init__(self, server: list[int], workers: list[int]) -> None:
        self.server, self.workers = server, workers

    async def start(self, conn: asyncpg.Connection) -> None:
        self.before = {"server": cpu_seconds(self.server)}
        self.db_before = {p: cpu_seconds([p]) for p in await database_pids(conn)}
        while await conn.fetchval("SELECT count(*) FROM workers") < len(self.workers):
            await asyncio.sleep(0.005)
        self.before["workers"] = cpu_seconds(self.workers)

    async def stop(self, conn: asyncpg.Connection, jobs: int) -> dict[str, float]:
        used = {k: cpu_seconds(getattr(self, k)) - v for k, v in self.before.items()}
        # a backend that started meanwhile did all its work in the run
        used["database"] = sum(
            cpu_seconds([p]) - self.db_before.get(p, 0.0) for p in await database_pids(conn)
        )
        out = {f"CPU us/job {k}": v * 1e6 / jobs for k, v in used.items()}
        out["CPU us/job total"] = sum(out.values())
        return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


async def fresh_database() -> tuple[str, str]:
    conn = await asyncpg.connect(DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    rt = Runtime.create(Settings(database_url=URL, secret_key="bench", bootstrap=False))
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        return org.api_key.secret, str(org.queue.id)
    finally:
        await rt.stop()


ENQUEUE = "mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }"
ENQUEUE_BATCH = (
    'mutation($q: ID!, $p: [JSON!]!) { enqueueJobBatch(queueId: $q, jobType: "noop", '
    "payloads: $p) { ids } }"
)


async def enqueue_jobs(http: httpx.AsyncClient, queue: str, n: int) -> list[str]:
    """Through enqueueJobs: one input object a job."""
    resp = await http.post(
        "/graphql",
        json={"query": ENQUEUE, "variables": {"j": [{"queueId": queue, "jobType": "noop"}] * n}},
    )
    body = resp.json()
    assert "errors" not in body, body
    return [j["id"] for j in body["data"]["enqueueJobs"]]


async def enqueue(http: httpx.AsyncClient, queue: str, n: int) -> list[str]:
    """Through enqueueJobBatch, the faster path: one payload a job."""
    resp = await http.post(
        "/graphql", json={"query": ENQUEUE_BATCH, "variables": {"q": queue, "p": [{}] * n}}
    )
    body = resp.json()
    assert "errors" not in body, body
    ids: list[str] = body["data"]["enqueueJobBatch"]["ids"]
    return ids


async def unfinished(conn: asyncpg.Connection) -> bool:
    """Whether a job is still to run: one probe of the status index. (A count(*) of the
    table, polled while the worker runs, took about a tenth of a core from the database
    under test.)"""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM jobs "
            "WHERE status IN ('PENDING', 'SCHEDULED', 'PROCESSING'))"
        )
    )


async def commit_floor(seconds: float) -> list[float]:
    """The machine's own commit latency during the steady phase: a raw asyncpg INSERT of
    10 rows, committed 20 times a second beside TaskForge's enqueues. A job becomes
    claimable only when its enqueue commits (the WAL flush), so enqueue->start cannot
    beat this; when the disk is busy with other writes, both rise together."""
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS commit_floor (id bigserial, at float8)")
        out: list[float] = []
        tick = time.perf_counter()
        while time.perf_counter() - tick < seconds:
            began = time.perf_counter()
            await conn.execute(
                "INSERT INTO commit_floor (at) SELECT $1 FROM generate_series(1, 10)", began
            )
            out.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - tick) % 0.05))
        return out
    finally:
        await conn.close()


async def taskforge(
    n_jobs: int,
    concurrency: int,
    batch: int,
    steady_seconds: float,
    workers: int = 1,
    transport: str = "channel",
    extra_env: dict[str, str] | None = None,
) -> dict:
    """``extra_env``: settings of the server and worker processes (their stderr is then
    shown: --observability prints how many spans each kept)."""
    key, queue = await fresh_database()
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "TASKFORGE_API_KEY": key,
        **(extra_env or {}),
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    port = free_port()
    out: dict[str, float] = {}
    cmd = [
        sys.executable,
        "-m",
        "taskforge.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with server(cmd, env, port) as server_pid:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=60,
            headers={"Authorization": f"Bearer {key}"},
        ) as http:
            began = time.perf_counter()
            for _ in range(n_jobs // 1000):
                await enqueue(http, queue, 1000)
            out["enqueue jobs/s"] = n_jobs / (time.perf_counter() - began)

            pool = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "taskforge.cli",
                        "worker",
                        "--url",
                        f"http://127.0.0.1:{port}",
                        "--queue",
                        "default",
                        "--concurrency",
                        str(concurrency),
                        "--batch",
                        str(batch),
                        "--transport",
                        transport,
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=None if extra_env else subprocess.DEVNULL,
                )
                for _ in range(workers)
            ]
            split = CpuSplit([server_pid], [w.pid for w in pool])
            conn = await asyncpg.connect(PG)
            try:
                await split.start(conn)
                while await unfinished(conn):
                    await asyncio.sleep(0.1)
                first, last = await conn.fetchrow(
                    "SELECT min(started_at), max(finished_at) FROM jobs"
                )
                out["completed jobs/s"] = n_jobs / (last - first).total_seconds()
                out.update(await split.stop(conn, n_jobs))

                # steady load: 10 jobs every 50 ms = 200 jobs/s, on the idle worker
                steady: list[str] = []
                floor = asyncio.create_task(commit_floor(steady_seconds))
                tick = time.perf_counter()
                while time.perf_counter() - tick < steady_seconds:
                    steady += await enqueue(http, queue, 10)
                    await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - tick) % 0.05))
                commits = await floor
                while await unfinished(conn):
                    await asyncio.sleep(0.1)
                rows = await conn.fetch(
                    "SELECT extract(epoch FROM e.started_at - j.created_at) * 1000 AS ms "
                    "FROM jobs j JOIN job_executions e ON e.job_id = j.id "
                    "WHERE j.id = ANY($1::uuid[])",
                    steady,
                )
                latencies = [float(r["ms"]) for r in rows]
                out["steady jobs/s"] = len(steady) / steady_seconds
                out["enqueue->start p50 ms"] = pct(latencies, 0.5)
                out["enqueue->start p99 ms"] = pct(latencies, 0.99)
                out["raw commit p50 ms"] = pct(commits, 0.5)
                out["raw commit p99 ms"] = pct(commits, 0.99)
            finally:
                await conn.close()
                out["worker peak RSS MB"] = max(peak_rss_mb(w.pid) for w in pool)
                out["server peak RSS MB"] = peak_rss_mb(server_pid)
                for w in pool:
                    w.send_signal(signal.SIGTERM)
                for w in pool:
                    w.wait(30)
            # both enqueue paths again, with no worker running, a call of each in turn so
            # that the machine's drift hits them alike (these jobs are never run)
            spent = {"enqueueJobs": 0.0, "enqueueJobBatch": 0.0}
            for _ in range(max(1, n_jobs // 2000)):
                for name, call in (("enqueueJobs", enqueue_jobs), ("enqueueJobBatch", enqueue)):
                    began = time.perf_counter()
                    await call(http, queue, 1000)
                    spent[name] += time.perf_counter() - began
            calls = max(1, n_jobs // 2000) * 1000
            out["enqueueJobs jobs/s (pair)"] = calls / spent["enqueueJobs"]
            out["enqueueJobBatch jobs/s (pair)"] = calls / spent["enqueueJobBatch"]
    return out


async def procrastinate_peer(n_jobs: int, concurrency: int) -> dict:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=PG))

    @app.task(name="noop")
    async def noop() -> None:
        return None

    async with app.open_async():
        async with app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
            exists = await (
                await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            ).fetchone()
            if exists and exists[0]:
                await conn.execute("DELETE FROM procrastinate_jobs")
            else:
                await app.schema_manager.apply_schema_async()
        for _ in range(n_jobs // 1000):
            await noop.batch_defer_async(*([{}] * 1000))
        began = time.perf_counter()
        await app.run_worker_async(
            concurrency=concurrency, wait=False, install_signal_handlers=False
        )
        elapsed = time.perf_counter() - began
    return {"completed jobs/s": n_jobs / elapsed}


OBAN_VENV = ROOT / "bench" / ".oban-venv"


def python312() -> str | None:
    """An interpreter for Oban's venv: $TASKFORGE_BENCH_PYTHON312, pyenv's newest 3.12, or
    python3.12 on the PATH; the first that runs (a pyenv shim on the PATH may refuse)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        os.environ.get("TASKFORGE_BENCH_PYTHON312"),
        *reversed([str(p) for p in sorted(pyenv.glob("3.12.*/bin/python3.12"))]),
        shutil.which("python3.12"),
    ]
    for found in candidates:
        if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
            return found
    return None


def oban_python() -> str:
    """The Python of bench/.oban-venv with Oban installed, made on first use; raises
    RuntimeError saying why it cannot be had."""
    python = OBAN_VENV / "bin" / "python"

    def run(what: str, *cmd: str | Path) -> None:
        done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"{what} failed: {tail[0]}")

    if not python.exists():
        base = python312()
        if base is None:
            raise RuntimeError("no Python 3.12 found (set TASKFORGE_BENCH_PYTHON312)")
        run(f"making {OBAN_VENV.name} with {base}", base, "-m", "venv", OBAN_VENV)
    if subprocess.run([python, "-c", "import oban"], capture_output=True).returncode != 0:
        run(f"pip install oban into {OBAN_VENV.name}", python, "-m", "pip", "install", "-q", "oban")
    return str(python)


async def oban_peer(n_jobs: int, limit: int, processes: int) -> dict:
    """Oban for Python, from its own interpreter (bench/oban_peer.py)."""
    python = await asyncio.to_thread(oban_python)
    # its own schema: dropped and installed by the script
    done = await asyncio.to_thread(
        subprocess.run,
        [
            python,
            str(ROOT / "bench" / "oban_peer.py"),
            PG,
            str(n_jobs),
            "--limit",
            str(limit),
            "--processes",
            str(processes),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"bench/oban_peer.py failed: {tail[0]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


async def raw_loop(n_jobs: int, batch: int, loops: int) -> dict:
    conn = await asyncpg.connect(PG)
    await conn.execute(
        "DROP TABLE IF EXISTS raw_jobs; CREATE TABLE raw_jobs "
        "(id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'todo');"
        "CREATE INDEX ON raw_jobs (status, id)"
    )
    await conn.execute(
        f"INSERT INTO raw_jobs (status) SELECT 'todo' FROM generate_series(1, {n_jobs})"
    )
    await conn.close()
    claim = (
        "UPDATE raw_jobs SET status = 'doing' WHERE id IN (SELECT id FROM raw_jobs "
        "WHERE status = 'todo' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id"
    )

    async def loop() -> None:
        c = await asyncpg.connect(PG)
        try:
            while ids := [r["id"] for r in await c.fetch(claim, batch)]:
                await c.execute("UPDATE raw_jobs SET status = 'done' WHERE id = ANY($1)", ids)
        finally:
            await c.close()

    began = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(loops)))
    return {"completed jobs/s": n_jobs / (time.perf_counter() - began)}


def not_measured(name: str, exc: BaseException) -> str:
    reason = str(exc).strip() or type(exc).__name__
    return f"{name}: not measured ({reason})"


def ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "n/a (peer not measured)"


# --observability: (a) metrics and tracing off; (b) metrics on, and tracing on with the
# OpenTelemetry SDK in the server and the workers: every trace sampled, a batch span
# processor exporting to an in-memory exporter (its queue large enough that no span is
# dropped, so that every span is paid for)
OBSERVABILITY_OFF = {"TASKFORGE_METRICS": "false", "TASKFORGE_TRACING": "false"}
OBSERVABILITY_ON = {
    "TASKFORGE_METRICS": "true",
    "TASKFORGE_TRACING": "true",
    "TASKFORGE_OTEL_EXPORTER": "memory",
    "OTEL_TRACES_SAMPLER": "always_on",
    "OTEL_BSP_MAX_QUEUE_SIZE": "10000000",
}
OBSERVED = (
    "completed jobs/s",
    "enqueue jobs/s",
    "enqueueJobBatch jobs/s (pair)",
    "enqueueJobs jobs/s (pair)",
    "enqueue->start p50 ms",
    "enqueue->start p99 ms",
    "CPU us/job server",
    "CPU us/job workers",
    "CPU us/job database",
    "CPU us/job total",
)


def median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def observability(args: argparse.Namespace) -> None:
    """The same TaskForge measurement with observability off and on, in interleaved
    pairs (off/on, then on/off, ...) so that the machine's drift hits both alike."""
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    for i in range(args.pairs):
        for name in ("off", "on") if i % 2 == 0 else ("on", "off"):
            print(f"pair {i + 1}/{args.pairs}: observability {name}", flush=True)
            runs[name].append(
                asyncio.run(
                    taskforge(
                        args.jobs,
                        args.concurrency,
                        args.batch,
                        args.steady_seconds,
                        args.workers,
                        args.transport,
                        OBSERVABILITY_ON if name == "on" else OBSERVABILITY_OFF,
                    )
                )
            )
    print(
        f"\nPostgreSQL, {args.jobs} no-op jobs, {os.cpu_count()} cores shared by server, "
        f"workers and database; {args.workers} worker process(es) over {args.transport}, "
        f"--concurrency {args.concurrency} --batch {args.batch}; {args.pairs} interleaved "
        "pairs, medians\n(a) metrics off, tracing off\n(b) metrics on, tracing on "
        "(OpenTelemetry SDK, always_on sampler, batch span processor, in-memory exporter)\n"
    )
    print(f"  {'':<32}{'(a) off':>12}{'(b) on':>12}{'b/a':>8}   each run (a | b)")
    for key in OBSERVED:
        a = [r[key] for r in runs["off"] if key in r]
        b = [r[key] for r in runs["on"] if key in r]
        if not a or not b:
            continue
        each = " ".join(f"{v:.0f}" for v in a) + " | " + " ".join(f"{v:.0f}" for v in b)
        ratio_ab = median(b) / median(a) if median(a) else float("nan")
        print(f"  {key:<32}{median(a):>12.1f}{median(b):>12.1f}{ratio_ab:>8.2f}   {each}")
    for key in ("completed jobs/s", "enqueue jobs/s"):
        cost = 1 - median([r[key] for r in runs["on"]]) / median([r[key] for r in runs["off"]])
        print(f"observability costs {cost:.1%} of {key} (target: at most 10%)")
    # on a machine shared with other work, throughput drifts between runs far more than
    # the CPU a job costs: this is the steadier reading of the same cost
    key = "CPU us/job total"
    extra = median([r[key] for r in runs["on"]]) / median([r[key] for r in runs["off"]]) - 1
    print(f"observability adds {extra:.1%} to the CPU a job costs (server, workers, database)")
    print(json.dumps(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20_000)
    # no-op jobs finish at once: a deep worker keeps a claim of 500 in flight, and a
    # second worker process claims while the first one's claim is in the server
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--transport", choices=("channel", "graphql"), default="channel")
    parser.add_argument(
        "--observability",
        action="store_true",
        help="TaskForge alone, metrics and tracing off against on, in interleaved pairs",
    )
    parser.add_argument("--pairs", type=int, default=3, help="--observability: run pairs")
    args = parser.parse_args()
    if args.observability:
        observability(args)
        return

    results = {
        "taskforge": asyncio.run(
            taskforge(
                args.jobs,
                args.concurrency,
                args.batch,
                args.steady_seconds,
                args.workers,
                args.transport,
            )
        )
    }
    skipped: list[str] = []
    # pgqueuer's and Oban's documented fast paths: 2 processes, ~1,000 jobs in flight each
    pgq_name = "pgqueuer (asyncpg, batch 500, 2 processes x 1000 in flight)"
    try:
        results[pgq_name] = asyncio.run(pgqueuer_peer.measure(PG, args.jobs, 500, 1000, 2))
    except Exception as exc:
        skipped.append(not_measured("pgqueuer", exc))
    oban_name = "oban (limit 1000, 2 processes)"
    try:
        results[oban_name] = asyncio.run(oban_peer(args.jobs, 1000, 2))
    except Exception as exc:
        skipped.append(not_measured("oban", exc))
    # the peer at its better setting (the issue measured 4-8)
    peers = {c: asyncio.run(procrastinate_peer(args.jobs, c)) for c in (4, 8)}
    best = max(peers, key=lambda c: peers[c]["completed jobs/s"])
    results[f"procrastinate (concurrency {best}, best of 4 and 8)"] = peers[best]
    results["raw asyncpg, 1 per claim, 4 loops"] = asyncio.run(raw_loop(args.jobs // 4, 1, 4))
    results["raw asyncpg, 50 per claim, 4 loops"] = asyncio.run(raw_loop(args.jobs, 50, 4))

    print(
        f"PostgreSQL, {args.jobs} no-op jobs, {os.cpu_count()} cores shared by server, "
        f"worker and database; TaskForge: {args.workers} worker process(es), --concurrency "
        f"{args.concurrency} --batch {args.batch}\n"
    )
    for name, figures in results.items():
        print(name)
        for k, v in figures.items():
            print(f"  {k:<32}{v:>10.1f}")
    for line in skipped:
        print(line)
    ours = results["taskforge"]
    tf = ours["completed jobs/s"]
    pgq = results.get(pgq_name, {})
    oban = results.get(oban_name, {})
    ceiling = results["raw asyncpg, 50 per claim, 4 loops"]["completed jobs/s"]
    print("\ncompleted jobs/s")
    print(f"  TaskForge / pgqueuer:      {ratio(tf, pgq.get('completed jobs/s'))} (target >= 0.7x)")
    print(f"  TaskForge / Oban:          {ratio(tf, oban.get('completed jobs/s'))}")
    print(f"  TaskForge / Procrastinate: {ratio(tf, peers[best]['completed jobs/s'])}")
    print(f"  TaskForge / raw batched loop: {tf / ceiling:.0%}")
    pair = ours["enqueueJobBatch jobs/s (pair)"] / ours["enqueueJobs jobs/s (pair)"]
    print(
        f"TaskForge enqueue, 1,000 jobs a call: enqueueJobBatch "
        f"{ours['enqueueJobBatch jobs/s (pair)']:.0f} jobs/s, enqueueJobs "
        f"{ours['enqueueJobs jobs/s (pair)']:.0f} jobs/s ({pair:.2f}x, interleaved)"
    )
    print("batched enqueue jobs/s (TaskForge: enqueueJobBatch; 1,000 jobs a call)")
    print(
        f"  TaskForge / pgqueuer:      {ratio(ours['enqueue jobs/s'], pgq.get('enqueue jobs/s'))}"
        " (target >= 0.3x)"
    )
    print(
        f"  TaskForge / Oban:          {ratio(ours['enqueue jobs/s'], oban.get('enqueue jobs/s'))}"
    )
    p99, floor = ours["enqueue->start p99 ms"], ours["raw commit p99 ms"]
    print(f"enqueue->start p99 at 200 jobs/s: {p99:.1f} ms (target < 20 ms)")
    print(f"  the same moments' raw 10-row INSERT commit p99: {floor:.1f} ms (the floor)")
    print(
        "today, for reference only (a faster moment of this machine): TaskForge 9,363 "
        "completed and 8,352 enqueue jobs/s; the ratios above are what count"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
