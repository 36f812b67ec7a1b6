"""The app the cache benchmark serves over real HTTP (uvicorn in a process of its own).

The perfgraph app, plus ``/bare`` (the stored dashboard bytes from the file named by
``PERFGRAPH_BENCH_BODY``, nothing else) and ``/plain`` (bench/plain_dashboard.py).
Run by bench/cache_bench.py: ``uvicorn --factory bench._server:create_bench_app``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from bench.plain_dashboard import plain_dashboard
from schema.app import create_app


@cache
def _body() -> bytes:
    return Path(os.environ["PERFGRAPH_BENCH_BODY"]).read_bytes()


async def bare(request: Request) -> Response:
    return Response(_body(), media_type="application/json")


async def plain(request: Request) -> Response:
    data = await plain_dashboard(request.app.state.resources.sessions)
    return Response(orjson.dumps(data), media_type="application/json")


def create_bench_app() -> Starlette:
    app = create_app()
    app.add_route("/bare", bare, methods=["POST"])
    app.add_route("/plain", plain, methods=["POST"])
    return app
