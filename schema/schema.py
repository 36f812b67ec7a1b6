"""The strawberry schema, built from the root types and extensions."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.extensions import SchemaExtension

from schema.errors import ErrorMapping
from schema.query import Query


def build_schema(*, extensions: Sequence[type[SchemaExtension]] = ()) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=[ErrorMapping, *extensions])


schema = build_schema()
