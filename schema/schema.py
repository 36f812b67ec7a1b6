"""The strawberry schema, built from the root types and extensions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter

from schema import argument_memo
from schema.errors import ErrorMapping, Schema
from schema.limits import QueryLimits
from schema.metrics import OperationObserver
from schema.mutation import Mutation
from schema.persisted import PersistedQueries
from schema.query import Query
from schema.subscription import Subscription
from schema.types.common import SCALARS


class MemoNameConverter(NameConverter):
    """Strawberry converts the name of every argument of a resolver on every call (to look
    it up in what graphql-core coerced): the names are few, so each is converted once."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = super().apply_naming_config(name)
        return found


def build_schema(
    *,
    extensions: Sequence[Any] = (),
    query: type[Any] = Query,
    subscription: type[Any] | None = Subscription,
) -> strawberry.Schema:
    # Documents repeat (dashboards poll, widgets share queries): parse and validate once
    # (QueryLimits caches validation). Factories, not instances: strawberry builds fresh
    # extensions per request; the parse cache lives at module level, shared by all of them.
    argument_memo.install()
    chain: list[Any] = [
        OperationObserver,  # first: it sees the errors as ErrorMapping leaves them
        ErrorMapping,
        PersistedQueries,
        QueryLimits,
        lambda: ParserCache(maxsize=1024),
    ]
    return Schema(
        query=query,
        mutation=Mutation,
        subscription=subscription,
        extensions=[*chain, *extensions],
        config=StrawberryConfig(scalar_map=SCALARS, name_converter=MemoNameConverter()),
    )


schema = build_schema()
