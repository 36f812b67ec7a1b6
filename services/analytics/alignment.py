"""Putting a strategy and a benchmark on one calendar, with a report of what that took.

Policies (:class:`AlignmentPolicy`):

``COMPOUND_TO_COMMON`` (default)
    Keep the dates both series have. A return dated where only one side has data is
    compounded into that side's next common date, so no return is lost and none is invented:
    over each common period both sides cover the same span. Returns before the first common
    date or after the last one cannot be matched and are dropped.
``INTERSECT``
    Keep the common dates and drop every other return (the returns on the kept dates are
    unchanged, so a side that skipped a date has a longer-span return there).
``FORWARD_FILL_LEVELS``
    Use the union of both calendars between the later first date and the earlier last date;
    a side without a value on a date keeps its previous level there, i.e. gets a zero return
    (this invents flat periods; it is what tools that ``fillna(0)`` do). Outside that span
    returns are dropped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from services.analytics._checks import FloatArray, check_series, dates, values


class AlignmentPolicy(enum.Enum):
    """How strategy and benchmark returns are put on one calendar (see module docs)."""

    COMPOUND_TO_COMMON = "compound_to_common"
    INTERSECT = "intersect"
    FORWARD_FILL_LEVELS = "forward_fill_levels"


_EMPTY = pd.DatetimeIndex([], tz="UTC")


def _none() -> pd.DatetimeIndex:
    return _EMPTY


@dataclass(frozen=True, eq=False)
class AlignmentReport:
    """What aligning two return series did.

    Attributes
    ----------
    policy : AlignmentPolicy
    overlapping_periods : int
        Periods in the aligned result.
    strategy_dropped, benchmark_dropped : pd.DatetimeIndex
        Dates whose return was discarded.
    strategy_merged, benchmark_merged : pd.DatetimeIndex
        Dates whose return was compounded into the next common date (COMPOUND_TO_COMMON).
    strategy_filled, benchmark_filled : pd.DatetimeIndex
        Dates given a zero return because that side had no value (FORWARD_FILL_LEVELS).
    """

    policy: AlignmentPolicy
    overlapping_periods: int
    strategy_dropped: pd.DatetimeIndex = field(default_factory=_none)
    benchmark_dropped: pd.DatetimeIndex = field(default_factory=_none)
    strategy_merged: pd.DatetimeIndex = field(default_factory=_none)
    benchmark_merged: pd.DatetimeIndex = field(default_factory=_none)
    strategy_filled: pd.DatetimeIndex = field(default_factory=_none)
    benchmark_filled: pd.DatetimeIndex = field(default_factory=_none)

    @property
    def changed(self) -> bool:
        """Whether alignment dropped, merged or filled anything."""
        return any(
            len(x)
            for x in (
                self.strategy_dropped,
                self.benchmark_dropped,
                self.strategy_merged,
                self.benchmark_merged,
                self.strategy_filled,
                self.benchmark_filled,
            )
        )


def align(
    strategy: pd.Series,
    benchmark: pd.Series,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> tuple[pd.Series, pd.Series, AlignmentReport]:
    """Align two return series under ``policy``; returns ``(strategy, benchmark, report)``.

    Both results share one index. Identical indexes are returned as they are.
    """
    strategy = check_series(strategy, "strategy returns")
    benchmark = check_series(benchmark, "benchmark returns")
    if strategy.index.equals(benchmark.index):
        return strategy, benchmark, AlignmentReport(policy, len(strategy))
    if policy is AlignmentPolicy.FORWARD_FILL_LEVELS:
        return _forward_fill(strategy, benchmark)
    s_index, b_index = _one_unit(dates(strategy), dates(benchmark))
    s_i8, b_i8 = s_index.asi8, b_index.asi8
    s_common = _members(s_i8, b_i8)
    # all common: the whole index (what the mask would select: same dates, name and freq)
    common = s_index if s_common.all() else s_index[s_common]
    if policy is AlignmentPolicy.INTERSECT:
        b_common = _members(b_i8, s_i8)
        report = AlignmentReport(
            policy,
            len(common),
            strategy_dropped=s_index[~s_common],
            benchmark_dropped=b_index[~b_common],
        )
        return (
            pd.Series(values(strategy)[s_common], index=common, name=strategy.name),
            pd.Series(values(benchmark)[b_common], index=common, name=benchmark.name),
            report,
        )
    common_i8 = s_i8[s_common]
    s, s_merged, s_dropped = _compound(strategy, s_index, common, common_i8, s_common)
    b, b_merged, b_dropped = _compound(benchmark, b_index, common, common_i8, None)
    report = AlignmentReport(
        policy,
        len(common),
        strategy_dropped=s_dropped,
        benchmark_dropped=b_dropped,
        strategy_merged=s_merged,
        benchmark_merged=b_merged,
    )
    return s, b, report


def _one_unit(
    a: pd.DatetimeIndex, b: pd.DatetimeIndex
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Both indexes at the finer of their resolutions (exact), so their integers compare."""
    if a.unit == b.unit:
        return a, b
    finer = min(
        (a.unit, b.unit), key=lambda unit: np.timedelta64(1, unit) / np.timedelta64(1, "ns")
    )
    return a.as_unit(finer), b.as_unit(finer)


def compound_onto(
    returns: pd.Series, common: pd.DatetimeIndex
) -> tuple[pd.Series, pd.DatetimeIndex, pd.DatetimeIndex]:
    """Compound ``returns`` onto ``common`` (a subset of its dates).

    Returns the compounded series, the dates merged forward and the dates dropped (before
    the first or after the last common date).
    """
    index, common = _one_unit(dates(returns), common)
    return _compound(returns, index, common, common.asi8, None)


def _compound(
    returns: pd.Series,
    index: pd.DatetimeIndex,
    common: pd.DatetimeIndex,
    common_i8: np.ndarray,
    is_common: np.ndarray | None,
) -> tuple[pd.Series, pd.DatetimeIndex, pd.DatetimeIndex]:
    """:func:`compound_onto` on integer timestamps (``index`` and ``common`` in one unit);
    ``is_common`` marks the common dates in ``index`` when already known."""
    if len(common) == 0:
        return returns.iloc[:0], _EMPTY, index
    i8 = index.asi8
    # Dates are sorted: the kept ones (first to last common date) are one slice.
    low = int(np.searchsorted(i8, common_i8[0], "left"))
    high = int(np.searchsorted(i8, common_i8[-1], "right"))
    inside = i8[low:high]
    r: FloatArray = values(returns)[low:high]
    starts = np.concatenate(([0], np.searchsorted(inside, common_i8[:-1]) + 1))
    compounded = np.multiply.reduceat(1.0 + r, starts) - 1.0
    if len(inside) == len(common_i8):
        merged = index[:0]  # every kept date is common
    else:
        inside_common = (
            is_common[low:high] if is_common is not None else _members(inside, common_i8)
        )
        # one mask over the whole index: index[low:high][~inside_common], in one step
        was_merged = np.zeros(len(i8), dtype=bool)
        was_merged[low:high] = ~inside_common
        merged = index[was_merged]
    if low == 0 and high == len(i8):
        dropped = merged if len(merged) == 0 else index[:0]  # an empty merged is index[:0]
    elif low == 0 or high == len(i8):
        dropped = index[high:] if low == 0 else index[:low]
    else:
        dropped = index[np.r_[0:low, high : len(i8)]]
    return pd.Series(compounded, index=common, name=returns.name), merged, dropped


def _members(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_unique`` (a sorted array without duplicates)."""
    if len(sorted_unique) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_unique, values)
    found: np.ndarray = sorted_unique[np.minimum(at, len(sorted_unique) - 1)] == values
    return found


def _forward_fill(
    strategy: pd.Series, benchmark: pd.Series
) -> tuple[pd.Series, pd.Series, AlignmentReport]:
    first = max(strategy.index[0], benchmark.index[0]) if len(strategy) and len(benchmark) else None
    last = min(strategy.index[-1], benchmark.index[-1]) if first is not None else None
    if first is None or last is None or first > last:
        report = AlignmentReport(
            AlignmentPolicy.FORWARD_FILL_LEVELS, 0, dates(strategy), dates(benchmark)
        )
        return strategy.iloc[:0], benchmark.iloc[:0], report
    union = dates(strategy).union(dates(benchmark))
    union = union[(union >= first) & (union <= last)]
    s = strategy.reindex(union, fill_value=0.0)
    b = benchmark.reindex(union, fill_value=0.0)
    report = AlignmentReport(
        AlignmentPolicy.FORWARD_FILL_LEVELS,
        len(union),
        strategy_dropped=dates(strategy).difference(union),
        benchmark_dropped=dates(benchmark).difference(union),
        strategy_filled=union.difference(dates(strategy)),
        benchmark_filled=union.difference(dates(benchmark)),
    )
    return s, b, report
