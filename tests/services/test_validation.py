"""Row validation: literal cases, each with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.validation import IncomingRow, validate_rows

NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
T = datetime(2024, 6, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (IncomingRow(T, float("nan")), "value", "finite"),
        (IncomingRow(T, float("inf")), "value", "finite"),
        (IncomingRow(T, -1.0), "value", "above zero"),
        (IncomingRow(T, 0.0), "value", "above zero"),
        (IncomingRow(T, 100.0, float("nan")), "cash_flow", "finite"),
        (IncomingRow(T, 100.0, 150.0), "cash_flow", "value before the cash flow"),
        (IncomingRow(T.replace(tzinfo=None), 100.0), "ts", "time zone"),
        (IncomingRow(NOW + timedelta(hours=1), 100.0), "ts", "in the future"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(row: IncomingRow, field: str, reason: str) -> None:
    result = validate_rows([IncomingRow(T - timedelta(days=1), 99.0), row], now=NOW)
    assert len(result.accepted) == 1
    [rejection] = result.rejected
    assert (rejection.index, rejection.field) == (1, field)
    assert reason in rejection.reason


def test_small_clock_skew_is_tolerated() -> None:
    result = validate_rows([IncomingRow(NOW + timedelta(minutes=2), 100.0)], now=NOW)
    assert len(result.accepted) == 1


def test_identical_duplicates_collapse_and_conflicts_are_all_rejected() -> None:
    a, b = T - timedelta(days=1), T
    rows = [
        IncomingRow(b, 101.0),
        IncomingRow(a, 100.0),
        IncomingRow(a, 100.0),
        IncomingRow(b, 102.0),
    ]
    result = validate_rows(rows, now=NOW)
    assert result.accepted == [IncomingRow(a, 100.0)]
    assert result.duplicates == 1
    assert [r.index for r in result.rejected] == [0, 3]
    assert "disagree" in result.rejected[0].reason


def test_benchmark_rows_carry_no_cash_flow() -> None:
    result = validate_rows([IncomingRow(T, 100.0, 5.0)], now=NOW, allow_cash_flow=False)
    assert result.rejected[0].field == "cash_flow"


def test_accepted_rows_come_out_sorted() -> None:
    rows = [IncomingRow(T - timedelta(days=d), 100.0 + d) for d in (0, 2, 1)]
    result = validate_rows(rows, now=NOW)
    assert [r.ts for r in result.accepted] == sorted(r.ts for r in rows)
