"""Reading a GraphQL request from client bytes, refusing what is malformed.

JSON is parsed by orjson, which never recurses without bound (it refuses nesting past
1024 levels) and refuses invalid UTF-8, lone surrogates, NaN and infinities. What is
not a single well-formed operation is refused with HTTP 400, before GraphQL runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from strawberry.http import GraphQLRequestData

# orjson reads an integer beyond 64 bits as a float; a run of 19 digits may be one.
# Found by mapping every digit to "0" (bytes.translate: ~20 times faster than a regex).
_DIGITS_AS_ZERO = bytes(48 if b in b"0123456789" else 32 for b in range(256))
_LONG_DIGITS = b"0" * 19


def decode_json(data: str | bytes) -> object:
    """Parse client JSON; raises ``json.JSONDecodeError`` for anything malformed."""
    value = orjson.loads(data)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG_DIGITS in raw.translate(_DIGITS_AS_ZERO):
        # Parse again with the standard library, which keeps big integers exact. Its
        # parser recurses, but orjson has just bounded the depth to 1024 levels.
        try:
            value = json.loads(data)
        except RecursionError as exc:
            raise json.JSONDecodeError("nested too deeply", "", 0) from exc
    return value


def parse_json(data: str | bytes) -> object:
    try:
        return decode_json(data)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"the request is not valid JSON: {exc.msg}") from exc


def get_params(params: Mapping[str, Any]) -> dict[str, object]:
    """The operation of a GET request, from its query string."""
    data: dict[str, object] = {
        "query": params.get("query"),
        "operationName": params.get("operationName") or None,
    }
    for key in ("variables", "extensions"):
        raw = params.get(key)
        data[key] = parse_json(raw) if raw else None
    return data


def _optional(data: dict[str, Any], key: str, kind: type, what: str) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise HTTPException(400, f"`{key}` must be {what}")
    return value


def request_data(data: object) -> GraphQLRequestData:
    """One operation from a parsed request, each member of the right type."""
    if not isinstance(data, dict):
        if isinstance(data, list):
            raise HTTPException(400, "batched requests are not supported: one operation each")
        raise HTTPException(400, "the request must be a JSON object")
    if data.get("query") is None:
        raise HTTPException(400, "the request has no `query`")
    return GraphQLRequestData(
        query=_optional(data, "query", str, "a string"),
        variables=_optional(data, "variables", dict, "an object"),
        operation_name=_optional(data, "operationName", str, "a string"),
        extensions=_optional(data, "extensions", dict, "an object"),
        protocol="http",
    )
