"""Every request gets an id (echoed, logged, given in masked errors) and one log line with
its operation, principal and duration."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from schema.app import create_app
from services.logs import ContextFilter, JsonFormatter
from services.resources import Resources
from tests.faults.app import fault_schema

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(resources=resources, schema=fault_schema)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        yield c


@pytest.fixture
def json_logs() -> Iterator[Lines]:
    """The JSON lines the production formatter writes while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_plausible_client_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "lb-7f3a.1"})
    assert response.headers["x-request-id"] == "lb-7f3a.1"


async def test_an_implausible_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "no spaces\tor tabs"})
    assert len(response.headers["x-request-id"]) == 32


async def test_masked_errors_carry_the_request_id_and_it_is_logged(
    client: httpx.AsyncClient, json_logs: Lines
) -> None:
    headers = {"x-request-id": "masked-1"}
    response = await client.post(
        "/graphql", json={"query": "query Boom { explode }"}, headers=headers
    )
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "masked-1"}
    assert "secret" not in error["message"]
    logged = [line for line in json_logs() if line.get("request_id") == "masked-1"]
    [failure] = [line for line in logged if line["level"] == "ERROR"]  # logged once
    assert failure["logger"] == "perfgraph.errors"
    assert failure["operation"] == "Boom"
    assert "a bug with a secret" in failure["exception"]


@pytest.mark.parametrize(
    "query",
    [
        "query Typo { benchmarkz { symbol } }",  # validation
        '{ benchmark(symbol: "SPX") { series(window: {from: "2021-01-01T00:00:00Z",'
        ' to: "2020-01-01T00:00:00Z"}) { columns { level } } } }',  # bad input
        "{ strategies(first: 0) { nodes { id } } }",  # bad argument
    ],
)
async def test_a_clients_mistake_is_not_logged_as_an_error(
    client: httpx.AsyncClient, json_logs: Lines, query: str
) -> None:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"x-request-id": "mistake-1"}
    )
    assert response.json()["errors"]
    logged = [line for line in json_logs() if line.get("request_id") == "mistake-1"]
    assert [line["level"] for line in logged if line["logger"] != "perfgraph.http"] == []


async def test_one_line_per_request_with_operation_principal_and_duration(
    client: httpx.AsyncClient, json_logs: Lines
) -> None:
    await client.post(
        "/graphql",
        json={"query": "query Probe { benchmarks { symbol } }"},
        headers={"x-request-id": "probe-1"},
    )
    [line] = [line for line in json_logs() if line.get("request_id") == "probe-1"]
    assert line["logger"] == "perfgraph.http"
    assert line["level"] == "INFO"
    assert line["message"].startswith("POST /graphql 200 ")
    assert (line["operation"], line["principal"], line["status"]) == (
        "Probe",
        "anonymous:anonymous",
        200,
    )
    assert line["duration_ms"] > 0
    assert line["slow"] is False


async def test_slow_requests_are_logged_as_warnings(resources: Resources, json_logs: Lines) -> None:
    settings = resources.settings.model_copy(update={"slow_operation_ms": 50})
    app = create_app(settings, resources=resources, schema=fault_schema)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        await c.post("/graphql", json={"query": "query Nap { sleep(seconds: 0.1) }"})
        await c.post("/graphql", json={"query": "query Quick { sleep(seconds: 0) }"})
    by_operation = {line.get("operation"): line for line in json_logs() if "status" in line}
    assert by_operation["Nap"]["level"] == "WARNING"
    assert by_operation["Nap"]["message"].startswith("slow request: POST /graphql 200")
    assert by_operation["Quick"]["level"] == "INFO"
