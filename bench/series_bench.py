"""A 10-year daily series (about 2,520 points) over HTTP: `points` against `columns`.

Baseline: `points`, a list of typed objects, one field resolution per value. Measured in
the same run: the whole HTTP request (in-process ASGI transport, SQL included) and the
GraphQL execution alone (series already loaded, so only field resolution and serialisation).

Run: uv run python bench/series_bench.py
"""

from __future__ import annotations

import asyncio
import platform
from typing import Any

import httpx
import orjson

from bench._setup import RESULTS, median, open_bench_resources, p, timed
from loaders import Loaders
from schema.app import create_app
from schema.context import Context
from schema.schema import schema
from services.access import ANONYMOUS

FIELDS = "timestamp nav return cumulativeReturn drawdown"
COLUMNS = "timestamps nav returns cumulativeReturn drawdown"
SERIES = (
    '{{ strategy(slug: "stock-msft") {{ performance(window: {{preset: TEN_YEARS}}) {{ {} }} }} }}'
)
QUERIES = {
    "points": SERIES.format(f"points {{ {FIELDS} }}"),
    "columns": SERIES.format(f"columns {{ {COLUMNS} }}"),
}


async def main() -> None:
    resources = await open_bench_resources()
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    rows: list[tuple[str, float, float, float, int]] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, query in QUERIES.items():

            async def request(query: str = query) -> Any:
                response = await client.post("/graphql", json={"query": query})
                assert "errors" not in response.json(), response.text
                return response

            http = await timed(request, 40)
            size = len((await request()).content)
            loaders = Loaders.create(resources)
            context = Context(resources=resources, principal=ANONYMOUS, loaders=loaders)
            await schema.execute(query, context_value=context)  # loads and caches the series

            async def execute(query: str = query, context: Context = context) -> Any:
                result = await schema.execute(query, context_value=context)
                assert result.errors is None
                return orjson.dumps(result.data)

            execution = await timed(execute, 40)
            rows.append((name, median(http), p(http, 0.99), median(execution), size))
    await resources.close()
    points = {r[0]: r for r in rows}["points"]
    lines = [
        "# Series: points against columns",
        "",
        "10-year daily series (stock-msft, TEN_YEARS, DAY: about 2,520 points x 5 fields).",
        f"Machine: {platform.machine()}, Python {platform.python_version()}.",
        "Command: `uv run python bench/series_bench.py`",
        "",
        "| shape | HTTP p50 ms | HTTP p99 ms | execution p50 ms | bytes | execution vs points |",
        "|---|---|---|---|---|---|",
    ]
    for name, p50, p99, ex, size in rows:
        lines.append(
            f"| {name} | {p50:.2f} | {p99:.2f} | {ex:.2f} | {size} | {points[3] / ex:.1f}x faster |"
            if name != "points"
            else f"| {name} (baseline) | {p50:.2f} | {p99:.2f} | {ex:.2f} | {size} | 1.0x |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    (RESULTS / "series.md").write_text(text)


if __name__ == "__main__":
    asyncio.run(main())
