"""The dashboard against a real server and a real worker, as an operator uses it: log in
through the form; enqueue from the Jobs page and watch the row go PENDING, PROCESSING,
SUCCEEDED without a reload; cancel and retry from a job's page; pause a queue from the
Queues page and see its job wait until it is resumed; watch a workflow's nodes change
colour as the worker runs it. One server, worker and browser for the module."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.dashboard import (
    CREDENTIAL,
    Site,
    job_row,
    no_errors,
    record_rows,
    row_statuses,
    same_document,
    screenshot,
    settled,
    site,
    subscriptions,
    until_subscribed,
    wait_status,
)

pytestmark = pytest.mark.e2e

PAUSE = "mutation($id: ID!) { pauseQueue(id: $id) { isPaused } }"
RESUME = "mutation($id: ID!) { resumeQueue(id: $id) { isPaused } }"


@pytest.fixture(scope="module")
def tf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    # ui: the Jobs page's form enqueues there; gated: paused from the Queues page
    with site(env, tmp_path_factory.mktemp("live"), queues=("ui", "gated")) as here:
        yield here


@pytest.fixture
def page(tf: Site) -> Iterator[Page]:
    yield tf.page()
    tf.close_pages()


def test_log_in_through_the_form(tf: Site, request: pytest.FixtureRequest) -> None:
    page = tf.page(signed_in=False)
    page.goto(tf.base + "/jobs")
    page.wait_for_url("**/login?next=%2Fjobs")

    page.get_by_label("Email", exact=True).fill(tf.creds["email"])
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem({json.dumps(CREDENTIAL)})") is None

    page.get_by_label("Password", exact=True).fill(tf.creds["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(tf.base + "/jobs")  # back where the visitor was going
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobs")
    expect(page.get_by_role("banner")).to_contain_text(tf.creds["email"])
    assert page.evaluate(f"localStorage.getItem({json.dumps(CREDENTIAL)})")
    screenshot(page, request.node.name, "signed-in")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")
    assert page.evaluate(f"localStorage.getItem({json.dumps(CREDENTIAL)})") is None
    no_errors(page, allowed=lambda e: "401" in e or "Unauthorized" in e)


def test_enqueue_from_the_jobs_page_and_watch_the_row(
    tf: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    # no worker may take it yet: the row must show PENDING before it runs
    tf.api.ok(PAUSE, {"id": tf.queues["ui"]})
    before = subscriptions(tf.base)
    page.goto(tf.base + "/jobs")
    settled(page)
    until_subscribed(tf.base, before + 1)
    origin = record_rows(page)
    # every job fits on the first page: the total is the number of rows
    total = page.get_by_role("navigation", name="Pages").locator(".muted")
    expect(total).to_have_text(re.compile(r"^(\d+) shown of \1$"))
    listed = int(total.inner_text().split()[0])

    page.get_by_role("button", name="Enqueue job").click()
    form = page.get_by_role("form", name="Enqueue a job")
    form.get_by_label("Queue").select_option(label="ui (paused)")
    form.get_by_label("Job type").fill("hold")
    form.get_by_label("Payload (JSON)").fill(json.dumps({"release": tf.release("ui-job")}))
    form.get_by_role("button", name="Enqueue", exact=True).click()
    created = form.get_by_role("status").get_by_role("link", name="hold")
    job = (created.get_attribute("href") or "").removeprefix("/jobs/")
    assert job, "no link to the job enqueued"

    wait_status(page, job, "PENDING")
    expect(total).to_have_text(f"{listed + 1} shown of {listed + 1}")
    tf.api.ok(RESUME, {"id": tf.queues["ui"]})
    wait_status(page, job, "PROCESSING")
    screenshot(page, request.node.name, "jobs-processing")
    tf.let_go("ui-job")
    wait_status(page, job, "SUCCEEDED")

    assert row_statuses(page)[job] == ["PENDING", "PROCESSING", "SUCCEEDED"]
    assert job_row(page, job).count() == 1
    expect(total).to_have_text(f"{listed + 1} shown of {listed + 1}")
    same_document(page, origin)
    assert tf.api.status(job) == "SUCCEEDED"
    no_errors(page)


def test_cancel_and_retry_from_the_job_page(
    tf: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    default = tf.api.ok("{ queues { edges { node { id name } } } }")["queues"]["edges"]
    queue = next(q["node"]["id"] for q in default if q["node"]["name"] == "default")
    job = tf.api.enqueue(queue, "hold", {"release": tf.release("retried")})
    tf.api.until_status(job, "PROCESSING")

    page.goto(f"{tf.base}/jobs/{job}")
    settled(page)
    expect(page.locator(".page-header [data-status]")).to_have_attribute(
        "data-status", "PROCESSING"
    )
    asked: list[str] = []

    def confirm(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".page-header [data-status]")).to_have_attribute("data-status", "CANCELLED")
    assert asked == ["Cancel this hold job?"]
    assert tf.api.status(job) == "CANCELLED"
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    screenshot(page, request.node.name, "job-cancelled")

    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".page-header [data-status]")).to_have_attribute(
        "data-status", "PROCESSING", timeout=20_000
    )
    tf.let_go("retried")
    expect(page.locator(".page-header [data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=20_000
    )
    assert tf.api.status(job) == "SUCCEEDED"
    # two executions now: the cancelled one and the one that succeeded
    executions = page.get_by_role("table").filter(has_text="Cancelled")
    expect(executions).to_contain_text("Succeeded")
    no_errors(page)


def cell(page: Page, row: Locator, header: str) -> Locator:
    """The cell of ``row`` under the column headed ``header``."""
    headers = page.locator("thead th").all_inner_texts()
    index = next(i for i, text in enumerate(headers) if text.split("\n")[0] == header)
    return row.locator("td").nth(index)


def test_a_queue_paused_on_the_queues_page_holds_its_jobs(
    tf: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    gated = tf.queues["gated"]
    page.goto(tf.base + "/queues")
    settled(page)
    row = page.locator("tbody tr").filter(has=page.get_by_role("link", name="gated", exact=True))
    row.get_by_role("button", name="Pause queue gated").click()
    expect(row.locator('[data-status="PAUSED"]')).to_be_visible()
    assert tf.api.ok("query($id: ID!) { queue(id: $id) { isPaused } }", {"id": gated}) == {
        "queue": {"isPaused": True}
    }

    # its jobs, in another tab: the queue's link opens the Jobs page filtered by it
    jobs = tf.page()
    jobs.goto(tf.base + "/queues")
    settled(jobs)
    before = subscriptions(tf.base)
    jobs.get_by_role("link", name="gated", exact=True).click()
    jobs.wait_for_url(f"**/jobs?queue={gated}")
    settled(jobs)
    until_subscribed(tf.base, before + 1)
    origin = record_rows(jobs)
    job = tf.api.enqueue(gated, "noop")
    wait_status(jobs, job, "PENDING")
    expect(cell(page, row, "Waiting")).to_have_text("1", timeout=15_000)
    time.sleep(2)  # ten polls of the worker, which serves `gated`: nothing starts it
    assert tf.api.status(job) == "PENDING"
    assert row_statuses(jobs)[job] == ["PENDING"]
    screenshot(page, request.node.name, "queues-paused")

    row.get_by_role("button", name="Resume queue gated").click()
    expect(row.locator('[data-status="ACTIVE"]')).to_be_visible()
    wait_status(jobs, job, "SUCCEEDED")
    assert row_statuses(jobs)[job][-1] == "SUCCEEDED"
    same_document(jobs, origin)
    expect(cell(page, row, "Waiting")).to_have_text("0", timeout=15_000)
    no_errors(page)
    no_errors(jobs)


WORKFLOW = {
    "name": "etl",
    "jobs": [
        {"name": "extract", "job_type": "hold", "payload": {"release": "{{ input.extract }}"}},
        {
            "name": "transform",
            "job_type": "hold",
            "payload": {"release": "{{ input.transform }}"},
            "depends_on": ["extract"],
        },
        {"name": "load", "job_type": "noop", "depends_on": ["transform"]},
    ],
}
CREATE_WORKFLOW = """mutation($p: ID!, $d: JSON!, $i: JSON) {
  createWorkflow(input: {projectId: $p, definition: $d, input: $i, start: true}) { id } }"""

# each node's (status, fill colour of its box) as the DOM shows it, in order, by job name
RECORD_NODES = """() => {
  const seen = window.__nodes = {};
  const scan = () => {
    for (const node of document.querySelectorAll('a.dag-node[data-status]')) {
      const name = node.getAttribute('aria-label').split(':')[0];
      const box = node.querySelector('rect');
      const now = [node.getAttribute('data-status'), getComputedStyle(box).fill];
      const list = seen[name] || (seen[name] = []);
      const last = list[list.length - 1];
      if (!last || last[0] !== now[0] || last[1] !== now[1]) list.push(now);
    }
  };
  scan();
  new MutationObserver(scan).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-status', 'class'],
  });
}"""


def node(page: Page, name: str) -> Locator:
    return page.locator(f'a.dag-node[aria-label^="{name}:"]')


def test_workflow_nodes_change_colour_as_the_worker_runs_it(
    tf: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    gates = {"extract": tf.release("wf-extract"), "transform": tf.release("wf-transform")}
    created = tf.api.ok(CREATE_WORKFLOW, {"p": tf.project, "d": WORKFLOW, "i": gates})
    workflow = created["createWorkflow"]["id"]

    page.goto(f"{tf.base}/workflows/{workflow}")
    settled(page)
    expect(page.locator("a.dag-node")).to_have_count(3)
    page.evaluate(RECORD_NODES)
    origin = page.evaluate("performance.timeOrigin")

    expect(node(page, "extract")).to_have_attribute("data-status", "PROCESSING")
    expect(node(page, "transform")).to_have_attribute("data-status", "PENDING")
    screenshot(page, request.node.name, "workflow-running")
    tf.let_go("wf-extract")
    expect(node(page, "extract")).to_have_attribute("data-status", "SUCCEEDED")
    expect(node(page, "transform")).to_have_attribute("data-status", "PROCESSING")
    tf.let_go("wf-transform")
    expect(node(page, "load")).to_have_attribute("data-status", "SUCCEEDED", timeout=15_000)
    expect(page.locator(".page-header [data-status]").first).to_have_attribute(
        "data-status", "SUCCEEDED"
    )
    screenshot(page, request.node.name, "workflow-succeeded")

    nodes = page.evaluate("window.__nodes")
    statuses = {name: [s for s, _ in changes] for name, changes in nodes.items()}
    assert statuses["extract"][-2:] == ["PROCESSING", "SUCCEEDED"], statuses
    assert statuses["transform"] == ["PENDING", "PROCESSING", "SUCCEEDED"], statuses
    assert statuses["load"][0] == "PENDING" and statuses["load"][-1] == "SUCCEEDED", statuses
    # each state in a colour of its own
    fills = dict(nodes["transform"])
    assert len({fills["PENDING"], fills["PROCESSING"], fills["SUCCEEDED"]}) == 3, fills
    assert page.evaluate("performance.timeOrigin") == origin  # no reload
    no_errors(page)
