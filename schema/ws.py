"""WebSockets: graphql-transport-ws only, authenticated at ``connection_init``.

The view allows only the graphql-transport-ws subprotocol (the legacy ``graphql-ws`` is
refused with 4406), closes connections that send no ``connection_init`` within
``ws_init_timeout_s`` (4408), refuses operations before the acknowledgement (4401) and
duplicate operation ids (4409), and caps operations per connection at
``ws_max_subscriptions``. This module adds what strawberry leaves to the application:
credentials in the ``connection_init`` payload (``apiKey`` or ``authorization``; 4403 when
they are refused) and a size limit on incoming messages (1009, "message too big").
Messages go out as text frames, as the protocol specifies.

Live subscriptions share their results between subscribers (``schema/multiplex.py``), so
the transport handler tells an operation's resolver who it is (its id, its raw request)
and how to send a text frame it has already encoded, through a context variable set while
strawberry creates the operation's task. Those frames go straight to the ASGI ``send`` that
the app's middleware passes down (kept in the scope by :class:`KeepServerSend`), not through
Starlette's ``WebSocket.send_text`` and its exception middleware's wrapper around ``send``:
a live event is written once per subscriber, and those layers cost about as much as the
rest of perfgraph's own work per delivery.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)

from schema.context import Context
from services.auth import Credentials, authenticate
from services.errors import Unauthenticated

if TYPE_CHECKING:
    from schema.multiplex import TopicRegistry

log = logging.getLogger("perfgraph.ws")
MESSAGE_TOO_BIG = 1009
SERVER_SEND = "perfgraph.server_send"
TextSender = Callable[[str], Coroutine[Any, Any, None]]


class KeepServerSend:
    """Keeps a WebSocket's ASGI ``send`` in the connection's scope, for live frames.

    The innermost of the app's middleware: any middleware above it that wraps ``send`` is
    kept; only Starlette's exception middleware below it, which wraps ``send`` to notice an
    HTTP response start, is left out.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


def text_sender(websocket: WebSocket) -> TextSender:
    """Sends text frames on an accepted connection, as ``websocket.send_text`` does.

    Straight through the server's ``send`` when :class:`KeepServerSend` kept it. A frame
    for a connection that is closed, or closes while it is written, raises
    WebSocketDisconnect, as Starlette's would for a connection the peer dropped.
    """
    send = websocket.scope.get(SERVER_SEND)
    if send is None:
        return websocket.send_text
    connected = WebSocketState.CONNECTED

    async def send_text(text: str) -> None:
        if websocket.application_state is not connected:
            raise WebSocketDisconnect(1006)
        try:
            await send({"type": "websocket.send", "text": text})
        except OSError:  # the server's ClientDisconnected
            websocket.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(1006) from None

    return send_text


class LimitedWebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = self.ws.app.state.resources.settings.ws_max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > limit:
                    await self.close(MESSAGE_TOO_BIG, f"message larger than {limit} bytes")
                    return
                try:
                    yield self.view.decode_json(text)
                except ValueError as exc:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from exc
        except KeyError as exc:  # a binary frame
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


async def authenticate_connection(context: Context) -> None:
    """Set the connection's principal from its ``connection_init`` payload, or reject it."""
    credentials = Credentials.from_connection_params(context.connection_params)
    try:
        context.principal = await authenticate(context.resources, credentials)
    except Unauthenticated as exc:
        log.info("WebSocket connection refused (request %s): %s", context.request_id, exc)
        raise ConnectionRejectionError({"message": str(exc)}) from exc


@dataclass(frozen=True)
class OperationSink:
    """One subscription operation on one connection, as its resolver needs to know it."""

    id: str
    query: str
    variables: Mapping[str, Any] | None
    operation_name: str | None
    send_text: TextSender  # raises WebSocketDisconnect
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
            send_text=text_sender(self.websocket.ws),  # type: ignore[attr-defined]
            topics=self.view.topics,  # type: ignore[attr-defined]
        )
        # The operation's task copies the context variables when strawberry creates it.
        token = _operation.set(sink)
        try:
            await super().handle_subscribe(message)
        finally:
            _operation.reset(token)
