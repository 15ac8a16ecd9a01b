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
from playwright.sync_api import expect

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
    wait_status,
)
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

QUEUES = "{ queues { edges { node { id name } } } }"
CREATE_QUEUE = 'mutation($p: ID!) { createQueue(projectId: $p, name: "idle") { id } }'
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


def test_the_jobs_page_resumes_after_a_server_crash(
    server_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
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
                done = api.enqueue(default, "noop")
                held = [
                    api.enqueue(default, "hold", {"release": here.release(f"h{i}")}) for i in (1, 2)
                ]
                doomed = [api.enqueue(idle, "noop") for _ in (1, 2)]
                for job in held:
                    api.until_status(job, "PROCESSING")
                api.until_status(done, "SUCCEEDED")

                page = here.page()
                page.goto(url + "/jobs")
                settled(page)
                origin = record_rows(page)
                for job in held:
                    wait_status(page, job, "PROCESSING")
                for job in doomed:
                    wait_status(page, job, "PENDING")

                # the crash: the page notices and says so
                processes[0].kill()
                processes[0].wait(10)
                banner = page.get_by_role("status").filter(has_text="reconnecting")
                expect(banner).to_be_visible(timeout=15_000)

                # while it is down, a second server on the same databases takes changes
                with server(server_env, tmp_path) as (other, _):
                    api.http.base_url = httpx.URL(f"http://{other}")
                    api.ok(CANCEL, {"id": doomed[0]})
                    born = [api.enqueue(idle, "noop")]
                    here.let_go("h1")  # the worker finishes; it reports to the restarted server
                    time.sleep(0.5)
                screenshot(page, request.node.name, "jobs-down")

                # back on its port: more changes at once, before the page reconnects
                with server(server_env, tmp_path, port=port):
                    api.http.base_url = httpx.URL(url)
                    healthy(url)
                    api.ok(CANCEL, {"id": doomed[1]})
                    born.append(api.enqueue(idle, "noop"))
                    here.let_go("h2")

                    final = {done: "SUCCEEDED", held[0]: "SUCCEEDED", held[1]: "SUCCEEDED"}
                    final |= {doomed[0]: "CANCELLED", doomed[1]: "CANCELLED"}
                    final |= {job: "PENDING" for job in born}
                    for job, status in final.items():
                        wait_status(page, job, status, timeout=45)
                    expect(banner).to_have_count(0)
                    screenshot(page, request.node.name, "jobs-resumed")

                    for job, status in final.items():
                        assert api.status(job) == status, job
                    seen = row_statuses(page)
                    counts = page.evaluate("window.__rowCounts")
                    assert set(seen) == set(final), seen
                    assert all(n == 1 for n in counts.values()), counts
                    rows = page.locator("tbody tr:has(a[href^='/jobs/'])").count()
                    assert rows == len(final)
                    for job in doomed:
                        assert seen[job] == ["PENDING", "CANCELLED"], seen[job]
                    for job in born:  # new rows, not reloaded ones
                        assert seen[job] == ["PENDING"], seen[job]
                    same_document(page, origin)
                    no_errors(page, allowed=lambda e: "WebSocket" in e or "ERR_CONNECTION" in e)
                    here.close_pages()
        finally:
            stop_worker(worker)
            api.http.close()
