"""The ASGI app factory: Starlette routes, the GraphQL view and the lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from loaders import Loaders
from schema.context import Context
from schema.health import healthz, readyz
from schema.http import BodySizeLimit, authenticate_request, refuse_request
from schema.metrics import metrics_endpoint
from schema.middleware import RequestContext
from schema.multiplex import TopicRegistry
from schema.reports import download_report
from schema.response_cache import ResponseCacheMiddleware, dependencies_of
from schema.schema import schema as default_schema
from schema.ws import (
    KeepServerSend,
    LimitedWebSocketAdapter,
    LiveTransportWSHandler,
    authenticate_connection,
)
from services.access import NOBODY
from services.config import Settings, get_settings
from services.db.migrate import migrate
from services.demo.load import is_empty, load_demo
from services.health import ReadinessChecks, default_checks
from services.lifecycle import Lifecycle
from services.logs import configure_logging
from services.logs import current as current_log_field
from services.ratelimit import RateLimiter
from services.resources import Resources, open_resources
from services.web import dist_dir
from services.worker import start_ingest

log = logging.getLogger("perfgraph")

Startup = Callable[[Resources, Lifecycle], Awaitable[None]]
# What runs for the life of the process (the pub/sub bridge, stream consumers) starts here,
# after the database is ready, and registers its own stop with ``lifecycle.on_shutdown``.
STARTUP: tuple[Startup, ...] = (start_ingest,)


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view with perfgraph's edge checks (schema/http.py, schema/ws.py)."""

    websocket_adapter_class = LimitedWebSocketAdapter
    graphql_transport_ws_handler_class = LiveTransportWSHandler

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
        self.topics = TopicRegistry.from_settings(settings)
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
            request_id=current_log_field("request_id") or uuid4().hex,
        )
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
    readiness: ReadinessChecks | None = None,
    startup: Sequence[Startup] = STARTUP,
    web_dist: Path | None = None,
) -> Starlette:
    """Build the app. With ``resources`` given, the caller owns them (tests share them).

    The dashboard's built assets (``web/dist`` unless ``web_dist`` is given) are served at
    ``/`` when they exist; the API runs the same without them.
    """
    settings = settings or (resources.settings if resources else get_settings())
    lifecycle = Lifecycle(hook_timeout_s=max(settings.shutdown_timeout_s, 1.0))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if resources is None:
            configure_logging(settings)
        opened = resources or await open_resources(settings)
        try:
            if resources is None:
                await prepare_database(opened)
            app.state.resources = opened
            for start in startup:
                await start(opened, lifecycle)
            # Everything alive now lives as long as the process: exempt it from the cyclic
            # garbage collector, whose full passes over it took ~160 ms (bench/results/live.md).
            gc.freeze()
            yield
        finally:
            await lifecycle.shutdown()
            if resources is None:
                await opened.close()

    schema = schema or default_schema
    view = GraphQLView(schema, settings)
    routes: list[BaseRoute] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/reports/{token}", download_report, methods=["GET"], name="report_download"),
    ]
    dist = web_dist or dist_dir()
    if (dist / "index.html").is_file():
        routes.append(Mount("/", app=StaticFiles(directory=dist, html=True), name="web"))
    middleware = [
        # Outermost: every response, refusals included, gets a request id and a log line.
        Middleware(
            RequestContext,
            timeout_s=settings.request_timeout_s,
            slow_ms=settings.slow_operation_ms,
        ),
        Middleware(BodySizeLimit, max_bytes=lambda: settings.max_body_bytes),
        Middleware(ResponseCacheMiddleware, path="/graphql", schema=schema),
        # Innermost: live frames are written through the send seen here (schema/ws.py).
        Middleware(KeepServerSend),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.lifecycle = lifecycle
    app.state.readiness = readiness or default_checks()
    app.state.live_topics = view.topics
    if resources is not None:
        app.state.resources = resources
    return app
