"""The ASGI app factory: Starlette routes, the GraphQL view and the lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from loaders import Loaders
from schema.context import Context
from schema.http import BodySizeLimit, authenticate_request, refuse_request
from schema.response_cache import ResponseCacheMiddleware, dependencies_of
from schema.schema import schema as default_schema
from schema.ws import LimitedWebSocketAdapter, authenticate_connection
from services.access import NOBODY
from services.config import Settings, get_settings
from services.db.migrate import migrate
from services.demo.load import is_empty, load_demo
from services.ratelimit import RateLimiter
from services.resources import Resources, open_resources

log = logging.getLogger("perfgraph")


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view with perfgraph's edge checks (schema/http.py, schema/ws.py)."""

    websocket_adapter_class = LimitedWebSocketAdapter

    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_s),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            allowed_origins=settings.allowed_origin_list,
        )
        self.rate_limiter: RateLimiter | None = None

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, Request):
            refusal = await refuse_request(request)
            if refusal is not None:
                return refusal
        if isinstance(request, Request) and request.method == "POST":  # GET runs no operation
            principal = getattr(request.state, "principal", None)  # the response cache's
            if principal is None:
                principal = await authenticate_request(request.app.state.resources, request)
            if isinstance(principal, Response):
                return principal
            request.state.principal = principal
        return await super().run(request, context, root_value)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        resources: Resources = request.app.state.resources
        if self.rate_limiter is None:
            self.rate_limiter = RateLimiter(resources.redis)
        context = Context(
            resources=resources,
            principal=getattr(request.state, "principal", NOBODY),
            loaders=Loaders.create(resources, dependencies_of(request.scope)),
            request=request,
            response=response,
            rate_limiter=self.rate_limiter,
        )
        if isinstance(request, Request):
            response.headers["X-Request-ID"] = context.request_id
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        await authenticate_connection(context)
        acknowledged: UnsetType = UNSET  # a connection_ack without payload
        return acknowledged

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)


async def prepare_database(resources: Resources) -> None:
    """Migrate, and load the demo data into an empty database when configured to."""
    await migrate(resources.engine)
    if resources.settings.load_demo and await is_empty(resources.engine):
        log.info("empty database: loading the demo data set")
        summary = await load_demo(resources.engine)
        log.info("demo data loaded: %s rows", summary.rows_inserted)
        await resources.cache.clear()  # entries another database left in this Redis


def create_app(
    settings: Settings | None = None,
    *,
    resources: Resources | None = None,
    schema: strawberry.Schema | None = None,
) -> Starlette:
    """Build the app. With ``resources`` given, the caller owns them (tests share them)."""
    settings = settings or (resources.settings if resources else get_settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if resources is not None:
            yield
            return
        opened = await open_resources(settings)
        try:
            await prepare_database(opened)
            app.state.resources = opened
            yield
        finally:
            await opened.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    schema = schema or default_schema
    view = GraphQLView(schema, settings)
    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
    ]
    cache = Middleware(ResponseCacheMiddleware, path="/graphql", schema=schema)
    app = Starlette(routes=routes, middleware=[cache], lifespan=lifespan)
    if resources is not None:
        app.state.resources = resources
    app.add_middleware(BodySizeLimit, max_bytes=lambda: settings.max_body_bytes)
    return app
