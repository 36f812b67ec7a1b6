"""The HTTP edge in front of GraphQL: what a request must look like before it is parsed.

- Operations come by POST with ``Content-Type: application/json``. Anything a browser can
  send cross-site without a preflight (forms, multipart, ``text/plain``) is refused with
  415, which is the CSRF protection; GET serves GraphiQL only (development), never an
  operation, so no operation can be triggered by a link or an image tag.
- One operation per request: a JSON array (batching) is refused.
- Bodies over ``max_body_bytes`` are refused with 413 while they arrive, before buffering.
- Credentials are checked last, so none of the refusals above costs a database lookup.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type

from services.access import Principal
from services.auth import Credentials, authenticate
from services.errors import Unauthenticated
from services.resources import Resources

_OPERATION_PARAMS = ("query", "extensions", "variables", "operationName")


def error_response(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


async def refuse_request(request: Request) -> Response | None:
    """The response refusing a malformed request, or None when it may proceed."""
    if request.method == "GET":
        if any(name in request.query_params for name in _OPERATION_PARAMS):
            return error_response(
                405,
                "GraphQL operations must be sent by POST with Content-Type: application/json; "
                "GET only serves GraphiQL.",
                "METHOD_NOT_ALLOWED",
                {"Allow": "POST"},
            )
        return None
    if request.method != "POST":
        return None  # strawberry answers 405
    media_type, _ = parse_content_type(request.headers.get("content-type", ""))
    if media_type != "application/json":
        shown = media_type or "none"
        return error_response(
            415,
            f"Content-Type must be application/json, not {shown}: form, multipart and text "
            "bodies are refused (they can be sent cross-site without a CORS preflight).",
            "UNSUPPORTED_MEDIA_TYPE",
        )
    body = await request.body()
    if body.lstrip()[:1] == b"[":
        return error_response(
            400,
            "JSON batching is not supported: send one operation per request.",
            "BATCHING_NOT_SUPPORTED",
        )
    return None


async def authenticate_request(resources: Resources, request: Request) -> Principal | Response:
    """The request's principal, or the 401 response explaining why there is none."""
    try:
        return await authenticate(resources, Credentials.from_headers(request.headers))
    except Unauthenticated as exc:
        return error_response(401, str(exc), exc.code, {"WWW-Authenticate": "Bearer"})


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware answering 413 to bodies larger than ``max_bytes`` on HTTP requests."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(limit)(scope, receive, send)
            return
        started: MutableMapping[str, Any] = {"response": False}
        try:
            await self.app(scope, self._counting(receive, limit), self._watch(send, started))
        except BodyTooLarge:
            if started["response"]:
                raise
            await self._too_large(limit)(scope, receive, send)

    @staticmethod
    def _too_large(limit: int) -> Response:
        message = f"Request body larger than {limit:,} bytes."
        return error_response(413, message, "PAYLOAD_TOO_LARGE")

    @staticmethod
    def _counting(receive: Receive, limit: int) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        return counted

    @staticmethod
    def _watch(send: Send, started: MutableMapping[str, Any]) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                started["response"] = True
            await send(message)

        return watched
