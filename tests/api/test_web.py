"""The dashboard's assets at /, next to the API, and the API without them."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from schema.app import create_app
from services.resources import Resources


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pg.test")


async def test_built_assets_are_served_at_root(resources: Resources, tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>dashboard</title>")
    (tmp_path / "assets" / "app.js").write_text("console.log('pg')")
    async with _client(create_app(resources=resources, web_dist=tmp_path)) as client:
        index = await client.get("/")
        script = await client.get("/assets/app.js")
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})
        api = await client.post("/graphql", json={"query": "{ benchmarks { symbol } }"})
    assert index.status_code == 200
    assert "<title>dashboard</title>" in index.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert "SPX" in {b["symbol"] for b in api.json()["data"]["benchmarks"]}


async def test_api_runs_without_built_assets(resources: Resources, tmp_path: Path) -> None:
    async with _client(create_app(resources=resources, web_dist=tmp_path / "absent")) as client:
        root = await client.get("/")
        api = await client.post("/graphql", json={"query": "{ benchmarks { symbol } }"})
    assert root.status_code == 404
    assert api.status_code == 200
    assert api.json()["data"]["benchmarks"]
