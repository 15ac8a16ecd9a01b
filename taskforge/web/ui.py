"""The dashboard (``web/``'s built bundle in ``dashboard/``), served at ``/``.

``index.html`` answers ``/`` and the client routes' prefixes (``/jobs/...``); every
other unknown path stays a 404. The bundle's ``assets/`` have content-hashed names,
so they are cached for a year, and sent gzipped to the clients that accept it
(``compressed.py``); ``index.html`` is revalidated on every load so that a
new release is picked up at once. The page runs under a strict Content Security
Policy: scripts, styles and connections from this origin only, nothing inline.

Behind a proxy that forwards a path prefix (ASGI ``root_path``, e.g. ``/tf``), the page
is served with its assets' addresses under that prefix and names it in
``<meta name="taskforge-root">``, which the client reads for the GraphQL URL and its
routes (``web/src/lib/root.ts``). The bundle is built with relative addresses
(``./assets/...``): a page can be at any depth, so the server makes them absolute, and
the scripts load their chunks relative to their own URL.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from taskforge.web.compressed import COMPRESSIBLE, GzipCache, accepts_gzip

DASHBOARD = Path(__file__).parent / "dashboard"
ASSETS = DASHBOARD / "assets"

# the first path segment of each client route (web/src/routes.tsx) besides "/"
CLIENT_PREFIXES = (
    "login",
    "invitation",
    "jobs",
    "workflows",
    "schedules",
    "workers",
    "queues",
    "admin",
)

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        # 'self' covers the same origin's ws:/wss: (CSP level 3) for the subscriptions
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
IMMUTABLE = b"public, max-age=31536000, immutable"


# what the build writes for the bundle's own files (vite.config.ts: base "./")
RELATIVE = ('src="./', 'href="./')


@lru_cache(maxsize=8)  # one page per mount path (one in practice)
def _index(root: str) -> bytes:
    """index.html for a server mounted at ``root`` ("" or "/prefix")."""
    html = (DASHBOARD / "index.html").read_text()
    prefix = escape(root, quote=True)
    for attribute in RELATIVE:
        html = html.replace(attribute, f"{attribute[:-2]}{prefix}/")
    meta = f'<meta name="taskforge-root" content="{prefix}" />'
    return html.replace("<head>", f"<head>\n    {meta}", 1).encode()


async def index(request: Request) -> Response:
    root = request.scope.get("root_path", "").rstrip("/")
    return HTMLResponse(_index(root), headers=PAGE_HEADERS)


async def favicon(_: Request) -> Response:
    return FileResponse(DASHBOARD / "favicon.svg", headers={"Cache-Control": "max-age=86400"})


class HashedAssets:
    """StaticFiles for content-hashed names: cached for good, sniffing off, gzipped
    for the clients that accept it."""

    def __init__(self, directory: Path) -> None:
        self.files = StaticFiles(directory=directory)
        self.cache = GzipCache(directory)

    async def gzipped(self, scope: Scope, name: str) -> Response | None:
        """The compressed answer, if the client takes gzip and the asset gains by it."""
        headers = Headers(scope=scope)
        if scope["method"] not in ("GET", "HEAD"):
            return None
        if not accepts_gzip(headers.get("accept-encoding", "")):
            return None
        entry = await self.cache.get(name)
        if entry is None:
            return None
        fresh = entry.etag in headers.get("if-none-match", "")
        return Response(
            b"" if fresh else entry.body,
            status_code=304 if fresh else 200,
            media_type=None if fresh else entry.media_type,
            headers={
                "Content-Encoding": "gzip",
                "Vary": "Accept-Encoding",
                "ETag": entry.etag,
                "Cache-Control": IMMUTABLE.decode(),
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # mounted at /assets: the name is what follows it (hashed names have no "/")
        name = scope["path"].rpartition("/assets/")[2] if scope["type"] == "http" else ""
        response = await self.gzipped(scope, name) if name else None
        if response is not None:
            await response(scope, receive, send)
            return
        # caches must not hand this uncompressed answer to a client that takes gzip
        varies = Path(name).suffix in COMPRESSIBLE

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                extra = [(b"cache-control", IMMUTABLE), (b"x-content-type-options", b"nosniff")]
                if varies:
                    extra.append((b"vary", b"Accept-Encoding"))
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.files(scope, receive, send_cached)


def available() -> bool:
    """Whether the bundle is in the package (``npm run build`` in ``web/`` makes it)."""
    return (DASHBOARD / "index.html").is_file()


def routes() -> list[BaseRoute]:
    if not available():
        return []
    pages: list[BaseRoute] = [Route("/", index, methods=["GET", "HEAD"])]
    for prefix in CLIENT_PREFIXES:
        pages.append(Route(f"/{prefix}", index, methods=["GET", "HEAD"]))
        pages.append(Route(f"/{prefix}/{{rest:path}}", index, methods=["GET", "HEAD"]))
    return [
        *pages,
        Route("/favicon.svg", favicon, methods=["GET", "HEAD"]),
        Mount("/assets", app=HashedAssets(ASSETS), name="dashboard-assets"),
    ]
