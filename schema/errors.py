"""Error mapping: expected errors keep their message and get a ``code``; the rest are masked.

Masked errors are logged with the request id, which the client also receives, so an
operator can find the cause of any error a client reports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from services.errors import PerfgraphError

log = logging.getLogger("perfgraph.errors")


def map_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """Give an expected error its ``code`` (and extensions); mask anything else."""
    original = error.original_error
    if original is None:  # parse and validation errors: already precise
        return error
    if isinstance(original, PerfgraphError):
        extensions = {**(error.extensions or {}), **original.extensions(), "code": original.code}
        return GraphQLError(
            str(original),
            error.nodes,
            error.source,
            error.positions,
            error.path,
            original,
            extensions,
        )
    log.error("unexpected error in %s (request %s)", error.path, request_id, exc_info=original)
    return GraphQLError(
        f"Unexpected error (request id {request_id}).",
        error.nodes,
        error.source,
        error.positions,
        error.path,
        None,
        {"code": "INTERNAL", "requestId": request_id},
    )


class ErrorMapping(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        result.errors = [map_error(error, request_id) for error in errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Subscription results leave one by one, long before the operation ends."""
        errors = getattr(result, "errors", None)
        if errors:
            request_id = getattr(self.execution_context.context, "request_id", "-")
            result.errors = [map_error(error, request_id) for error in errors]
        yield
