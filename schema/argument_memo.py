"""Arguments of query fields converted once per distinct value, not once per resolver call.

strawberry turns graphql-core's coerced arguments into Python values (input types, enums)
on every resolver call, walking each argument's type: a dashboard of 20 strategies with a
window, an interval and a benchmark on three fields each spends about 860 of those walks
(2-3 ms, as much as its GraphQL execution otherwise costs between two loader waves). The
same field with the same arguments converts to the same values, so the conversion is
remembered by field and value, for queries only (a mutation's input is converted afresh).

Converted values are shared by the calls that asked for the same arguments: query
resolvers treat their arguments as read-only (input types are plain dataclasses; nothing
in a query assigns to one). Each call gets its own top-level dict, which strawberry extends.

strawberry has no hook for this: :func:`install` wraps the function its resolver wrapper
calls (``strawberry.schema.schema_converter.convert_arguments``), once, and
``tests/schema/test_argument_memo.py`` fails if that seam moves.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import strawberry.schema.schema_converter as converter
from graphql import OperationType
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.arguments import convert_arguments as _strawberry_convert_arguments
from strawberry.types.info import Info

MAX_ENTRIES = 4096
_original = _strawberry_convert_arguments
_memo: OrderedDict[tuple[int, Hashable], dict[str, Any]] = OrderedDict()
# A field's argument list lives as long as the schema; held here so its id stays its own.
_arguments: dict[int, list[StrawberryArgument]] = {}


class _Unhashable(Exception):
    pass


def _frozen(value: Any) -> Hashable:
    """A hashable image of a coerced argument value (dicts and lists told apart)."""
    if isinstance(value, dict):
        return (dict, tuple((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (list, tuple(_frozen(v) for v in value))
    try:
        hash(value)
    except TypeError:
        raise _Unhashable from None
    return (type(value), value)  # 1 and 1.0 and True are different arguments


def convert_arguments(
    value: dict[str, Any],
    arguments: list[StrawberryArgument],
    scalar_registry: Mapping[object, Any],
    config: Any,
    info: Info | None = None,
) -> dict[str, Any]:
    if not arguments or not value or not _is_query(info):
        return _original(value, arguments, scalar_registry, config, info)
    try:
        key = (id(arguments), _frozen(value))
    except _Unhashable:
        return _original(value, arguments, scalar_registry, config, info)
    found = _memo.get(key)
    if found is not None:
        _memo.move_to_end(key)
    else:
        found = _original(value, arguments, scalar_registry, config, info)
        _arguments.setdefault(id(arguments), arguments)
        _memo[key] = found
        if len(_memo) > MAX_ENTRIES:
            _memo.popitem(last=False)
    return dict(found)


def _is_query(info: Info | None) -> bool:
    return info is not None and info._raw_info.operation.operation is OperationType.QUERY


def install() -> None:
    """Route strawberry's argument conversion through the memo (idempotent)."""
    vars(converter)["convert_arguments"] = convert_arguments


def clear() -> None:
    _memo.clear()
