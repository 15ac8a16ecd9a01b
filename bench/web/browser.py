"""Page visits in Chromium: navigate, wait for the first frame painted with the page's
content (rows or the graph), and the GraphQL requests made meanwhile, timed in the
browser and replayed with httpx."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, Request

CREDENTIAL = "taskforge.credential"  # web/src/lib/auth.ts


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
