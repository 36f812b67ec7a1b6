"""Shared subscription work: which subscribers ask the same thing, and one execution per event.

Two subscriptions are the same *topic* when their documents are equal once the resume
cursors (``afterSeq``, ``after``) are removed from the root field, the variables those
documents use are equal, and the principals share an access scope. Cursors only decide
what each subscriber replays before joining, never what a live event renders to.

:class:`Renderer` executes the operation's selection set on an event and serialises the
``next`` payload once; each subscriber then frames the same string with its operation id.
The selection is compiled once where it reads only plain attributes (``schema/plan.py``);
otherwise, and for an event the compiled plan cannot complete without an error, it runs
with graphql-core's per-event executor, the way a subscription executes each event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import lru_cache
from inspect import isawaitable
from typing import Any

import orjson
import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    print_ast,
    visit,
)
from graphql.execution import Executor, execute_subscription_event

from schema.errors import map_error
from schema.plan import compile_plan

CURSOR_ARGUMENTS = frozenset({"afterSeq", "after"})


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names.add(node.name.value)


@lru_cache(maxsize=512)
def _document(query: str) -> DocumentNode:
    return parse(query)


@lru_cache(maxsize=512)
def _shape(query: str, operation_name: str | None) -> tuple[str, frozenset[str]]:
    """The document without cursor arguments, printed, and the variables it still uses."""
    document = _document(query)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise GraphQLError("unknown operation")
    stripped = _without_cursors(operation)
    others = [d for d in document.definitions if not isinstance(d, OperationDefinitionNode)]
    collector = _Variables()
    for node in (stripped.selection_set, *others):
        visit(node, collector)
    printed = print_ast(dataclasses.replace(document, definitions=(stripped, *others)))
    return printed, frozenset(collector.names)


def _without_cursors(operation: OperationDefinitionNode) -> OperationDefinitionNode:
    selections = []
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            kept = tuple(
                a for a in selection.arguments or () if a.name.value not in CURSOR_ARGUMENTS
            )
            selection = dataclasses.replace(selection, arguments=kept)
        selections.append(selection)
    selection_set = dataclasses.replace(operation.selection_set, selections=tuple(selections))
    return dataclasses.replace(operation, selection_set=selection_set)


def topic_key(
    query: str,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    scope_key: str,
) -> str:
    printed, used = _shape(query, operation_name)
    kept = {name: value for name, value in (variables or {}).items() if name in used}
    encoded = orjson.dumps(kept, option=orjson.OPT_SORT_KEYS).decode()
    return f"{scope_key}\n{operation_name or ''}\n{encoded}\n{printed}"


class Renderer:
    """Executes one subscription operation on given events and serialises the payloads."""

    def __init__(
        self,
        schema: strawberry.Schema,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: Any,
        *,
        use_plan: bool = True,
    ) -> None:
        """``use_plan=False`` executes every event with graphql-core (to compare)."""
        executor = Executor.build(
            schema._schema,
            _document(query),
            context_value=context,
            raw_variable_values=dict(variables or {}),
            operation_name=operation_name,
        )
        if isinstance(executor, list):
            raise executor[0]
        self._executor = executor
        self._plan = compile_plan(executor) if use_plan else None
        self._request_id = getattr(context, "request_id", "-")

    @property
    def compiled(self) -> bool:
        """Whether events render through a compiled plan (else through graphql-core)."""
        return self._plan is not None

    async def render(self, value: object) -> str:
        """The ``next`` payload (``{"data": ..., "errors": [...]}``) for one event."""
        payload = self.render_now(value)
        if payload is None:
            payload = await self._execute(value)
        return payload

    def render_now(self, value: object) -> str | None:
        """The payload through the compiled plan; None when graphql-core must execute."""
        if self._plan is not None:
            try:
                data = self._plan(value)
            except Exception:  # an error to report: graphql-core reports it as GraphQL does
                return None
            return orjson.dumps({"data": data}).decode()
        return None

    async def _execute(self, value: object) -> str:
        executor = self._executor.build_per_event_executor(value)
        # graphql-core (3.3) shares this memo between an executor and its per-event copies,
        # keyed by lists made anew for each event: shared, it grows by two entries per event
        # for as long as the subscription lives.
        executor._relevant_sub_fields = {}
        result = execute_subscription_event(executor)
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = _formatted(result.errors, self._request_id)
        return orjson.dumps(payload).decode()


def _formatted(errors: Iterable[GraphQLError], request_id: str) -> list[dict[str, Any]]:
    return [dict(map_error(error, request_id).formatted) for error in errors]
