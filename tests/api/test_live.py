"""Performance subscriptions over graphql-transport-ws on a real uvicorn."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.applications import Starlette

from loaders import Loaders
from schema.context import Context
from schema.schema import schema
from services.access import ANONYMOUS
from services.resources import Resources
from tests.api.conftest import PERFORMANCE, record, topics
from tests.factories import create_strategy
from tests.waiting import until
from tests.wsclient import Subscription, graphql_ws


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["performance"]["seq"] for e in events]


async def error_of(subscription: Subscription) -> dict[str, Any]:
    message = await subscription.message()
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    [error] = message["payload"]["errors"]
    assert (await subscription.message())["type"] == "complete"
    result: dict[str, Any] = error
    return result


async def test_changes_arrive_in_order_each_once_as_text(
    resources: Resources, live_url: str
) -> None:
    sid = await create_strategy(resources)
    async with graphql_ws(live_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (0, 100.0))
        # Once the first change has arrived the subscription is live: a replay started after
        # the revision below would rightly carry seq 2's point at its revised seq 3 instead.
        events = await sub.collect(1)
        await record(resources, sid, (1, 101.0))
        await record(resources, sid, (1, 101.0))  # identical: no change, no event
        await record(resources, sid, (1, 100.5), (2, 102.0))
        events += await sub.collect(3)
        assert ws.binary_frames == 0
    assert seqs(events) == [1, 2, 3, 4]
    changes = [(e["performance"]["kind"], e["performance"]["point"]["nav"]) for e in events]
    assert changes == [("INSERT", 100.0), ("INSERT", 101.0), ("REVISION", 100.5), ("INSERT", 102.0)]
    assert events[2]["performance"]["point"]["timestamp"] == "2024-01-02T00:00:00+00:00"
    assert {e["performance"]["strategyId"] for e in events} == {str(sid)}


async def test_resuming_after_a_disconnect_misses_nothing_and_doubles_nothing(
    resources: Resources, live_url: str
) -> None:
    sid = await create_strategy(resources)
    async with graphql_ws(live_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (0, 100.0), (1, 101.0), (2, 102.0))
        first = await sub.collect(3)
    last_received = seqs(first)[-1]
    await record(resources, sid, (1, 99.0))  # revises a point the client has (seq 4)

    # Keep writing while the client comes back: the replay/live boundary is crossed live.
    async def writer() -> int:
        last = 0
        for day in range(3, 33):
            last = await record(resources, sid, (day, 100.0 + day))
        return last

    writing = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    async with graphql_ws(live_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": last_received})
        final = await writing
        resumed = await sub.collect(final - last_received)
        assert sub.queue.empty()
    assert seqs(resumed) == list(range(last_received + 1, final + 1))
    assert resumed[0]["performance"]["kind"] == "REVISION"
    assert resumed[0]["performance"]["point"]["nav"] == 99.0


async def test_several_strategies_resume_each_from_its_own_cursor(
    resources: Resources, live_url: str
) -> None:
    a, b = await create_strategy(resources), await create_strategy(resources)
    await record(resources, a, (0, 10.0), (1, 11.0))
    await record(resources, b, (0, 20.0))
    after = [{"strategyId": str(a), "seq": 1}, {"strategyId": str(b), "seq": 0}]
    async with graphql_ws(live_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(a), str(b)], "after": after})
        replayed = await sub.collect(2)
        await record(resources, b, (1, 21.0))
        live = await sub.collect(1)
    got = {(e["performance"]["strategyId"], e["performance"]["seq"]) for e in replayed + live}
    assert got == {(str(a), 2), (str(b), 1), (str(b), 2)}


async def test_identical_subscriptions_share_one_topic_and_its_bytes(
    app: Starlette, resources: Resources, live_url: str
) -> None:
    sid = await create_strategy(resources)
    await record(resources, sid, (0, 100.0))
    other_shape = "subscription($ids: [ID!]!) { performance(strategyIds: $ids) { seq } }"
    async with graphql_ws(live_url) as one, graphql_ws(live_url) as two:
        first = await one.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        second = await two.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 1})
        third = await two.subscribe(other_shape, {"ids": [str(sid)]})
        await first.collect(1)  # the replay: the first subscriber is attached
        registry = topics(app)

        async def attached() -> bool:
            # Ready: the third's feed has read where it starts (it replays nothing before).
            live = registry.topics.values()
            return sum(len(t.subscribers) for t in live) >= 3 and all(t.ready.done() for t in live)

        await until(attached, "three subscribers")
        mine = [k for k in registry.topics if f'"ids":["{sid}"]' in k]
        assert len(mine) == 2  # different cursors share; a different selection does not
        await record(resources, sid, (1, 101.0))
        a, b, c = await first.message(), await second.message(), await third.message()
    assert orjson.dumps(a["payload"]) == orjson.dumps(b["payload"])
    assert c["payload"] == {"data": {"performance": {"seq": 2}}}


async def test_bad_arguments_are_explicit_errors(resources: Resources, live_url: str) -> None:
    a, b = await create_strategy(resources), await create_strategy(resources)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"ids": [str(a), str(b)], "afterSeq": 3}, "BAD_USER_INPUT", "afterSeq resumes one"),
        ({"ids": [str(a)], "after": [{"strategyId": str(b), "seq": 1}]}, "BAD_USER_INPUT", "not"),
        ({"ids": [str(a)], "afterSeq": -1}, "BAD_USER_INPUT", "start at 0"),
        ({"ids": ["999999"]}, "NOT_FOUND", "999999"),
        ({"ids": ["x"]}, "BAD_USER_INPUT", "integer"),
        ({"ids": []}, "BAD_USER_INPUT", "between 1 and"),
    ]
    async with graphql_ws(live_url) as ws:
        for variables, code, message in cases:
            error = await error_of(await ws.subscribe(PERFORMANCE, variables))
            assert error["extensions"]["code"] == code, (variables, error)
            assert message in error["message"]


async def test_without_a_websocket_the_resolver_yields_the_same_events(
    resources: Resources,
) -> None:
    sid = await create_strategy(resources)
    await record(resources, sid, (0, 100.0))
    context = Context(resources=resources, principal=ANONYMOUS, loaders=Loaders.create(resources))
    stream = await schema.subscribe(
        PERFORMANCE, variable_values={"ids": [str(sid)], "afterSeq": 0}, context_value=context
    )
    first = await anext(stream)
    await record(resources, sid, (1, 101.0))
    second = await anext(stream)
    await stream.aclose()
    assert first.errors is None
    assert second.errors is None
    assert [r.data["performance"]["seq"] for r in (first, second)] == [1, 2]  # type: ignore[index]
