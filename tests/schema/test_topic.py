"""A topic on a real feed: events taken inline and events its task renders, in one order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson

from schema.multiplex import Cursor, Delivery, LiveSpec, TopicRegistry
from schema.render import Renderer
from schema.schema import schema
from schema.types.live import PerformanceUpdate
from services import events
from services.ingest import record_performance
from services.live import PerformanceSource, SeqFeed
from services.resources import Resources
from services.validation import IncomingRow
from tests.factories import create_strategy

QUERY = "subscription($ids: [ID!]!) { performance(strategyIds: $ids) { seq point { nav } } }"
DAY = datetime(2024, 1, 1, tzinfo=UTC)


async def test_an_event_left_to_graphql_core_keeps_its_place_among_inline_ones(
    resources: Resources,
) -> None:
    sid = await create_strategy(resources)

    def present(event: events.PerformanceEvent) -> PerformanceUpdate:
        update = PerformanceUpdate.from_event(event)
        if event.seq == 2:  # a value the compiled plan refuses: graphql-core reports it
            update.point.nav = "not a number"  # type: ignore[assignment]
        return update

    source = PerformanceSource((sid,))
    spec = LiveSpec(
        feed=lambda: SeqFeed(resources, source), present=present, key_name=source.key_name
    )
    renderer = Renderer(schema, QUERY, {"ids": [str(sid)]}, None, None)
    assert renderer.compiled
    registry = TopicRegistry(queue_size=64, max_replay=100, recheck_s=60)
    topic, subscriber = await registry.attach("topic", spec, lambda: renderer)
    cursor = Cursor(spec)
    try:
        for day in range(4):
            rows = [IncomingRow(DAY + timedelta(days=day), 100.0 + day)]
            await record_performance(resources, sid, rows, source="t")
        received: list[Delivery] = []
        while len(received) < 4:
            received += await asyncio.wait_for(cursor.next_batch(subscriber), 10)
    finally:
        await registry.detach(topic, subscriber)
    assert [d.seq for d in received] == [1, 2, 3, 4]
    payloads = [orjson.loads(str(d.payload)) for d in received]
    assert [("errors" in p) for p in payloads] == [False, True, False, False]
    assert payloads[2]["data"] == {"performance": {"seq": 3, "point": {"nav": 102.0}}}
