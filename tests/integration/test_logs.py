"""What the server logs: a coded client error is one line, never a traceback; an
unexpected error is one traceback with the request id; JSON lines on request."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest

from taskforge.services import jobs as job_service
from tests.helpers import asgi_client, captured_log, served, subscribe

MISSING_JOB = "query GetJob($id: ID!) { job(id: $id) { id } }"


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def provoke_coded_errors(gql) -> int:
    """Many kinds of client errors, one per request; returns how many."""
    reader = gql.as_(
        (
            await gql.ok(
                'mutation { createApiKey(name: "ro", permissions: ["jobs:read"]) { secret } }'
            )
        )["createApiKey"]["secret"]
    )
    codes = []
    for token in [None, "garbage", "tf_unknown", "Bearer"] * 5:
        codes.append(await gql.as_(token).error("query Jobs { jobs { totalCount } }"))
    for _ in range(5):
        codes.append(await gql.error(MISSING_JOB, {"id": str(uuid.uuid4())}))
    codes.append(await gql.error("{ job(id: 1) { id } }"))  # not an id
    codes.append(await reader.error('mutation Make { createProject(name: "p") { id } }'))
    codes.append(await gql.error('mutation { createProject(name: "") { id } }'))
    codes.append(await gql.error("{ viewer { nope } }"))  # validation
    codes.append(await gql.error("{ viewer { "))  # syntax
    codes.append(await gql.error("query($n: Int!) { jobs(first: $n) { totalCount } }", {"n": "x"}))
    for body in (b"{bad", b'"str"', b"[" * 5000):
        resp = await gql.http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        codes.append(resp.json()["errors"][0]["extensions"]["code"])
    assert "INTERNAL" not in codes, codes
    assert {"UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "BAD_USER_INPUT"} <= set(codes)
    return len(codes)


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " taskforge.errors: " in line]


async def test_coded_errors_are_one_line_each_without_traceback(gql) -> None:
    with captured_log() as log:
        errors = await provoke_coded_errors(gql)
    output = log.getvalue()
    assert "Traceback" not in output, output
    assert "strawberry" not in output
    lines = error_lines(output)
    assert 0 < len(lines) <= errors, output
    # every line is a whole record: a logger name leads, the request context ends it
    for line in output.splitlines():
        assert re.match(r"\d{4}-\d\d-\d\d [\d:,]+ [A-Z]+ [\w.]+: ", line), line
    missing = [line for line in lines if "NOT_FOUND" in line]
    assert len(missing) == 5
    assert all("operation=GetJob" in line and "request_id=" in line for line in missing)
    assert all("organization_id=" in line for line in missing)


async def test_json_lines(gql, monkeypatch) -> None:
    with captured_log("json") as log:
        ok = await gql.http.post(
            "/graphql",
            json={"query": "query Me { viewer { permissions } }"},
            headers={"authorization": f"Bearer {gql.token}"},
        )
        assert await gql.error(MISSING_JOB, {"id": str(uuid.uuid4())}) == "NOT_FOUND"
        await gql.http.post(
            "/graphql", content=b"{bad", headers={"content-type": "application/json"}
        )

        async def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(job_service, "get", broken)
        internal = await gql.raw(MISSING_JOB, {"id": str(uuid.uuid4())})
    records = [json.loads(line) for line in log.getvalue().splitlines()]  # each line is JSON
    access = [r for r in records if r["logger"] == "taskforge.access"]
    assert [r["outcome"] for r in access] == ["ok", "NOT_FOUND", "BAD_USER_INPUT", "INTERNAL"]
    assert [r["status"] for r in access] == [200, 200, 400, 200]
    for r in access:
        assert r["method"] == "POST" and r["path"] == "/graphql"
        assert isinstance(r["duration_ms"], float) and r["request_id"] and r["time"]
    assert access[0]["request_id"] == ok.headers["x-request-id"]
    assert access[0]["operation"] == "Me"
    assert access[1]["operation"] == "GetJob"
    viewer = await gql.ok("{ viewer { organization { id } } }")
    assert access[1]["organization_id"] == viewer["viewer"]["organization"]["id"]
    assert "operation" not in access[2]  # refused before any operation was read
    errors = [r for r in records if r["logger"] == "taskforge.errors"]
    assert [r["code"] for r in errors] == ["NOT_FOUND", "BAD_USER_INPUT", "INTERNAL"]
    assert [r["level"] for r in errors] == ["INFO", "INFO", "ERROR"]
    assert errors[0]["request_id"] == access[1]["request_id"]
    assert "exc_info" not in errors[0] and "exc_info" not in errors[1]
    request_id = internal["errors"][0]["extensions"]["requestId"]
    assert errors[2]["request_id"] == request_id == access[3]["request_id"]
    assert "RuntimeError: boom" in errors[2]["exc_info"]


async def test_subscription_errors_are_one_line_each(runtime, org) -> None:
    query = "subscription($after: ID) { jobStatusChanged(after: $after) { status } }"
    async with served(runtime) as base:
        with captured_log() as log:
            for after in ["not-an-id", "-1"]:
                async with subscribe(base, org.api_key.secret, query, {"after": after}) as sub:
                    message = await sub.next()
                    assert message["type"] == "next", message
                    errors = message["payload"]["errors"]
                    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
            async with subscribe(base, org.api_key.secret, "subscription { nope }") as sub:
                message = await sub.next()
                assert message["type"] == "error", message
                assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            await asyncio.sleep(0.05)
        output = log.getvalue()
        assert "Traceback" not in output, output
        assert len(error_lines(output)) == 3, output
