"""Drawdown episodes of a compounded return index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.analytics._checks import FloatArray, Stamps, check_series, dates, values
from services.analytics.returns import drawdown_levels


@dataclass(frozen=True)
class Drawdown:
    """One drawdown episode: from a high-water mark, down to a trough, back to the mark.

    Attributes
    ----------
    depth : float
        Trough level over the peak minus 1, a decimal fraction < 0 (-0.2 is 20 % down).
    peak : pd.Timestamp or None
        Last date at the high-water mark before the fall; None when the mark is the starting
        level (the fall starts with the first return).
    start : pd.Timestamp
        First date below the mark.
    trough : pd.Timestamp
        Date of the lowest level (the first one, on ties).
    recovery : pd.Timestamp or None
        First date back at (or above) the mark; None if not recovered by the last date.
    duration_periods : int
        Periods from the peak to the recovery (the underwater periods plus the one that
        recovers); if not recovered, from the peak to the last period.
    duration_days : int
        Calendar days from ``peak`` (or ``start`` when ``peak`` is None) to ``recovery`` (or
        the last date when not recovered).
    """

    depth: float
    peak: pd.Timestamp | None
    start: pd.Timestamp
    trough: pd.Timestamp
    recovery: pd.Timestamp | None
    duration_periods: int
    duration_days: int

    @property
    def recovered(self) -> bool:
        """Whether the index regained its high-water mark."""
        return self.recovery is not None


def top_drawdowns(returns: pd.Series, top: int = 5) -> list[Drawdown]:
    """The ``top`` deepest drawdown episodes, deepest first.

    Episodes are maximal runs of periods below the running peak of ``prod(1 + r)`` (the peak
    includes the starting level 1). Fewer than ``top`` are returned when there are fewer
    episodes; an empty list when the index never falls below its peak.
    """
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    returns = check_series(returns)
    return episodes(drawdown_levels(values(returns)), Stamps(dates(returns)), top)


def episodes(dd: FloatArray, stamps: Stamps, top: int) -> list[Drawdown]:
    """Episodes of a drawdown array ``dd`` (<= 0) on dates ``stamps``, the ``top`` deepest first."""
    under = dd < 0.0
    if not under.any():
        return []
    before = np.concatenate(([False], under[:-1]))
    after = np.concatenate((under[1:], [False]))
    starts = np.flatnonzero(under & ~before)
    ends = np.flatnonzero(under & ~after)
    depths = np.minimum.reduceat(dd, starts)
    troughs = _first_troughs(dd, starts, depths)
    order = np.argsort(depths, kind="stable")[:top]
    return [
        _episode(stamps, int(starts[k]), int(ends[k]), int(troughs[k]), depths[k]) for k in order
    ]


def deepest(dd: FloatArray, stamps: Stamps) -> Drawdown | None:
    """The deepest episode of ``dd`` (the first one on ties), without scanning all episodes."""
    if len(dd) == 0 or dd.min() >= 0.0:
        return None
    trough = int(dd.argmin())
    at_peak_before = np.flatnonzero(dd[:trough] >= 0.0)
    start = int(at_peak_before[-1]) + 1 if len(at_peak_before) else 0
    at_peak_after = np.flatnonzero(dd[trough:] >= 0.0)
    end = trough + int(at_peak_after[0]) - 1 if len(at_peak_after) else len(dd) - 1
    return _episode(stamps, start, end, trough, float(dd[trough]))


def _first_troughs(dd: FloatArray, starts: np.ndarray, depths: FloatArray) -> np.ndarray:
    marks = np.zeros(len(dd), dtype=np.int64)
    marks[starts] = 1
    segment = np.cumsum(marks) - 1
    valid = segment >= 0
    hits = np.flatnonzero(valid & (dd == depths[np.where(valid, segment, 0)]))
    _, first = np.unique(segment[hits], return_index=True)
    return hits[first]


def _episode(stamps: Stamps, start: int, end: int, trough: int, depth: float) -> Drawdown:
    """The episode under water from position ``start`` to ``end`` (inclusive)."""
    n = len(stamps)
    recovery = end + 1 if end + 1 < n else None
    last = recovery if recovery is not None else n - 1
    origin = start - 1 if start > 0 else start
    return Drawdown(
        depth=float(depth),
        peak=stamps[start - 1] if start > 0 else None,
        start=stamps[start],
        trough=stamps[trough],
        recovery=stamps[recovery] if recovery is not None else None,
        duration_periods=last - (start - 1),
        duration_days=stamps.days(origin, last),
    )
