"""The workflow page's frames at rest and while a worker, through the API, changes
`--rate` statuses a second: longest frame, 99th percentile, long tasks."""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import httpx
from playwright.sync_api import Browser, Page, Request

from bench.web.browser import new_page, operation, visit
from bench.web.data import Prepared
from bench.web.server import gql

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
