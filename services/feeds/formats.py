"""Parsing end-of-day files and JSON bodies into rows (pure; the formats are in docs/feeds.md).

A line that cannot be read (an unparseable date or number, a missing column) is reported
with its line number and reason, and the rest of the file is still read. Values that parse
but are wrong (NaN, negative, in the future) are left to validation, which says why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import orjson

from services.errors import InvalidInput
from services.validation import IncomingRow

Format = Literal["stooq", "fred", "perfgraph", "json"]
FORMATS: tuple[Format, ...] = ("stooq", "fred", "perfgraph", "json")
FRED_MISSING = "."  # FRED's "no observation on this date" (holidays)
_JSON_TS = ("ts", "timestamp", "date")
_JSON_LEVEL = ("level", "value", "close")


@dataclass(frozen=True)
class BadLine:
    line: int  # CSV: line in the file, the header being line 1; JSON: item number from 1
    field: str
    reason: str
    raw: dict[str, Any]


@dataclass
class Parsed:
    format: Format
    rows: list[IncomingRow] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each row
    bad: list[BadLine] = field(default_factory=list)
    skipped: int = 0  # dates the source publishes without a value (FRED ".")


def format_named(name: str) -> Format | Literal["auto"]:
    """A format by name (``auto`` to detect it), or InvalidInput naming the choices."""
    if name == "auto":
        return "auto"
    for choice in FORMATS:
        if name == choice:
            return choice
    raise InvalidInput(f"unknown format {name!r}: auto, {', '.join(FORMATS)}")


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 with an offset, or a bare date (an end-of-day level: midnight UTC)."""
    text = value.strip()
    if len(text) <= 10 and "T" not in text and " " not in text:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone offset")
    return stamp


def detect(body: str) -> Format:
    """The format of ``body``, from its first character or its CSV header."""
    text = body.lstrip("\ufeff \t\r\n")
    if text[:1] in ("{", "["):
        return "json"
    header = [h.strip().lower() for h in next(csv.reader(io.StringIO(text)), [])]
    if {"ts", "level"} <= set(header):
        return "perfgraph"
    if {"date", "close"} <= set(header):
        return "stooq"
    if len(header) == 2 and header[0] in ("date", "observation_date"):
        return "fred"
    raise InvalidInput(
        f"unrecognised header {header[:8]}: expected Date,Open,High,Low,Close,Volume (Stooq), "
        "DATE,VALUE (FRED), ts,level (perfgraph) or a JSON body"
    )


def parse(body: str, fmt: Format | Literal["auto"] = "auto") -> Parsed:
    """Rows of a CSV or JSON body in the given format (detected when ``auto``)."""
    chosen = detect(body) if fmt == "auto" else fmt
    if chosen == "json":
        return _parse_items(chosen, _json_items(body))
    reader = csv.DictReader(io.StringIO(body.lstrip("\ufeff")))
    columns = _columns(chosen, reader.fieldnames or [])
    items = (
        (reader.line_num, row) for row in reader if any((v or "").strip() for v in row.values())
    )
    return _parse_items(chosen, _csv_items(items, columns))


def _columns(fmt: Format, fieldnames: Iterable[str]) -> tuple[str, str]:
    names = {name.strip().lower(): name for name in fieldnames if name}
    wanted = {"stooq": ("date", "close"), "perfgraph": ("ts", "level")}.get(fmt)
    if wanted is None:  # FRED: the date column, then the series' own name
        ordered = list(names.values())
        if len(ordered) != 2:
            raise InvalidInput(f"a FRED file has two columns, got {ordered}")
        return ordered[0], ordered[1]
    missing = [w for w in wanted if w not in names]
    if missing:
        raise InvalidInput(f"{fmt} format needs columns {wanted}, missing {missing}")
    return names[wanted[0]], names[wanted[1]]


def _csv_items(
    rows: Iterator[tuple[int, dict[str, str]]], columns: tuple[str, str]
) -> Iterator[tuple[int, Any, Any, dict[str, Any]]]:
    ts_col, value_col = columns
    for line, row in rows:
        yield line, row.get(ts_col), row.get(value_col), dict(row)


def _json_items(body: str) -> Iterator[tuple[int, Any, Any, dict[str, Any]]]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from exc
    if isinstance(data, Mapping):
        data = data.get("observations", data.get("prices"))
    if not isinstance(data, list):
        raise InvalidInput(
            'JSON must be a list of prices, {"prices": [...]} or {"observations": [...]}'
        )
    for number, item in enumerate(data, start=1):
        raw = item if isinstance(item, dict) else {"item": item}
        yield number, _first(raw, _JSON_TS), _first(raw, _JSON_LEVEL), raw


def _first(item: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return next((item[n] for n in names if n in item), None)


def _parse_items(fmt: Format, items: Iterable[tuple[int, Any, Any, dict[str, Any]]]) -> Parsed:
    parsed = Parsed(fmt)
    for line, ts, value, raw in items:
        if isinstance(value, str) and value.strip() == FRED_MISSING:
            parsed.skipped += 1
            continue
        try:
            row = IncomingRow(_timestamp(ts), _number(value))
        except _Bad as bad:
            parsed.bad.append(BadLine(line, bad.field, bad.reason, raw))
            continue
        parsed.rows.append(row)
        parsed.lines.append(line)
    return parsed


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("ts", "timestamp is missing")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise _Bad("ts", f"unreadable timestamp {value!r}: {exc}") from exc


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise _Bad("value", "value is missing")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise _Bad("value", f"value {value!r} is not a number") from exc
