"""Stored series as analytics inputs: returns without the inception point, effective windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from services.returns import DateIndexes, slice_series, to_index, to_returns, to_series, windowed
from services.series import Series
from services.windows import ResolvedWindow, Window, WindowPreset, resolve


def ts(day: int, month: int = 3) -> datetime:
    return datetime(2024, month, day, tzinfo=UTC)


def epoch_us(*stamps: datetime) -> np.ndarray:
    return np.array([int(s.timestamp()) * 1_000_000 for s in stamps], dtype=np.int64)


# Inception on Mar 1 (no return), then +10 %, -10 %, +5 %.
AT_INCEPTION = Series(
    epoch_us(ts(1), ts(4), ts(5), ts(6)),
    np.array([100.0, 110.0, 99.0, 103.95]),
    np.array([np.nan, 0.1, -0.1, 0.05]),
    np.zeros(4),
)


def test_returns_drop_the_undefined_return_at_inception() -> None:
    returns = to_returns(AT_INCEPTION)
    assert returns.tolist() == [0.1, -0.1, 0.05]
    assert list(returns.index) == [pd.Timestamp(d) for d in (ts(4), ts(5), ts(6))]
    assert str(pd.DatetimeIndex(returns.index).tz) == "UTC"


def test_a_window_before_inception_says_it_starts_at_inception() -> None:
    window = Window(start=ts(1, 1), end=ts(31))
    result = windowed(AT_INCEPTION, window, resolve(window, ts(6)))
    w = result.window
    assert (w.requested_from, w.requested_to) == (ts(1, 1), ts(31))
    assert (w.start, w.end, w.periods) == (ts(4), ts(6), 3)
    assert w.starts_at_inception
    assert w.inception == w.measured_from == ts(1)
    # a benchmark following it is measured from the inception NAV's date to the last date
    assert result.follow() == Window(start=ts(1) + timedelta(microseconds=1), end=ts(6))


def test_a_window_inside_the_history_is_measured_from_its_bound() -> None:
    inside = slice_series(AT_INCEPTION, ResolvedWindow(after=ts(4), until=None))
    window = Window(preset=WindowPreset.ONE_MONTH)
    resolved = resolve(window, ts(6))
    w = windowed(inside, window, resolved).window
    # trailing presets start exactly one month before the latest point
    assert w.requested_from == resolved.after == ts(6, 2)
    assert not w.starts_at_inception
    assert w.inception is None
    assert w.measured_from == ts(6, 2)


def test_calendar_presets_are_requested_from_midnight_of_their_first_day() -> None:
    window = Window(preset=WindowPreset.YTD)
    w = windowed(AT_INCEPTION, window, resolve(window, ts(6))).window
    assert w.requested_from == datetime(2024, 1, 1, tzinfo=UTC)
    assert w.requested_to == ts(6)


def test_an_empty_series_has_no_dates() -> None:
    empty = Series(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0))
    result = windowed(empty, Window(), ResolvedWindow(None, None))
    assert (result.window.start, result.window.end, result.window.periods) == (None, None, 0)
    assert not result.window.starts_at_inception
    assert result.follow() == Window()


def test_slicing_keeps_what_the_series_sql_would_select() -> None:
    kept = slice_series(AT_INCEPTION, ResolvedWindow(after=ts(4), until=ts(5)))
    assert kept.values.tolist() == [99.0]
    assert kept.returns.tolist() == [-0.1]
    everything = slice_series(AT_INCEPTION, ResolvedWindow(after=ts(29, 2), until=None))
    assert len(everything) == 4
    assert np.isnan(everything.returns[0])


def test_levels_compound_from_a_base_point() -> None:
    returns = pd.Series([0.1, -0.5], index=pd.DatetimeIndex([ts(2), ts(3)]))
    series = to_series(returns, base_date=ts(1))
    assert series.timestamps == [ts(1), ts(2), ts(3)]
    np.testing.assert_allclose(series.values, [100.0, 110.0, 55.0])
    assert np.isnan(series.returns[0])
    assert series.returns[1:].tolist() == [0.1, -0.5]
    assert to_returns(series).equals(returns)


def test_the_index_is_utc_microseconds() -> None:
    index = to_index(AT_INCEPTION.epoch_us)
    assert list(index) == [pd.Timestamp(d) for d in (ts(1), ts(4), ts(5), ts(6))]
    assert (index.unit, str(index.tz), index.freq, index.name) == ("us", "UTC", None, None)


def test_returns_on_the_same_dates_share_one_index() -> None:
    other = Series(
        AT_INCEPTION.epoch_us.copy(), np.ones(4), np.array([0.0, 0.2, 0.1, 0.3]), np.zeros(4)
    )
    indexes = DateIndexes()
    window = Window()
    resolved = resolve(window, ts(6))
    a = windowed(AT_INCEPTION, window, resolved, indexes)
    b = windowed(other, window, resolved, indexes)
    c = windowed(slice_series(other, ResolvedWindow(ts(1), None)), window, resolved, indexes)
    # a and c have returns on Mar 4-6 (a after its inception point); b on all four dates
    assert a.returns.index is c.returns.index
    assert b.returns.index is not a.returns.index
    assert len(indexes) == 2
    assert b.returns.tolist() == [0.0, 0.2, 0.1, 0.3]
    # the same results as without sharing
    alone = windowed(AT_INCEPTION, window, resolved)
    assert alone.returns.equals(a.returns)
    assert alone.window == a.window


def test_shared_indexes_are_bounded() -> None:
    indexes = DateIndexes(size=2)
    for day in (1, 2, 3):
        indexes.of(epoch_us(ts(day)))
    assert len(indexes) == 1  # cleared when full, then the third
    assert list(indexes.of(epoch_us(ts(3)))) == [pd.Timestamp(ts(3))]


def test_returns_are_their_own_copy() -> None:
    series = Series(epoch_us(ts(4), ts(5)), np.ones(2), np.array([0.1, 0.2]), np.zeros(2))
    returns = to_returns(series)
    series.returns[1] = 0.5
    assert returns.tolist() == [0.1, 0.2]


def test_a_series_of_only_its_inception_point_has_no_returns() -> None:
    inception = slice_series(AT_INCEPTION, ResolvedWindow(None, ts(1)))
    w = windowed(inception, Window(), ResolvedWindow(None, ts(1))).window
    assert (w.start, w.end, w.periods) == (None, None, 0)
    assert w.starts_at_inception
    assert w.inception == ts(1)


def test_a_window_inside_the_history_starts_at_its_first_return() -> None:
    inside = slice_series(AT_INCEPTION, ResolvedWindow(after=ts(4), until=None))
    result = windowed(inside, Window(), ResolvedWindow(after=ts(4), until=None))
    assert result.returns.tolist() == [-0.1, 0.05]
    assert (result.window.start, result.window.end, result.window.periods) == (ts(5), ts(6), 2)
    assert result.window.start is not None
    assert result.window.start.tzinfo is UTC
