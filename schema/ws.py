"""WebSockets: graphql-transport-ws only, authenticated at ``connection_init``.

The view allows only the graphql-transport-ws subprotocol (the legacy ``graphql-ws`` is
refused with 4406), closes connections that send no ``connection_init`` within
``ws_init_timeout_s`` (4408), refuses operations before the acknowledgement (4401) and
duplicate operation ids (4409), and caps operations per connection at
``ws_max_subscriptions``. This module adds what strawberry leaves to the application:
credentials in the ``connection_init`` payload (``apiKey`` or ``authorization``; 4403 when
they are refused) and a size limit on incoming messages (1009, "message too big").
Messages go out as text frames, as the protocol specifies.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)

from schema.context import Context
from services.auth import Credentials, authenticate
from services.errors import Unauthenticated

log = logging.getLogger("perfgraph.ws")
MESSAGE_TOO_BIG = 1009


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
