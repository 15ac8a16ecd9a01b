"""The dashboard in headless Chromium, driven by Playwright: the system's browser
(Debian's ``chromium``; nothing downloads one), a real ``taskforge serve`` and a real
``taskforge worker`` whose ``hold`` jobs run until the test lets them finish, the
GraphQL API for what a test arranges, axe-core for each page's accessibility, and a
screenshot of each page in test-artifacts/screenshots/."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.chromium import executable
from tests.e2e.conftest import TASKFORGE, server

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CREDENTIAL = "taskforge.credential"  # web/src/lib/auth.ts keeps the token under it

# `hold` runs until the file named by its payload's `release` exists: a test sees a
# job PROCESSING for as long as it likes, then lets it succeed by creating the file
HANDLERS = """
import asyncio
import pathlib


async def hold(payload, ctx):
    release = pathlib.Path(payload["release"])
    while not release.exists():
        await asyncio.sleep(0.05)
    return {"released": release.name}


handlers = {"hold": hold}
"""

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
PROJECT = "{ projects { edges { node { id } } } }"
CREATE_QUEUE = "mutation($p: ID!, $n: String!) { createQueue(projectId: $p, name: $n) { id } }"
ENQUEUE = """mutation($q: ID!, $t: String!, $p: JSON) {
  enqueueJob(input: {queueId: $q, jobType: $t, payload: $p}) { id status } }"""
JOB = "query($id: ID!) { job(id: $id) { id status } }"


class Api:
    """The GraphQL API over HTTP, as the test's own client (not the page's)."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.token = token

    def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        ).json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def enqueue(self, queue: str, job_type: str, payload: dict[str, Any] | None = None) -> str:
        job = self.ok(ENQUEUE, {"q": queue, "t": job_type, "p": payload})["enqueueJob"]
        return str(job["id"])

    def status(self, job: str) -> str:
        return str(self.ok(JOB, {"id": job})["job"]["status"])

    def until_status(self, job: str, status: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while (now := self.status(job)) != status:
            assert time.monotonic() < deadline, f"job {job} is {now}, not {status}"
            time.sleep(0.05)


@dataclass
class Site:
    """One server, one worker, one browser, and the API as the organization's admin."""

    base: str
    creds: dict[str, str]
    cwd: Path
    browser: Browser
    api: Api
    project: str
    queues: dict[str, str] = field(default_factory=dict)
    contexts: list[BrowserContext] = field(default_factory=list)

    def page(self, signed_in: bool = True) -> Page:
        """A fresh tab (its own storage); signed in: the login token already kept, as the
        login form keeps it (the form itself is tested once)."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        if signed_in:
            script = f"localStorage.setItem({json.dumps(CREDENTIAL)}, {json.dumps(self.api.token)})"
            context.add_init_script(script)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        watch(page)
        return page

    def release(self, name: str) -> str:
        """The path a ``hold`` job waits for; :meth:`let_go` creates it."""
        return str(self.cwd / "release" / name)

    def let_go(self, name: str) -> None:
        Path(self.release(name)).touch()

    def close_pages(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


# each page's script errors and console errors, as they come
ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def watch(page: Page) -> None:
    """Keep the page's script errors: a test asserts there were none (:func:`no_errors`)."""
    errors = ERRORS.setdefault(page, [])
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )


def no_errors(page: Page, allowed: Callable[[str], bool] = lambda _: False) -> None:
    errors = [e for e in ERRORS.get(page, []) if not allowed(e)]
    assert errors == [], errors


def start_worker(
    env: dict[str, str], cwd: Path, base: str, key: str, queues: list[str], lease: int = 6
) -> Any:
    (cwd / "dashboard_handlers.py").write_text(HANDLERS)
    (cwd / "release").mkdir(exist_ok=True)
    args = ["--url", f"http://{base}", "--handlers", "dashboard_handlers", "--poll", "0.2"]
    for queue in queues:
        args += ["--queue", queue]
    with (cwd / "worker.log").open("a") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [*TASKFORGE, "worker", *args, "--lease", str(lease), "--grace", "2", "--name", "e2e"],
            # unbuffered: its log is read when a test fails
            env={
                **env,
                "TASKFORGE_API_KEY": key,
                "PYTHONPATH": f"{cwd}:{REPO}",
                "PYTHONUNBUFFERED": "1",
            },
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_worker(worker: Any) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


@contextlib.contextmanager
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable(),
            # as root the sandbox refuses to start; the rest keeps the browser to itself
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield launched
        finally:
            launched.close()


@contextlib.contextmanager
def site(env: dict[str, str], cwd: Path, queues: tuple[str, ...] = ()) -> Iterator[Site]:
    """A server on ``env``'s databases, a worker on ``default`` and ``queues`` (created
    here), and a browser."""
    with server(env, cwd) as (base, creds), browser() as chromium:
        url = f"http://{base}"
        login = {"query": LOGIN, "variables": {"e": creds["email"], "p": creds["password"]}}
        token = httpx.post(f"{url}/graphql", json=login, timeout=30).json()["data"]["login"]
        api = Api(url, token["token"])
        project = api.ok(PROJECT)["projects"]["edges"][0]["node"]["id"]
        made = {
            name: api.ok(CREATE_QUEUE, {"p": project, "n": name})["createQueue"]["id"]
            for name in queues
        }
        worker = start_worker(env, cwd, base, creds["API key"], ["default", *queues])
        here = Site(url, creds, cwd, chromium, api, project, made)
        try:
            yield here
        finally:
            here.close_pages()
            stop_worker(worker)
            api.http.close()


# -- what a test looks at ------------------------------------------------------------


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"{AXE.relative_to(REPO)} is missing: install the dashboard's packages with "
            "`npm ci` in web/ (scripts/test does it first)",
            pytrace=False,
        )
    return AXE.read_text()


def screenshot(page: Page, test: str, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test).strip('_')}-{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one readable
    line each plus the elements at fault. The script is evaluated through DevTools, which
    the page's strict CSP (no inline scripts) does not apply to."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    problems = []
    for v in violations:
        if v["impact"] not in ("serious", "critical"):
            continue
        nodes = "".join(
            f"\n    {' '.join(n['target'])}: {n['failureSummary'].splitlines()[-1].strip()}"
            for n in v["nodes"][:5]
        )
        problems.append(f"{v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]{nodes}")
    return problems


def settled(page: Page) -> None:
    """The page's heading is there, nothing says it is still loading and no error is
    shown. (Locators, not wait_for_function: the page's CSP forbids eval, which
    Playwright's string predicates use.)"""
    page.locator("main h1").first.wait_for()
    expect(page.get_by_text("Loading…")).to_have_count(0)
    expect(page.locator(".banner-error")).to_have_count(0)


def subscriptions(base: str) -> int:
    """The server's live subscriptions (a feed attached: what commits next reaches it)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    found = re.findall(r"^taskforge_subscriptions(?:\{[^}]*\})? (\S+)$", text, re.M)
    return int(sum(float(n) for n in found))


def until_subscribed(base: str, at_least: int, timeout: float = 15.0) -> None:
    """Wait until the server has ``at_least`` live subscriptions: a page's own, before
    the test changes what it watches (an event before that would not reach it)."""
    deadline = time.monotonic() + timeout
    while (now := subscriptions(base)) < at_least:
        assert time.monotonic() < deadline, f"{now} live subscriptions, not {at_least}"
        time.sleep(0.05)


def job_row(page: Page, job: str) -> Any:
    return page.locator(f'tbody tr:has(a[href="/jobs/{job}"])')


# Each change of a job row's status as the DOM shows it, in order, by job id; and how
# many rows show each job. Installed once per page; reading it never reloads anything.
RECORD_ROWS = """() => {
  const seen = window.__rowStatuses = {};
  window.__rowCounts = {};
  window.__loadedAt = performance.timeOrigin;
  const scan = () => {
    const counts = {};
    for (const row of document.querySelectorAll('tbody tr')) {
      const link = row.querySelector('a[href^="/jobs/"]');
      const badge = row.querySelector('[data-status]');
      if (!link || !badge) continue;
      const id = link.getAttribute('href').slice('/jobs/'.length);
      counts[id] = (counts[id] || 0) + 1;
      const list = seen[id] || (seen[id] = []);
      const status = badge.getAttribute('data-status');
      if (list[list.length - 1] !== status) list.push(status);
    }
    for (const [id, n] of Object.entries(counts)) {
      window.__rowCounts[id] = Math.max(window.__rowCounts[id] || 0, n);
    }
  };
  scan();
  new MutationObserver(scan).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'],
  });
}"""


def record_rows(page: Page) -> float:
    """Start recording row statuses; returns the document's time origin, which a
    reload would change (:func:`same_document`)."""
    page.evaluate(RECORD_ROWS)
    return float(page.evaluate("window.__loadedAt"))


def row_statuses(page: Page) -> dict[str, list[str]]:
    return dict(page.evaluate("window.__rowStatuses"))


def same_document(page: Page, origin: float) -> None:
    assert page.evaluate("window.__loadedAt") == origin, "the page was reloaded"


def wait_status(page: Page, job: str, status: str, timeout: float = 20.0) -> None:
    job_row(page, job).locator(f'[data-status="{status}"]').wait_for(timeout=timeout * 1000)
