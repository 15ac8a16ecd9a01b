"""Seed 002's ETL end to end, as the README's "Data between steps" section writes it: its
handler module and definition file are written where it says, its shell commands run in
bash with the console script against the real server, and a real worker runs the
workflow. `load` gets extract's rows through its payload's reference and reads the same
rows through ctx.parents; its output shows both arrived. `price` maps over the same
rows: one job per row, each with its item, and the template ends with their outputs. A
run input its schema refuses is one line from the CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import server
from tests.e2e.test_readme_worker import README, console_env, run_cli, wait_until
from tests.helpers import GraphQLClient

pytestmark = pytest.mark.e2e

SECTION = "### Data between steps"
WORKFLOWS = "{ workflows(first: 10) { edges { node { id status input } } } }"
WORKFLOW = """query($id: ID!) { workflow(id: $id) { status input
  jobs { name status statusReason error payload output parentOutputs } } }"""
GRAPH = """query($id: ID!) { workflow(id: $id) { graph { groups { name count jobIds } } } }"""


def data_section() -> tuple[dict[str, str], str]:
    """The section's files (Python and YAML, by the path in their first line) and its
    shell code."""
    text = README.read_text()
    start = text.index(SECTION)
    end = min(i for i in (text.find("\n## ", start), text.find("\n### ", start + 1)) if i > 0)
    blocks = re.findall(r"```(\w+)\n(.*?)```", text[start:end], re.S)
    files = {
        code.splitlines()[0].removeprefix("# ").strip(): code
        for kind, code in blocks
        if kind in ("python", "yaml")
    }
    shell = "".join(code for kind, code in blocks if kind == "sh")
    assert len(files) == 2 and shell, "the README's data section lost its examples"
    return files, shell


def run_ok(env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["taskforge", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc
    return proc.stdout


async def test_the_readme_etl_runs_with_a_real_worker(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    files, shell = data_section()
    with server(server_env, tmp_path) as (base, creds):
        for name, code in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(code)
        env = {**console_env(server_env, f"http://{base}"), "TASKFORGE_API_KEY": creds["API key"]}
        with (tmp_path / "shell.log").open("w") as log:
            proc = subprocess.Popen(  # noqa: ASYNC220 (started once, polled without blocking)
                ["bash", "-e", "-c", shell],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the worker it starts is stopped with it
            )
        try:
            async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
                gql = GraphQLClient(http, creds["API key"])

                async def created() -> str | None:
                    edges = (await gql.ok(WORKFLOWS))["workflows"]["edges"]
                    return edges[0]["node"]["id"] if edges else None

                wf_id = await wait_until(created)

                async def ended() -> dict[str, Any] | None:
                    wf = (await gql.ok(WORKFLOW, {"id": wf_id}))["workflow"]
                    return wf if wf["status"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None

                wf = await wait_until(ended)
                log_text = (tmp_path / "shell.log").read_text()
                assert wf["status"] == "SUCCEEDED", (wf, log_text)
                jobs = {j["name"]: j for j in wf["jobs"]}
                rows = [
                    {"id": 1, "day": "2030-01-02", "amount": 21},
                    {"id": 2, "day": "2030-01-02", "amount": 42},
                ]
                assert wf["input"] == {"date": "2030-01-02"}
                assert jobs["extract"]["payload"] == {"day": "2030-01-02"}
                assert jobs["load"]["payload"] == {"rows": rows, "table": "sales_2030-01-02"}
                # the rows arrived through the payload and through ctx.parents
                assert jobs["load"]["output"] == {
                    "table": "sales_2030-01-02",
                    "rows": rows,
                    "same": True,
                }
                assert jobs["load"]["parentOutputs"] == {
                    "extract": {"rows": rows, "validation_status": "valid"}
                }
                # price: a job per row extract returned, each given its own row
                priced = [{"id": 1, "cents": 2100, "n": 0}, {"id": 2, "cents": 4200, "n": 1}]
                for i, row in enumerate(rows):
                    child = jobs[f"price[{i}]"]
                    assert child["status"] == "SUCCEEDED", child
                    assert child["payload"] == {"row": row, "n": i, "day": "2030-01-02"}
                    assert child["output"] == priced[i]
                assert jobs["price"]["status"] == "SUCCEEDED"
                assert jobs["price"]["output"] == {"count": 2, "outputs": priced}
                assert len(jobs) == 5  # extract, load, price and its two children
                graph = (await gql.ok(GRAPH, {"id": wf_id}))["workflow"]["graph"]
                [group] = graph["groups"]
                assert (group["name"], group["count"]) == ("price", 2)
                shown = run_ok(env, tmp_path, "workflow", "show", wf_id)
                assert re.search(r'^input:\s+\{"date": "2030-01-02"\}$', shown, re.M), shown
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)

        refused = ("--file", "etl-data.yaml", "--input", '{"date": "someday"}', "--start")
        assert run_cli(env, tmp_path, "workflow", "create", *refused) == (
            "error: BAD_USER_INPUT: input does not match input_schema at $.date: "
            "'someday' is not a 'date'"
        )
