"""Whole-response cache for identical queries, in front of GraphQL execution (ASGI middleware).

A POSTed query with the same document, variables, operation name and access scope as a
stored response is answered with the stored bytes while every version the response
depended on is current, without parsing or executing it. Otherwise the request runs as
usual with a :class:`Dependencies` recorder in its ASGI scope (the loaders fill it), and a
response without errors is stored with those versions. Mutations, subscriptions, GET
requests and responses with errors or extensions are never stored. Concurrent identical
misses in one process execute once. ``Cache-Control: no-cache`` skips the lookup (the fresh
response is still stored). See docs/caching.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import _tally
from services.access import Principal
from services.resources import Resources
from services.response_cache import StoredResponse, response_key
from services.versions import CATALOG, Dependencies

log = logging.getLogger("perfgraph.cache")
DEPENDENCIES = "perfgraph.dependencies"  # the ASGI scope key the context reads
PrincipalOf = Callable[[Request], Awaitable[Principal]]
_JSON = [(b"content-type", b"application/json")]


@lru_cache(maxsize=1024)
def is_query(document: str, operation: str | None) -> bool:
    try:
        found = get_operation_ast(parse(document), operation)
    except GraphQLError:
        return False
    return found is not None and found.operation is OperationType.QUERY


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, *, path: str, principal_of: PrincipalOf) -> None:
        self.app = app
        self.path = path
        self.principal_of = principal_of
        self._flights: dict[str, asyncio.Future[bytes | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replay(body, receive)
        key = await self._key(scope, body)
        if key is None:
            await self.app(scope, replay, send)
            return
        resources: Resources = scope["app"].state.resources
        if _wants_fresh(scope):  # executed now, and still stored for the next request
            await self._execute(key, resources, scope, replay, send)
            return
        stored = await resources.cache.responses.fetch(key)
        if stored is not None:
            await _send_bytes(send, stored.body, b"hit")
            return
        flight = self._flights.get(key)
        if flight is not None:
            shared = await asyncio.shield(flight)
            if shared is not None:
                await _send_bytes(send, shared, b"coalesced")
                return
            await self.app(scope, replay, send)
            return
        await self._lead(key, resources, scope, replay, send)

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            return False
        resources: Resources | None = getattr(scope["app"].state, "resources", None)
        return resources is not None and resources.settings.response_cache_enabled

    async def _key(self, scope: Scope, body: bytes) -> str | None:
        """The cache key of a cacheable request; None for anything else."""
        headers = dict(scope["headers"])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None
        query, variables = payload.get("query"), payload.get("variables")
        operation = payload.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict | None):
            return None
        if not isinstance(operation, str | None) or not is_query(query, operation):
            return None
        try:
            principal = await self.principal_of(Request(scope))
        except Exception:  # the view reports authentication errors; nothing to cache
            return None
        return response_key(principal.scope_key, query, variables, operation)

    async def _lead(
        self, key: str, resources: Resources, scope: Scope, receive: Receive, send: Send
    ) -> None:
        flight: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        body = None
        try:
            body = await self._execute(key, resources, scope, receive, send)
        finally:
            self._flights.pop(key, None)
            flight.set_result(body)  # None: the waiters execute the request themselves

    async def _execute(
        self, key: str, resources: Resources, scope: Scope, receive: Receive, send: Send
    ) -> bytes | None:
        """Run the request, record what it read, store it if it may be; its bytes if stored."""
        dependencies = Dependencies()
        token = await resources.cache.versions.catalog_token()
        if token is None:
            dependencies.uncacheable("catalog version unknown")
        else:
            dependencies.add(CATALOG, token)
        status, chunks = 0, []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message["headers"], (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        with _tally.counting() as tally:
            await self.app({**scope, DEPENDENCIES: dependencies}, receive, capture)
        body = b"".join(chunks)
        if status != 200 or not dependencies.cacheable or not _only_data(body):
            return None
        stored = StoredResponse(body, dict(dependencies.versions), tally.statements)
        await resources.cache.responses.store(key, stored)
        return body


def _wants_fresh(scope: Scope) -> bool:
    """``Cache-Control: no-cache``: the client asks for a response computed now."""
    for name, value in scope["headers"]:
        if name == b"cache-control" and b"no-cache" in value.lower():
            return True
    return False


def _only_data(body: bytes) -> bool:
    """A response with nothing but ``data`` (errors and extensions are per request)."""
    return (
        body.startswith(b'{"data":') and b'"errors":' not in body and b'"extensions":' not in body
    )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_bytes(send: Send, body: bytes, how: bytes) -> None:
    headers: list[tuple[bytes, bytes]] = [
        *_JSON,
        (b"content-length", str(len(body)).encode()),
        (b"x-cache", how),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def dependencies_of(scope: Any) -> Dependencies | None:
    """The recorder the middleware put in this request's scope, if any."""
    found = scope.get(DEPENDENCIES) if isinstance(scope, dict) else None
    return found if isinstance(found, Dependencies) else None
