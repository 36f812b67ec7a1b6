"""Helpers for report tests: create links through the mutation, read CSV reports back."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.conftest import GraphQLClient

CREATE = """
mutation($input: ReportInput!) {
  createReportLink(input: $input) {
    __typename
    ... on ReportLink { url expiresAt filename format }
    ... on ValidationError { message field }
    ... on NotFoundError { message }
  }
}
"""


async def strategy_id(gql: GraphQLClient, slug: str) -> str:
    data = await gql(f'{{ strategy(slug: "{slug}") {{ id }} }}')
    return str(data["strategy"]["id"])


async def create_link(gql: GraphQLClient, **report: Any) -> dict[str, Any]:
    data = await gql(CREATE, {"input": report})
    result: dict[str, Any] = data["createReportLink"]
    return result


async def download(gql: GraphQLClient, client: httpx.AsyncClient, **report: Any) -> httpx.Response:
    """Create a link (it must succeed) and GET it."""
    link = await create_link(gql, **report)
    assert link["__typename"] == "ReportLink", link
    return await client.get(link["url"])


def sections(text: str) -> dict[str, list[dict[str, str]]]:
    """A CSV report as {section: rows as dicts keyed by the section's header}."""
    found: dict[str, list[dict[str, str]]] = {}
    rows = list(csv.reader(io.StringIO(text)))
    i = 0
    while i < len(rows):
        assert rows[i][0] == "section", f"row {i} should open a section: {rows[i]}"
        name, header = rows[i][1], rows[i + 1]
        i += 2
        body = []
        while i < len(rows) and rows[i]:
            assert len(rows[i]) == len(header), (name, rows[i])
            body.append(dict(zip(header, rows[i], strict=True)))
            i += 1
        found[name] = body
        i += 1  # the empty line closing the section
    return found


def number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def field(data: dict[str, Any], path: str) -> Any:
    """``a.b`` in nested API data (None along the way stays None)."""
    for part in path.split("."):
        if data is None:
            return None
        data = data[part]
    return data
