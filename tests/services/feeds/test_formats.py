"""Parsing the end-of-day formats: literal bodies, each bad line with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.errors import InvalidInput
from services.feeds.formats import detect, parse, parse_timestamp

JAN2 = datetime(2024, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n", "stooq"),
        ("Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,0.5,1.5,1.4,100\n", "stooq"),
        ("DATE,VALUE\n2024-01-02,1.5\n", "fred"),
        ("observation_date,DGS10\n2024-01-02,1.5\n", "fred"),
        ("\ufeffts,level\n2024-01-02T00:00:00Z,1.5\n", "perfgraph"),
        ('[{"ts": "2024-01-02", "level": 1.5}]', "json"),
        ('{"observations": [{"date": "2024-01-02", "value": "1.5"}]}', "json"),
        ('{"prices": [{"timestamp": "2024-01-02T00:00:00+00:00", "close": 1.5}]}', "json"),
    ],
)
def test_each_format_is_detected_and_read(body: str, fmt: str) -> None:
    assert detect(body) == fmt
    parsed = parse(body)
    assert (parsed.format, [(r.ts, r.value) for r in parsed.rows]) == (fmt, [(JAN2, 1.5)])


def test_stooq_reads_the_close_column() -> None:
    body = "Date,Open,High,Low,Close,Volume\n2024-01-02,4745.2,4754.33,4722.67,4742.83,0\n"
    assert [r.value for r in parse(body, "stooq").rows] == [4742.83]


def test_fred_dots_are_skipped_not_rejected() -> None:
    parsed = parse("DATE,VALUE\n2024-01-01,.\n2024-01-02,5.3\n")
    assert (len(parsed.rows), parsed.skipped, parsed.bad) == (1, 1, [])


def test_unreadable_lines_are_reported_with_their_line_and_reason() -> None:
    body = (
        "ts,level\n"
        "2024-01-02,1\n"
        "2024-02-30,1\n"
        "2024-01-04T10:00:00,1\n"
        ",1\n"
        "2024-01-05,\n"
        "2024-01-06,1.5e3x\n"
        "\n"
        "2024-01-08,NaN\n"
    )
    parsed = parse(body)
    assert parsed.lines == [2, 9]  # NaN reads as a number; validation rejects it
    assert [(b.line, b.field) for b in parsed.bad] == [
        (3, "ts"),
        (4, "ts"),
        (5, "ts"),
        (6, "value"),
        (7, "value"),
    ]
    assert "no time zone offset" in parsed.bad[1].reason
    assert parsed.bad[3].reason == "value is missing"
    assert parsed.bad[4].raw == {"ts": "2024-01-06", "level": "1.5e3x"}


def test_json_items_are_numbered_and_odd_items_reported() -> None:
    parsed = parse('[{"ts": "2024-01-02", "level": 1}, 7, {"ts": "2024-01-03", "level": true}]')
    assert [(b.line, b.field) for b in parsed.bad] == [(2, "ts"), (3, "value")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a,b,c\n1,2,3\n", "unrecognised header"),
        ("{not json", "not valid JSON"),
        ('{"data": []}', "list of prices"),
    ],
)
def test_unreadable_bodies_say_what_was_expected(body: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse(body)


def test_an_explicit_format_needs_its_columns() -> None:
    with pytest.raises(InvalidInput, match="missing"):
        parse("DATE,VALUE\n2024-01-02,1\n", "stooq")


def test_timestamps_keep_their_offset_and_dates_are_midnight_utc() -> None:
    stamp = parse_timestamp("2024-01-02T09:30:00-05:00")
    assert stamp == datetime(2024, 1, 2, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_timestamp("2024-01-02") == JAN2
    with pytest.raises(ValueError, match="offset"):
        parse_timestamp("2024-01-02 09:30")
