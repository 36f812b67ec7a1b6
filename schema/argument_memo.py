"""Arguments of query fields converted once per distinct value, not once per resolver call.

strawberry turns graphql-core's coerced arguments into Python values (input types, enums)
on every resolver call, walking each argument's type: a dashboard of 20 strategies with a
window, an interval and a benchmark on three fields each spends about 860 of those walks
(about 3 ms, as much as its GraphQL execution otherwise costs between two loader waves). The
same field with the same arguments converts to the same values, so the conversion is
remembered by field and value, for queries only (a mutation's input is converted afresh).

Converted values are shared by the calls that asked for the same arguments: query
resolvers treat their arguments as read-only (input types are plain dataclasses; nothing
in a query assigns to one). Each call gets its own top-level dict, which strawberry extends.
Only small arguments without lists are remembered (see :func:`_frozen`), so the memo's size
stays bounded by its entry count whatever clients send.

strawberry has no hook for this: :func:`install` wraps the function its resolver wrapper
calls (``strawberry.schema.schema_converter.convert_arguments``), once, and
``tests/schema/test_argument_memo.py`` fails if that seam moves.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from datetime import datetime
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


MAX_NODES = 32  # a window, an interval, a benchmark... not a client's bulk input
MAX_TEXT = 256


class _NotMemoised(Exception):
    """A value the memo does not hold: large, unhashable, or holding a list."""


def _frozen(value: Any, budget: list[int]) -> Hashable:
    """An exact, hashable image of a coerced argument value.

    Values with a list are not memoised: strawberry copies each list it hands a resolver
    (so that nothing one request does to it reaches the next), and a shared one could not
    be. Neither are values of more than ``MAX_NODES`` values or with long strings: the
    memo holds small arguments only, whatever a client sends."""
    budget[0] -= 1
    if budget[0] < 0 or isinstance(value, list | tuple):
        raise _NotMemoised
    if isinstance(value, dict):
        return (dict, tuple((k, _frozen(v, budget)) for k, v in value.items()))
    if isinstance(value, str | bytes):
        budget[0] -= len(value) // 32  # a key holds about a kilobyte of text at most
        if len(value) > MAX_TEXT or budget[0] < 0:
            raise _NotMemoised
    try:
        hash(value)
    except TypeError:
        raise _NotMemoised from None
    if isinstance(value, float | datetime):
        # Equal is not the same: -0.0 and 0.0; one instant at two UTC offsets.
        return (type(value), value, repr(value))
    return (type(value), value)  # 1, 1.0 and True are different arguments


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
        key = (id(arguments), _frozen(value, [MAX_NODES]))
    except _NotMemoised:
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
