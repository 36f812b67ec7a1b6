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

from services.analytics._checks import FloatArray, checked, dates, values


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


@dataclass(frozen=True, eq=False)
class Aligned:
    """Two return series on one calendar, as arrays: :func:`align` before its Series.

    Attributes
    ----------
    strategy, benchmark : FloatArray
        The aligned returns: arrays of their own, or the inputs' values when ``unchanged``.
    index : pd.DatetimeIndex
        Their dates.
    report : AlignmentReport
    unchanged : bool
        The inputs already had equal indexes: nothing was aligned.
    benchmark_index : pd.DatetimeIndex or None
        The benchmark's own (empty) dates where :func:`align` keeps them apart from the
        strategy's (nothing to align under COMPOUND_TO_COMMON or FORWARD_FILL_LEVELS);
        None: ``index``.
    """

    strategy: FloatArray
    benchmark: FloatArray
    index: pd.DatetimeIndex
    report: AlignmentReport
    unchanged: bool = False
    benchmark_index: pd.DatetimeIndex | None = None


def align(
    strategy: pd.Series,
    benchmark: pd.Series,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> tuple[pd.Series, pd.Series, AlignmentReport]:
    """Align two return series under ``policy``; returns ``(strategy, benchmark, report)``.

    Both results share one index. Identical indexes are returned as they are.
    """
    strategy, s = checked(strategy, "strategy returns")
    benchmark, b = checked(benchmark, "benchmark returns")
    result = _aligned(strategy, s, benchmark, b, policy)
    if result.unchanged:
        return strategy, benchmark, result.report
    b_index = result.index if result.benchmark_index is None else result.benchmark_index
    return (
        # the aligned arrays are new: no need for pandas' defensive copy
        pd.Series(result.strategy, index=result.index, name=strategy.name, copy=False),
        pd.Series(result.benchmark, index=b_index, name=benchmark.name, copy=False),
        result.report,
    )


def aligned(
    strategy: pd.Series,
    benchmark: pd.Series,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> Aligned:
    """:func:`align`, the aligned returns as arrays on their index (no Series is built)."""
    strategy, s = checked(strategy, "strategy returns")
    benchmark, b = checked(benchmark, "benchmark returns")
    return _aligned(strategy, s, benchmark, b, policy)


def _aligned(
    strategy: pd.Series,
    s: FloatArray,
    benchmark: pd.Series,
    b: FloatArray,
    policy: AlignmentPolicy,
) -> Aligned:
    """:func:`aligned` of checked series, ``s`` and ``b`` their values."""
    if strategy.index.equals(benchmark.index):
        return Aligned(s, b, dates(strategy), AlignmentReport(policy, len(s)), unchanged=True)
    if policy is AlignmentPolicy.FORWARD_FILL_LEVELS:
        return _forward_fill(strategy, s, benchmark, b)
    s_index, b_index = _one_unit(dates(strategy), dates(benchmark))
    s_i8, b_i8 = s_index.asi8, b_index.asi8
    s_common = _members(s_i8, b_i8)
    # all common: the whole index (what the mask would select: same dates, name and freq)
    common = s_index if s_common.all() else _select(s_index, s_common)
    if policy is AlignmentPolicy.INTERSECT:
        b_common = _members(b_i8, s_i8)
        report = AlignmentReport(
            policy,
            len(common),
            strategy_dropped=_select(s_index, ~s_common),
            benchmark_dropped=_select(b_index, ~b_common),
        )
        return Aligned(s[s_common], b[b_common], common, report)
    common_i8 = s_i8[s_common]
    s_compounded, s_merged, s_dropped = _compound(s, s_index, common_i8, s_common)
    b_compounded, b_merged, b_dropped = _compound(b, b_index, common_i8, None)
    report = AlignmentReport(
        policy,
        len(common),
        strategy_dropped=s_dropped,
        benchmark_dropped=b_dropped,
        strategy_merged=s_merged,
        benchmark_merged=b_merged,
    )
    if len(common) == 0:  # each side keeps its own dates (none)
        return Aligned(
            s_compounded,
            b_compounded,
            dates(strategy)[:0],
            report,
            benchmark_index=dates(benchmark)[:0],
        )
    return Aligned(s_compounded, b_compounded, common, report)


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


def _select(index: pd.DatetimeIndex, mask: np.ndarray) -> pd.DatetimeIndex:
    """``index[mask]`` (the same dates, name and freq), at half the cost.

    Both keep the index's freq for a contiguous run of dates and drop it for scattered ones,
    but ``take`` also gives evenly spaced positions (every k-th date) k times the freq, where
    a mask gives none: an index with a freq selects those with the mask.
    """
    positions = np.flatnonzero(mask)
    if index.freq is not None and len(positions) > 1:
        steps = np.diff(positions)
        if steps[0] > 1 and bool((steps == steps[0]).all()):
            return index[mask]
    return index.take(positions)


def _span(index: pd.DatetimeIndex, start: int, stop: int) -> pd.DatetimeIndex:
    """``index[start:stop]`` (the same dates, name and freq), at half the cost of a slice."""
    return index.take(np.arange(start, stop))


def compound_onto(
    returns: pd.Series, common: pd.DatetimeIndex
) -> tuple[pd.Series, pd.DatetimeIndex, pd.DatetimeIndex]:
    """Compound ``returns`` onto ``common`` (a subset of its dates).

    Returns the compounded series, the dates merged forward and the dates dropped (before
    the first or after the last common date).
    """
    index, common = _one_unit(dates(returns), common)
    r, merged, dropped = _compound(values(returns), index, common.asi8, None)
    on = common if len(common) else dates(returns)[:0]
    return pd.Series(r, index=on, name=returns.name, copy=False), merged, dropped


def _compound(
    r: FloatArray,
    index: pd.DatetimeIndex,
    common_i8: np.ndarray,
    is_common: np.ndarray | None,
) -> tuple[FloatArray, pd.DatetimeIndex, pd.DatetimeIndex]:
    """:func:`compound_onto` on arrays: returns ``r`` (dated ``index``) compounded onto the
    dates ``common_i8`` (integers in ``index``'s unit), the dates merged and those dropped.
    ``is_common`` marks the common dates in ``index`` when already known."""
    if len(common_i8) == 0:
        return r[:0], _EMPTY, index
    i8 = index.asi8
    # Dates are sorted: the kept ones (first to last common date) are one slice.
    low = int(np.searchsorted(i8, common_i8[0], "left"))
    high = int(np.searchsorted(i8, common_i8[-1], "right"))
    inside = i8[low:high]
    starts = np.concatenate(([0], np.searchsorted(inside, common_i8[:-1]) + 1))
    compounded: FloatArray = np.multiply.reduceat(1.0 + r[low:high], starts) - 1.0
    if len(inside) == len(common_i8):
        merged = _span(index, 0, 0)  # every kept date is common
    else:
        inside_common = (
            is_common[low:high] if is_common is not None else _members(inside, common_i8)
        )
        # one mask over the whole index: index[low:high][~inside_common], in one step
        was_merged = np.zeros(len(i8), dtype=bool)
        was_merged[low:high] = ~inside_common
        merged = _select(index, was_merged)
    if low == 0 and high == len(i8):
        # nothing dropped: an empty index (the empty merged one, when there is one)
        dropped = merged if len(merged) == 0 else _span(index, 0, 0)
    elif low == 0 or high == len(i8):
        dropped = _span(index, high, len(i8)) if low == 0 else _span(index, 0, low)
    else:
        was_dropped = np.ones(len(i8), dtype=bool)
        was_dropped[low:high] = False
        dropped = _select(index, was_dropped)
    return compounded, merged, dropped


def _members(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_unique`` (a sorted array without duplicates)."""
    if len(sorted_unique) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_unique, values)
    found: np.ndarray = sorted_unique[np.minimum(at, len(sorted_unique) - 1)] == values
    return found


def _forward_fill(
    strategy: pd.Series, s: FloatArray, benchmark: pd.Series, b: FloatArray
) -> Aligned:
    s_dates, b_dates = dates(strategy), dates(benchmark)
    first = max(s_dates[0], b_dates[0]) if len(s_dates) and len(b_dates) else None
    last = min(s_dates[-1], b_dates[-1]) if first is not None else None
    if first is None or last is None or first > last:
        report = AlignmentReport(AlignmentPolicy.FORWARD_FILL_LEVELS, 0, s_dates, b_dates)
        return Aligned(s[:0], b[:0], s_dates[:0], report, benchmark_index=b_dates[:0])
    union = s_dates.union(b_dates)
    union = union[(union >= first) & (union <= last)]
    report = AlignmentReport(
        AlignmentPolicy.FORWARD_FILL_LEVELS,
        len(union),
        strategy_dropped=s_dates.difference(union),
        benchmark_dropped=b_dates.difference(union),
        strategy_filled=union.difference(s_dates),
        benchmark_filled=union.difference(b_dates),
    )
    return Aligned(_filled(s, s_dates, union), _filled(b, b_dates, union), union, report)


def _filled(r: FloatArray, index: pd.DatetimeIndex, union: pd.DatetimeIndex) -> FloatArray:
    """``r`` (dated ``index``) on ``union``, zero where it has no value (a reindex)."""
    at = index.get_indexer(union)
    filled: FloatArray = np.where(at >= 0, r[at], 0.0)
    return filled
