"""The strawberry schema, built from the root types and extensions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from schema.errors import ErrorMapping
from schema.metrics import OperationObserver
from schema.mutation import Mutation
from schema.query import Query
from schema.types.common import SCALARS


def build_schema(
    *,
    extensions: Sequence[Any] = (),
    query: type[Any] = Query,
    subscription: type[Any] | None = None,
) -> strawberry.Schema:
    # Documents repeat (dashboards poll, widgets share queries): parse and validate once.
    # Factories, not instances: strawberry builds extensions per request; the caches behind
    # ParserCache and ValidationCache are module-level, so they still span requests.
    chain: list[Any] = [
        OperationObserver,  # first: it sees the errors as ErrorMapping leaves them
        ErrorMapping,
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
    ]
    return strawberry.Schema(
        query=query,
        mutation=Mutation,
        subscription=subscription,
        extensions=[*chain, *extensions],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


schema = build_schema()
