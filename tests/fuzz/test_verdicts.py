"""What the fuzz stage counts as a defect: it must catch each kind of broken answer
and pass every coded client error."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.fuzz.verdicts import problem


def _response(status: int, body: Any) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return resp


def _error(message: str, **extensions: Any) -> dict[str, Any]:
    return {"data": None, "errors": [{"message": message, "extensions": extensions}]}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"Internal Server Error"),
        (502, _error("x", code="BAD_USER_INPUT")),
        (200, _error("Internal server error", code="INTERNAL")),
        (200, _error("boom")),  # no code at all
        (200, {"data": None, "errors": [{"message": "boom"}]}),
        (
            200,
            _error("Cannot return null for non-nullable field Job.queue.", code="BAD_USER_INPUT"),
        ),
        (200, b"<html>"),
        (200, [1, 2]),
        (400, b"not json"),
    ],
)
def test_a_broken_answer_is_a_defect(status: int, body: Any) -> None:
    assert problem(_response(status, body)) is not None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"data": {"viewer": {"permissions": []}}}),
        *(
            (200, _error("no", code=code))
            for code in ("BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "UNAUTHENTICATED", "FORBIDDEN")
        ),
        (400, _error("Syntax Error", code="BAD_USER_INPUT")),
        (413, _error("too large", code="BAD_USER_INPUT")),
        (429, _error("slow down", code="RATE_LIMITED")),
    ],
)
def test_a_coded_client_error_is_not(status: int, body: Any) -> None:
    assert problem(_response(status, body)) is None
