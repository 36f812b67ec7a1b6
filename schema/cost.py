"""Static analysis of a parsed document: depth, aliases, duplicated fields and cost.

Runs before validation (which is quadratic in duplicated fields) and before any resolver, in
time linear in the document: each fragment is analysed once per list-size context and
reused, so a "fragment bomb" costs its real, multiplied, size without being expanded.

Cost estimates the work a query asks for: every field costs one, and a list multiplies what
is below it by its size, taken from

- ``first``/``last``/``top``/``limit`` on the field, or on the connection above it;
- the length of a list argument (``ids``, ``strategyIds``...) on a list field;
- the series length when a field takes ``window``/``interval``: the window's span in days
  times the points per day of the interval (``RAW`` is counted as hourly, ``MAX`` as 40
  years), the size of ``points`` below it;
- otherwise ``DEFAULT_LIST_SIZE``.

A ``...Column`` scalar (one JSON array for a whole series) costs one per 100 values: it
is two orders of magnitude cheaper to produce than the same values as objects.
Introspection fields (``__schema``, ``__typename``) are free; production refuses
introspection outright.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

DEFAULT_LIST_SIZE = 20
COLUMN_VALUES_PER_UNIT = 100
SIZE_ARGUMENTS = ("first", "last", "top", "limit")
_SPAN_DAYS = {
    "MTD": 31,
    "QTD": 92,
    "YTD": 366,
    "ONE_MONTH": 31,
    "THREE_MONTHS": 92,
    "SIX_MONTHS": 183,
    "ONE_YEAR": 366,
    "THREE_YEARS": 1096,
    "FIVE_YEARS": 1827,
    "TEN_YEARS": 3653,
    "MAX": 40 * 366,
}
_POINTS_PER_DAY = {
    "RAW": 24.0,
    "MINUTE": 1440.0,
    "HOUR": 24.0,
    "DAY": 1.0,
    "WEEK": 1 / 7,
    "MONTH": 1 / 30,
}


@dataclass
class Usage:
    """What a selection set (or a whole document) asks for."""

    cost: int = 0
    depth: int = 0
    aliases: int = 0
    keys: Counter[str] = field(default_factory=Counter)  # response keys at this level
    duplicate: tuple[str, int] = ("", 0)  # the most repeated response key at any level

    def add(self, other: Usage) -> None:
        """Merge a fragment's usage into the selection set that spreads it."""
        self.cost += other.cost
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.keys.update(other.keys)
        self.note_duplicate(other.duplicate)

    def note_duplicate(self, candidate: tuple[str, int]) -> None:
        if candidate[1] > self.duplicate[1]:
            self.duplicate = candidate


def series_length(arguments: dict[str, Any]) -> int:
    """Points a series field may return for its ``window`` and ``interval`` arguments."""
    interval = str(arguments.get("interval") or "DAY").upper()
    per_day = _POINTS_PER_DAY.get(interval, 24.0)
    return math.ceil(_span_days(arguments.get("window")) * per_day) + 1


def _span_days(window: object) -> float:
    if not isinstance(window, dict):
        return _SPAN_DAYS["MAX"]
    if window.get("preset"):
        return _SPAN_DAYS.get(str(window["preset"]), _SPAN_DAYS["MAX"])
    try:
        start = _timestamp(window.get("from"))
        end = _timestamp(window.get("to"))
    except ValueError:
        return _SPAN_DAYS["MAX"]
    if start is None:
        return _SPAN_DAYS["MAX"]
    end = end or datetime.now(start.tzinfo)
    return max(0.0, min((end - start).total_seconds() / 86400, _SPAN_DAYS["MAX"]))


def _timestamp(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    return datetime.fromisoformat(value)


def _is_list(field_def: GraphQLField) -> bool:
    output = field_def.type
    if isinstance(output, GraphQLNonNull):
        output = output.of_type
    return isinstance(output, GraphQLList)


class Analyser:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.variables = variables or {}
        self.default_page_size = default_page_size
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, int | None], Usage] = {}

    def operation(self, node: OperationDefinitionNode) -> Usage:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[node.operation]
        return self.selections(node.selection_set, root, None, frozenset())

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        size: int | None,
        visiting: frozenset[str],
    ) -> Usage:
        usage = Usage()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, size, visiting, usage)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                usage.add(self.selections(selection.selection_set, target, size, visiting))
            elif isinstance(selection, FragmentSpreadNode):
                usage.add(self.spread(selection.name.value, size, visiting))
        for key, count in usage.keys.items():
            usage.note_duplicate((key, count))
        return usage

    def spread(self, name: str, size: int | None, visiting: frozenset[str]) -> Usage:
        fragment = self.fragments.get(name)
        if fragment is None or name in visiting:  # unknown or cyclic: validation reports it
            return Usage()
        memo_key = (name, size)
        if memo_key not in self.memo:
            target = self.schema.get_type(fragment.type_condition.name.value)
            self.memo[memo_key] = self.selections(
                fragment.selection_set, target, size, visiting | {name}
            )
        return self.memo[memo_key]

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        size: int | None,
        visiting: frozenset[str],
        usage: Usage,
    ) -> None:
        name = node.name.value
        usage.keys[node.alias.value if node.alias else name] += 1
        usage.aliases += 1 if node.alias else 0
        if name.startswith("__"):
            return
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        field_def = fields.get(name)
        if field_def is None:
            # Unknown to the schema (validation will say so): still measured, so that deep or
            # repetitive nonsense is refused before the validation that it would slow down.
            child = Usage()
            if node.selection_set is not None:
                child = self.selections(node.selection_set, None, None, visiting)
            usage.cost += 1 + child.cost
            usage.depth = max(usage.depth, 1 + child.depth)
            usage.aliases += child.aliases
            usage.note_duplicate(child.duplicate)
            return
        arguments = self.arguments(node, field_def)
        named = get_named_type(field_def.type)
        own = self.own_size(arguments, field_def)
        is_list = _is_list(field_def)
        multiplier = (own or size or DEFAULT_LIST_SIZE) if is_list else 1
        if "window" in field_def.args or "interval" in field_def.args:
            child_size: int | None = series_length(arguments)
        elif is_list:
            child_size = None
        else:
            child_size = own or size
        child = Usage()
        if node.selection_set is not None:
            child = self.selections(node.selection_set, named, child_size, visiting)
        elif isinstance(named, GraphQLScalarType) and named.name.endswith("Column"):
            child.cost = max(0, math.ceil((size or 1) / COLUMN_VALUES_PER_UNIT) - 1)
        usage.cost += multiplier * (1 + child.cost)
        usage.depth = max(usage.depth, 1 + child.depth)
        usage.aliases += child.aliases
        usage.note_duplicate(child.duplicate)

    def arguments(self, node: FieldNode, field_def: GraphQLField) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for argument in node.arguments or ():
            try:
                values[argument.name.value] = value_from_ast_untyped(argument.value, self.variables)
            except (TypeError, ValueError):  # malformed: validation reports it
                continue
        return values

    def own_size(self, arguments: dict[str, Any], field_def: GraphQLField) -> int | None:
        for name in SIZE_ARGUMENTS:
            if name in field_def.args:
                value = arguments.get(name)
                return value if isinstance(value, int) and value > 0 else self.default_page_size
        if _is_list(field_def):
            lengths = [len(v) for v in arguments.values() if isinstance(v, list)]
            return max(lengths) if lengths else None
        return None


def analyse(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None = None,
    default_page_size: int = DEFAULT_LIST_SIZE,
) -> Usage:
    """Usage of every operation in the document: the largest cost and depth, all aliases."""
    analyser = Analyser(schema, document, variables, default_page_size)
    total = Usage()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            usage = analyser.operation(definition)
            total.cost = max(total.cost, usage.cost)
            total.depth = max(total.depth, usage.depth)
            total.aliases += usage.aliases
            total.note_duplicate(usage.duplicate)
    return total
