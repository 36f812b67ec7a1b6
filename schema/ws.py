"""The graphql-transport-ws handler: strawberry's, plus a way to send pre-encoded messages.

Strawberry runs every subscription in a task of its own and serialises each result for
each connection. Live subscriptions share their results between subscribers instead
(``schema/multiplex.py``), so the handler tells the operation's resolver who it is (its
id, its raw request) and how to send a text frame it has already encoded, through a
context variable set while strawberry creates the operation's task.

Messages go out as text frames: graphql-transport-ws is a text protocol, and browsers'
clients parse text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)

if TYPE_CHECKING:
    from schema.multiplex import TopicRegistry


@dataclass(frozen=True)
class OperationSink:
    """One subscription operation on one connection, as its resolver needs to know it."""

    id: str
    query: str
    variables: Mapping[str, Any] | None
    operation_name: str | None
    send_text: Callable[[str], Coroutine[Any, Any, None]]  # raises WebSocketDisconnect
    topics: TopicRegistry

    def frame_prefix(self) -> str:
        """The start of this operation's ``next`` messages; the payload and ``}`` follow."""
        return '{"id":' + orjson.dumps(self.id).decode() + ',"type":"next","payload":'


_operation: ContextVar[OperationSink | None] = ContextVar("perfgraph_ws_operation", default=None)


def current_operation() -> OperationSink | None:
    """The WebSocket operation the running subscription resolver belongs to, if any."""
    return _operation.get()


class LiveTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    async def send_text(self, text: str) -> None:
        try:
            await self.websocket.ws.send_text(text)  # type: ignore[attr-defined]
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def send_message(self, message: Message) -> None:
        # On a disconnect the receive loop ends too, and with it every operation.
        with contextlib.suppress(WebSocketDisconnected):
            await self.send_text(orjson.dumps(message).decode())

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        if not isinstance(payload, dict):
            payload = {}  # strawberry rejects the message; the sink is never used
        variables = payload.get("variables")
        sink = OperationSink(
            id=message["id"],
            query=payload.get("query") or "",
            variables=variables if isinstance(variables, dict) else None,
            operation_name=payload.get("operationName"),
            send_text=self.websocket.ws.send_text,  # type: ignore[attr-defined]
            topics=self.view.topics,  # type: ignore[attr-defined]
        )
        # The operation's task copies the context variables when strawberry creates it.
        token = _operation.set(sink)
        try:
            await super().handle_subscribe(message)
        finally:
            _operation.reset(token)
