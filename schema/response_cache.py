"""Whole-response cache for identical queries, in front of GraphQL execution (ASGI middleware).

A POSTed query with the same document, variables, operation name and access (the
principal's account, scopes and grants) as a stored response is answered with the stored
bytes while every version the response depended on is current: no parsing, validation or
execution. The principal is authenticated first and, unless anonymous, charged the stored
query cost against its rate limit, exactly as an executed request would be.

Otherwise the request runs as usual with a :class:`Dependencies` recorder in its ASGI scope
(the loaders fill it), and a response with nothing but ``data`` is stored with those
versions. Mutations, subscriptions, GET requests, persisted-query hashes without a document
and responses with errors or extensions are never stored. Concurrent identical misses in one
process execute once. ``Cache-Control: no-cache`` skips the lookup (the fresh response is
still stored). See docs/caching.md.

A hit does the least it can: the parse of a request body and the key of (body, access)
are memoised (dashboards repeat the same bytes), the principal is authenticated and
charged as usual, and the stored body is checked with one MGET of its versions
(services/response_cache.py keeps the body in memory).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import strawberry
from graphql import DocumentNode, GraphQLError, OperationType, get_operation_ast, parse
from prometheus_client.metrics import Histogram
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.cost import analyse
from schema.http import authenticate_request
from schema.limits import rate_limit
from services import _tally, metrics
from services.access import Principal
from services.ratelimit import RateLimiter
from services.resources import Resources
from services.response_cache import StoredResponse, response_key
from services.versions import CATALOG, Dependencies

DEPENDENCIES = "perfgraph.dependencies"  # the ASGI scope key the context reads
MEMO_BODY_BYTES = 16 * 1024  # larger bodies are parsed every time (bounds the memory held)


@lru_cache(maxsize=1024)
def query_document(document: str, operation: str | None) -> tuple[DocumentNode, str] | None:
    """The parsed document and its operation's name, if that operation is a query."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return None
    found = get_operation_ast(parsed, operation)
    if found is None or found.operation is not OperationType.QUERY:
        return None
    return parsed, metrics.operation_label(found.name.value if found.name else None)


def access_scope(principal: Principal) -> str:
    """Everything that decides what the principal sees: a withdrawn grant changes it."""
    return orjson.dumps(
        [
            principal.kind,
            principal.name,
            principal.account_id,
            sorted(principal.scopes),
            sorted(principal.granted),
            principal.read_all,
        ]
    ).decode()


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (memoised per body)
class ParsedBody:
    """A request body holding a query the cache may answer."""

    query: str
    variables: dict[str, Any] | None  # read, never changed (shared by identical bodies)
    operation_name: str | None
    document: DocumentNode
    operation: str  # the metrics label of the operation's name


def parse_body(body: bytes) -> ParsedBody | None:
    """The body's query, if it is one the cache may answer; None for anything else."""
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
    parsed = query_document(query, operation) if isinstance(operation, str | None) else None
    if parsed is None:
        return None
    return ParsedBody(query, variables, operation, parsed[0], parsed[1])


_parse_memo = lru_cache(maxsize=512)(parse_body)


def key_of(principal: Principal, parsed: ParsedBody) -> str:
    """The stored response's key: the access scope and what was asked."""
    scope = access_scope(principal)
    return response_key(scope, parsed.query, parsed.variables, parsed.operation_name)


_key_memo = lru_cache(maxsize=1024)(key_of)  # memoised bodies only (ParsedBody by identity)


@dataclass(frozen=True)
class Cacheable:
    key: str
    principal: Principal
    document: DocumentNode
    variables: dict[str, Any] | None
    operation: str  # the metrics label of the operation's name


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, *, path: str, schema: strawberry.Schema) -> None:
        self.app = app
        self.path = path
        self.schema = schema
        self._flights: dict[str, asyncio.Future[StoredResponse | None]] = {}
        self._limiter: RateLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        resources = self._resources(scope)
        if resources is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replay(body, receive)
        request = await _cacheable(resources, scope, body)
        if request is None:
            await self.app(scope, replay, send)
            return
        scope.setdefault("state", {})["principal"] = request.principal  # not authenticated twice
        if _wants_fresh(scope):  # executed now, and still stored for the next request
            await self._execute(request, resources, scope, replay, send)
            return
        started = time.perf_counter()
        stored = await resources.cache.responses.fetch(request.key)
        if stored is not None and await self._charge(resources, request.principal, stored.cost):
            await _send_bytes(send, stored.body, b"hit", request.operation, started)
            return
        flight = self._flights.get(request.key)
        if flight is not None and stored is None:
            shared = await asyncio.shield(flight)
            if shared is not None and await self._charge(resources, request.principal, shared.cost):
                await _send_bytes(send, shared.body, b"coalesced", request.operation, started)
                return
        await self._lead(request, resources, scope, replay, send)

    def _resources(self, scope: Scope) -> Resources | None:
        """The resources when this request may use the cache; None to pass it through."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            return None
        resources: Resources | None = getattr(scope["app"].state, "resources", None)
        if resources is None or not resources.settings.response_cache_enabled:
            return None
        return resources

    async def _charge(self, resources: Resources, principal: Principal, cost: int) -> bool:
        """The rate limit an executed query would have spent; refused: execute it (429)."""
        if principal.kind == "anonymous":
            return True
        self._limiter = self._limiter or RateLimiter(resources.redis)
        limit, units = rate_limit(principal, resources.settings, cost)
        return (await self._limiter.hit(principal.scope_key, limit, units)).allowed

    async def _lead(
        self, request: Cacheable, resources: Resources, scope: Scope, receive: Receive, send: Send
    ) -> None:
        flight: asyncio.Future[StoredResponse | None] = asyncio.get_running_loop().create_future()
        self._flights.setdefault(request.key, flight)
        stored = None
        try:
            stored = await self._execute(request, resources, scope, receive, send)
        finally:
            if self._flights.get(request.key) is flight:
                del self._flights[request.key]
            flight.set_result(stored)  # None: the waiters execute the request themselves

    async def _execute(
        self, request: Cacheable, resources: Resources, scope: Scope, receive: Receive, send: Send
    ) -> StoredResponse | None:
        """Run the request, record what it read, and store it if it may be."""
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
        cost = dependencies.cost
        if cost is None:  # not recorded by the limits (they run for every executed query)
            cost = analyse(
                self.schema._schema,
                request.document,
                request.variables,
                resources.settings.default_page_size,
            ).cost
        stored = StoredResponse(body, dict(dependencies.versions), tally.statements, cost)
        await resources.cache.responses.store(request.key, stored)
        return stored


async def _cacheable(resources: Resources, scope: Scope, body: bytes) -> Cacheable | None:
    """The request, if it is a query the cache may answer; None for anything else."""
    headers = dict(scope["headers"])
    if not headers.get(b"content-type", b"").startswith(b"application/json"):
        return None
    memoised = len(body) <= MEMO_BODY_BYTES
    parsed = _parse_memo(body) if memoised else parse_body(body)
    if parsed is None:
        return None
    principal = await authenticate_request(resources, Request(scope))
    if not isinstance(principal, Principal):
        return None  # the view answers 401
    key = _key_memo(principal, parsed) if memoised else key_of(principal, parsed)
    return Cacheable(key, principal, parsed.document, parsed.variables, parsed.operation)


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


async def _send_bytes(send: Send, body: bytes, how: bytes, operation: str, started: float) -> None:
    """A stored response; timed like an executed query (the request id is added outside)."""
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-cache", how),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    _duration(operation).observe(time.perf_counter() - started)


@lru_cache(maxsize=512)
def _duration(operation: str) -> Histogram:
    """The duration histogram of a query that succeeded (operation labels are bounded)."""
    return metrics.GRAPHQL_DURATION.labels(operation, "query", "ok")


def dependencies_of(scope: Any) -> Dependencies | None:
    """The recorder the middleware put in this request's scope, if any."""
    found = scope.get(DEPENDENCIES) if isinstance(scope, dict) else None
    return found if isinstance(found, Dependencies) else None
