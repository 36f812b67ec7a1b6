"""Validation of incoming series rows, before anything is stored (pure functions).

A row is rejected with a reason, never silently fixed; one bad row never blocks the good
ones. Identical duplicates inside one batch collapse to one row; duplicates that disagree
are all rejected, since nothing says which one is right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class IncomingRow:
    """One point as received: ``value`` is a NAV or an index level."""

    ts: datetime
    value: float
    cash_flow: float = 0.0

    def payload(self) -> dict[str, Any]:
        ts = self.ts.isoformat() if isinstance(self.ts, datetime) else str(self.ts)
        return {
            "ts": ts,
            "value": _json_number(self.value),
            "cash_flow": _json_number(self.cash_flow),
        }


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


@dataclass(frozen=True)
class Rejection:
    index: int  # position in the batch as received
    field: str
    reason: str
    row: IncomingRow


@dataclass(frozen=True)
class Validated:
    accepted: list[IncomingRow]  # sorted by timestamp, unique
    rejected: list[Rejection]
    duplicates: int  # identical rows collapsed inside the batch


def _problem(row: IncomingRow, *, now: datetime, allow_cash_flow: bool) -> tuple[str, str] | None:
    if not isinstance(row.ts, datetime) or row.ts.tzinfo is None:
        return "ts", "timestamp must include a time zone offset"
    if row.ts > now + FUTURE_TOLERANCE:
        return "ts", f"timestamp {row.ts.isoformat()} is in the future"
    if not math.isfinite(row.value):
        return "value", f"value must be a finite number, got {row.value}"
    if row.value <= 0:
        return "value", f"value must be above zero, got {row.value}"
    if not math.isfinite(row.cash_flow):
        return "cash_flow", f"cash flow must be a finite number, got {row.cash_flow}"
    if row.cash_flow and not allow_cash_flow:
        return "cash_flow", "benchmark prices carry no cash flow"
    if row.value - row.cash_flow <= 0:
        return "cash_flow", "value before the cash flow (value - cash flow) must be above zero"
    return None


def validate_rows(
    rows: Sequence[IncomingRow], *, now: datetime, allow_cash_flow: bool = True
) -> Validated:
    rejected: list[Rejection] = []
    by_ts: dict[datetime, list[tuple[int, IncomingRow]]] = {}
    for index, row in enumerate(rows):
        problem = _problem(row, now=now, allow_cash_flow=allow_cash_flow)
        if problem:
            rejected.append(Rejection(index, problem[0], problem[1], row))
        else:
            by_ts.setdefault(row.ts, []).append((index, row))
    accepted: list[IncomingRow] = []
    duplicates = 0
    for ts in sorted(by_ts):
        group = by_ts[ts]
        distinct = {(r.value, r.cash_flow) for _, r in group}
        if len(distinct) == 1:
            accepted.append(group[0][1])
            duplicates += len(group) - 1
            continue
        reason = f"{len(group)} rows for {ts.isoformat()} disagree; none stored"
        rejected.extend(Rejection(i, "ts", reason, r) for i, r in group)
    rejected.sort(key=lambda r: r.index)
    return Validated(accepted, rejected, duplicates)
