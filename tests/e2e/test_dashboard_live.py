"""The dashboard against a real server and a real worker, as an operator uses it: log in
through the form; enqueue from the Jobs page and watch the row go PENDING, PROCESSING,
SUCCEEDED without a reload; cancel and retry from a job's page; pause a queue from the
Queues page and see its job wait until it is resumed; watch a workflow's nodes change
colour as the worker runs it. One server, worker and browser for the module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

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
    page.goto(tf.base + "/jobs")
    settled(page)
    origin = record_rows(page)

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
    tf.api.ok(RESUME, {"id": tf.queues["ui"]})
    wait_status(page, job, "PROCESSING")
    screenshot(page, request.node.name, "jobs-processing")
    tf.let_go("ui-job")
    wait_status(page, job, "SUCCEEDED")

    assert row_statuses(page)[job] == ["PENDING", "PROCESSING", "SUCCEEDED"]
    assert job_row(page, job).count() == 1
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
