"""GraphQL operations measured and named in the logs; ``/metrics`` for Prometheus."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from graphql import FieldNode, get_operation_ast
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from services import logs, metrics

log = logging.getLogger("perfgraph.graphql")


class OperationObserver(SchemaExtension):
    """Times each query and mutation by operation name, counts errors by code and open
    subscriptions by field, and binds the operation and principal to the log lines written
    while it runs.

    Listed first among the extensions, so it sees the errors after they are mapped.
    """

    _subscription: Gauge | None = None

    def on_operation(self) -> Iterator[None]:
        # A subscription's operation lasts as long as it streams, and ends with GeneratorExit
        # or a cancellation when the client leaves: hence the finally.
        start = time.perf_counter()
        try:
            yield
        finally:
            if self._subscription is not None:
                self._subscription.dec()
        self._record(time.perf_counter() - start)

    def _record(self, seconds: float) -> None:
        context = self.execution_context
        kind = self._kind()
        errors = getattr(context.result, "errors", None) or context.pre_execution_errors or []
        for error in errors:
            metrics.GRAPHQL_ERRORS.labels((error.extensions or {}).get("code", "INVALID")).inc()
        if kind == OperationType.SUBSCRIPTION.value:
            return
        metrics.GRAPHQL_DURATION.labels(
            metrics.operation_label(context.operation_name), kind, "error" if errors else "ok"
        ).observe(seconds)

    def on_execute(self) -> Iterator[None]:
        name = self.execution_context.operation_name or "anonymous"
        principal = getattr(self.execution_context.context, "principal", None)
        fields = {"operation": name, "principal": principal.scope_key if principal else None}
        if self._kind() == OperationType.SUBSCRIPTION.value:
            # Operations on one WebSocket share its log context: annotating would mix them.
            self._subscription = metrics.ACTIVE_SUBSCRIPTIONS.labels(self._root_field())
            self._subscription.inc()
        else:
            logs.annotate(**fields)  # also for the request's access line, written after this
        yield

    def _root_field(self) -> str:
        """The subscription's field: a name from the schema, so a bounded label."""
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        selections = operation.selection_set.selections if operation else ()
        first = selections[0] if selections else None
        return first.name.value if isinstance(first, FieldNode) else "unknown"

    def _kind(self) -> str:
        try:
            operation_type: OperationType = self.execution_context.operation_type
        except Exception:  # no document (it did not parse) or no such operation in it
            return "invalid"
        return str(operation_type.value)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
