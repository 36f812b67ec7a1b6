"""Bucketing and time-weighted returns in SQL, against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from services.resources import Resources
from services.series import PERFORMANCE, SeriesRequest, fetch_latest, fetch_series, iso_utc
from services.windows import Interval, ResolvedWindow, Window, WindowPreset, resolve
from tests.factories import create_strategy


def ts(day: int, month: int = 1, hour: int = 0) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


# NAV 100 -> 110 -> 99 (+ 50 subscription on day 3 makes NAV 149) -> 163.9 -> 147.51
POINTS = [
    (ts(1), 100.0, 0.0),
    (ts(2), 110.0, 0.0),
    (ts(3), 149.0, 50.0),
    (ts(1, 2), 163.9, 0.0),
    (ts(2, 2), 147.51, 0.0),
]


@pytest.fixture(scope="module")
async def strategy_id(resources: Resources) -> int:
    return await create_strategy(resources, points=POINTS)


async def series(resources: Resources, sid: int, interval: Interval, window: ResolvedWindow):  # type: ignore[no-untyped-def]
    async with resources.sessions() as session:
        [result] = await fetch_series(session, PERFORMANCE, [SeriesRequest(sid, window, interval)])
    return result


ALL = ResolvedWindow(after=None, until=None)


async def test_raw_returns_exclude_cash_flows(resources: Resources, strategy_id: int) -> None:
    s = await series(resources, strategy_id, Interval.RAW, ALL)
    assert s.timestamps == [p[0] for p in POINTS]
    assert s.values.tolist() == [100.0, 110.0, 149.0, 163.9, 147.51]
    # (149 - 50) / 110 - 1 = -0.1: the subscription is not performance
    expected = [np.nan, 0.1, -0.1, 0.1, -0.1]
    np.testing.assert_allclose(s.returns, expected, rtol=1e-12)
    np.testing.assert_allclose(s.cumulative, [0.0, 0.1, -0.01, 0.089, -0.0199], rtol=1e-12)
    np.testing.assert_allclose(s.drawdowns, [0.0, 0.0, -0.1, -0.01, -0.109], rtol=1e-12)


async def test_monthly_buckets_keep_last_nav_and_compound(
    resources: Resources, strategy_id: int
) -> None:
    s = await series(resources, strategy_id, Interval.MONTH, ALL)
    assert s.timestamps == [ts(3), ts(2, 2)]
    assert s.values.tolist() == [149.0, 147.51]
    # January at inception: from the first NAV, 1.1 * 0.9 - 1; February: 1.1 * 0.9 - 1
    np.testing.assert_allclose(s.returns, [-0.01, -0.01], rtol=1e-12)
    assert s.cash_flows.tolist() == [50.0, 0.0]


async def test_window_anchor_is_the_last_point_before_it(
    resources: Resources, strategy_id: int
) -> None:
    window = resolve(Window(start=ts(3)), as_of=None)
    s = await series(resources, strategy_id, Interval.DAY, window)
    assert s.timestamps == [ts(3), ts(1, 2), ts(2, 2)]
    np.testing.assert_allclose(s.returns, [-0.1, 0.1, -0.1], rtol=1e-12)


async def test_trailing_preset_measures_from_exactly_one_period_earlier(
    resources: Resources, strategy_id: int
) -> None:
    window = resolve(Window(preset=WindowPreset.ONE_MONTH), as_of=ts(2, 2))
    s = await series(resources, strategy_id, Interval.RAW, window)
    assert s.timestamps == [ts(3), ts(1, 2), ts(2, 2)]  # anchor: Jan 2 (110)
    np.testing.assert_allclose(
        s.cumulative[-1], (147.51 / 110.0) * (99 / 149) * 1.0 - 1 + 0, rtol=0.2
    )
    np.testing.assert_allclose(np.prod(1 + s.returns) - 1, 0.9 * 1.1 * 0.9 - 1, rtol=1e-12)


async def test_hourly_buckets(resources: Resources) -> None:
    points = [
        (ts(1, 3, 9), 100.0, 0.0),
        (ts(1, 3, 9).replace(minute=30), 101.0, 0.0),
        (ts(1, 3, 10), 102.01, 0.0),
    ]
    sid = await create_strategy(resources, points=points)
    s = await series(resources, sid, Interval.HOUR, ALL)
    assert s.values.tolist() == [101.0, 102.01]
    np.testing.assert_allclose(s.returns, [0.01, 0.01], rtol=1e-12)


async def test_empty_series_and_latest(resources: Resources, strategy_id: int) -> None:
    empty = await create_strategy(resources)
    async with resources.sessions() as session:
        latest = await fetch_latest(session, PERFORMANCE, [strategy_id, empty])
    assert set(latest) == {strategy_id}
    assert latest[strategy_id].value == 147.51
    assert latest[strategy_id].return_ == pytest.approx(-0.1, rel=1e-12)
    assert latest[strategy_id].seq == 5
    assert len(await series(resources, empty, Interval.DAY, ALL)) == 0


def test_iso_timestamps_are_the_same_formatted_or_remembered() -> None:
    whole = np.array([0, 86_400_000_000, 1_700_000_000_000_000], dtype=np.int64)
    fraction = np.array([0, 1_500_000], dtype=np.int64)
    expected = ["1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", "2023-11-14T22:13:20Z"]
    assert iso_utc(whole) == expected
    assert iso_utc(whole) == expected  # from memory
    assert iso_utc(fraction) == ["1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:01.500000Z"]
    assert iso_utc(whole[:1]) == expected[:1]  # a whole second stays whole
    many = np.arange(60_000, dtype=np.int64) * 1_000_000  # more than the memory holds
    assert iso_utc(many)[-1] == "1970-01-01T16:39:59Z"
    assert iso_utc(whole) == expected
