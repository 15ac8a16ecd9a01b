"""Subscription events rendered once per event and query, for every local subscriber
that asks the same thing.

Ten clients watching one workflow with the same subscription document receive the same
result for each of its events, yet graphql-core executes the selection set once per
subscriber. Here the event's root object is built once per event (``shared``: the tail
hands every local feed the same event dict), and ``SharedEventExecutor`` keeps each
result on that object, keyed by the operation, its variables and the caller's tenant and
permissions, so a field that reads through the caller's context (``JobStatusEvent.job``)
is never shared across tenants or rights. The results go when the event object does.

A shared result's data is a ``Rendered`` dict, encoded to JSON once: ``next_frame``
builds each subscriber's graphql-transport-ws message around that text (its operation
id is the only part of its own).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

T = TypeVar("T")
RENDERS = "_taskforge_renders"  # on a shared root object: key -> (operation, result)
ROOTS = "_taskforge_roots"  # on a dispatched event dict: builder -> root object


def encode(data: object) -> str:
    """JSON text as the WebSocket and HTTP transports send it: orjson, or json.dumps for
    what orjson refuses (integers over 64 bits)."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"))


class Rendered(dict[str, Any]):
    """The data of a result shared by subscribers, with its JSON text made on first use
    (every subscriber's message embeds the same text)."""

    __slots__ = ("_text",)
    _text: str

    def text(self) -> str:
        try:
            return self._text
        except AttributeError:
            self._text = encode(self)
            return self._text


def next_frame(message: dict[str, Any]) -> str | None:
    """A ``next`` message's JSON text, exactly as ``encode`` would write it, when its
    payload is a shared result's data alone; None otherwise."""
    payload = message.get("payload")
    if message.get("type") != "next" or not isinstance(payload, dict) or len(payload) != 1:
        return None
    data = payload.get("data")
    if type(data) is not Rendered or list(message) != ["id", "type", "payload"]:
        return None
    return f'{{"id":{encode(message["id"])},"type":"next","payload":{{"data":{data.text()}}}}}'


def shared(event: dict[str, Any], build: Callable[[dict[str, Any]], T]) -> T:
    """The event's root object from ``build``, made once for all local subscribers."""
    roots: dict[Any, Any] = event.setdefault(ROOTS, {})
    root = roots.get(build)
    if root is None:
        root = roots[build] = build(event)
        root.__dict__[RENDERS] = {}
    return root  # type: ignore[no-any-return]


class _Rendered:
    """A per-event executor that has nothing left to do: the event's result for this
    subscription's key was rendered already (for another subscriber)."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> Any:
        return self.result


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription event once per (operation, variables, tenant,
    permissions) when its root object came from ``shared``; anything else as usual."""

    _variables_key: bytes | None = None  # the coerced variables, encoded once

    def build_per_event_executor(self, payload: Any) -> Any:
        # a result rendered already is handed out before graphql-core copies this
        # executor for the event (the copy was most of what a subscriber cost)
        renders: dict[Any, Any] | None = getattr(payload, "__dict__", {}).get(RENDERS)
        if renders is not None:
            key = self._share_key()
            found = renders.get(key) if key is not None else None
            if found is not None and found[0] is self.operation:
                return _Rendered(found[1])
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        renders: dict[Any, Any] | None = getattr(self.root_value, "__dict__", {}).get(RENDERS)
        key = self._share_key() if renders is not None else None
        if renders is None or key is None:
            return super().execute_operation(serially)
        found = renders.get(key)
        # the operation is kept with its result: an id is only unique while it lives
        if found is not None and found[0] is self.operation:
            return found[1]
        result = super().execute_operation(serially)
        if self.is_awaitable(result):  # an async field: every subscriber awaits one task
            result = asyncio.ensure_future(result)
        elif isinstance(result, ExecutionResult) and result.data and not result.errors:
            result.data = Rendered(result.data)  # encoded once for every subscriber
        renders[key] = (self.operation, result)
        return result

    def _share_key(self) -> tuple[Any, ...] | None:
        principal = getattr(self.context_value, "known_principal", None)
        if principal is None:
            return None
        variables = self._variables_key
        if variables is None:
            try:
                # a subscription's variables never change: encoded once, on the
                # subscription's executor (its per-event copies inherit it)
                variables = orjson.dumps(
                    self.variable_values.coerced, option=orjson.OPT_SORT_KEYS, default=str
                )
            except (TypeError, ValueError):
                return None
            self._variables_key = variables
        return (id(self.operation), variables, principal.organization_id, principal.permissions)
