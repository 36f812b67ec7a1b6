"""What a request must look like: POST, JSON, one operation, a bounded body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import StatementCounter

QUERY = '{ strategy(slug: "stock-aapl") { name } }'


async def test_get_with_a_query_is_refused(
    client: httpx.AsyncClient, sql: StatementCounter
) -> None:
    sql.reset()
    for query in (QUERY, "mutation { recordPerformance { ok } }"):
        response = await client.get("/graphql", params={"query": query})
        assert response.status_code == 405
        assert response.headers["Allow"] == "POST"
        assert response.json() == {
            "errors": [
                {
                    "message": "GraphQL operations must be sent by POST with Content-Type: "
                    "application/json; GET only serves GraphiQL.",
                    "extensions": {"code": "METHOD_NOT_ALLOWED"},
                }
            ]
        }
    persisted = '{"persistedQuery": {"version": 1, "sha256Hash": "' + "0" * 64 + '"}}'
    response = await client.get("/graphql", params={"extensions": persisted})
    assert response.status_code == 405
    assert sql.statements == []


async def test_get_without_a_query_serves_graphiql_in_development(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_json_batches_are_refused(client: httpx.AsyncClient, sql: StatementCounter) -> None:
    sql.reset()
    body = json.dumps([{"query": QUERY}, {"query": QUERY}])
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "JSON batching is not supported: send one operation per request."
    assert "data" not in response.json()
    assert sql.statements == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", f"query={QUERY}"),
        (
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{QUERY}\r\n--x--',
        ),
        ("text/plain", json.dumps({"query": QUERY})),
        ("application/graphql", QUERY),
        (None, json.dumps({"query": QUERY})),
    ],
)
async def test_only_json_bodies_are_accepted(
    client: httpx.AsyncClient, sql: StatementCounter, content_type: str | None, body: str
) -> None:
    sql.reset()
    headers = {"Content-Type": content_type} if content_type else {}
    request = client.build_request("POST", "/graphql", content=body, headers=headers)
    if content_type is None:
        request.headers.pop("Content-Type", None)
    response = await client.send(request)
    assert response.status_code == 415
    [error] = response.json()["errors"]
    shown = content_type.split(";")[0] if content_type else "none"
    assert error["message"].startswith(f"Content-Type must be application/json, not {shown}")
    assert error["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE"}
    assert sql.statements == []


async def test_json_with_a_charset_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": QUERY}),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.json() == {"data": {"strategy": {"name": "Single-stock sleeve: Apple (AAPL)"}}}
    assert len(response.headers["X-Request-ID"]) == 32


async def test_oversized_bodies_are_refused_as_they_arrive(
    client: httpx.AsyncClient, sql: StatementCounter
) -> None:
    sql.reset()
    padding = " " * 1_100_000
    declared = await client.post(
        "/graphql",
        content=json.dumps({"query": QUERY + padding}),
        headers={"Content-Type": "application/json"},
    )

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield b'{"query": "' + QUERY.replace('"', '\\"').encode()
        for _ in range(20):
            yield b" " * 65_536
        yield b'"}'

    streamed = await client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["errors"][0] == {
            "message": "Request body larger than 1,048,576 bytes.",
            "extensions": {"code": "PAYLOAD_TOO_LARGE"},
        }
    assert sql.statements == []
