"""The outermost ASGI layer: request id, request timeout, in-flight count, one log line.

A pure ASGI middleware (not Starlette's ``BaseHTTPMiddleware``), so the context variables it
binds are seen by everything the request runs, WebSockets included.

The request id is the client's ``X-Request-ID`` when it is a plausible id (a load balancer
sets one), otherwise a new one; it is echoed in the response, bound to every log line and
given to clients in masked errors.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from uuid import uuid4

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import logs, metrics

log = logging.getLogger("perfgraph.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Probes and scrapes arrive every few seconds: logged at DEBUG so they do not drown the rest.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    return uuid4().hex


class RequestContext:
    def __init__(self, app: ASGIApp, *, timeout_s: float, slow_ms: int) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.slow_ms = slow_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        with logs.bind(request_id=request_id):
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        status = 0
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        start = time.perf_counter()
        metrics.HTTP_IN_FLIGHT.inc()
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.app(scope, receive, send_with_id)
        except TimeoutError:
            metrics.HTTP_TIMEOUTS.inc()
            if status == 0:
                status = 503
                await send_timeout(send, request_id, self.timeout_s)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            self._log(scope, status, (time.perf_counter() - start) * 1000)

    def _log(self, scope: Scope, status: int, duration_ms: float) -> None:
        """One line per request; the GraphQL layer has annotated operation and principal."""
        path = scope.get("path", "")
        slow = 0 < self.slow_ms <= duration_ms
        level = logging.WARNING if slow or status == 503 else logging.INFO
        if path in _QUIET_PATHS and level == logging.INFO:
            level = logging.DEBUG
        fields = {
            "method": scope.get("method"),
            "path": path,
            "status": status,
            "duration_ms": round(duration_ms, 2),
            "slow": slow,
        }
        what = f"{scope.get('method')} {path} {status} {duration_ms:.1f}ms"
        log.log(level, f"slow request: {what}" if slow else what, extra=fields)


async def send_timeout(send: Send, request_id: str, timeout_s: float) -> None:
    """A GraphQL-shaped 503, so clients handle it like any other error with a code."""
    error = {
        "message": f"the request ran past its time limit ({timeout_s:g}s); retry later",
        "extensions": {"code": "TIMEOUT", "requestId": request_id},
    }
    body = orjson.dumps({"data": None, "errors": [error]})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
