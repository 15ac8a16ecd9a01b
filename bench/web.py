"""The dashboard in headless Chromium against a loaded server: how soon pages are usable,
and whether frames stay short while a workflow changes under the viewer's eyes.

    .venv/bin/python -m bench.web [--postgres] [--jobs 100000] [--nodes 1000]
                                  [--rate 100] [--seconds 10] [--runs 5]

Setup (in-process, before the server starts): a fresh database (SQLite in a temporary
data folder; with --postgres the database taskforge_bench_web on
TASKFORGE_BENCH_PG_DSN, default postgresql://postgres@127.0.0.1:5432/test) with one
organization, --jobs jobs on its default queue (1,000 through the jobs service, the rest
copied from them in bulk with SQLAlchemy Core: a backlog, all PENDING, no worker) and a
started workflow of --nodes jobs on queue `wf` (levels of 100, each job depending on two
of the level above).

Measured, in the system's Chromium (never a downloaded one), signed in as the admin:
1. the jobs page: from navigation start to the first frame painted after the first job
   row is in the DOM (a MutationObserver installed before the page's own scripts, then
   requestAnimationFrame + setTimeout: after the frame). Cold: a fresh browser context
   (nothing cached); warm: the same context again, median of --runs. One unmeasured
   visit first, so that the server has answered each operation once. Target < 1 s.
2. the workflow page: the same, up to the first frame with the graph drawn (an SVG in
   the main region with its nodes). Target < 1 s.
3. the same workflow page while a driver (a thread, through the GraphQL API as a worker
   would: claimJobs + completeJobs on `wf` every 100 ms) makes --rate status changes a
   second for --seconds: the longest frame (requestAnimationFrame deltas in the page),
   its 99th percentile, and the long tasks (PerformanceObserver `longtask`) seen.
   The same figures with no change arriving come first: what the machine alone costs
   (frames are whole vsyncs of 16.7 ms: a 50 ms frame is two missed). A long task is
   the page's own main-thread work over 50 ms; a long frame with no long task is the
   browser's other processes starved (a busy machine), not the page. Also counted: the
   GraphQL requests the page made meanwhile (refetches prompted by the changes).
   Target: longest frame < 50 ms.
Beside each page: the GraphQL requests it made during the navigation, as the browser
timed them (request start to response end) and replayed --replays times with httpx
(median): the server's own time for the same queries.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from playwright.sync_api import Browser, Page, Request, sync_playwright
from sqlalchemy import insert, select

from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.persistence.tables import Job
from taskforge.runtime import Runtime
from taskforge.services import jobs, queues, tenancy, workflows
from taskforge.services.base import Principal

ROOT = Path(__file__).resolve().parents[1]
DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_bench_web"
PG_URL = f"{DSN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://', 1)}/{DB}"
SECRET = "bench-web-" * 4  # 40 bytes: HS256 wants 32 or more
EMAIL, PASSWORD = "bench@example.com", "bench-password"
CREDENTIAL = "taskforge.credential"  # web/src/lib/auth.ts
LEVEL = 100  # workflow jobs per level

# what "painted" means for each page: the first element matching the selector is in the
# DOM, then the frame after it (rAF, then a task: the frame has been produced)
READY = {
    "rows": "main tbody tr a[href^='/jobs/']",
    # the workflow page's SVG with its first node (a job, or a collapsed level's count)
    "graph": "main svg[data-testid='workflow-graph'] .dag-nodes > *",
}
MARKS = """(ready) => {
  window.__marks = {};
  const check = () => {
    for (const [name, selector] of Object.entries(ready)) {
      if (name in window.__marks || !document.querySelector(selector)) continue;
      window.__marks[name] = null;
      requestAnimationFrame(() => setTimeout(() => { window.__marks[name] = performance.now(); }));
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
}"""
FRAMES = """() => {
  const s = window.__frames = {deltas: [], longTasks: [], running: true};
  let last = performance.now();
  const tick = (now) => {
    s.deltas.push(now - last);
    last = now;
    if (s.running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) s.longTasks.push(e.duration);
  }).observe({type: 'longtask', buffered: false});
}"""


# -- database ---------------------------------------------------------------------------


@dataclass
class Prepared:
    env: dict[str, str]
    workflow: str
    wf_queue: str
    key: str


async def prepare(args: argparse.Namespace, data: Path) -> Prepared:
    if args.postgres:
        conn = await asyncpg.connect(DSN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
        await conn.close()
        settings = Settings(database_url=PG_URL, secret_key=SECRET, bootstrap=False)
        env = {"TASKFORGE_DATABASE_URL": PG_URL}
    else:
        settings = Settings(data_dir=data, secret_key=SECRET, bootstrap=False)
        env = {"TASKFORGE_DATA_DIR": str(data)}
    rt = Runtime.create(settings)
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", EMAIL, PASSWORD, Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        began = time.perf_counter()
        await backlog(rt, admin, org.queue.id, args.jobs)
        print(f"{args.jobs:,} jobs inserted in {time.perf_counter() - began:.1f} s", flush=True)
        if args.postgres:  # this machine's PostgreSQL runs no autovacuum: plans from stats
            conn = await asyncpg.connect(f"{DSN.rsplit('/', 1)[0]}/{DB}")
            try:
                await conn.execute("VACUUM ANALYZE jobs")
            finally:
                await conn.close()
        wf_queue = await queues.create_queue(rt.services, admin, org.project.id, "wf")
        wf = await workflows.create(
            rt.services, admin, org.project.id, layered(args.nodes), start=True
        )
        return Prepared(env, str(wf.id), str(wf_queue.id), org.api_key.secret)
    finally:
        await rt.stop()


async def backlog(rt: Runtime, admin: Principal, queue: uuid.UUID, n: int) -> None:
    """``n`` PENDING jobs: 1,000 through the service (rows exactly as it writes them),
    the rest copies of those with new ids and older creation times, inserted 5,000 per
    statement."""
    seed = min(n, 1000)
    specs = [
        jobs.NewJob(queue_id=queue, job_type=f"report-{i % 7}", payload={"n": i})
        for i in range(seed)
    ]
    await jobs.enqueue(rt.services, admin, specs)
    table = Job.__table__
    async with rt.db.read() as session:
        rows = [dict(r._mapping) for r in await session.execute(select(table))]
    copies: list[dict[str, Any]] = []
    for i in range(n - seed):
        round_, row = divmod(i, seed)
        copies.append(
            row_copy(
                rows[row],
                id=uuid.uuid4(),
                created_at=rows[row]["created_at"] - timedelta(minutes=round_ + 1),
            )
        )
        if len(copies) == 5000 or i == n - seed - 1:
            async with rt.db.write() as session:
                await session.execute(insert(table), copies)
            copies = []


def row_copy(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**row, **changes}


def layered(nodes: int) -> dict[str, Any]:
    """Levels of LEVEL jobs; each job below the first depends on two of the level above."""
    defs: list[dict[str, Any]] = []
    for i in range(nodes):
        level, k = divmod(i, LEVEL)
        job: dict[str, Any] = {"name": f"l{level}-{k}", "job_type": "noop", "queue": "wf"}
        if level:
            width = min(LEVEL, nodes - (level - 1) * LEVEL)
            job["depends_on"] = sorted(
                {f"l{level - 1}-{k % width}", f"l{level - 1}-{(k + 1) % width}"}
            )
        defs.append(job)
    return {"name": f"layered-{nodes}", "jobs": defs}


# -- server -----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    full |= env | {"TASKFORGE_SECRET_KEY": SECRET, "TASKFORGE_BOOTSTRAP": "false"}
    cmd = [sys.executable, "-m", "taskforge.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--log-level", "warning"], env=full, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def gql(http: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = http.post("/graphql", json={"query": query, "variables": variables}).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


# -- browser ----------------------------------------------------------------------------


@dataclass
class Sent:
    """A GraphQL request the page made (urql sends queries as GET, mutations as POST)."""

    name: str
    method: str
    url: str
    body: str | None
    browser_ms: float


@dataclass
class Visit:
    painted_ms: float
    requests: list[Sent] = field(default_factory=list)
    # when the scripts had arrived, the first GraphQL request left, the last answer came
    milestones: dict[str, float] = field(default_factory=dict)


MILESTONES = """() => {
  const all = performance.getEntriesByType('resource');
  const scripts = all.filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js'));
  const queries = all.filter((e) => e.name.includes('/graphql'));
  return {
    'scripts loaded': Math.max(0, ...scripts.map((e) => e.responseEnd)),
    'first query sent': Math.min(...queries.map((e) => e.startTime)),
    'last answer in': Math.max(0, ...queries.map((e) => e.responseEnd)),
  };
}"""


def visit(page: Page, url: str, mark: str) -> Visit:
    """Navigate to ``url`` and wait for ``mark``; the GraphQL requests made meanwhile."""
    seen: list[Request] = []

    def on_request(request: Request) -> None:
        if "/graphql" in request.url and request.resource_type in ("fetch", "xhr"):
            seen.append(request)

    page.on("request", on_request)
    try:
        page.goto(url, wait_until="commit")
        # polled from here: Playwright's wait_for_function evaluates its predicate with
        # eval, which the dashboard's CSP forbids
        deadline = time.monotonic() + 60
        check = f"window.__marks && window.__marks[{json.dumps(mark)}]"
        while not isinstance(painted := page.evaluate(check), (int, float)):
            assert time.monotonic() < deadline, f"{url}: {mark} never painted"
            time.sleep(0.02)
    finally:
        page.remove_listener("request", on_request)
    milestones = page.evaluate(MILESTONES)
    sent = []
    for request in seen:
        done = request.response() is not None
        took = request.timing["responseEnd"] if done else float("nan")
        sent.append(Sent(operation(request), request.method, request.url, request.post_data, took))
    return Visit(float(painted), sent, milestones)


def operation(request: Request) -> str:
    if request.method == "GET":
        name = parse_qs(urlsplit(request.url).query).get("operationName", [""])[0]
    else:
        name = json.loads(request.post_data or "{}").get("operationName") or ""
    return name or "anonymous"


def replay(http: httpx.Client, sent: Sent, n: int) -> float:
    """The server's median time for the same request over ``n`` sequential tries (ms)."""
    times = []
    headers = {"Content-Type": "application/json"} if sent.body else {}
    for _ in range(n):
        began = time.perf_counter()
        http.request(sent.method, sent.url, content=sent.body, headers=headers).raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def new_page(browser: Browser, token: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(f"localStorage.setItem({json.dumps(CREDENTIAL)}, {json.dumps(token)})")
    context.add_init_script(f"({MARKS})({json.dumps(READY)})")
    return context.new_page()


def measure_page(
    browser: Browser, token: str, url: str, mark: str, runs: int
) -> tuple[float, list[float], Visit]:
    """Cold (fresh context) and warm (same context, ``runs`` times) navigations, after
    one unmeasured visit: the server's first answers to each operation (parsing,
    validation and statement caches) are a start-up cost, not the page's."""
    first = new_page(browser, token)
    try:
        visit(first, url, mark)
    finally:
        first.context.close()
    page = new_page(browser, token)
    try:
        cold = visit(page, url, mark)
        warm = []
        for _ in range(runs):
            page.goto("about:blank")
            warm.append(visit(page, url, mark).painted_ms)
        return cold.painted_ms, warm, cold
    finally:
        page.context.close()


# -- the status-change driver -----------------------------------------------------------


REGISTER = """mutation($q: ID!) {
  registerWorker(name: "bench-web", queues: [{queueId: $q}]) { id } }"""


class Driver(threading.Thread):
    """A worker through the API: each 100 ms tick completes what it claimed the tick
    before and claims as many new jobs, ``rate`` status changes a second in all."""

    def __init__(self, base: str, key: str, queue: str, rate: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.base, self.key, self.queue = base, key, queue
        self.per_tick = max(1, rate // 20)  # claims per tick; as many completions
        self.seconds = seconds
        self.changes = 0
        self.elapsed = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the main thread
            self.error = exc

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as http:
            worker = gql(
                http,
                REGISTER,
                {"q": self.queue},
            )["registerWorker"]["id"]
            claim = (
                "mutation($w: ID!, $n: Int!) { claimJobs(workerId: $w, limit: $n) { executionId } }"
            )
            complete = "mutation($ids: [ID!]) { completeJobs(executionIds: $ids) { __typename } }"
            held: list[str] = []
            began = time.perf_counter()
            tick = 0
            while time.perf_counter() - began < self.seconds:
                if held:
                    gql(http, complete, {"ids": held})
                    self.changes += len(held)
                claimed = gql(http, claim, {"w": worker, "n": self.per_tick})["claimJobs"]
                held = [c["executionId"] for c in claimed]
                self.changes += len(held)
                tick += 1
                pause = began + tick * 0.1 - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            if held:
                gql(http, complete, {"ids": held})
                self.changes += len(held)
            self.elapsed = time.perf_counter() - began


def frame_stats(page: Page, seconds: float, driver: Driver | None) -> dict[str, float]:
    """Frame lengths in the page for ``seconds`` (while ``driver`` runs, if given), and
    the GraphQL requests the page made meanwhile (refetches prompted by the changes)."""
    requests: list[str] = []

    def on_request(request: Request) -> None:
        if "/graphql" in request.url and request.resource_type in ("fetch", "xhr"):
            requests.append(operation(request))

    page.on("request", on_request)
    page.evaluate(FRAMES)
    if driver is None:
        time.sleep(seconds)
    else:
        driver.start()
        driver.join(seconds + 60)
        time.sleep(0.5)  # the last events drawn
        if driver.error is not None:
            raise driver.error
    stats = page.evaluate("(() => { window.__frames.running = false; return window.__frames; })()")
    page.remove_listener("request", on_request)
    deltas = sorted(stats["deltas"][1:])  # the first delta spans the install
    result = {
        "longest frame ms": deltas[-1] if deltas else float("nan"),
        "p99 frame ms": deltas[max(0, int(len(deltas) * 0.99) - 1)] if deltas else float("nan"),
        "median frame ms": statistics.median(deltas) if deltas else float("nan"),
        "frames": float(len(deltas)),
        "long tasks (> 50 ms)": float(len(stats["longTasks"])),
        "longest task ms": max(stats["longTasks"], default=0.0),
        "GraphQL requests by the page": float(len(requests)),
    }
    if driver is not None:
        result["status changes/s"] = driver.changes / driver.elapsed if driver.elapsed else 0.0
    return result


def frames_under_load(
    browser: Browser, token: str, url: str, prepared: Prepared, base: str, args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, float]]:
    """The workflow page's frames at rest (a baseline: what the machine alone costs),
    then while the driver changes statuses."""
    page = new_page(browser, token)
    try:
        visit(page, url, "graph")
        time.sleep(1)  # the page's first queries and subscriptions settle
        idle = frame_stats(page, min(args.seconds, 5), None)
        driver = Driver(base, prepared.key, prepared.wf_queue, args.rate, args.seconds)
        return idle, frame_stats(page, args.seconds, driver)
    finally:
        page.context.close()


# -- report -----------------------------------------------------------------------------


def verdict(value: float, target: float) -> str:
    return "meets" if value < target else "MISSES"


def report_page(
    title: str, cold: float, warm: list[float], visit_: Visit, http: httpx.Client, n: int
) -> None:
    median = statistics.median(warm) if warm else float("nan")
    print(f"\n{title}")
    for name, value in (
        ("cold (a fresh context)", cold),
        (f"warm (median of {len(warm)})", median),
    ):
        print(f"  {'painted, ' + name:<52}{value:>9.0f} ms  {verdict(value, 1000)} < 1 s")
    steps = ", ".join(f"{name} {at:.0f} ms" for name, at in visit_.milestones.items())
    print(f"  cold visit: {steps}")
    print(f"  {'GraphQL request':<32}{'in the browser':>20}{f'replayed x{n}':>16}")
    for sent in visit_.requests:
        server = replay(http, sent, n)
        print(f"  {sent.name:<32}{sent.browser_ms:>17.1f} ms{server:>13.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=100, help="status changes a second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=5, help="warm navigations per page")
    parser.add_argument("--replays", type=int, default=20, help="replays of each request")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="taskforge-bench-web-"))
    try:
        prepared = asyncio.run(prepare(args, data))
        with serve(prepared.env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
            login = (
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
            )
            with httpx.Client(base_url=base, timeout=60) as anonymous:
                token = gql(anonymous, login, {"e": EMAIL, "p": PASSWORD})["login"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                loadavg = os.getloadavg()[0]  # the machine is often shared: say how busy
                jobs_page = measure_page(browser, token, f"{base}/jobs", "rows", args.runs)
                wf_url = f"{base}/workflows/{prepared.workflow}"
                wf_page = measure_page(browser, token, wf_url, "graph", args.runs)
                load = frames_under_load(browser, token, wf_url, prepared, base, args)

                db = "PostgreSQL" if args.postgres else "SQLite (embedded)"
                print(
                    f"\n{db}, {args.jobs:,} jobs, a {args.nodes:,}-node workflow; one server "
                    f"process, headless Chromium, {os.cpu_count()} cores shared (load average "
                    f"{loadavg:.1f} at the start of the browser runs)"
                )
                report_page(f"jobs page ({args.jobs:,} jobs)", *jobs_page, http, args.replays)
                report_page(f"workflow page ({args.nodes:,} nodes)", *wf_page, http, args.replays)
            browser.close()
        idle, busy = load
        print(f"\nworkflow page frames: at rest, then with {args.rate} status changes/s")
        print(f"  {'':<44}{'at rest':>10}{'changing':>10}")
        for name, value in busy.items():
            rest = f"{idle[name]:>10.1f}" if name in idle else f"{'':>10}"
            target = f"  {verdict(value, 50)} < 50 ms" if name == "longest frame ms" else ""
            print(f"  {name:<44}{rest}{value:>10.1f}{target}")
        figures = {"jobs_cold_ms": jobs_page[0], "workflow_cold_ms": wf_page[0], **busy}
        print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
