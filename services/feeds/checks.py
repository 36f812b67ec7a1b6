"""Checks on benchmark levels that warn without rejecting (pure functions).

A jump beyond the benchmark's threshold may be a real crash or a bad print: nothing says
which, so the level is stored and a warning is recorded for an operator to look at (the
``warnings`` of a benchmark in the API, ``perfgraph feeds status``). Sessions of the
trading calendar without a level are reported the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Literal

from services.benchmarks import BenchmarkRecord
from services.calendars import TradingCalendar

# Daily moves beyond these are implausible for the kind (the S&P 500's worst day since
# 1990 was -12%; a 10-year Treasury index moves a few percent; cash accrues basis points).
DEFAULT_JUMP = {"EQUITY_INDEX": 0.20, "BOND_INDEX": 0.10, "CASH": 0.02, "BLEND": 0.20}
LISTED_DATES = 10

WarningKind = Literal["JUMP", "MISSING_SESSIONS"]


@dataclass(frozen=True)
class DataWarning:
    kind: WarningKind
    ts: datetime | None
    message: str


def jump_threshold(benchmark: BenchmarkRecord) -> float:
    return benchmark.jump_threshold or DEFAULT_JUMP.get(benchmark.kind, 0.20)


def find_jumps(
    series: Sequence[tuple[datetime, float]], changed: Collection[datetime], threshold: float
) -> list[DataWarning]:
    """Changed levels that moved more than ``threshold`` from the level before them."""
    found = []
    for (prev_ts, prev), (ts, level) in pairwise(series):
        move = level / prev - 1.0
        if ts in changed and abs(move) > threshold:
            message = (
                f"level {level:g} at {ts.isoformat()} is {move:+.1%} from {prev:g} at "
                f"{prev_ts.isoformat()} (threshold {threshold:.0%})"
            )
            found.append(DataWarning("JUMP", ts, message))
    return found


def find_missing_sessions(stamps: Sequence[datetime], calendar: TradingCalendar) -> list[date]:
    """Sessions between the first and last stamp with no level."""
    days = [calendar.session_of(ts) for ts in stamps]
    return calendar.missing_sessions(d for d in days if calendar.covers(d))


def missing_sessions_warning(missing: Sequence[date], calendar: str) -> DataWarning | None:
    if not missing:
        return None
    listed = ", ".join(d.isoformat() for d in missing[:LISTED_DATES])
    more = f" and {len(missing) - LISTED_DATES} more" if len(missing) > LISTED_DATES else ""
    message = f"{len(missing)} {calendar} session(s) without a level: {listed}{more}"
    return DataWarning("MISSING_SESSIONS", None, message)
