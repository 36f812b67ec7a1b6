"""Stored series as analytics inputs: pandas returns, and the window they actually cover.

A bucketed :class:`~services.series.Series` carries a NaN first return when its window
reaches back to inception (the first NAV has no predecessor). Analytics take NaN-free
returns, so that point becomes the base the first return is measured from, and the
:class:`EffectiveWindow` says so: which window was asked for, which dates were used, and
whether the window was cut at inception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from services.series import FloatArray, Series
from services.windows import ResolvedWindow, Window, WindowPreset

_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CALENDAR = frozenset({WindowPreset.MTD, WindowPreset.QTD, WindowPreset.YTD, WindowPreset.MAX})


@dataclass(frozen=True)
class EffectiveWindow:
    """The window a result was computed over.

    Attributes
    ----------
    requested_from, requested_to : datetime or None
        The window asked for, presets resolved against the series' latest point (trailing
        presets start exactly one period before it; calendar presets and ``from`` dates at
        midnight UTC of their first day). None: open (from inception, up to the latest).
    start, end : datetime or None
        Dates of the first and last return used (None without returns).
    periods : int
        Number of returns.
    starts_at_inception : bool
        The window reached back to (or before) the first NAV: the first return is measured
        from that NAV, dated ``inception``, and nothing before it exists.
    inception : datetime or None
        The first NAV's date when ``starts_at_inception``, else None.
    """

    requested_from: datetime | None
    requested_to: datetime | None
    start: datetime | None
    end: datetime | None
    periods: int
    starts_at_inception: bool
    inception: datetime | None = None

    @property
    def measured_from(self) -> datetime | None:
        """The base of the first return: the inception NAV, else the window's lower bound
        (the first return is then measured from the last value before it, or at it for a
        trailing preset)."""
        return self.inception if self.starts_at_inception else self.requested_from


@dataclass(frozen=True, eq=False)
class WindowedReturns:
    """NaN-free returns of a series over a window, with the window they cover."""

    returns: pd.Series
    window: EffectiveWindow
    resolved: ResolvedWindow

    def follow(self) -> Window:
        """An explicit window covering the same span, for a benchmark or a cash index.

        Its series is measured from the same base date and stops at the same last date, so
        that alignment reports only the dates on which the two calendars really differ.
        """
        w, after = self.window, self.resolved.after
        if w.periods == 0:
            return Window(start=after + _US if after else None, end=self.resolved.until)
        base = w.inception if w.starts_at_inception else after
        return Window(start=base + _US if base else None, end=w.end)


def to_index(epoch_us: np.ndarray) -> pd.DatetimeIndex:
    """A UTC DatetimeIndex from microseconds since 1970."""
    return pd.DatetimeIndex(epoch_us.astype("datetime64[us]"), tz="UTC")


class DateIndexes:
    """:func:`to_index`, remembered by dates for one unit of work (a request, a report).

    The series a request analyses share few calendars (strategies valued on the same days,
    benchmarks following them over the same span): each calendar's index is built once, and
    the returns on it share one immutable index. Bounded: cleared when ``size`` calendars
    are held.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._found: dict[tuple[str, bytes], pd.DatetimeIndex] = {}

    def of(self, epoch_us: np.ndarray) -> pd.DatetimeIndex:
        key = (epoch_us.dtype.str, epoch_us.tobytes())
        found = self._found.get(key)
        if found is None:
            if len(self._found) >= self.size:
                self._found.clear()
            found = self._found[key] = to_index(epoch_us)
        return found

    def __len__(self) -> int:
        return len(self._found)


def to_returns(series: Series, indexes: DateIndexes | None = None) -> pd.Series:
    """The series' returns on a UTC index, without the undefined return at inception."""
    return _returns(series, _first_return(series), indexes)


def _returns(series: Series, first: int, indexes: DateIndexes | None) -> pd.Series:
    epoch_us = series.epoch_us[first:]
    index = indexes.of(epoch_us) if indexes is not None else to_index(epoch_us)
    # the returns' own copy, sliced before pandas sees them
    r = np.array(series.returns[first:], dtype=np.float64)
    return pd.Series(r, index=index, copy=False)


def _first_return(series: Series) -> int:
    """1 when the series starts at inception (a NaN return there), else 0."""
    return 1 if len(series) and np.isnan(series.returns[0]) else 0


def to_series(returns: pd.Series, base: float = 100.0, base_date: datetime | None = None) -> Series:
    """A :class:`Series` of levels compounded from ``returns``, ``base`` before the first.

    With ``base_date``, the base level is a point of its own there, with a NaN return (the
    inception convention of stored series).
    """
    index = pd.DatetimeIndex(returns.index)
    r = returns.to_numpy(dtype=np.float64)
    levels: FloatArray = np.cumprod(1.0 + r, dtype=np.float64) * base
    epoch = index.as_unit("us").asi8
    if base_date is not None:
        start = np.array([_epoch_us(base_date)], dtype=np.int64)
        epoch, levels = np.concatenate((start, epoch)), np.concatenate(([base], levels))
        r = np.concatenate(([np.nan], r))
    return Series(epoch, levels, r, np.zeros(len(r)))


def _epoch_us(ts: datetime) -> int:
    return (ts - _EPOCH) // _US


def requested_bounds(
    window: Window, resolved: ResolvedWindow
) -> tuple[datetime | None, datetime | None]:
    """The window asked for, as instants (see :attr:`EffectiveWindow.requested_from`)."""
    if resolved.after is None:
        return None, resolved.until
    trailing = window.preset is not None and window.preset not in _CALENDAR
    return (resolved.after if trailing else resolved.after + _US), resolved.until


def windowed(
    series: Series,
    window: Window,
    resolved: ResolvedWindow,
    indexes: DateIndexes | None = None,
) -> WindowedReturns:
    """Returns of a series loaded for ``window`` (resolved as ``resolved``), and its window.

    ``indexes`` shares the returns' index with the other series of the same dates."""
    first = _first_return(series)
    returns = _returns(series, first, indexes)
    requested_from, requested_to = requested_bounds(window, resolved)
    has_returns = len(series) > first
    effective = EffectiveWindow(
        requested_from=requested_from,
        requested_to=requested_to,
        start=series.timestamp_at(first) if has_returns else None,
        end=series.timestamp_at(-1) if has_returns else None,
        periods=len(series) - first,
        starts_at_inception=first == 1,
        inception=series.timestamp_at(0) if first else None,
    )
    return WindowedReturns(returns, effective, resolved)


def slice_series(series: Series, resolved: ResolvedWindow) -> Series:
    """The points of ``series`` in ``(after, until]``, as the series SQL selects them.

    Each return stays measured from the point before it, which is the window's anchor for
    the first one; a base point with a NaN return is kept when the window reaches it.
    """
    keep = np.ones(len(series), dtype=bool)
    if resolved.after is not None:
        keep &= series.epoch_us > _epoch_us(resolved.after)
    if resolved.until is not None:
        keep &= series.epoch_us <= _epoch_us(resolved.until)
    return Series(
        series.epoch_us[keep], series.values[keep], series.returns[keep], series.cash_flows[keep]
    )


def last_timestamp(series: Series) -> datetime | None:
    return series.timestamp_at(-1) if len(series) else None
