"""The dashboard's bundle as the server serves it: index.html at ``/`` and at the client
routes' paths (under a strict CSP, revalidated), hashed assets cached for good and
gzipped for the clients that accept it, every other unknown path still a 404, and all
of it behind a path prefix (ASGI root_path)."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from taskforge.app import create_app
from taskforge.config import Settings
from taskforge.web import ui
from taskforge.web.compressed import accepts_gzip


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
    "path",
    [
        "/",
        "/login",
        "/invitation",
        "/jobs",
        "/jobs/7b1f6c1e-3d4a-4e8b-9c1f-0a2b3c4d5e6f",
        "/admin",
    ],
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


async def main_script(http: httpx.AsyncClient) -> str:
    html = (await http.get("/")).text
    return re.findall(r'src="(/assets/index-[^"]+\.js)"', html)[0]


async def test_assets_are_gzipped_for_a_client_that_takes_gzip(http: httpx.AsyncClient) -> None:
    path = await main_script(http)
    original = (ui.DASHBOARD / path.lstrip("/")).read_bytes()
    async with http.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as resp:
        sent = b"".join([chunk async for chunk in resp.aiter_raw()])
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["vary"] == "Accept-Encoding"
    assert resp.headers["content-type"].startswith("text/javascript")
    assert "immutable" in resp.headers["cache-control"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert int(resp.headers["content-length"]) == len(sent)
    assert gzip.decompress(sent) == original
    assert len(sent) < len(original) / 2.5  # the main script: 312 KB -> 77 KB

    # revalidated by its ETag; the same bytes again (compressed once)
    again = await http.get(path, headers={"If-None-Match": resp.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert (await http.get(path)).content == original  # httpx asks for gzip and inflates


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "br", ""])
async def test_assets_stay_plain_for_a_client_that_does_not(
    http: httpx.AsyncClient, accept: str
) -> None:
    path = await main_script(http)
    resp = await http.get(path, headers={"Accept-Encoding": accept})
    assert resp.status_code == 200
    assert "content-encoding" not in resp.headers
    assert resp.headers["vary"] == "Accept-Encoding"  # a cache keeps the two apart
    assert resp.content == (ui.DASHBOARD / path.lstrip("/")).read_bytes()
    assert "immutable" in resp.headers["cache-control"]


@pytest.mark.parametrize(
    "path", ["/assets/missing.js", "/assets/.hidden.js", "/assets/", "/assets/x/../missing.css"]
)
async def test_unknown_assets_are_404_gzipped_or_not(http: httpx.AsyncClient, path: str) -> None:
    resp = await http.get(path, headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 404
    assert "content-encoding" not in resp.headers


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("x-gzip", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=bogus", False),
        ("", False),
    ],
)
def test_accept_encoding(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes
