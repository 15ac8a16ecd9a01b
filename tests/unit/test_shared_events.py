"""A subscription event shared by several subscribers is encoded once: each one's
``next`` message is built around the shared text, and must be exactly what encoding the
whole message would give."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from taskforge.http.view import GraphQLView
from taskforge.schema.shared_events import Rendered, encode, next_frame

DATA = {
    "workflowProgress": {
        "eventId": "42",
        "jobId": None,
        "jobStatus": "SUCCEEDED",
        "stats": {"total": 3, "completionPercentage": 66.7, "counts": [{"n": 1}]},
        "reason": 'quote " backslash \\ é \u2028 tab\t',
    }
}


@pytest.mark.parametrize("op_id", ["1", 'op-"x"\\y', "é" * 128])
def test_a_shared_next_frame_is_the_message_encoded(op_id: str) -> None:
    message = {"id": op_id, "type": "next", "payload": {"data": Rendered(DATA)}}
    frame = next_frame(message)
    assert frame == orjson.dumps(message).decode() == encode(message)
    assert json.loads(frame or "") == {"id": op_id, "type": "next", "payload": {"data": DATA}}


def test_the_shared_text_is_made_once() -> None:
    data = Rendered(DATA)
    first = next_frame({"id": "a", "type": "next", "payload": {"data": data}})
    data["workflowProgress"] = {"changed": True}  # never happens: shows the text is kept
    second = next_frame({"id": "b", "type": "next", "payload": {"data": data}})
    assert first is not None and second is not None
    assert first.replace('"a"', '"b"', 1) == second


@pytest.mark.parametrize(
    "message",
    [
        {"id": "1", "type": "next", "payload": {"data": dict(DATA)}},  # not shared
        {"id": "1", "type": "next", "payload": {"data": Rendered(DATA), "errors": []}},
        {"id": "1", "type": "next", "payload": {"data": Rendered(DATA), "extensions": {}}},
        {"id": "1", "type": "error", "payload": {"data": Rendered(DATA)}},
        {"type": "next", "id": "1", "payload": {"data": Rendered(DATA)}},  # other key order
        {"data": Rendered(DATA)},  # an HTTP response
    ],
)
def test_anything_else_is_encoded_whole(message: dict[str, Any]) -> None:
    assert next_frame(message) is None
    assert GraphQLView.encode_json(None, message) == orjson.dumps(message).decode()  # type: ignore[arg-type]


def test_integers_orjson_refuses_are_still_encoded() -> None:
    big = Rendered({"n": 2**70})
    frame = next_frame({"id": "1", "type": "next", "payload": {"data": big}})
    assert frame == '{"id":"1","type":"next","payload":{"data":{"n":1180591620717411303424}}}'
