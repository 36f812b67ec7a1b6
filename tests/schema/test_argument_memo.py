"""Query arguments are converted once per field and value; mutations convert afresh."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
import strawberry.schema.schema_converter as converter

from schema import argument_memo


@strawberry.enum
class Unit(enum.Enum):
    DAY = "day"
    WEEK = "week"


@strawberry.input
class Span:
    unit: Unit = Unit.DAY
    start: datetime | None = None
    label: str | None = None
    tags: list[str] | None = None


seen: list[Span | None] = []


@strawberry.type
class Query:
    @strawberry.field
    def length(self, span: Span | None = None, scale: float = 1.0) -> str:
        seen.append(span)
        return f"{span.unit.value if span else '-'}:{scale}:{span.label if span else None}"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def record(self, span: Span) -> str:
        seen.append(span)
        return span.unit.value


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The values strawberry's own conversion was asked for."""
    made: list[dict[str, Any]] = []
    original = argument_memo._original

    def counted(value: dict[str, Any], *args: Any) -> dict[str, Any]:
        made.append(value)
        return original(value, *args)

    monkeypatch.setattr(argument_memo, "_original", counted)
    argument_memo.clear()
    seen.clear()
    yield made
    argument_memo.clear()


def run(schema: strawberry.Schema, document: str) -> Any:
    result = schema.execute_sync(document)
    assert result.errors is None, result.errors
    return result.data


def test_the_memo_is_what_strawberry_calls() -> None:
    from schema.schema import schema  # building perfgraph's schema installs it

    assert schema is not None
    assert vars(converter)["convert_arguments"] is argument_memo.convert_arguments
    assert converter.get_arguments.__globals__["convert_arguments"] is (
        argument_memo.convert_arguments
    )


def test_a_query_converts_each_distinct_argument_value_once(
    calls: list[dict[str, Any]],
) -> None:
    argument_memo.install()
    schema = strawberry.Schema(query=Query, mutation=Mutation)
    document = """{
      a: length(span: {unit: WEEK, label: "x"}, scale: 2)
      b: length(span: {unit: WEEK, label: "x"}, scale: 2)
      c: length(span: {unit: WEEK, label: "y"}, scale: 2)
      d: length(span: {unit: WEEK, label: "x"}, scale: 3)
      e: length
    }"""
    assert run(schema, document) == {
        "a": "week:2.0:x",
        "b": "week:2.0:x",
        "c": "week:2.0:y",
        "d": "week:3.0:x",
        "e": "-:1.0:None",
    }
    assert len(calls) == 4  # a (b reuses it), c, d, e (its defaults)
    assert all(isinstance(span, Span) for span in seen[:4])
    assert seen[0] is seen[1]
    run(schema, document)
    assert len(calls) == 4  # the next request converts nothing


def test_lists_and_large_values_are_converted_every_time(calls: list[dict[str, Any]]) -> None:
    """A list is never shared between calls (strawberry hands each call its own copy), and
    nothing large is remembered, whatever a client sends."""
    argument_memo.install()
    schema = strawberry.Schema(query=Query)
    long = "x" * (argument_memo.MAX_TEXT + 1)
    run(
        schema,
        f"""{{
          a: length(span: {{tags: ["x"]}})
          b: length(span: {{tags: ["x"]}})
          c: length(span: {{label: "{long}"}})
          d: length(span: {{label: "{long}"}})
        }}""",
    )
    assert len(calls) == 4
    assert seen[0] is not None
    assert seen[1] is not None
    assert seen[0].tags == seen[1].tags == ["x"]
    assert seen[0].tags is not seen[1].tags
    assert not argument_memo._memo


def test_equal_but_different_values_are_different_arguments(
    calls: list[dict[str, Any]],
) -> None:
    argument_memo.install()
    schema = strawberry.Schema(query=Query)
    data = run(
        schema,
        """{
          a: length(scale: 0.0)
          b: length(scale: -0.0)
          c: length(span: {start: "2024-01-01T00:00:00+00:00"})
          d: length(span: {start: "2024-01-01T01:00:00+01:00"})
        }""",
    )
    assert data["a"] == "-:0.0:None"
    assert data["b"] == "-:-0.0:None"
    assert len(calls) == 4
    assert seen[2] is not None
    assert seen[3] is not None
    assert str(seen[3].start) == "2024-01-01 01:00:00+01:00"


def test_datetimes_and_enums_are_part_of_the_key(calls: list[dict[str, Any]]) -> None:
    argument_memo.install()
    schema = strawberry.Schema(query=Query)
    run(
        schema,
        """{
          a: length(span: {start: "2024-01-01T00:00:00+00:00"})
          b: length(span: {start: "2024-01-02T00:00:00+00:00"})
          c: length(span: {unit: DAY, start: "2024-01-02T00:00:00+00:00"})
        }""",
    )
    assert [span.start for span in seen if span] == [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 2, tzinfo=UTC),
        datetime(2024, 1, 2, tzinfo=UTC),
    ]
    assert len(calls) == 2  # c is b: DAY is the default


def test_mutations_convert_their_input_every_time(calls: list[dict[str, Any]]) -> None:
    argument_memo.install()
    schema = strawberry.Schema(query=Query, mutation=Mutation)
    document = "mutation { a: record(span: {unit: DAY}) b: record(span: {unit: DAY}) }"
    assert run(schema, document) == {"a": "day", "b": "day"}
    assert len(calls) == 2
    assert seen[0] is not seen[1]


def test_the_memo_is_bounded(calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    argument_memo.install()
    monkeypatch.setattr(argument_memo, "MAX_ENTRIES", 2)
    schema = strawberry.Schema(query=Query)
    for scale in (1, 2, 3, 1):
        run(schema, f"{{ length(scale: {scale}) }}")
    assert len(argument_memo._memo) == 2
    assert len(calls) == 4  # scale 1 had been dropped when it came back
