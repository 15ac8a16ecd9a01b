"""Parse cache: clients send the same few documents again and again.

Unlike Strawberry's ParserCache it never raises from its hook: a document that does
not parse is left to Strawberry, so its error takes the normal path (and gets its
code). Reusing the parsed document object also lets ValidationCache hit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension


class DocumentCache:
    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self.docs: OrderedDict[tuple[str, str], DocumentNode] = OrderedDict()

    def extension(self) -> Callable[[], SchemaExtension]:
        cache = self

        class CachedParse(SchemaExtension):
            def on_parse(self) -> Iterator[None]:
                ctx = self.execution_context
                key = (ctx.query or "", repr(sorted(ctx.parse_options.items())))
                doc = cache.docs.get(key)
                if doc is not None:
                    cache.docs.move_to_end(key)
                    ctx.graphql_document = doc
                yield
                if doc is None and ctx.graphql_document is not None:
                    cache.docs[key] = ctx.graphql_document
                    if len(cache.docs) > cache.maxsize:
                        cache.docs.popitem(last=False)

        return CachedParse
