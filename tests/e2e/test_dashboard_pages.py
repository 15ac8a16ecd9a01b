"""Every page of the dashboard in a real browser, with something to show: axe-core finds
no serious or critical accessibility violation on it, it raised no script error, and its
screenshot is saved (test-artifacts/screenshots/test_page-<page>.png). And the way in
for someone invited: the admin's link, opened elsewhere, signs them in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.dashboard import (
    Site,
    accessibility_problems,
    no_errors,
    screenshot,
    settled,
    site,
)

pytestmark = pytest.mark.e2e

WORKFLOW = {
    "name": "nightly",
    "jobs": [
        {"name": "extract", "job_type": "noop"},
        {"name": "transform", "job_type": "noop", "depends_on": ["extract"]},
        {"name": "load", "job_type": "noop", "depends_on": ["transform"]},
    ],
}
CREATE_WORKFLOW = """mutation($p: ID!, $d: JSON!) {
  createWorkflow(input: {projectId: $p, definition: $d, start: true}) { id } }"""
CREATE_SCHEDULE = """mutation($q: ID!) { createSchedule(input: {name: "hourly report",
  type: CRON, expression: "0 * * * *", queueId: $q, jobType: "noop"}) { id } }"""
WORKFLOW_STATUS = "query($id: ID!) { workflow(id: $id) { status } }"
DEFAULT_QUEUE = "{ queues { edges { node { id name } } } }"
INVITE = """mutation($e: String!) { inviteUser(email: $e, role: MEMBER) { token } }"""


@pytest.fixture(scope="module")
def tf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, str]]]:
    """A server whose organization has a finished job, a finished workflow and a
    schedule: the paths of the pages that show one of them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    with site(env, tmp_path_factory.mktemp("pages")) as here:
        queues = here.api.ok(DEFAULT_QUEUE)["queues"]["edges"]
        default = next(q["node"]["id"] for q in queues if q["node"]["name"] == "default")
        job = here.api.enqueue(default, "noop")
        workflow = here.api.ok(CREATE_WORKFLOW, {"p": here.project, "d": WORKFLOW})
        workflow_id = workflow["createWorkflow"]["id"]
        schedule = here.api.ok(CREATE_SCHEDULE, {"q": default})["createSchedule"]["id"]
        here.api.until_status(job, "SUCCEEDED")
        paths = {
            "overview": "/",
            "jobs": "/jobs",
            "job": f"/jobs/{job}",
            "workflows": "/workflows",
            "workflow": f"/workflows/{workflow_id}",
            "schedules": "/schedules",
            "schedule": f"/schedules/{schedule}",
            "workers": "/workers",
            "queues": "/queues",
            "admin": "/admin",
        }
        yield here, paths


PAGES = [
    "overview",
    "jobs",
    "job",
    "workflows",
    "workflow",
    "schedules",
    "schedule",
    "workers",
    "queues",
    "admin",
]


@pytest.mark.parametrize("name", PAGES)
def test_page(tf: tuple[Site, dict[str, str]], name: str) -> None:
    here, paths = tf
    page = here.page()
    page.goto(here.base + paths[name])
    settled(page)
    assert page.locator("main h1").count() == 1, page.content()
    assert "/login" not in page.url
    # the organization's admin sees the page itself, not the "admins only" notice
    assert page.get_by_role("alert").filter(has_text="admins").count() == 0
    screenshot(page, "test_page", name)
    problems = accessibility_problems(page)
    assert not problems, "axe-core, serious or critical:\n" + "\n".join(problems)
    no_errors(page)


def test_login_page(tf: tuple[Site, dict[str, str]]) -> None:
    here, _ = tf
    page = here.page(signed_in=False)
    page.goto(here.base + "/jobs")
    page.wait_for_url("**/login?next=%2Fjobs")
    page.get_by_role("button", name="Sign in").wait_for()
    screenshot(page, "test_page", "login")
    problems = accessibility_problems(page)
    assert not problems, "axe-core, serious or critical:\n" + "\n".join(problems)
    no_errors(page)


def test_invitation_page(tf: tuple[Site, dict[str, str]]) -> None:
    here, _ = tf
    token = here.api.ok(INVITE, {"e": "axe@pages.test"})["inviteUser"]["token"]
    page = here.page(signed_in=False)
    page.goto(f"{here.base}/invitation#token={token}")
    page.get_by_role("button", name="Join").wait_for()
    assert page.get_by_label("Invitation token").count() == 0  # the link carries it
    screenshot(page, "test_page", "invitation")
    problems = accessibility_problems(page)
    assert not problems, "axe-core, serious or critical:\n" + "\n".join(problems)
    no_errors(page)


def test_an_invited_person_joins_through_the_admin_link(tf: tuple[Site, dict[str, str]]) -> None:
    here, _ = tf
    admin = here.page()
    admin.goto(here.base + "/admin")
    settled(admin)
    form = admin.get_by_role("form", name="Invite a user")
    form.get_by_label("Email").fill("grace@pages.test")
    form.get_by_role("button", name="Invite").click()
    field = admin.get_by_label("Invitation link")
    expect(field).to_have_value(re.compile("^" + re.escape(here.base + "/invitation#token=")))
    link = field.input_value()
    no_errors(admin)

    invited = here.page(signed_in=False)  # another browser: nothing kept from the admin
    invited.goto(link)
    invited.get_by_label("Name").fill("Grace")
    invited.get_by_label("Password", exact=True).fill("grace-horse-battery")
    invited.get_by_label("Confirm the password").fill("grace-horse-battery")
    invited.get_by_role("button", name="Join").click()
    invited.wait_for_url(here.base + "/")
    settled(invited)
    expect(invited.locator(".app-header .who")).to_contain_text("grace@pages.test")
    expect(invited.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    # signed in as the member invited, not as anyone else: no Admin in the navigation
    navigation = invited.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Jobs")).to_be_visible()
    expect(navigation.get_by_role("link", name="Admin")).to_have_count(0)
    no_errors(invited)

    # the link works once: opened again, the server refuses it and the page says why
    again = here.page(signed_in=False)
    again.goto(link)
    again.get_by_label("Name").fill("Mallory")
    again.get_by_label("Password", exact=True).fill("another-horse-battery")
    again.get_by_label("Confirm the password").fill("another-horse-battery")
    again.get_by_role("button", name="Join").click()
    expect(again.get_by_role("alert")).to_contain_text("not valid")
    assert "/invitation" in again.url
    no_errors(again, allowed=lambda e: "NOT_FOUND" in e or "not found" in e)


def test_the_check_sees_a_violation(tf: tuple[Site, dict[str, str]]) -> None:
    """The check itself: a button without a name, put on a page that passed, is found
    (axe-core really ran on the page, its findings are read)."""
    here, _ = tf
    page = here.page(signed_in=False)
    page.goto(here.base + "/login")
    page.get_by_role("button", name="Sign in").wait_for()
    page.evaluate("document.querySelector('form').append(document.createElement('button'))")
    problems = accessibility_problems(page)
    assert len(problems) == 1 and problems[0].startswith("button-name (critical)"), problems
