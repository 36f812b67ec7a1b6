"""Input validation shared by the analytics modules.

Every public function validates its series here, so that all of them reject the same inputs
with the same messages: a pandas Series of floats on a tz-aware UTC DatetimeIndex that is
sorted and unique, with no NaN or infinite values.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]

_FLOAT64 = np.dtype(np.float64)


def check_series(series: pd.Series, name: str = "returns") -> pd.Series:
    """Return ``series`` as float64 after checking index and values; raise ValueError."""
    return checked(series, name)[0]


def checked(series: pd.Series, name: str = "returns") -> tuple[pd.Series, FloatArray]:
    """:func:`check_series` and the float64 values of the result, read once."""
    if not isinstance(series, pd.Series):
        raise TypeError(f"{name} must be a pandas Series, got {type(series).__name__}")
    check_index(series.index, name)
    is_float = series.dtype == _FLOAT64
    if is_float:
        values: FloatArray = series.to_numpy()
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        bad = ~np.isfinite(values)
        first = series.index[bad][:3]
        dates = ", ".join(ts.isoformat() for ts in first)
        raise ValueError(
            f"{name} contain {int(bad.sum())} missing or infinite value(s) (first at {dates}); "
            "drop or fill them before calling analytics"
        )
    if not is_float:
        series = pd.Series(values, index=series.index, name=series.name)
    return series, values


def check_index(index: pd.Index, name: str = "returns") -> pd.DatetimeIndex:
    """Check that ``index`` is a sorted, unique, tz-aware UTC DatetimeIndex."""
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError(f"{name} must be indexed by a DatetimeIndex, got {type(index).__name__}")
    if index.tz is None or str(index.tz) != "UTC":
        raise ValueError(
            f"{name} index must be tz-aware UTC (use .tz_convert('UTC')), got {index.tz}"
        )
    if not index.is_monotonic_increasing:
        raise ValueError(f"{name} index must be sorted ascending")
    if not index.is_unique:
        raise ValueError(f"{name} index has {int(index.duplicated().sum())} duplicate date(s)")
    return index


def values(series: pd.Series) -> FloatArray:
    """The float64 values of an already checked series."""
    return series.to_numpy(dtype=np.float64)


def check_window(window: int) -> int:
    """Rolling windows need at least two observations for any dispersion statistic."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ValueError(f"window must be an integer >= 2 periods, got {window!r}")
    return window


def dates(series: pd.Series) -> pd.DatetimeIndex:
    """The index of an already checked series, typed as the DatetimeIndex it is."""
    return cast(pd.DatetimeIndex, series.index)


TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class Stamps:
    """The dates of an already checked index by position: ``stamps[i] == index[i]``.

    Boxing ``index[i]`` goes through several layers of pandas indexing; a result needs only
    a few dates, so they are boxed straight from the index's datetime64 values instead.
    """

    __slots__ = ("_datetimes", "_ticks_per_day", "_tz", "ticks")

    def __init__(self, index: pd.DatetimeIndex) -> None:
        self.ticks: np.ndarray[tuple[int], np.dtype[np.int64]] = index.asi8
        self._datetimes = self.ticks.view(f"datetime64[{index.unit}]")
        self._tz = index.tz
        self._ticks_per_day = 86_400 * TICKS_PER_SECOND[index.unit]

    def __len__(self) -> int:
        return len(self.ticks)

    def __getitem__(self, position: int) -> pd.Timestamp:
        # The index is UTC, so localising its (UTC) values is the identity.
        return pd.Timestamp(self._datetimes[position], tz=self._tz)

    def days(self, first: int, last: int) -> int:
        """Whole days from date ``first`` to date ``last`` (not before it), as Timedelta.days."""
        return int(self.ticks[last] - self.ticks[first]) // self._ticks_per_day


_EPOCH_MONTH = 1970 * 12


def calendar_key(
    index: pd.DatetimeIndex, months: int
) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    """An integer per date, equal for dates in the same UTC bucket of ``months`` (1, 3 or 12).

    The key counts buckets since year 0, so ``bucket_start(key, months)`` recovers the date.
    """
    ns = index.as_unit("ns").asi8.view("datetime64[ns]")
    month = ns.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH
    key: np.ndarray[tuple[int], np.dtype[np.int64]] = month // months
    return key


def bucket_start(key: np.ndarray, months: int) -> pd.DatetimeIndex:
    """First day (UTC midnight) of each calendar bucket of :func:`calendar_key`."""
    first = (key * months - _EPOCH_MONTH).astype("datetime64[M]").astype("datetime64[ns]")
    return pd.DatetimeIndex(first).tz_localize("UTC")
