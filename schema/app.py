"""The ASGI app factory: Starlette routes, the GraphQL view and the lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
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

from loaders import Loaders
from schema.context import Context
from schema.response_cache import ResponseCacheMiddleware, dependencies_of
from schema.schema import schema as default_schema
from services.access import ANONYMOUS, Principal
from services.config import Settings, get_settings
from services.db.migrate import migrate
from services.demo.load import is_empty, load_demo
from services.resources import Resources, open_resources

log = logging.getLogger("perfgraph")


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        resources: Resources = request.app.state.resources
        return Context(
            resources=resources,
            principal=await request_principal(request),
            loaders=Loaders.create(resources, dependencies_of(request.scope)),
            request=request,
            response=response,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)


async def request_principal(request: Request | WebSocket) -> Principal:
    """Who is asking; the response cache keys on the same principal's scope."""
    return ANONYMOUS


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

    view = GraphQLView(schema or default_schema, settings)
    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
    ]
    middleware = [
        Middleware(ResponseCacheMiddleware, path="/graphql", principal_of=request_principal)
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    if resources is not None:
        app.state.resources = resources
    return app
