"""Error mapping: expected errors keep their message and get a ``code``; the rest are masked.

Masked errors are logged with the request id, which the client also receives, so an
operator can find the cause of any error a client reports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext, StreamExecutionResult

from services.errors import ServiceUnavailable, Timeout
from services.faults import translate

log = logging.getLogger("perfgraph.errors")


def map_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """Give an expected error its ``code`` (and extensions); mask anything else."""
    original = error.original_error
    if original is None:  # parse and validation errors: already precise
        return error
    expected = translate(original)
    if expected is not None:
        extensions = {**(error.extensions or {}), **expected.extensions(), "code": expected.code}
        if isinstance(expected, ServiceUnavailable | Timeout):
            # An outage, not a bad request: the operator may need to find this one.
            log.warning("%s at %s: %s", expected.code, error.path, original)
            extensions["requestId"] = request_id
        return GraphQLError(
            str(expected),
            error.nodes,
            error.source,
            error.positions,
            error.path,
            expected,
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
    def _map_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        result.errors = [map_error(error, request_id) for error in errors]  # type: ignore[attr-defined]

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            self._map_result(self.execution_context.result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Subscriptions: each result is mapped before it reaches the client."""
        self._streamed = True
        self._map_result(result)
        yield None


class Schema(strawberry.Schema):
    """strawberry's schema with error logging by kind.

    strawberry logs every error of every response at ERROR, a client's typo included.
    Here a client's mistake (parse, validation, bad input, not found, refused) is logged at
    DEBUG; outages and unexpected errors are logged once, by :func:`map_error`, with the
    request id the client is given.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if error.original_error is None or translate(error.original_error) is not None:
                log.debug("client error: %s", error.message)
