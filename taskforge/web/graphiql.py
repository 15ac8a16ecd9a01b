"""The GraphiQL page (``TASKFORGE_GRAPHIQL``), served with its assets by TaskForge.

The page and every script and style it loads come from this server: GraphiQL, React
and the explorer plugin are shipped in ``static/vendor/`` at the versions
``scripts/refresh-graphiql`` pins, so the page works without internet access.
``static/graphiql.js`` starts it (the headers editor open, showing where the key goes).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_PATH = "/graphiql/static"


@cache
def _template() -> Template:
    return Template((HERE / "graphiql.html").read_text())


def page(request: Request) -> HTMLResponse:
    # relative to where the app is mounted, so it works behind a path prefix too
    static = request.scope.get("root_path", "").rstrip("/") + STATIC_PATH
    return HTMLResponse(_template().substitute(static=static))


def routes() -> list[BaseRoute]:
    return [Mount(STATIC_PATH, app=StaticFiles(directory=STATIC), name="graphiql-static")]
