"""/metrics: operation latency by name, errors by code, pool usage, process and task gauges."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from strawberry.types import ExecutionResult

from loaders import Loaders
from schema.context import Context
from services import metrics
from services.access import ANONYMOUS
from services.resources import Resources
from tests.conftest import GraphQLClient
from tests.faults.app import fault_schema

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def operation_count(samples: Samples, **labels: str) -> float:
    key = ("perfgraph_graphql_operation_duration_seconds_count", tuple(sorted(labels.items())))
    return samples.get(key, 0.0)


async def test_operations_are_timed_by_name_and_outcome(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    ok = {"operation": "MetricsProbe", "type": "query", "outcome": "ok"}
    failed = {"operation": "MetricsProbeBad", "type": "query", "outcome": "error"}
    before = await scrape(client)
    await gql("query MetricsProbe { benchmarks { symbol } }")
    await gql("query MetricsProbe { benchmarks { symbol } }")
    await gql.raw('query MetricsProbeBad { strategy(id: "x") { id } }')
    after = await scrape(client)
    assert operation_count(after, **ok) - operation_count(before, **ok) == 2
    assert operation_count(after, **failed) - operation_count(before, **failed) == 1
    errors = ("perfgraph_graphql_errors_total", (("code", "BAD_USER_INPUT"),))
    assert after[errors] - before.get(errors, 0.0) == 1


async def test_pool_process_and_task_gauges_are_exported(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    primary = (("pool", "primary"),)
    assert samples[("perfgraph_db_pool_checked_out", primary)] == 0
    assert samples[("perfgraph_db_pool_size", primary)] >= 1
    assert samples[("perfgraph_asyncio_tasks", ())] >= 1
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert ("perfgraph_http_requests_in_flight", ()) in samples
    assert ("perfgraph_pubsub_channels", ()) in samples
    assert ("perfgraph_pubsub_reconnects_total", ()) in samples


async def test_open_subscriptions_are_counted_by_field(resources: Resources) -> None:
    def active() -> float:
        value = metrics.REGISTRY.get_sample_value(
            "perfgraph_subscriptions_active", {"kind": "ticks"}
        )
        return value or 0.0

    before = active()
    context = Context(resources=resources, principal=ANONYMOUS, loaders=Loaders.create(resources))
    stream = await fault_schema.subscribe(
        "subscription { ticks(interval: 0.01) }", context_value=context
    )
    assert not isinstance(stream, ExecutionResult)
    first = await anext(stream)
    assert first.data == {"ticks": 0}
    assert active() == before + 1
    await stream.aclose()
    assert active() == before
