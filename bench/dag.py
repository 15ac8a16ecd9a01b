"""DAG overhead on PostgreSQL: workflows drained by the real worker SDK against the same
number of independent jobs, plus graph query latency, in one run.

    .venv/bin/python -m bench.dag [--jobs 10000] [--chain 1000] [--map 9998]
                                  [--concurrency 64] [--batch 100] [--graph-samples 20]
                                  [--round-trips 50] [--timeout 300] [--only map]
                                  [--map-pairs 1]

One server process (`taskforge serve`) and one worker process (`taskforge worker`), started
once and kept for the whole run, on a fresh database (taskforge_dag). In order:

1. warm-up: 200 independent jobs and a 3-job workflow (first-call costs out of the way);
2. baseline: --jobs independent noop jobs (enqueueJobs, 1000 per call), then the
   fan-out workflow 1 -> (--jobs - 2) -> 1 (createWorkflow with start: true);
3. baseline: --chain independent noop jobs, then the --chain job chain workflow;
4. serial round trip: --round-trips lone jobs, each enqueued once the previous one ended;
5. `dependencyGraph(sink, BOTH)` and `workflow(id) { graph }` latency on the fan-out
   workflow, --graph-samples sequential requests each (one warm-up request first);
6. baseline: --map independent noop jobs, then the map workflow: a parent (the built-in
   `echo`, whose output is its payload: a list of --map items) and a template mapping
   over it (`map_over: parents.parent.output.items`, job type noop), so 1 + 1 + 9,998 =
   10,000 jobs with the default --map, the default workflow limit;
7. peak RSS (VmHWM) of the server and the worker.

`--only map` runs the warm-up and phase 6 alone (while working on it). `--map-pairs N`
runs phase 6's two drains N times in turn (independent, map, independent, map, ...),
prints each pair's ratio and reports the pair with the median one: on a machine whose
speed drifts from one drain to the next, one pair's ratio is a noisy figure.

Fair timing. A drain is timed from the moment every job of it is claimable, with the worker
already connected and idle, to the moment the database shows it done (workflows row
SUCCEEDED, or no independent job left unfinished; polled with asyncpg every 50 ms, so the
server is not loaded by the polling). For a workflow, createWorkflow(start: true) inserts
every job and releases the roots in one transaction, so the clock starts when it returns.
The independent jobs need 10 enqueueJobs calls, and a running worker would already drain
the first batches while later ones are still being enqueued (making the baseline look
faster or slower depending on how enqueue and drain overlap). So the worker process is
frozen with SIGSTOP while the baseline is enqueued and thawed with SIGCONT once the last
batch has returned; the clock starts at the SIGCONT. Both kinds of drain thus start from
the same state: all jobs in the database, an idle worker with open connections, no
process start-up inside the measured time, and (VACUUM (ANALYZE) before each phase, off
the clock) none of the previous phase's dead row versions, which a server without
autovacuum, like this machine's, keeps for the later phase to scan. createWorkflow's own
duration is reported separately. The machine is usually shared (server, worker and
PostgreSQL on the same cores, maybe other work), so each drain also reports the CPU seconds
the server, the worker and our database's PostgreSQL backends spent in it
(/proc/PID/stat), and the fan-out's server CPU ratio next to its wall-time ratio.

A chain is serial by nature: each job waits for the previous one's acknowledgement, the
resolution of its edge, the jobsAvailable signal and a claim. Its drain is compared with
the independent drain of the same count (a large ratio is expected and is no target),
and, more meaningfully, its time per job with the round trip of a lone independent job
(enqueue -> claim -> run -> acknowledgement, from the jobs row's created_at and
finished_at): the path of a chain step is the same length (acknowledgement, signal,
claim), so ~1x means the dependency adds nothing per job.

The map workflow is timed as the other workflows, from createWorkflow's return (its
parent claimable) to SUCCEEDED: the clock includes the parent's run, its acknowledgement,
in whose transaction the template makes its --map children (inserts and one event
each), their drain, and the template's end. Its drain is compared with --map independent
jobs drained from a frozen worker's thaw. Target: map drain <= 1.3x the independent one.
Its two parts are printed beside it, from the rows' own times: the expansion (the parent's
acknowledgement, whose transaction makes the children, to the first child's start) and
the children's drain (first start to last end).

A chain of --chain jobs is --chain levels deep; the server's default limit is 100 levels,
so the server is started with TASKFORGE_LIMIT_DEPENDENCY_DEPTH raised to --chain (and
TASKFORGE_LIMIT_WORKFLOW_JOBS to --jobs if that is over 10,000). All other limits are the
defaults. Targets: fan-out drain <= 1.2x the independent drain; graph queries p50 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import throughput
from bench.api import free_port, server
from bench.throughput import enqueue, fresh_database, pct, peak_rss_mb

DB = "taskforge_dag"
PG = f"{throughput.DSN.rsplit('/', 1)[0]}/{DB}"
URL = PG.replace("postgresql://", "postgresql+asyncpg://", 1)
ROOT = Path(__file__).resolve().parents[1]
POLL = 0.05
FAN_OUT_TARGET, GRAPH_P50_TARGET_MS, MAP_TARGET = 1.2, 200.0, 1.3

PROJECTS = "{ projects(first: 1) { edges { node { id } } } }"
CREATE = "mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { id status } }"
# A UI loads a 10,000-node graph as the JSON export (nodes, edges, roots, leaves, levels,
# critical path, live statuses) in one field; the typed lists cost a GraphQL field
# resolution per node and edge and are measured too, without a target.
WORKFLOW_GRAPH = """query($id: ID!) { workflow(id: $id) { status stats { completed total }
  graph { json } } }"""
DEPENDENCY_GRAPH = """query($id: ID!) {
  dependencyGraph(jobId: $id, direction: BOTH, maxDepth: 100) { json }
}"""
WORKFLOW_GRAPH_TYPED = """query($id: ID!) { workflow(id: $id) { graph {
  nodes { id status } edges { parentId childId } roots leaves levels criticalPath } } }"""


class BenchError(RuntimeError):
    """The run cannot go on; the message says what was seen."""


# --- definitions ---------------------------------------------------------------------


def fan_out(n: int) -> dict[str, Any]:
    middle = [f"m{i}" for i in range(1, n - 1)]
    jobs: list[dict[str, Any]] = [{"name": "root", "job_type": "noop"}]
    jobs += [{"name": m, "job_type": "noop", "depends_on": ["root"]} for m in middle]
    jobs.append({"name": "sink", "job_type": "noop", "depends_on": middle})
    return {"name": f"fan-out-{n}", "failure_policy": "FAIL_FAST", "jobs": jobs}


def mapped(n: int) -> dict[str, Any]:
    """A parent returning n items, and a template making one noop job per item."""
    template = {
        "name": "each",
        "job_type": "noop",
        "map_over": "parents.parent.output.items",
        "depends_on": ["parent"],
    }
    parent = {"name": "parent", "job_type": "echo", "payload": {"items": list(range(n))}}
    return {"name": f"map-{n}", "failure_policy": "FAIL_FAST", "jobs": [parent, template]}


def chain(n: int) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = [{"name": "c0", "job_type": "noop"}]
    jobs += [
        {"name": f"c{i}", "job_type": "noop", "depends_on": [f"c{i - 1}"]} for i in range(1, n)
    ]
    return {"name": f"chain-{n}", "failure_policy": "FAIL_FAST", "jobs": jobs}


# --- processes -----------------------------------------------------------------------


def process_state(pid: int) -> str | None:
    """The State letter of /proc/PID/status; None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("State:"):
            return line.split()[1]
    return None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class WorkerProcess:
    """`taskforge worker` as a subprocess, its output in a log file."""

    def __init__(self, port: int, env: dict[str, str], concurrency: int, batch: int) -> None:
        self.port, self.env, self.concurrency, self.batch = port, env, concurrency, batch
        fd, name = tempfile.mkstemp(prefix="taskforge_bench_dag_worker_", suffix=".log")
        os.close(fd)
        self.log = Path(name)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "taskforge.cli",
                    "worker",
                    "--url",
                    f"http://127.0.0.1:{self.port}",
                    "--queue",
                    "default",
                    "--concurrency",
                    str(self.concurrency),
                    "--batch",
                    str(self.batch),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def check(self) -> None:
        if self.proc is not None and (code := self.proc.poll()) is not None:
            raise BenchError(f"the worker exited with code {code}; its log:\n{tail(self.log)}")

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """SIGSTOP for the block, SIGCONT after it, whatever happens."""
        self.check()
        os.kill(self.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            print("worker ignored SIGTERM for 30 s; killing it", file=sys.stderr)
            self.proc.kill()
            self.proc.wait(10)


# --- API and database ----------------------------------------------------------------


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    what = " ".join(query.split())[:60]
    try:
        resp = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    except httpx.HTTPError as exc:
        raise BenchError(f"{what}...: {type(exc).__name__}: {exc}") from exc
    try:
        body = resp.json()
    except ValueError:
        raise BenchError(f"{what}...: HTTP {resp.status_code}: {resp.text[:1000]}") from None
    if resp.status_code != 200 or body.get("errors"):
        errors = json.dumps(body.get("errors", body))[:3000]
        raise BenchError(f"{what}...: HTTP {resp.status_code}: {errors}")
    return body["data"]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Drain:
    seconds: float
    cpu: dict[str, float]  # CPU seconds spent during the drain: server, worker, postgres
    create_seconds: float = 0.0
    workflow_id: str = ""


@dataclass
class Bench:
    http: httpx.AsyncClient
    conn: asyncpg.Connection
    worker: WorkerProcess
    server_pid: int
    queue: str
    project: str = ""
    seconds: float = 300.0  # longest wait for one drain

    def alive(self) -> None:
        self.worker.check()
        if process_state(self.server_pid) in (None, "Z"):
            raise BenchError("the server process exited (its log is on this process's stderr)")

    async def cpu(self) -> dict[str, float]:
        """CPU seconds so far of the server, the worker and each backend of our database
        (so other databases on the same PostgreSQL do not count)."""
        rows = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", DB)
        out = {"server": cpu_seconds(self.server_pid), "worker": cpu_seconds(self.worker.pid)}
        out |= {f"pg{r['pid']}": cpu_seconds(r["pid"]) for r in rows}
        return out

    async def spent(self, before: dict[str, float]) -> dict[str, float]:
        after = await self.cpu()
        pg = sum(v - before.get(k, 0.0) for k, v in after.items() if k.startswith("pg"))
        return {
            "server": after["server"] - before["server"],
            "worker": after["worker"] - before["worker"],
            "postgres": pg,
        }

    async def tidy(self) -> None:
        """VACUUM (ANALYZE) our database before a timed phase, off the clock. What the
        previous phase left (dead job, execution and edge versions) would otherwise be
        paid for by the next one on a server without autovacuum (this machine runs with
        autovacuum = off): the later phase, the fan-out, would scan the baseline's
        garbage in every claim."""
        await self.conn.execute("VACUUM (ANALYZE)")

    async def workflow(self, definition: dict[str, Any]) -> Drain:
        """Create and start the workflow; time from createWorkflow's return to SUCCEEDED."""
        await self.tidy()
        began = time.perf_counter()
        variables = {"projectId": self.project, "definition": definition, "start": True}
        wf = (await gql(self.http, CREATE, {"i": variables}))["createWorkflow"]["id"]
        t0 = time.perf_counter()
        cpu = await self.cpu()
        deadline = t0 + self.seconds
        while True:
            status = await self.conn.fetchval(
                "SELECT status FROM workflows WHERE id = $1::uuid", wf
            )
            if status == "SUCCEEDED":
                elapsed = time.perf_counter() - t0
                return Drain(elapsed, await self.spent(cpu), t0 - began, wf)
            if status in ("FAILED", "CANCELLED", "PAUSED"):
                summary = await workflow_summary(self.conn, wf)
                raise BenchError(f"{definition['name']} ended {status}: {summary}")
            self.alive()
            if time.perf_counter() > deadline:
                summary = await workflow_summary(self.conn, wf)
                raise BenchError(
                    f"{definition['name']} still {status} after {self.seconds:.0f} s: {summary}"
                )
            await asyncio.sleep(POLL)

    async def standalone_left(self) -> tuple[bool, bool]:
        """Whether independent jobs are still to run, and whether any ended badly: two
        probes of idx_jobs_workflow_status (workflow_id IS NULL, status), as cheap as the
        workflow drain's poll of its workflows row. (Counting them, polled every 50 ms,
        cost the database several ms per poll during the independent drain only.)"""
        left, bad = await self.conn.fetchrow(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE workflow_id IS NULL AND status IN "
            "('PENDING', 'SCHEDULED', 'PROCESSING')), EXISTS (SELECT 1 FROM jobs "
            "WHERE workflow_id IS NULL AND status IN ('FAILED', 'CANCELLED', 'SKIPPED'))"
        )
        return bool(left), bool(bad)

    async def wait_standalone(self, t0: float, limit: float, what: str) -> float:
        while True:
            left, bad = await self.standalone_left()
            if bad:
                raise BenchError(f"{what}: independent jobs FAILED/CANCELLED/SKIPPED")
            if not left:
                return time.perf_counter() - t0
            self.alive()
            if time.perf_counter() - t0 > limit:
                raise BenchError(f"{what}: jobs still unfinished after {limit:.0f} s")
            await asyncio.sleep(POLL)

    async def independent(self, n: int) -> Drain:
        """Enqueue n jobs (1000 per call) with the worker frozen; time from thaw to done."""
        left, _ = await self.standalone_left()
        if left:
            raise BenchError("independent jobs are unfinished before the baseline")
        await self.tidy()
        with self.worker.frozen():
            for start in range(0, n, 1000):
                await enqueue(self.http, self.queue, min(1000, n - start))
            cpu = await self.cpu()
            t0 = time.perf_counter()
        elapsed = await self.wait_standalone(t0, self.seconds, f"{n} independent jobs")
        return Drain(elapsed, await self.spent(cpu))

    async def round_trips(self, n: int) -> list[float]:
        """Lone jobs one after the other: created_at -> finished_at of each, in ms."""
        out = []
        for _ in range(n):
            (job,) = await enqueue(self.http, self.queue, 1)
            deadline = time.perf_counter() + 30
            while True:
                row = await self.conn.fetchrow(
                    "SELECT status, extract(epoch FROM finished_at - created_at) * 1000 AS ms "
                    "FROM jobs WHERE id = $1::uuid",
                    job,
                )
                if row["status"] == "SUCCEEDED":
                    out.append(float(row["ms"]))
                    break
                if row["status"] in ("FAILED", "CANCELLED"):
                    raise BenchError(f"round-trip job {job} ended {row['status']}")
                self.alive()
                if time.perf_counter() > deadline:
                    raise BenchError(f"round-trip job {job} still {row['status']} after 30 s")
                await asyncio.sleep(0.005)
        return out

    async def latency(
        self, query: str, variables: dict[str, Any], samples: int
    ) -> tuple[list[float], float, Any]:
        """(ms of each sample, ms of the warm-up request, the warm-up's data)."""
        began = time.perf_counter()
        first = await gql(self.http, query, variables)
        cold = (time.perf_counter() - began) * 1000
        out = []
        for _ in range(samples):
            began = time.perf_counter()
            await gql(self.http, query, variables)
            out.append((time.perf_counter() - began) * 1000)
        return out, cold, first


async def workflow_summary(conn: asyncpg.Connection, wf: str) -> str:
    row = await conn.fetchrow(
        "SELECT status, started_at, finished_at FROM workflows WHERE id = $1::uuid", wf
    )
    jobs = await conn.fetch(
        "SELECT status, dependency_status, count(*) AS n FROM jobs WHERE workflow_id = $1::uuid "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        wf,
    )
    edges = await conn.fetch(
        "SELECT d.status, count(*) AS n FROM job_dependencies d "
        "JOIN jobs j ON j.id = d.child_job_id WHERE j.workflow_id = $1::uuid GROUP BY 1",
        wf,
    )
    return (
        f"workflow {wf}: {dict(row) if row else 'no row'}; jobs (status, dependency status): "
        f"{[(r['status'], r['dependency_status'], r['n']) for r in jobs]}; edges: "
        f"{[(r['status'], r['n']) for r in edges]}; database {DB}"
    )


# --- the run -------------------------------------------------------------------------


def raised_limits(args: argparse.Namespace) -> dict[str, str]:
    out = {}
    if args.chain > 100:
        out["TASKFORGE_LIMIT_DEPENDENCY_DEPTH"] = str(args.chain)
    if max(args.jobs, args.map + 2) > 10_000:
        out["TASKFORGE_LIMIT_WORKFLOW_JOBS"] = str(max(args.jobs, args.map + 2))
    return out


def record(fig: dict[str, float], name: str, drain: Drain, n: int) -> None:
    fig[f"{name} drain s"] = drain.seconds
    fig[f"{name} jobs/s"] = n / drain.seconds
    for who, seconds in drain.cpu.items():
        fig[f"{name} {who} CPU s"] = seconds
    if drain.workflow_id:
        fig[f"{name} createWorkflow s"] = drain.create_seconds


async def phases(b: Bench, args: argparse.Namespace, fig: dict[str, float]) -> None:
    edges = (await gql(b.http, PROJECTS))["projects"]["edges"]
    if not edges:
        raise BenchError("the organization has no project")
    b.project = edges[0]["node"]["id"]
    b.worker.start()

    # warm-up, untimed: also proves the worker claims and acknowledges
    for _ in range(2):
        await enqueue(b.http, b.queue, 100)
    await b.wait_standalone(time.perf_counter(), 60, "warm-up")
    await b.workflow(fan_out(3))
    await b.workflow(mapped(3))
    if args.only == "map":
        await map_phase(b, args, fig)
        return

    record(fig, "independent", await b.independent(args.jobs), args.jobs)
    print(f"{args.jobs} independent: {fig['independent drain s']:.2f} s", flush=True)
    fan = await b.workflow(fan_out(args.jobs))
    record(fig, "fan-out", fan, args.jobs)
    fig["fan-out / independent"] = fan.seconds / fig["independent drain s"]
    fig["fan-out / independent server CPU"] = (
        fig["fan-out server CPU s"] / fig["independent server CPU s"]
    )
    print(f"fan-out {args.jobs}: {fan.seconds:.2f} s", flush=True)

    record(fig, "independent (chain count)", await b.independent(args.chain), args.chain)
    print(f"{args.chain} independent: {fig['independent (chain count) drain s']:.2f} s", flush=True)
    record(fig, "chain", await b.workflow(chain(args.chain)), args.chain)
    fig["chain ms/job"] = fig["chain drain s"] * 1000 / args.chain
    fig["chain / independent"] = fig["chain drain s"] / fig["independent (chain count) drain s"]
    print(f"chain {args.chain}: {fig['chain drain s']:.2f} s", flush=True)

    trips = await b.round_trips(args.round_trips)
    fig["lone job round trip p50 ms"] = pct(trips, 0.5)
    fig["lone job round trip mean ms"] = sum(trips) / len(trips)
    fig["chain ms/job / lone round trip p50"] = (
        fig["chain ms/job"] / fig["lone job round trip p50 ms"]
    )

    sink = await b.conn.fetchval(
        "SELECT id::text FROM jobs WHERE workflow_id = $1::uuid AND name = 'sink'",
        fan.workflow_id,
    )
    ms, cold, data = await b.latency(DEPENDENCY_GRAPH, {"id": sink}, args.graph_samples)
    nodes = len(data["dependencyGraph"]["json"]["nodes"])
    if nodes != args.jobs:
        raise BenchError(f"dependencyGraph(sink) has {nodes} nodes, not {args.jobs}")
    fig["dependencyGraph first ms"] = cold
    fig["dependencyGraph p50 ms"] = pct(ms, 0.5)
    fig["dependencyGraph p95 ms"] = pct(ms, 0.95)
    ms, cold, data = await b.latency(WORKFLOW_GRAPH, {"id": fan.workflow_id}, args.graph_samples)
    graph = data["workflow"]["graph"]["json"]
    if len(graph["nodes"]) != args.jobs or len(graph["levels"]) != 3:
        raise BenchError(
            f"workflow graph: {len(graph['nodes'])} nodes, {len(graph['levels'])} levels "
            f"(expected {args.jobs}, 3)"
        )
    fig["workflow graph first ms"] = cold
    fig["workflow graph p50 ms"] = pct(ms, 0.5)
    fig["workflow graph p95 ms"] = pct(ms, 0.95)
    fig["workflow graph response KB"] = len(json.dumps(data)) / 1024
    ms, cold, data = await b.latency(
        WORKFLOW_GRAPH_TYPED, {"id": fan.workflow_id}, max(3, args.graph_samples // 4)
    )
    fig["workflow graph typed fields p50 ms"] = pct(ms, 0.5)
    await map_phase(b, args, fig)


async def map_phase(b: Bench, args: argparse.Namespace, fig: dict[str, float]) -> None:
    """--map-pairs times: --map independent jobs, then the map workflow of --map items.
    The figures kept are the pair with the median ratio (each pair's is printed)."""
    pairs: list[dict[str, float]] = []
    for n in range(args.map_pairs):
        pair: dict[str, float] = {}
        await map_pair(b, args, pair)
        pairs.append(pair)
        fig[f"map / independent, pair {n + 1}"] = pair["map / independent"]
    pairs.sort(key=lambda pair: pair["map / independent"])
    fig.update(pairs[len(pairs) // 2])


async def map_pair(b: Bench, args: argparse.Namespace, fig: dict[str, float]) -> None:
    """--map independent jobs, then the map workflow of --map items."""
    name = "independent (map count)"
    record(fig, name, await b.independent(args.map), args.map)
    print(f"{args.map} independent: {fig[f'{name} drain s']:.2f} s", flush=True)
    drain = await b.workflow(mapped(args.map))
    made = await b.conn.fetchval(
        "SELECT count(*) FROM jobs WHERE workflow_id = $1::uuid", drain.workflow_id
    )
    if made != args.map + 2:
        raise BenchError(f"the map workflow has {made} jobs, not {args.map + 2}")
    record(fig, "map", drain, args.map)
    fig["map / independent"] = drain.seconds / fig[f"{name} drain s"]
    # where the time went, from the rows' own times: the parent's acknowledgement (its
    # transaction's clock, the children's created_at) to the first child's start, then
    # to the last child's end
    expanded, first, last = await b.conn.fetchrow(
        "SELECT min(created_at), min(started_at), max(finished_at) FROM jobs"
        " WHERE workflow_id = $1::uuid AND map_index IS NOT NULL",
        drain.workflow_id,
    )
    fig["map expansion to first claim s"] = (first - expanded).total_seconds()
    fig["map children drain s"] = (last - first).total_seconds()
    fig["map children / independent"] = fig["map children drain s"] / fig[f"{name} drain s"]
    # CPU is read in clock ticks (10 ms): a tiny --map may read none
    fig["map / independent server CPU"] = fig["map server CPU s"] / max(
        fig[f"{name} server CPU s"], 0.01
    )
    print(f"map {args.map}: {drain.seconds:.2f} s ({fig['map / independent']:.2f}x)", flush=True)


async def run(args: argparse.Namespace, fig: dict[str, float]) -> None:
    # fresh_database() creates throughput.DB at throughput.URL: point it at our own
    # database so a concurrent bench.throughput run and this one do not drop each other's
    throughput.DB, throughput.URL = DB, URL
    key, queue = await fresh_database()
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "TASKFORGE_API_KEY": key,
        **raised_limits(args),
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    port = free_port()
    cmd = [sys.executable, "-m", "taskforge.cli", "serve", "--port", str(port)]
    cmd += ["--log-level", "warning"]
    with server(cmd, env, port) as server_pid:
        worker = WorkerProcess(port, env, args.concurrency, args.batch)
        print(f"server pid {server_pid}, worker log {worker.log}", file=sys.stderr)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=120,
            headers={"Authorization": f"Bearer {key}"},
        ) as http:
            conn = await asyncpg.connect(PG)
            bench = Bench(http, conn, worker, server_pid, queue, seconds=args.timeout)
            try:
                bench.alive()
                await phases(bench, args, fig)
            finally:
                with contextlib.suppress(Exception):
                    fig["server peak RSS MB"] = peak_rss_mb(server_pid)
                    fig["worker peak RSS MB"] = peak_rss_mb(worker.pid)
                worker.stop()
                await conn.close()


def report(args: argparse.Namespace, fig: dict[str, float]) -> None:
    def line(name: str, value: str, target: str = "") -> None:
        print(f"  {name:<44}{value:>12}  {target}")

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    def cpu(name: str) -> None:
        spent = "  ".join(
            f"{who} {fig[f'{name} {who} CPU s']:.1f}" for who in ("server", "worker", "postgres")
        )
        line(f"{name} CPU s", "", spent)

    print(
        f"\nPostgreSQL, one server and one worker process (--concurrency {args.concurrency} "
        f"--batch {args.batch}), {os.cpu_count()} cores shared with the database"
    )
    if limits := raised_limits(args):
        print("server limits raised: " + ", ".join(f"{k}={v}" for k, v in limits.items()))
    if "fan-out drain s" in fig:
        ratio = fig["fan-out / independent"]
        print(f"\nfan-out 1 -> {args.jobs - 2} -> 1 against {args.jobs} independent jobs")
        line("createWorkflow (not in the drain)", f"{fig['fan-out createWorkflow s']:.2f} s")
        line("independent drain", f"{fig['independent drain s']:.2f} s")
        line("independent jobs/s", f"{fig['independent jobs/s']:.0f}")
        line("fan-out drain", f"{fig['fan-out drain s']:.2f} s")
        line("fan-out jobs/s", f"{fig['fan-out jobs/s']:.0f}")
        line(
            "fan-out / independent",
            f"{ratio:.2f}x",
            f"target <= {FAN_OUT_TARGET}x: {verdict(ratio <= FAN_OUT_TARGET)}",
        )
        cpu("independent")
        cpu("fan-out")
        line(
            "fan-out / independent, server CPU",
            f"{fig['fan-out / independent server CPU']:.2f}x",
            "(less sensitive to other load on the machine)",
        )
    if "chain drain s" in fig:
        print(f"\nchain of {args.chain} against {args.chain} independent jobs (serial by nature)")
        line("createWorkflow (not in the drain)", f"{fig['chain createWorkflow s']:.2f} s")
        line("independent drain", f"{fig['independent (chain count) drain s']:.2f} s")
        line("independent jobs/s", f"{fig['independent (chain count) jobs/s']:.0f}")
        line("chain drain", f"{fig['chain drain s']:.2f} s")
        line("chain jobs/s", f"{fig['chain jobs/s']:.1f}")
        line("chain / independent", f"{fig['chain / independent']:.1f}x", "(no target)")
        cpu("independent (chain count)")
        cpu("chain")
        line("chain ms per job", f"{fig['chain ms/job']:.1f} ms")
    if "lone job round trip p50 ms" in fig:
        line(
            f"lone job round trip p50 ({args.round_trips} jobs)",
            f"{fig['lone job round trip p50 ms']:.1f} ms",
            "(enqueue -> acknowledged, idle worker)",
        )
        line(
            "chain ms per job / lone round trip",
            f"{fig['chain ms/job / lone round trip p50']:.2f}x",
            "(1x: a chain step costs what a lone job does)",
        )
    if "workflow graph p50 ms" in fig:
        print(f"\ngraph queries on the {args.jobs}-job workflow, {args.graph_samples} samples")
        for name in ("dependencyGraph", "workflow graph"):
            p50 = fig[f"{name} p50 ms"]
            line(f"{name} first request", f"{fig[f'{name} first ms']:.0f} ms")
            line(
                f"{name} p50",
                f"{p50:.0f} ms",
                f"target < {GRAPH_P50_TARGET_MS:.0f} ms: {verdict(p50 < GRAPH_P50_TARGET_MS)}",
            )
            line(f"{name} p95", f"{fig[f'{name} p95 ms']:.0f} ms")
        line("workflow graph response", f"{fig['workflow graph response KB']:.0f} KB")
        line(
            "typed nodes/edges/levels p50",
            f"{fig['workflow graph typed fields p50 ms']:.0f} ms",
            "(no target: a GraphQL field per node and edge)",
        )
    if "map drain s" in fig:
        ratio = fig["map / independent"]
        print(f"\nmap: a parent returning {args.map} items, one job each, against as many")
        if args.map_pairs > 1:
            each = ", ".join(
                f"{fig[f'map / independent, pair {n + 1}']:.2f}x" for n in range(args.map_pairs)
            )
            print(f"  {args.map_pairs} pairs run in turn ({each}); the median pair's figures:")
        line("createWorkflow (not in the drain)", f"{fig['map createWorkflow s']:.2f} s")
        line("independent drain", f"{fig['independent (map count) drain s']:.2f} s")
        line("map drain (parent, expansion, children)", f"{fig['map drain s']:.2f} s")
        line(
            "map / independent",
            f"{ratio:.2f}x",
            f"target <= {MAP_TARGET}x: {verdict(ratio <= MAP_TARGET)}",
        )
        line(
            "  of which: expansion to first claim",
            f"{fig['map expansion to first claim s']:.2f} s",
            "(the parent's acknowledgement to its first child's start)",
        )
        line(
            "  of which: children, first start to last end",
            f"{fig['map children drain s']:.2f} s",
            f"{fig['map children / independent']:.2f}x the independent drain",
        )
        cpu("independent (map count)")
        cpu("map")
        line("map / independent, server CPU", f"{fig['map / independent server CPU']:.2f}x")
    if "server peak RSS MB" in fig:
        print()
        line("server peak RSS", f"{fig['server peak RSS MB']:.0f} MB")
        line("worker peak RSS", f"{fig.get('worker peak RSS MB', float('nan')):.0f} MB")
    print(json.dumps({k: round(v, 3) for k, v in fig.items()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="fan-out workflow size")
    parser.add_argument("--chain", type=int, default=1000, help="chain workflow length")
    parser.add_argument("--map", type=int, default=9998, help="items the map workflow maps over")
    parser.add_argument("--only", choices=["map"], help="the warm-up and this phase alone")
    parser.add_argument(
        "--map-pairs",
        type=int,
        default=1,
        help="independent/map pairs run in turn; the median ratio's pair is reported",
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--graph-samples", type=int, default=20)
    parser.add_argument("--round-trips", type=int, default=50, help="lone jobs, one at a time")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per drain")
    args = parser.parse_args()
    if args.jobs < 3 or min(args.chain, args.map, args.graph_samples, args.round_trips) < 1:
        parser.error("--jobs must be >= 3; --chain, --map, --graph-samples, --round-trips >= 1")
    if args.map_pairs < 1:
        parser.error("--map-pairs must be >= 1")

    fig: dict[str, float] = {}
    try:
        asyncio.run(run(args, fig))
    except BenchError as exc:
        report(args, fig)
        print(f"\nFAILED {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    report(args, fig)


if __name__ == "__main__":
    main()
