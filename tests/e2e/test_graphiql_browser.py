"""GraphiQL in a real browser with no internet: `taskforge serve`'s page loads only
from the server, a query typed into it (the key in the headers editor) answers, and a
subscription run from it receives events over the WebSocket."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.chromium import Page, chromium
from tests.e2e.conftest import server

pytestmark = pytest.mark.e2e

QUERY = "{ viewer { organization { name } } }"
ORG = "Default organization"  # what `serve` creates on its first run
EDITORS = "document.querySelectorAll('.graphiql-container .CodeMirror')"
# the visible editor under the tools tab: the headers editor when the page opens
HEADERS = (
    "Array.from(document.querySelectorAll('.graphiql-editor-tool .graphiql-editor'))"
    ".find(e => !e.classList.contains('hidden')).querySelector('.CodeMirror').CodeMirror"
)
QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
RESULT = "document.querySelector('.result-window').innerText"
RUN = "document.querySelector('.graphiql-execute-button').click()"
SUBSCRIPTION = "subscription Watch { jobStatusChanged { jobId status } }"


async def drive(base: str, key: str, profile: Path) -> None:
    async with chromium(profile) as page:
        await page.call("Page.navigate", url=f"http://{base}/graphql")
        await page.wait_for(f"{EDITORS}.length >= 4", 20, "GraphiQL's editors")

        # it opens with the headers editor showing where the key goes
        shown = await page.evaluate(f"{HEADERS}.getValue()")
        assert json.loads(shown) == {"Authorization": "Bearer tf_..."}

        assert ORG not in await page.evaluate(RESULT)
        headers = json.dumps({"Authorization": f"Bearer {key}"})
        await page.evaluate(
            f"{QUERY_EDITOR}.setValue({json.dumps(QUERY)});"
            f"{HEADERS}.setValue({json.dumps(headers)});"
            f"{RUN}"
        )
        text = await page.wait_for(
            f"{RESULT}.includes({json.dumps(ORG)}) && {RESULT}", 15, "the query's result"
        )
        result = json.loads(text.replace("\xa0", " "))  # CodeMirror indents with no-break spaces
        assert result == {"data": {"viewer": {"organization": {"name": ORG}}}}

        assert not page.problems()
        local = (f"http://{base}/", "data:")
        assert [url for url in page.requested() if not url.startswith(local)] == []
        assert any(url.endswith("/graphiql.min.js") for url in page.requested())
        await subscribe_from_the_page(page, base, headers)
        assert not page.problems()
        await blocked_outside(page)


async def subscribe_from_the_page(page: Page, base: str, headers: str) -> None:
    """The page's subscriptions go over the WebSocket, the key from the headers editor
    in connection_init; the operation comes in the link (?q=), as GraphiQL shares it."""
    await page.call("Page.navigate", url=f"http://{base}/graphql?q={quote(SUBSCRIPTION)}")
    loaded = f"{EDITORS}.length >= 4 && {QUERY_EDITOR}.getValue() === {json.dumps(SUBSCRIPTION)}"
    await page.wait_for(loaded, 20, "the page with the linked subscription")
    await page.evaluate(f"{HEADERS}.setValue({json.dumps(headers)}); {RUN}")
    async with httpx.AsyncClient(base_url=f"http://{base}", headers=json.loads(headers)) as http:
        await live_subscriptions(http)
        queues = await http.post("/graphql", json={"query": "{ queues { edges { node { id } } } }"})
        queue = queues.json()["data"]["queues"]["edges"][0]["node"]["id"]
        enqueue = 'mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t"}) { id } }'
        job = await http.post("/graphql", json={"query": enqueue, "variables": {"q": queue}})
        job_id = job.json()["data"]["enqueueJob"]["id"]
    await page.wait_for(f"{RESULT}.includes({json.dumps(job_id)})", 15, "the subscription's event")
    sockets = [e["params"]["url"] for e in page.events if e["method"] == "Network.webSocketCreated"]
    assert sockets == [f"ws://{base}/graphql"]


async def live_subscriptions(http: httpx.AsyncClient, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while "taskforge_subscriptions 1" not in (await http.get("/metrics")).text:
        assert loop.time() < deadline, "the page's subscription never went live"
        await asyncio.sleep(0.05)


async def blocked_outside(page: Page) -> None:
    """The page could not have used a CDN: nothing outside 127.0.0.1 answers."""
    outcome = await page.evaluate(
        "fetch('https://unpkg.com/react@18.3.1/umd/react.production.min.js')"
        ".then(() => 'reached', () => 'blocked')"
    )
    assert outcome == "blocked"


def test_graphiql_runs_a_query_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORGE_")}
    (tmp_path / "profile").mkdir()
    with server(env, tmp_path) as (base, creds):
        asyncio.run(drive(base, creds["API key"], tmp_path / "profile"))
