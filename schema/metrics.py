"""GraphQL operations measured and named in the logs; ``/metrics`` for Prometheus."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from services import logs, metrics

log = logging.getLogger("perfgraph.graphql")


class OperationObserver(SchemaExtension):
    """Times each query and mutation by operation name, counts errors by code, and binds the
    operation and principal to the log lines written while it runs.

    Listed first among the extensions, so it sees the errors after they are mapped.
    Subscriptions are long-lived: their count and deliveries are metrics of their own.
    """

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        context = self.execution_context
        kind = self._kind()
        errors = getattr(context.result, "errors", None) or context.pre_execution_errors or []
        for error in errors:
            metrics.GRAPHQL_ERRORS.labels((error.extensions or {}).get("code", "INVALID")).inc()
        if kind == OperationType.SUBSCRIPTION.value:
            return
        metrics.GRAPHQL_DURATION.labels(
            metrics.operation_label(context.operation_name), kind, "error" if errors else "ok"
        ).observe(time.perf_counter() - start)

    def on_execute(self) -> Iterator[None]:
        name = self.execution_context.operation_name or "anonymous"
        principal = getattr(self.execution_context.context, "principal", None)
        fields = {"operation": name, "principal": principal.scope_key if principal else None}
        if self._kind() == OperationType.SUBSCRIPTION.value:
            # Operations on one WebSocket share its context: each gets a layer of its own.
            with logs.bind(**fields):
                yield
            return
        logs.annotate(**fields)  # also for the request's access line, written after this
        yield

    def _kind(self) -> str:
        try:
            operation_type: OperationType = self.execution_context.operation_type
        except Exception:  # no document (it did not parse) or no such operation in it
            return "invalid"
        return str(operation_type.value)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
