"""The dashboard's bundle as the server serves it: index.html at ``/`` and at the client
routes' paths (under a strict CSP, revalidated), hashed assets cached for good, every
other unknown path still a 404, and all of it behind a path prefix (ASGI root_path)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from taskforge.app import create_app
from taskforge.config import Settings
from taskforge.web import ui


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # no lifespan: these paths never touch the database
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def served(root: str) -> bytes:
    """The built index.html as a server mounted at ``root`` serves it: the bundle's
    relative addresses under the mount path, which a meta element names."""
    html = (ui.DASHBOARD / "index.html").read_text()
    assert 'src="./assets/' in html and 'href="./assets/' in html  # built with base "./"
    html = html.replace('src="./', f'src="{root}/').replace('href="./', f'href="{root}/')
    meta = f'<meta name="taskforge-root" content="{root}" />'
    return html.replace("<head>", f"<head>\n    {meta}", 1).encode()


def test_the_bundle_is_in_the_package() -> None:
    assert ui.available()


@pytest.mark.parametrize(
    "path", ["/", "/login", "/jobs", "/jobs/7b1f6c1e-3d4a-4e8b-9c1f-0a2b3c4d5e6f", "/admin"]
)
async def test_client_routes_serve_index_html(http: httpx.AsyncClient, path: str) -> None:
    resp = await http.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.content == served("")
    assert resp.headers["cache-control"] == "no-cache"
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


async def test_the_page_has_no_inline_script_or_style(http: httpx.AsyncClient) -> None:
    html = (await http.get("/")).text
    assert "<style" not in html
    assert " style=" not in html
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert tag.strip() == "", "inline script: the CSP would block it"


async def test_assets_are_served_and_cached(http: httpx.AsyncClient) -> None:
    html = (await http.get("/jobs/1")).text
    scripts = re.findall(r'src="(/assets/[^"]+\.js)"', html)
    styles = re.findall(r'href="(/assets/[^"]+\.css)"', html)
    assert scripts and styles
    for path in (*scripts, *styles):
        resp = await http.get(path)
        assert resp.status_code == 200, path
        assert resp.content == (ui.DASHBOARD / path.lstrip("/")).read_bytes()
        assert "immutable" in resp.headers["cache-control"]
    assert (
        (await http.get(scripts[0]))
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )
    assert (await http.get("/favicon.svg")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/nope", "/assets/missing.js", "/jobsx", "/graphql/extra", "/index.html"]
)
async def test_unknown_paths_still_404(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.get(path)).status_code == 404


async def test_the_api_is_not_shadowed(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json()["status"] == "ok"
    resp = await http.post("/graphql", json={"query": "{ __typename }"})
    assert resp.json() == {"data": {"__typename": "Query"}}


async def test_the_switch_turns_it_off(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", dashboard=False)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/")).status_code == 404


async def test_behind_a_path_prefix(tmp_path: Path) -> None:
    """Mounted under /tf by a proxy: the page names /tf for the client (GraphQL URL,
    routes) and its scripts, styles and icon load from /tf/..."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    transport = httpx.ASGITransport(app=create_app(settings), root_path="/tf")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/tf/", "/tf/jobs/1", "/tf/workflows"):
            resp = await client.get(path)
            assert resp.status_code == 200, path
            assert resp.content == served("/tf"), path
        refs = re.findall(r'(?:src|href)="([^"]+)"', resp.text)
        assert len(refs) >= 3 and all(ref.startswith("/tf/") for ref in refs), refs
        for ref in refs:
            assert (await client.get(ref)).status_code == 200, ref


async def test_the_page_names_no_prefix_at_the_root(http: httpx.AsyncClient) -> None:
    html = (await http.get("/")).text
    assert '<meta name="taskforge-root" content="" />' in html
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs)
