"""A subscription's selection set compiled once, for events whose fields are plain attributes.

graphql-core executes each subscription event field by field: for every field it builds a
resolve info and a path, coerces the arguments, calls strawberry's resolver wrapper and
completes the value; about 200 µs for the ten fields of a performance update. A topic runs
the same selection on every event, and every field of the live event types is a plain
attribute, so the selection is compiled once into a tree of (response key, attribute read,
completion) and an event costs a few attribute reads and scalar serialisations.

The plan does what graphql-core does for such a selection: fields collected with the
operation's fragments and ``@skip``/``@include`` under its variables, in the same order,
aliases, ``__typename``, non-null and list types, and leaf values serialised by the schema's
own scalar and enum types. Anything else (a field with a resolver, arguments or field
extensions, an interface or union, ``@defer``, graphql-core middleware) makes
:func:`compile_plan` return None, and the renderer executes with graphql-core. An event the
plan cannot complete without an error (a null in a non-null field, a value a scalar
refuses) raises, and the renderer executes that event with graphql-core too, so errors are
reported exactly as GraphQL reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from operator import attrgetter
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    OperationType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import (
    CollectedFields,
    FieldDetailsList,
    collect_fields,
    collect_subfields,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]
Read = Callable[[Any], Any]
Plan = Callable[[Any], dict[str, Any]]


class Fallback(Exception):
    """The plan cannot complete this event without an error: execute it with graphql-core."""


class _Unsupported(Exception):
    pass


def compile_plan(executor: Executor[Any]) -> Plan | None:
    """The event's ``data`` as a function of the event, or None when graphql-core must run."""
    if executor.operation.operation != OperationType.SUBSCRIPTION:
        return None
    if executor.middleware_manager is not None:
        return None
    root = executor.schema.subscription_type
    if root is None:
        return None
    try:
        collected = collect_fields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            root,
            executor.operation,
            executor.hide_suggestions,
        )
        return _object_fields(executor, root, collected, root_fields=True)
    except _Unsupported:
        return None


def _object_fields(
    executor: Executor[Any],
    parent: GraphQLObjectType,
    collected: CollectedFields,
    *,
    root_fields: bool,
) -> Plan:
    grouped, new_defer_usages, forbidden = collected
    if new_defer_usages or forbidden:
        raise _Unsupported
    fields: list[tuple[str, Read, Complete]] = []
    for key, details in grouped.items():
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            fields.append((key, _constant(parent.name), _identity))
            continue
        field = executor.schema.get_field(parent, name)
        if field is None:
            continue  # graphql-core leaves an unknown field out
        read = _root_reader(field) if root_fields else _reader(field, bool(node.arguments))
        fields.append((key, read, _completion(executor, field.type, details)))
    plan = tuple(fields)

    def complete(value: Any) -> dict[str, Any]:
        completed = {}  # a loop, not a comprehension: one frame fewer per object
        for key, read, finish in plan:
            completed[key] = finish(read(value))
        return completed

    return complete


def _root_reader(field: GraphQLField) -> Read:
    """A strawberry subscription field resolves each event to the event itself."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_subscription:
        raise _Unsupported
    try:
        resolves_to_event = field.resolve is not None and field.resolve(_PROBE, None) is _PROBE
    except Exception:
        resolves_to_event = False
    if not resolves_to_event:
        raise _Unsupported
    return _identity


def _reader(field: GraphQLField, has_arguments: bool) -> Read:
    """How the field's strawberry resolver reads it, when it only reads an attribute."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolve = field.resolve
    if (
        has_arguments
        or field.args
        or not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or resolve is None
        or getattr(resolve, "__name__", "") != "_get_basic_result"
    ):
        raise _Unsupported
    if definition.default_resolver is getattr:
        return attrgetter(definition.python_name)
    return lambda source: resolve(source, None)


def _completion(
    executor: Executor[Any], type_: GraphQLOutputType, details: FieldDetailsList
) -> Complete:
    nullable = True
    if is_non_null_type(type_):
        nullable = False
        type_ = type_.of_type
        if is_non_null_type(type_):
            raise _Unsupported
    if is_list_type(type_):
        item = _completion(executor, type_.of_type, details)
        return _list(item, nullable)
    if is_leaf_type(type_):
        return _leaf(type_, nullable)
    if is_object_type(type_):
        assert isinstance(type_, GraphQLObjectType)
        if type_.is_type_of is not None:
            raise _Unsupported
        collected = collect_subfields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            type_,
            details,
            executor.hide_suggestions,
        )
        return _object(_object_fields(executor, type_, collected, root_fields=False), nullable)
    raise _Unsupported  # an interface or a union: graphql-core resolves the runtime type


# graphql-core's own scalars serialise a value of exactly this Python type (a float: a
# finite one, an int: a 32-bit one) to the value itself: no call needed for those.
_UNCHANGED: dict[GraphQLScalarType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLFloat: float,
    GraphQLInt: int,
}


def _leaf(type_: GraphQLLeafType, nullable: bool) -> Complete:
    coerce = type_.coerce_output_value

    def leaf(value: Any) -> Any:
        if value is None and nullable:
            return None
        if value is None or isinstance(value, Exception):
            raise Fallback
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Fallback
        return coerced

    unchanged = _UNCHANGED.get(type_) if isinstance(type_, GraphQLScalarType) else None
    if unchanged is float:

        def finite_float(value: Any) -> Any:
            return value if value.__class__ is float and isfinite(value) else leaf(value)

        return finite_float
    if unchanged is int:

        def int32(value: Any) -> Any:
            if value.__class__ is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
                return value
            return leaf(value)

        return int32
    if unchanged is not None:

        def same(value: Any) -> Any:
            return value if value.__class__ is unchanged else leaf(value)

        return same
    return leaf


def _object(fields: Plan, nullable: bool) -> Complete:
    def obj(value: Any) -> Any:
        if value is None and nullable:
            return None
        if value is None or isinstance(value, Exception):
            raise Fallback
        return fields(value)

    return obj


def _list(item: Complete, nullable: bool) -> Complete:
    def items(value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, list | tuple):
            raise Fallback
        return [item(v) for v in value]

    return items


def _constant(value: str) -> Read:
    return lambda _: value


def _identity(value: Any) -> Any:
    return value


_PROBE = object()
