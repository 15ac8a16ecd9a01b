"""Headless Chromium driven over the DevTools protocol, cut off from everything but
127.0.0.1: names resolve nowhere and any other request goes to a proxy port where
nothing listens. Uses the system's Chromium (Debian's ``chromium`` package); nothing
here downloads a browser."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.helpers import free_port

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def executable() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path is not None:
            return path
    pytest.fail("this test needs Chromium: apt-get install chromium", pytrace=False)


class Page:
    """One tab: DevTools commands, the events seen so far, and DOM polling."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []

    async def read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            future = self.pending.pop(message.get("id", -1), None)
            if future is not None:
                future.set_result(message)
            else:
                self.events.append(message)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        id_ = next(self.ids)
        self.pending[id_] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"id": id_, "method": method, "params": params}))
        message = await asyncio.wait_for(self.pending[id_], 10)
        assert "error" not in message, message
        result: dict[str, Any] = message["result"]
        return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float, what: str) -> Any:
        """Poll ``expression`` until it is truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s; events: {self.problems()}")
            await asyncio.sleep(0.1)

    def requested(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def problems(self) -> list[dict[str, Any]]:
        """Script exceptions and failed loads."""
        kinds = ("Runtime.exceptionThrown", "Network.loadingFailed")
        return [e["params"] for e in self.events if e.get("method") in kinds]


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Page]:
    nowhere = free_port()  # nothing listens there: the proxy for every outside request
    proc = await asyncio.create_subprocess_exec(
        executable(),
        "--headless",
        "--no-sandbox",  # the suite may run as root, where the sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=127.0.0.1:{nowhere}",
        "--proxy-bypass-list=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its helper processes go with it
    )
    try:
        port = await _devtools_port(profile / "DevToolsActivePort")
        async with httpx.AsyncClient() as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        target = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
            page = Page(ws)
            reader = asyncio.create_task(page.read())
            try:
                for domain in ("Network", "Runtime", "Page"):
                    await page.call(f"{domain}.enable")
                yield page
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def _devtools_port(path: Path, timeout: float = 20.0) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        lines = _lines(path)
        if len(lines) >= 2:  # port, then the browser's WebSocket path
            return int(lines[0])
        if loop.time() > deadline:
            raise AssertionError("Chromium did not open its DevTools port")
        await asyncio.sleep(0.05)
