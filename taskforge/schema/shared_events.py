"""Subscription events rendered once per event and query, for every local subscriber
that asks the same thing.

Ten clients watching one workflow with the same subscription document receive the same
result for each of its events, yet graphql-core executes the selection set once per
subscriber. Here the event's root object is built once per event (``shared``: the tail
hands every local feed the same event dict), and ``SharedEventExecutor`` keeps each
result on that object, keyed by the operation, its variables and the caller's tenant and
permissions, so a field that reads through the caller's context (``JobStatusEvent.job``)
is never shared across tenants or rights. The results go when the event object does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

T = TypeVar("T")
RENDERS = "_taskforge_renders"  # on a shared root object: key -> (operation, result)
ROOTS = "_taskforge_roots"  # on a dispatched event dict: builder -> root object


def shared(event: dict[str, Any], build: Callable[[dict[str, Any]], T]) -> T:
    """The event's root object from ``build``, made once for all local subscribers."""
    roots: dict[Any, Any] = event.setdefault(ROOTS, {})
    root = roots.get(build)
    if root is None:
        root = roots[build] = build(event)
        root.__dict__[RENDERS] = {}
    return root  # type: ignore[no-any-return]


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription event once per (operation, variables, tenant,
    permissions) when its root object came from ``shared``; anything else as usual."""

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
        renders[key] = (self.operation, result)
        return result

    def _share_key(self) -> tuple[Any, ...] | None:
        principal = getattr(self.context_value, "known_principal", None)
        if principal is None:
            return None
        try:
            # orjson: every subscriber computes its key for every event it is sent
            variables = orjson.dumps(
                self.variable_values.coerced, option=orjson.OPT_SORT_KEYS, default=str
            )
        except (TypeError, ValueError):
            return None
        return (id(self.operation), variables, principal.organization_id, principal.permissions)
