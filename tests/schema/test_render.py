"""Rendering subscription events once per topic: same result as GraphQL, constant memory."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import orjson
import pytest

from schema.render import Renderer, topic_key
from schema.schema import schema
from schema.types.live import PerformanceUpdate
from services import events

QUERY = """
subscription($ids: [ID!]!, $after: Int) {
  update: performance(strategyIds: $ids, afterSeq: $after) {
    seq kind ...Point
  }
}
fragment Point on PerformanceUpdate { point { nav timestamp } }
"""


def update(seq: int) -> PerformanceUpdate:
    stamp = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    return PerformanceUpdate.from_event(events.PerformanceEvent(7, seq, stamp, 101.5, 0.0))


async def test_a_payload_is_the_selection_with_aliases_and_fragments() -> None:
    renderer = Renderer(schema, QUERY, {"ids": ["7"]}, None, None)
    payload = orjson.loads(await renderer.render(update(3)))
    assert payload == {
        "data": {
            "update": {
                "seq": 3,
                "kind": "INSERT",
                "point": {"nav": 101.5, "timestamp": "2024-01-02T03:04:05+00:00"},
            }
        }
    }


@pytest.mark.parametrize("use_plan", [True, False], ids=["compiled", "graphql-core"])
async def test_rendering_many_events_keeps_memory_flat(use_plan: bool) -> None:
    renderer = Renderer(schema, QUERY, {"ids": ["7"]}, None, None, use_plan=use_plan)
    assert renderer.compiled == use_plan
    await renderer.render(update(0))
    gc.collect()
    before = len(gc.get_objects())
    for seq in range(1, 2001):
        await renderer.render(update(seq))
    gc.collect()
    assert len(gc.get_objects()) - before < 100  # no per-event residue


def test_cursors_do_not_split_topics_but_everything_else_does() -> None:
    key = topic_key(QUERY, {"ids": ["7"], "after": 3}, None, "anonymous:anonymous")
    assert key == topic_key(QUERY, {"ids": ["7"], "after": 90}, None, "anonymous:anonymous")
    inline = QUERY.replace("$after", "12").replace(", 12: Int", "")
    assert topic_key(inline, {"ids": ["7"]}, None, "s") == topic_key(
        inline.replace("afterSeq: 12", "afterSeq: 15"), {"ids": ["7"]}, None, "s"
    )
    assert key != topic_key(QUERY, {"ids": ["8"], "after": 3}, None, "anonymous:anonymous")
    assert key != topic_key(QUERY, {"ids": ["7"]}, None, "user:ann")
    other = QUERY.replace("seq kind", "seq")
    assert key != topic_key(other, {"ids": ["7"], "after": 3}, None, "anonymous:anonymous")
