"""The HTTP front door: malformed requests are refused with 400 and a code, every
answer carries a request id, nothing escapes as a bare 500, outages answer 503."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

import pytest
import websockets

from taskforge.app import TaskForgeGraphQL
from taskforge.domain.errors import RateLimited, Unavailable
from taskforge.http.parsing import decode_json
from taskforge.http.websocket import TransportWSHandler
from taskforge.services import auth
from taskforge.services import jobs as job_service
from tests.helpers import asgi_client, captured_log, served

VIEWER = "{ viewer { permissions } }"
JOB = 'query GetJob { job(id: "00000000-0000-4000-8000-000000000000") { id } }'
JSON = {"content-type": "application/json"}


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def post(gql, body: dict, **headers: str):
    """POST ``body`` as JSON with the client's key (and any extra headers)."""
    headers = {"authorization": f"Bearer {gql.token}", **headers}
    return await gql.http.post("/graphql", json=body, headers=headers)


def assert_refused(resp, status: int = 400, code: str = "BAD_USER_INPUT") -> str:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["errors"][0]["extensions"]["code"] == code, body
    assert resp.headers["x-request-id"]
    message: str = body["errors"][0]["message"]
    return message


# every kind of malformed request; none needs a database, so SQLite alone runs them
MALFORMED_BODIES = {
    "a string": b'"str"',
    "null": b"null",
    "a number": b"123",
    "true": b"true",
    "a list (no batching)": json.dumps([{"query": VIEWER}]).encode(),
    "invalid UTF-8": b'{"query": "{ viewer { permissions } }", "x": "\xff\xfe"}',
    "malformed JSON": b'{"query": "{ viewer { permissions } }"',
    "JSON nested 10,000 deep in variables": (
        '{"query": "query($v: JSON) { viewer { permissions } }", "variables": {"v": '
        + nested(10_000)
        + "}}"
    ).encode(),
    "JSON nested 10,000 deep in an unused key": (
        '{"query": "{ viewer { permissions } }", "unused": ' + nested(10_000) + "}"
    ).encode(),
    "a lone surrogate": b'{"query": "{ viewer { permissions } }", "variables": {"a": "\\ud800"}}',
    "NaN": b'{"query": "{ viewer { permissions } }", "variables": {"a": NaN}}',
    "no query": b'{"variables": {}}',
    "a null query": b'{"query": null}',
    "a query that is not a string": b'{"query": 5}',
    "variables that are a number": b'{"query": "{ viewer { permissions } }", "variables": 5}',
    "variables that are a list": b'{"query": "{ viewer { permissions } }", "variables": [1]}',
    "variables that are a string": b'{"query": "{ viewer { permissions } }", "variables": "{}"}',
    "an operationName that is not a string": (
        b'{"query": "query A { viewer { permissions } }", "operationName": 1}'
    ),
    "extensions that are not an object": (
        b'{"query": "{ viewer { permissions } }", "extensions": []}'
    ),
    "several operations without operationName": json.dumps(
        {"query": "query A { viewer { permissions } } query B { viewer { apiKey { id } } }"}
    ).encode(),
    "an operationName naming no operation": json.dumps(
        {"query": "query A { viewer { permissions } }", "operationName": "C"}
    ).encode(),
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", list(MALFORMED_BODIES))
async def test_malformed_bodies_are_refused_with_a_code(gql, kind) -> None:
    resp = await gql.http.post("/graphql", content=MALFORMED_BODIES[kind], headers=JSON)
    assert_refused(resp)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_several_operations_need_a_name(gql) -> None:
    document = 'query A { viewer { permissions } } mutation B { createProject(name: "x") { id } }'
    message = assert_refused(await gql.http.post("/graphql", json={"query": document}))
    assert "operationName" in message
    # named, either one runs
    auth = {"authorization": f"Bearer {gql.token}"}
    body = (
        await gql.http.post(
            "/graphql", json={"query": document, "operationName": "A"}, headers=auth
        )
    ).json()
    assert body == {"data": {"viewer": {"permissions": ["admin"]}}}
    # one operation and fragments need no name
    single = "query { viewer { ...V } } fragment V on Viewer { permissions }"
    assert (await gql.ok(single))["viewer"]["permissions"] == ["admin"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
async def test_wrong_content_type_is_refused(gql, content_type) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps({"query": VIEWER}).encode()
    message = assert_refused(await gql.http.post("/graphql", content=body, headers=headers))
    assert "application/json" in message


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "params",
    [
        {"query": VIEWER, "variables": "not json"},
        {"query": VIEWER, "variables": "[1]"},
        {"query": VIEWER, "variables": nested(10_000)},
        {"query": VIEWER, "extensions": "7"},
        {"variables": "{}"},
        {"query": 'mutation { createProject(name: "x") { id } }'},
        {"query": "query A { viewer { permissions } } query B { viewer { permissions } }"},
    ],
    ids=[
        "variables-not-json",
        "variables-a-list",
        "variables-deep",
        "extensions",
        "no-query",
        "mutation",
        "two-operations",
    ],
)
async def test_get_with_bad_params_is_refused(gql, params) -> None:
    headers = {"accept": "application/json", "authorization": f"Bearer {gql.token}"}
    assert_refused(await gql.http.get("/graphql", params=params, headers=headers))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_subscription_over_plain_http_is_refused(gql, method) -> None:
    # a subscription needs the WebSocket; Strawberry let it run on POST and failed it
    # as INTERNAL (a non-null field with no value), with three tracebacks
    query = "subscription { jobStatusChanged { jobId } }"
    with captured_log() as log:
        if method == "GET":
            headers = {"accept": "application/json", "authorization": f"Bearer {gql.token}"}
            resp = await gql.http.get("/graphql", params={"query": query}, headers=headers)
        else:
            resp = await post(gql, {"query": query})
    assert "subscriptions are not allowed" in assert_refused(resp)
    assert "Traceback" not in log.getvalue()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_get_runs_a_query(gql) -> None:
    headers = {"accept": "application/json", "authorization": f"Bearer {gql.token}"}
    resp = await gql.http.get(
        "/graphql", params={"query": VIEWER, "variables": ""}, headers=headers
    )
    assert resp.json() == {"data": {"viewer": {"permissions": ["admin"]}}}


def test_big_integers_stay_exact_and_depth_stays_bounded() -> None:
    """orjson reads integers over 64 bits as floats: such bodies are read again, exactly
    (test_graphql's test_payloads_come_back_exactly sends them through the API); the
    second reading must not recurse past the bound either."""
    value = decode_json(b'{"v": 123456789012345678901234567890, "w": [1.5]}')
    assert value == {"v": 123456789012345678901234567890, "w": [1.5]}
    assert isinstance(value["v"], int)  # type: ignore[index]
    deep = '{"id": "1234567890123456789", "v": ' + nested(1020) + "}"
    for data in (deep, deep.encode()):
        with contextlib.suppress(json.JSONDecodeError):  # refused is fine, a crash not
            decode_json(data)


async def test_request_ids(gql) -> None:
    resp = await gql.http.post("/graphql", json={"query": VIEWER})
    generated = resp.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    again = await gql.http.post("/graphql", json={"query": VIEWER})
    assert again.headers["x-request-id"] != generated
    sane = "req-42:abc/DEF.1"
    resp = await gql.http.post("/graphql", json={"query": VIEWER}, headers={"x-request-id": sane})
    assert resp.headers["x-request-id"] == sane
    for insane in ["a" * 129, "has space", "tab\there", ""]:
        resp = await gql.http.post(
            "/graphql", json={"query": VIEWER}, headers={"x-request-id": insane}
        )
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["x-request-id"]), insane
    assert (await gql.http.get("/healthz")).headers["x-request-id"]
    assert (await gql.http.get("/nowhere")).headers["x-request-id"]


async def test_an_unexpected_error_in_a_result_carries_the_request_id(gql, monkeypatch) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("connection string postgres://secret")

    monkeypatch.setattr(job_service, "get", broken)
    with captured_log() as log:
        resp = await post(gql, {"query": JOB})
    error = resp.json()["errors"][0]
    assert resp.status_code == 200
    assert error["message"] == "Internal server error" and "secret" not in resp.text
    assert error["extensions"] == {"code": "INTERNAL", "requestId": resp.headers["x-request-id"]}
    output = log.getvalue()
    assert output.count("Traceback") == 1, output
    assert f"request {resp.headers['x-request-id']}" in output
    assert "RuntimeError: connection string" in output  # the operator sees the cause


async def test_an_escaped_exception_is_a_masked_500(gql, monkeypatch) -> None:
    async def broken(self, request, response):
        raise RuntimeError("the context exploded")

    monkeypatch.setattr(TaskForgeGraphQL, "get_context", broken)
    with captured_log() as log:
        resp = await post(gql, {"query": VIEWER}, **{"x-request-id": "client-id-1"})
    assert resp.status_code == 500
    assert resp.headers["x-request-id"] == "client-id-1"
    assert resp.json() == {
        "errors": [
            {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL", "requestId": "client-id-1"},
            }
        ]
    }
    output = log.getvalue()
    assert output.count("Traceback") == 1, output
    assert "the context exploded" in output and "request client-id-1" in output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_unavailable_is_503_with_retry_after(gql, monkeypatch) -> None:
    async def outage(*args, **kwargs):
        raise Unavailable("the database cannot be reached")

    monkeypatch.setattr(job_service, "get", outage)
    with captured_log() as log:
        resp = await post(gql, {"query": JOB})
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "1"
    body = resp.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "Traceback" not in log.getvalue()
    # other errors keep 200
    monkeypatch.undo()
    resp = await post(gql, {"query": JOB})
    assert resp.status_code == 200 and resp.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# WebSocket: a malformed message closes the connection with 4400, never crashes


async def _connect(base: str, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    return ws


async def _closed_with(ws: websockets.ClientConnection) -> int | None:
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code


WS_MALFORMED = {
    "nested 10,000 deep": nested(10_000),
    "a nested subscribe": json.dumps(
        {"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}
    ).replace('"query"', '"variables": {"v": ' + nested(5_000) + '}, "query"'),
    "a string": '"str"',
    "a list": "[1, 2]",
    "no type": "{}",
    "a subscribe without payload": '{"id": "1", "type": "subscribe"}',
    "a subscribe with a list payload": '{"id": "1", "type": "subscribe", "payload": []}',
    "a subscribe with a numeric query": '{"id": "1", "type": "subscribe", "payload": {"query": 1}}',
    "a subscribe with list variables": (
        '{"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { permissions } }", '
        '"variables": [1]}}'
    ),
    "a subscribe with a numeric id": (
        '{"id": 1, "type": "subscribe", "payload": {"query": "{ viewer { permissions } }"}}'
    ),
    "a complete with a list id": '{"id": [1], "type": "complete"}',
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_malformed_websocket_messages_close_with_4400(runtime, org) -> None:
    async with served(runtime) as base:
        with captured_log() as log:
            for kind, message in WS_MALFORMED.items():
                ws = await _connect(base, org.api_key.secret)
                await ws.send(message)
                assert await _closed_with(ws) == 4400, kind
        assert "Traceback" not in log.getvalue(), log.getvalue()
        # the server is fine
        ws = await _connect(base, org.api_key.secret)
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["payload"] == {"data": {"viewer": {"permissions": ["admin"]}}}
        await ws.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_credential_that_cannot_be_checked_closes_with_1013(
    runtime, org, monkeypatch
) -> None:
    # a database outage during connection_init is "try again later", not 4403 (a bad key)
    async def unavailable(*args, **kwargs):
        raise Unavailable("the database is unavailable")

    monkeypatch.setattr(auth, "authenticate", unavailable)
    async with served(runtime) as base:
        ws = await websockets.connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        init = {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {org.api_key.secret}"},
        }
        await ws.send(json.dumps(init))
        assert await _closed_with(ws) == 1013


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_rate_limited_connection_init_closes_with_4429(runtime, org, monkeypatch) -> None:
    # over a rate limit is "slow down", not 4403, which a client takes for a bad credential
    async def limited(*args, **kwargs):
        raise RateLimited("at most 10 connections per minute; retry after 6s", retry_after=6)

    monkeypatch.setattr(auth, "authenticate", limited)
    async with served(runtime) as base:
        ws = await websockets.connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        init = {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {org.api_key.secret}"},
        }
        await ws.send(json.dumps(init))
        assert await _closed_with(ws) == 4429


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_escaped_websocket_exception_closes_with_1011(runtime, org, monkeypatch) -> None:
    async def broken(self, message):
        raise RuntimeError("the handler exploded")

    monkeypatch.setattr(TransportWSHandler, "handle_connection_init", broken)
    async with served(runtime) as base:
        with captured_log() as log:
            ws = await websockets.connect(
                f"ws://{base}/graphql",
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                additional_headers={"x-request-id": "ws-request-7"},
            )
            assert ws.response is not None
            assert ws.response.headers["x-request-id"] == "ws-request-7"
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert await _closed_with(ws) == 1011
            for _ in range(100):  # the server logs after the close
                if "Traceback" in log.getvalue():
                    break
                await asyncio.sleep(0.01)
        output = log.getvalue()
        assert output.count("Traceback") == 1, output
        assert "the handler exploded" in output and "request ws-request-7" in output
