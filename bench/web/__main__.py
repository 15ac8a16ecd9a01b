"""`python -m bench.web`: prepare the data, serve it, time the pages, print the report
(what is measured: this package's docstring)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

import bench.web
from bench.web.browser import Visit, measure_page, replay
from bench.web.data import EMAIL, PASSWORD, prepare
from bench.web.frames import frames_under_load
from bench.web.server import gql, serve


def verdict(value: float, target: float) -> str:
    return "meets" if value < target else "MISSES"


def report_page(
    title: str, cold: float, warm: list[float], visit_: Visit, http: httpx.Client, n: int
) -> None:
    median = statistics.median(warm) if warm else float("nan")
    print(f"\n{title}")
    for name, value in (
        ("cold (a fresh context)", cold),
        (f"warm (median of {len(warm)})", median),
    ):
        print(f"  {'painted, ' + name:<52}{value:>9.0f} ms  {verdict(value, 1000)} < 1 s")
    steps = ", ".join(f"{name} {at:.0f} ms" for name, at in visit_.milestones.items())
    print(f"  cold visit: {steps}")
    print(f"  {'GraphQL request':<32}{'in the browser':>20}{f'replayed x{n}':>16}")
    for sent in visit_.requests:
        server = replay(http, sent, n)
        print(f"  {sent.name:<32}{sent.browser_ms:>17.1f} ms{server:>13.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.web", description=(bench.web.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=100, help="status changes a second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=5, help="warm navigations per page")
    parser.add_argument("--replays", type=int, default=20, help="replays of each request")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="taskforge-bench-web-"))
    try:
        prepared = asyncio.run(prepare(args, data))
        with serve(prepared.env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
            login = (
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
            )
            with httpx.Client(base_url=base, timeout=60) as anonymous:
                token = gql(anonymous, login, {"e": EMAIL, "p": PASSWORD})["login"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                loadavg = os.getloadavg()[0]  # the machine is often shared: say how busy
                jobs_page = measure_page(browser, token, f"{base}/jobs", "rows", args.runs)
                wf_url = f"{base}/workflows/{prepared.workflow}"
                wf_page = measure_page(browser, token, wf_url, "graph", args.runs)
                load = frames_under_load(browser, token, wf_url, prepared, base, args)

                db = "PostgreSQL" if args.postgres else "SQLite (embedded)"
                print(
                    f"\n{db}, {args.jobs:,} jobs, a {args.nodes:,}-node workflow; one server "
                    f"process, headless Chromium, {os.cpu_count()} cores shared (load average "
                    f"{loadavg:.1f} at the start of the browser runs)"
                )
                report_page(f"jobs page ({args.jobs:,} jobs)", *jobs_page, http, args.replays)
                report_page(f"workflow page ({args.nodes:,} nodes)", *wf_page, http, args.replays)
            browser.close()
        idle, busy = load
        print(f"\nworkflow page frames: at rest, then with {args.rate} status changes/s")
        print(f"  {'':<44}{'at rest':>10}{'changing':>10}")
        for name, value in busy.items():
            rest = f"{idle[name]:>10.1f}" if name in idle else f"{'':>10}"
            target = f"  {verdict(value, 50)} < 50 ms" if name == "longest frame ms" else ""
            print(f"  {name:<44}{rest}{value:>10.1f}{target}")
        figures = {"jobs_cold_ms": jobs_page[0], "workflow_cold_ms": wf_page[0], **busy}
        print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
