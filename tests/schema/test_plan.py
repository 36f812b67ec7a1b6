"""The compiled selection renders exactly what graphql-core's execution renders."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import strawberry

from schema.render import Renderer
from schema.schema import schema
from schema.types.live import BenchmarkTick, ChangeKind, LiveComparison, NavPoint, PerformanceUpdate
from services import events
from services.live_comparison import ComparisonState

STAMP = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def update(seq: int = 3, nav: float = 101.5, kind: str = "INSERT") -> PerformanceUpdate:
    event = events.PerformanceEvent(7, seq, STAMP, nav, -2.5, kind)  # type: ignore[arg-type]
    return PerformanceUpdate.from_event(event)


def tick() -> BenchmarkTick:
    return BenchmarkTick.from_event(events.BenchmarkTick("SPX", 12, STAMP, 4800.25, "REVISION"))


def comparison(**changes: Any) -> LiveComparison:
    values: dict[str, Any] = {
        "strategy_id": 7,
        "benchmark": "SPX",
        "as_of": STAMP,
        "periods": 250,
        "strategy_return": 0.125,
        "benchmark_return": 0.1,
        "excess_return": 0.025,
        "relative": 102.27,
        "strategy_seq": 41,
        "benchmark_seq": 9,
    }
    return LiveComparison.from_state(ComparisonState(**{**values, **changes}))


PERFORMANCE = "subscription($ids: [ID!]!) { performance(strategyIds: $ids) { %s } }"
CASES: list[tuple[str, str, dict[str, Any], object]] = [
    (
        "every field",
        PERFORMANCE % "strategyId seq kind point { timestamp nav cashFlow }",
        {"ids": ["7"]},
        update(),
    ),
    (
        "aliases, repeated fields and __typename at each level",
        PERFORMANCE
        % "__typename n: seq seq kind k: kind point { t: __typename nav } point { timestamp nav }",
        {"ids": ["7"]},
        update(kind="REVISION"),
    ),
    (
        "fragments, named and inline, nested",
        """
        subscription($ids: [ID!]!) {
          u: performance(strategyIds: $ids, afterSeq: 2) { ...Head ... on PerformanceUpdate {
            point { ...Nav } } }
        }
        fragment Head on PerformanceUpdate { seq ... { strategyId } }
        fragment Nav on NavPoint { cashFlow nav }
        """,
        {"ids": ["7"]},
        update(),
    ),
    (
        "@skip and @include under variables",
        """
        subscription($ids: [ID!]!, $full: Boolean!, $terse: Boolean = true) {
          performance(strategyIds: $ids) {
            seq kind @skip(if: $terse) point @include(if: $full) { nav } strategyId @skip(if: true)
          }
        }
        """,
        {"ids": ["7"], "full": True},
        update(),
    ),
    (
        "a named operation among several",
        "subscription A($ids: [ID!]!) { performance(strategyIds: $ids) { seq } }"
        " subscription B($ids: [ID!]!) { performance(strategyIds: $ids) { kind seq } }",
        {"ids": ["7"]},
        update(),
    ),
    (
        "benchmark ticks",
        'subscription { benchmarkTicks(symbols: ["SPX"]) { symbol seq kind timestamp level } }',
        {},
        tick(),
    ),
    (
        "a comparison with nulls in nullable fields",
        """
        subscription { liveComparison(strategyId: "7") {
          strategyId benchmark asOf periods strategyReturn benchmarkReturn excessReturn relative
          strategySeq benchmarkSeq
        } }
        """,
        {},
        comparison(as_of=None, strategy_return=None, relative=None),
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "value"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_the_compiled_selection_renders_what_graphql_renders(
    query: str, variables: dict[str, Any], value: object
) -> None:
    operation = "B" if "subscription B" in query else None
    compiled = Renderer(schema, query, variables, operation, None)
    executed = Renderer(schema, query, variables, operation, None, use_plan=False)
    assert compiled.compiled
    assert not executed.compiled
    payload = await compiled.render(value)
    assert payload == await executed.render(value)  # the same bytes, key order included
    assert "errors" not in orjson.loads(payload)


async def test_an_event_with_an_error_is_reported_as_graphql_reports_it() -> None:
    query = PERFORMANCE % "seq point { nav timestamp }"
    compiled = Renderer(schema, query, {"ids": ["7"]}, None, None)
    executed = Renderer(schema, query, {"ids": ["7"]}, None, None, use_plan=False)
    broken = [
        PerformanceUpdate(
            strategy_id=strawberry.ID("7"),
            seq=1,
            kind=ChangeKind.INSERT,
            point=None,  # type: ignore[arg-type]
        ),
        PerformanceUpdate(
            strategy_id=strawberry.ID("7"),
            seq=2,
            kind=ChangeKind.INSERT,
            point=NavPoint(timestamp=STAMP, nav="not a number", cash_flow=0.0),  # type: ignore[arg-type]
        ),
    ]
    for value in broken:
        payload = await compiled.render(value)
        assert payload == await executed.render(value)
        assert orjson.loads(payload)["errors"]
    assert await compiled.render(update(5)) == await executed.render(update(5))  # and on


@strawberry.type
class Reading:
    value: float

    @strawberry.field
    def doubled(self) -> float:
        return self.value * 2


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def readings(self) -> AsyncGenerator[Reading, None]:
        yield Reading(value=1.0)


async def test_a_selection_with_resolvers_runs_on_graphql_core() -> None:
    other = strawberry.Schema(query=Query, subscription=Subscription)
    plain = Renderer(other, "subscription { readings { value } }", None, None, None)
    resolved = Renderer(other, "subscription { readings { value doubled } }", None, None, None)
    assert plain.compiled
    assert not resolved.compiled
    assert orjson.loads(await resolved.render(Reading(value=1.5))) == {
        "data": {"readings": {"value": 1.5, "doubled": 3.0}}
    }


@pytest.mark.parametrize(
    ("seq", "nav"),
    [(2**40, 1.5), (1, float("nan")), (1, float("inf")), (True, 1.5), (1, 101), (1, True)],
    ids=["int beyond 32 bits", "nan", "inf", "bool as Int", "int as Float", "bool as Float"],
)
async def test_scalars_outside_the_plain_cases_serialise_as_graphql_serialises_them(
    seq: Any, nav: Any
) -> None:
    query = PERFORMANCE % "seq point { nav }"
    compiled = Renderer(schema, query, {"ids": ["7"]}, None, None)
    executed = Renderer(schema, query, {"ids": ["7"]}, None, None, use_plan=False)
    value = PerformanceUpdate(
        strategy_id=strawberry.ID("7"),
        seq=seq,
        kind=ChangeKind.INSERT,
        point=NavPoint(timestamp=STAMP, nav=nav, cash_flow=0.0),
    )
    assert await compiled.render(value) == await executed.render(value)


@strawberry.enum
class Tone(enum.Enum):
    LOW = "low"
    HIGH = "high"


@strawberry.type
class Node:
    name: str
    tone: Tone | None = None
    parent: Node | None = None
    children: list[Node] | None = None
    tags: list[Tone] = strawberry.field(default_factory=list)


@strawberry.type
class NodeSubscription:
    @strawberry.subscription
    async def nodes(self) -> AsyncGenerator[Node, None]:
        yield Node(name="root")


NODES = strawberry.Schema(query=Query, subscription=NodeSubscription)
NODE_QUERY = """
subscription { nodes {
  name tone tags __typename
  parent { name tone parent { name } }
  children { name tone tags children { name } }
} }
"""


NODE_CASES: list[tuple[str, Node, bool]] = [  # (case, event, whether the plan renders it)
    ("nulls in nullable fields", Node(name="a"), True),
    ("enums, and a list of them", Node(name="a", tone=Tone.HIGH, tags=[Tone.LOW]), True),
    (
        "nested objects, nullable",
        Node(name="a", parent=Node(name="p", tone=Tone.LOW, parent=Node(name="q"))),
        True,
    ),
    ("an empty list", Node(name="a", children=[]), True),
    (
        "a list of objects with lists",
        Node(name="a", children=[Node(name="c", tags=[Tone.LOW], children=[Node(name="d")])]),
        True,
    ),
    ("an enum's value, not its member", Node(name="a", tone="high"), True),  # type: ignore[arg-type]
    ("a null in a list of non-null enums", Node(name="a", tags=[None]), False),  # type: ignore[list-item]
    ("a null in a list of non-null objects", Node(name="a", children=[None]), False),  # type: ignore[list-item]
    ("a value the enum does not have", Node(name="a", tone="loud"), False),  # type: ignore[arg-type]
    ("a null in a non-null string", Node(name=None), False),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("value", "planned"), [c[1:] for c in NODE_CASES], ids=[c[0] for c in NODE_CASES]
)
async def test_nested_objects_lists_and_enums_render_as_graphql_renders_them(
    value: Node, planned: bool
) -> None:
    compiled = Renderer(NODES, NODE_QUERY, None, None, None)
    executed = Renderer(NODES, NODE_QUERY, None, None, None, use_plan=False)
    assert compiled.compiled
    assert (compiled.render_now(value) is not None) == planned  # else graphql-core reports it
    payload = await compiled.render(value)
    assert payload == await executed.render(value)
    assert ("errors" in orjson.loads(payload)) != planned
