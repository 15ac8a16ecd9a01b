"""The Jobs page through a server crash: the server is killed while the page watches,
jobs change state while it is down (through a second server on the same databases, and
a worker's result that reaches the restarted server before the page reconnects), and
when the server is back where it was, the page resumes from its last event: every job
shows its final status, the new ones appear, no row twice, and no reload."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import server
from tests.e2e.dashboard import (
    LOGIN,
    Api,
    Site,
    browser,
    no_errors,
    record_rows,
    row_statuses,
    same_document,
    screenshot,
    settled,
    start_worker,
    stop_worker,
    subscriptions,
    until_subscribed,
    wait_status,
)
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

QUEUES = "{ queues { edges { node { id name } } } }"
CREATE_QUEUE = 'mutation($p: ID!) { createQueue(projectId: $p, name: "idle") { id } }'
# each job row's status as shown now
SHOWN = """() => Object.fromEntries(Array.from(document.querySelectorAll('tbody tr'))
  .filter((row) => row.querySelector('a[href^="/jobs/"]') && row.querySelector('[data-status]'))
  .map((row) => [row.querySelector('a[href^="/jobs/"]').getAttribute('href').slice(6),
                 row.querySelector('[data-status]').getAttribute('data-status')]))"""
CANCEL = "mutation($id: ID!) { cancelJob(id: $id) { status } }"


def healthy(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{base} never became ready"
        time.sleep(0.05)


def until_shown(
    name: str, page: Page, final: dict[str, str], api: Api, cwd: Path
) -> dict[str, str]:
    """Wait until every job's row shows its final status; on a timeout, say what the
    rows, the API and the worker's log say."""
    deadline = time.monotonic() + 45
    while True:
        shown = dict(page.evaluate(SHOWN))
        if all(shown.get(job) == status for job, status in final.items()):
            return shown
        if time.monotonic() > deadline:
            api_says = {job: api.status(job) for job in final}
            log = (cwd / "worker.log").read_text()[-3000:]
            raise AssertionError(
                f"{name} page: rows show {shown}\nexpected {final}\n"
                f"the API says {api_says}\nworker log:\n{log}"
            )
        time.sleep(0.1)


def watch_jobs(here: Site) -> tuple[Page, float]:
    before = subscriptions(here.base)
    page = here.page()
    page.goto(here.base + "/jobs")
    settled(page)
    until_subscribed(here.base, before + 1)
    return page, record_rows(page)


def check_resumed(
    name: str, page: Page, origin: float, final: dict[str, str], api: Api, cwd: Path
) -> None:
    """Every job's final status on its one row, the rows of new jobs added live, the
    "reconnecting" banner gone, the same document all along."""
    until_shown(name, page, final, api, cwd)
    expect(page.get_by_role("status").filter(has_text="reconnecting")).to_have_count(0)
    seen = row_statuses(page)
    counts = page.evaluate("window.__rowCounts")
    assert set(seen) == set(final), seen
    assert all(n == 1 for n in counts.values()), counts
    assert page.locator("tbody tr:has(a[href^='/jobs/'])").count() == len(final)
    same_document(page, origin)
    no_errors(page, allowed=lambda e: "WebSocket" in e or "ERR_CONNECTION" in e)


def test_the_jobs_page_resumes_after_a_server_crash(
    server_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two pages watch: one has had an event before the crash (it resumes from that
    event's id), the other has had none (it has no cursor to resume from)."""
    port = free_port()
    processes: list[subprocess.Popen[str]] = []
    with server(server_env, tmp_path, port=port, processes=processes) as (base, creds):
        url = f"http://{base}"
        login = {"query": LOGIN, "variables": {"e": creds["email"], "p": creds["password"]}}
        token = httpx.post(f"{url}/graphql", json=login).json()["data"]["login"]["token"]
        api = Api(url, token)
        project = api.ok("{ projects { edges { node { id } } } }")
        project_id = project["projects"]["edges"][0]["node"]["id"]
        idle = api.ok(CREATE_QUEUE, {"p": project_id})["createQueue"]["id"]  # no worker
        default = next(
            q["node"]["id"]
            for q in api.ok(QUEUES)["queues"]["edges"]
            if q["node"]["name"] == "default"
        )
        # a lease long enough that the outage does not hand the held jobs to the reaper
        worker = start_worker(server_env, tmp_path, base, creds["API key"], ["default"], lease=60)
        try:
            with browser() as chromium:
                here = Site(url, creds, tmp_path, chromium, api, project_id)
                held = [
                    api.enqueue(default, "hold", {"release": here.release(f"h{i}")}) for i in (1, 2)
                ]
                doomed = [api.enqueue(idle, "noop") for _ in (1, 2)]
                for job in held:
                    api.until_status(job, "PROCESSING")

                busy, busy_origin = watch_jobs(here)
                done = api.enqueue(default, "noop")  # the busy page sees it run
                wait_status(busy, done, "SUCCEEDED")
                quiet, quiet_origin = watch_jobs(here)  # opened after the last event
                for page in (busy, quiet):
                    for job in held:
                        wait_status(page, job, "PROCESSING")
                    for job in [*doomed, done]:
                        wait_status(page, job, "PENDING" if job in doomed else "SUCCEEDED")

                # the second server on the same databases, started before the crash so
                # that the outage is only as long as one restart
                with server(server_env, tmp_path) as (other, _):
                    # the crash: the pages notice and say so
                    processes[0].kill()
                    processes[0].wait(10)
                    for page in (busy, quiet):
                        banner = page.get_by_role("status").filter(has_text="reconnecting")
                        expect(banner).to_be_visible(timeout=15_000)
                    # while it is down, changes through the other server
                    api.http.base_url = httpx.URL(f"http://{other}")
                    api.ok(CANCEL, {"id": doomed[0]})
                    born = [api.enqueue(idle, "noop")]
                    here.let_go("h1")  # the worker finishes; it reports to the restarted server
                    screenshot(busy, request.node.name, "jobs-down")
                    # back on its port: more changes at once, before the pages reconnect
                    with server(server_env, tmp_path, port=port):
                        api.http.base_url = httpx.URL(url)
                        healthy(url)
                        api.ok(CANCEL, {"id": doomed[1]})
                        born.append(api.enqueue(idle, "noop"))
                        here.let_go("h2")

                        final = {done: "SUCCEEDED", held[0]: "SUCCEEDED", held[1]: "SUCCEEDED"}
                        final |= {doomed[0]: "CANCELLED", doomed[1]: "CANCELLED"}
                        final |= {job: "PENDING" for job in born}
                        check_resumed("busy", busy, busy_origin, final, api, tmp_path)
                        screenshot(busy, request.node.name, "jobs-resumed")
                        for job in doomed:  # changed in place, not reloaded
                            assert row_statuses(busy)[job] == ["PENDING", "CANCELLED"]
                        check_resumed("quiet", quiet, quiet_origin, final, api, tmp_path)
                        for job, status in final.items():
                            assert api.status(job) == status, job
                        here.close_pages()
        finally:
            stop_worker(worker)
            api.http.close()
