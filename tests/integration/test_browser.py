"""Browser apps and the production switches, over the API: CORS for allowed origins and
nothing for others, the WebSocket Origin check, introspection off, GraphiQL off, and the
GraphiQL page whose every asset is served by TaskForge itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import websockets

from taskforge.app import create_app
from taskforge.config import Limits, Settings
from tests.conftest import make_settings
from tests.helpers import served

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
VIEWER = "{ viewer { organization { name } } }"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, x-request-id",
}


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}  # tests parametrize this with the settings they need


@pytest.fixture
def settings(database_url: str, tmp_path: Path, overrides: dict[str, Any]) -> Settings:
    return make_settings(database_url, tmp_path, **overrides)


@pytest.fixture
async def http(runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def cors_headers(resp: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}


def listed(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",")}


def allowed(*origins: str) -> Any:
    return pytest.mark.parametrize("overrides", [{"cors_origins": list(origins)}])


@allowed(APP)
async def test_preflight_and_request_from_an_allowed_origin(http, org) -> None:
    pre = await http.options("/graphql", headers={"Origin": APP, **PREFLIGHT})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == APP
    assert {"get", "post", "options"} <= listed(pre.headers["access-control-allow-methods"])
    assert {"authorization", "content-type", "x-request-id"} <= listed(
        pre.headers["access-control-allow-headers"]
    )
    assert "access-control-allow-credentials" not in pre.headers  # bearer keys, no cookies

    key = {"Authorization": f"Bearer {org.api_key.secret}"}
    resp = await http.post("/graphql", json={"query": VIEWER}, headers={"Origin": APP, **key})
    assert resp.json() == {"data": {"viewer": {"organization": {"name": "Acme"}}}}
    assert resp.headers["access-control-allow-origin"] == APP
    assert "x-request-id" in listed(resp.headers["access-control-expose-headers"])
    assert "origin" in listed(resp.headers["vary"])


@pytest.mark.parametrize(
    "overrides", [{"cors_origins": [APP], "limits": Limits(request_bytes=200)}]
)
async def test_refusals_carry_cors_headers_too(http) -> None:
    """CORS is outermost: a browser app can read the error that refused it."""
    resp = await http.post("/graphql", json={"query": "x" * 300}, headers={"Origin": APP})
    assert resp.status_code == 413
    assert resp.headers["access-control-allow-origin"] == APP


@allowed(APP)
async def test_other_origins_get_no_cors_headers(http, org) -> None:
    pre = await http.options("/graphql", headers={"Origin": EVIL, **PREFLIGHT})
    assert pre.status_code == 400
    assert cors_headers(pre) == {}

    key = {"Authorization": f"Bearer {org.api_key.secret}"}
    resp = await http.post("/graphql", json={"query": VIEWER}, headers={"Origin": EVIL, **key})
    assert resp.status_code == 200  # the browser, not the server, keeps it from the page
    assert cors_headers(resp) == {}
    # a preflight asking for a header GraphQL clients do not need is refused
    odd = {**PREFLIGHT, "Access-Control-Request-Headers": "x-unknown"}
    assert (await http.options("/graphql", headers={"Origin": APP, **odd})).status_code == 400


async def test_no_cors_unless_configured(http, org) -> None:
    pre = await http.options("/graphql", headers={"Origin": APP, **PREFLIGHT})
    assert cors_headers(pre) == {}
    resp = await http.post("/graphql", json={"query": VIEWER}, headers={"Origin": APP})
    assert cors_headers(resp) == {}


@allowed("*")
async def test_star_allows_any_origin(http, org) -> None:
    pre = await http.options("/graphql", headers={"Origin": EVIL, **PREFLIGHT})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    resp = await http.post("/graphql", json={"query": VIEWER}, headers={"Origin": EVIL})
    assert resp.headers["access-control-allow-origin"] == "*"


async def ws_init(base: str, token: str, origin: str | None) -> str:
    """Open a graphql-transport-ws connection from ``origin``; the first message's type."""
    async with websockets.connect(
        f"ws://{base}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        message: str = json.loads(await ws.recv())["type"]
        return message


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [({"cors_origins": [APP]}, {EVIL}), ({"cors_origins": ["*"]}, set()), ({}, {APP, EVIL})],
)
async def test_websocket_origin_check(runtime, org, refused: set[str]) -> None:
    """Browser pages on listed origins may subscribe, others are refused at the
    handshake; the server's own page and non-browser clients always connect."""
    async with served(runtime) as base:
        for origin in (None, APP, EVIL, f"http://{base}"):  # no Origin: not a browser
            if origin in refused:
                with pytest.raises(websockets.InvalidStatus) as refusal:
                    await ws_init(base, org.api_key.secret, origin)
                assert refusal.value.response.status_code == 403
            else:
                assert await ws_init(base, org.api_key.secret, origin) == "connection_ack"


@pytest.mark.parametrize("overrides", [{"introspection": False}])
async def test_introspection_off(http, org) -> None:
    key = {"Authorization": f"Bearer {org.api_key.secret}"}

    async def run(query: str) -> dict[str, Any]:
        body: dict[str, Any] = (
            await http.post("/graphql", json={"query": query}, headers=key)
        ).json()
        return body

    for query in ("{ __schema { queryType { name } } }", '{ __type(name: "Job") { name } }'):
        body = await run(query)
        assert body.get("data") is None
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert (await run("{ __typename }"))["data"] == {"__typename": "Query"}
    assert (await run(VIEWER))["data"]["viewer"]["organization"]["name"] == "Acme"

    typo = await run("{ viewer { organization { nam } } }")
    [error] = typo["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Did you mean" not in error["message"]
    assert "'name'" not in error["message"]


@pytest.mark.parametrize("overrides", [{"graphiql": False}])
async def test_graphiql_off(http, org) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert (await http.get("/graphiql/static/graphiql.js")).status_code == 404
    key = {"Authorization": f"Bearer {org.api_key.secret}"}
    resp = await http.post("/graphql", json={"query": VIEWER}, headers=key)
    assert resp.json()["data"]["viewer"]["organization"]["name"] == "Acme"


class References(HTMLParser):
    """Every URL an HTML page makes a browser load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


async def test_graphiql_page_and_its_assets_are_served_locally(http) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parser = References()
    parser.feed(page.text)
    loaded = [u for u in parser.urls if not u.startswith("data:")]
    assert len(loaded) >= 7  # GraphiQL, its styles, React, ReactDOM, the explorer, ours
    for ref in loaded:
        url = urljoin("http://test/graphql", ref)
        assert urlsplit(url).netloc == "test", f"{ref} is not served by TaskForge"
        asset = await http.get(url)
        assert asset.status_code == 200, ref
        assert asset.content, ref
        kind = "text/css" if ref.endswith(".css") else "text/javascript"
        assert asset.headers["content-type"].startswith(kind), ref


async def test_graphiql_page_behind_a_path_prefix(runtime) -> None:
    """Mounted under /tf by a proxy (ASGI root_path), the page asks for /tf/... assets."""
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), root_path="/tf")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/tf/graphql", headers={"Accept": "text/html"})
        parser = References()
        parser.feed(page.text)
        for ref in (u for u in parser.urls if not u.startswith("data:")):
            assert ref.startswith("/tf/graphiql/static/"), ref
            assert (await client.get(ref)).status_code == 200, ref
