"""A subscription's selection set compiled once, for events whose fields are plain attributes.

graphql-core executes each subscription event field by field: for every field it builds a
resolve info and a path, coerces the arguments, calls strawberry's resolver wrapper and
completes the value; about 200 µs for the ten fields of a performance update. A topic runs
the same selection on every event, and every field of the live event types is a plain
attribute, so the selection is compiled once, into the Python source of one function per
topic (attribute reads, the plain scalars' type checks inline, dict displays), and an event
costs that one call: on the live path, where each event runs with cold caches, every
further Python call per field costs more than the work it does.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from keyword import iskeyword
from math import isfinite
from operator import attrgetter
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLEnumType,
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
        return _generate(_object_fields(executor, root, collected, root_fields=True))
    except _Unsupported:
        return None


@dataclass(frozen=True)
class _Leaf:
    complete: Complete  # the whole completion: checks, serialisation, Fallback
    coerce: Complete  # the type's own serialisation of a value that is neither None nor an error
    plain: type | None  # a value of exactly this type may serialise to itself (see below)
    names: Mapping[Any, str] | None = None  # with ``plain``: what a value serialises to


@dataclass(frozen=True)
class _List:
    complete: Complete


@dataclass(frozen=True)
class _Object:
    fields: tuple[_Field, ...]
    nullable: bool


@dataclass(frozen=True)
class _Field:
    key: str  # the response key
    read: str | Read | None  # an attribute name, a reader, or None: the value itself
    completion: _Leaf | _List | _Object | str  # a str: the constant (``__typename``)


def _object_fields(
    executor: Executor[Any],
    parent: GraphQLObjectType,
    collected: CollectedFields,
    *,
    root_fields: bool,
) -> tuple[_Field, ...]:
    grouped, new_defer_usages, forbidden = collected
    if new_defer_usages or forbidden:
        raise _Unsupported
    fields: list[_Field] = []
    for key, details in grouped.items():
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            fields.append(_Field(key, None, parent.name))
            continue
        field = executor.schema.get_field(parent, name)
        if field is None:
            continue  # graphql-core leaves an unknown field out
        read: str | Read | None = None
        if root_fields:
            _check_root(field)
        else:
            read = _reader(field, bool(node.arguments))
        fields.append(_Field(key, read, _completion(executor, field.type, details)))
    return tuple(fields)


def _check_root(field: GraphQLField) -> None:
    """A strawberry subscription field resolves each event to the event itself: else raise."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_subscription:
        raise _Unsupported
    try:
        resolves_to_event = field.resolve is not None and field.resolve(_PROBE, None) is _PROBE
    except Exception:
        resolves_to_event = False
    if not resolves_to_event:
        raise _Unsupported


def _reader(field: GraphQLField, has_arguments: bool) -> str | Read:
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
        name = definition.python_name
        return name if name.isidentifier() and not iskeyword(name) else attrgetter(name)
    return lambda source: resolve(source, None)


def _completion(
    executor: Executor[Any], type_: GraphQLOutputType, details: FieldDetailsList
) -> _Leaf | _List | _Object:
    nullable = True
    if is_non_null_type(type_):
        nullable = False
        type_ = type_.of_type
        if is_non_null_type(type_):
            raise _Unsupported
    if is_list_type(type_):
        item = _completion(executor, type_.of_type, details)
        return _List(_list(_as_function(item), nullable))
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
        fields = _object_fields(executor, type_, collected, root_fields=False)
        return _Object(fields, nullable)
    raise _Unsupported  # an interface or a union: graphql-core resolves the runtime type


def _as_function(completion: _Leaf | _List | _Object) -> Complete:
    if isinstance(completion, _Object):
        return _object(_generate(completion.fields), completion.nullable)
    return completion.complete


class _Source:
    """Python source of one plan function: straight-line reads, checks and dict displays.

    One function call per event instead of two per field: this runs once per event on the
    live path, where each call costs more than the work it does.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, object] = {
            "Fallback": Fallback,
            "isfinite": isfinite,
            "Undefined": Undefined,
        }
        self._count = 0

    def temp(self) -> str:
        self._count += 1
        return f"v{self._count}"

    def bind(self, value: object) -> str:
        name = f"c{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def fields(self, source: str, fields: tuple[_Field, ...], depth: int) -> str:
        """Emit the completion of ``fields`` of the value named ``source``; its dict's name."""
        items = []
        for field in fields:
            items.append(f"{field.key!r}: {self.field(source, field, depth)}")
        result = self.temp()
        self.emit(depth, f"{result} = {{{', '.join(items)}}}")
        return result

    def field(self, source: str, field: _Field, depth: int) -> str:
        """Emit what one field needs; the expression of its completed value."""
        completion = field.completion
        if isinstance(completion, str):
            return repr(completion)
        value = self.temp()
        if field.read is None:
            self.emit(depth, f"{value} = {source}")
        elif isinstance(field.read, str):
            self.emit(depth, f"{value} = {source}.{field.read}")
        else:
            self.emit(depth, f"{value} = {self.bind(field.read)}({source})")
        if isinstance(completion, _Object):
            return self.object(value, completion, depth)
        complete = self.bind(completion.complete)
        plain = completion.plain if isinstance(completion, _Leaf) else None
        if isinstance(completion, _Leaf) and completion.names is not None:
            names = self.bind(completion.names)
            check = f"{value}.__class__ is {self.bind(plain)}"
            return f"({names}[{value}] if {check} else {complete}({value}))"
        if plain is float:
            check = f"{value}.__class__ is float and isfinite({value})"
        elif plain is int:
            check = (
                f"{value}.__class__ is int and {GRAPHQL_MIN_INT} <= {value} <= {GRAPHQL_MAX_INT}"
            )
        elif plain is not None:
            check = f"{value}.__class__ is {self.bind(plain)}"
        elif isinstance(completion, _Leaf):
            result = self.temp()
            self.emit(depth, f"if {value} is None or isinstance({value}, Exception):")
            self.emit(depth + 1, f"{result} = {complete}({value})")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{result} = {self.bind(completion.coerce)}({value})")
            self.emit(depth + 1, f"if {result} is None or {result} is Undefined:")
            self.emit(depth + 2, "raise Fallback")
            return result
        else:
            return f"{complete}({value})"
        return f"({value} if {check} else {complete}({value}))"

    def object(self, value: str, completion: _Object, depth: int) -> str:
        result = self.temp()
        self.emit(depth, f"if {value} is None or isinstance({value}, Exception):")
        if completion.nullable:
            self.emit(depth + 1, f"if {value} is not None:")
            self.emit(depth + 2, "raise Fallback")
            self.emit(depth + 1, f"{result} = None")
        else:
            self.emit(depth + 1, "raise Fallback")
        self.emit(depth, "else:")
        inner = self.fields(value, completion.fields, depth + 1)
        self.emit(depth + 1, f"{result} = {inner}")
        return result


def _generate(fields: tuple[_Field, ...]) -> Plan:
    source = _Source()
    result = source.fields("event", fields, 1)
    source.emit(1, f"return {result}")
    code = "def plan(event):\n" + "\n".join(source.lines) + "\n"
    namespace = dict(source.names)
    exec(compile(code, "<compiled selection>", "exec"), namespace)
    plan: Plan = namespace["plan"]  # type: ignore[assignment]
    return plan


# graphql-core's own scalars serialise a value of exactly this Python type (a float: a
# finite one, an int: a 32-bit one) to the value itself: no call needed for those.
_UNCHANGED: dict[GraphQLScalarType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLFloat: float,
    GraphQLInt: int,
}


def _leaf(type_: GraphQLLeafType, nullable: bool) -> _Leaf:
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

    enum = _enum_names(type_)
    if enum is not None:
        members, names = enum

        def enum_name(value: Any) -> Any:
            return names[value] if value.__class__ is members else leaf(value)

        return _Leaf(enum_name, coerce, members, names)
    unchanged = _UNCHANGED.get(type_) if isinstance(type_, GraphQLScalarType) else None
    if unchanged is float:

        def finite_float(value: Any) -> Any:
            return value if value.__class__ is float and isfinite(value) else leaf(value)

        return _Leaf(finite_float, coerce, float)
    if unchanged is int:

        def int32(value: Any) -> Any:
            if value.__class__ is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
                return value
            return leaf(value)

        return _Leaf(int32, coerce, int)
    if unchanged is not None:

        def same(value: Any) -> Any:
            return value if value.__class__ is unchanged else leaf(value)

        return _Leaf(same, coerce, unchanged)
    return _Leaf(leaf, coerce, None)


def _enum_names(type_: GraphQLLeafType) -> tuple[type[Enum], dict[Enum, str]] | None:
    """A strawberry enum type's members and their names, as the type serialises each.

    strawberry's enum types serialise a member by scanning the enum's values; the result
    for each member is fixed, so the plan looks it up instead.
    """
    members = getattr(type_, "wrapped_cls", None)
    if not isinstance(type_, GraphQLEnumType) or not (
        isinstance(members, type) and issubclass(members, Enum)
    ):
        return None
    try:
        names = {member: type_.coerce_output_value(member) for member in members}
    except Exception:
        return None
    if not all(isinstance(name, str) for name in names.values()):
        return None
    return members, names


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


_PROBE = object()
