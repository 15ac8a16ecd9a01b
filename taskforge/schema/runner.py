"""Strawberry's extension runner without the per-result work that no extension asks for.

A subscription's every event passes two extension steps per subscriber: the results of
each extension (``get_results``, awaited if it may be awaitable) and an
``on_stream_result`` context made of every extension's hook. None of this schema's
extensions define either, yet building and walking them was a tenth of what a server
spent per delivered message. Here only the extensions that override a hook are asked,
and a result without any hook enters no context at all; what comes out is the same.
"""

from __future__ import annotations

import contextlib
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

_NOTHING = contextlib.nullcontext()  # stateless: one serves every result


class LeanExtensionsRunner(SchemaExtensionsRunner):
    _with_results: list[SchemaExtension] | None = None
    _on_result: bool | None = None

    def _results_from(self) -> list[SchemaExtension]:
        if self._with_results is None:
            base = SchemaExtension.get_results
            self._with_results = [e for e in self.extensions if type(e).get_results is not base]
        return self._with_results

    def on_stream_result(self, result: Any) -> Any:
        if self._on_result is None:
            base = SchemaExtension.on_stream_result
            self._on_result = any(type(e).on_stream_result is not base for e in self.extensions)
        return super().on_stream_result(result) if self._on_result else _NOTHING

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._results_from():
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
