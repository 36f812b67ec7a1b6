"""Bucketing and time-weighted returns in SQL, against hand-computed values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import text

from services.resources import Resources
from services.series import (
    BENCHMARK,
    PERFORMANCE,
    Series,
    SeriesRequest,
    fetch_latest,
    fetch_series,
    iso_utc,
)
from services.windows import Interval, ResolvedWindow, Window, WindowPreset, resolve
from tests.factories import create_benchmark, create_strategy


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


# Intraday points, with flows on either side of day and week boundaries (1 Jan 2024: a Monday)
INTRADAY = [
    (datetime(2024, 1, 8, 9, tzinfo=UTC), 100.0, 0.0),  # Monday, inception
    (datetime(2024, 1, 8, 16, tzinfo=UTC), 102.0, 0.0),
    (datetime(2024, 1, 9, 9, tzinfo=UTC), 153.0, 50.0),  # +50 subscription: growth 103 / 102
    (datetime(2024, 1, 9, 16, tzinfo=UTC), 103.0, 0.0),
    (datetime(2024, 1, 14, 12, tzinfo=UTC), 110.0, -10.0),  # Sunday, -10 redemption: 120 / 103
    (datetime(2024, 1, 15, tzinfo=UTC), 121.0, 0.0),  # Monday midnight: a new week
]


@pytest.fixture(scope="module")
async def intraday_id(resources: Resources) -> int:
    return await create_strategy(resources, points=INTRADAY)


async def test_daily_buckets_of_intraday_points_sum_flows_and_growth(
    resources: Resources, intraday_id: int
) -> None:
    s = await series(resources, intraday_id, Interval.DAY, ALL)
    assert s.timestamps == [INTRADAY[i][0] for i in (1, 3, 4, 5)]  # each day's last point
    assert s.values.tolist() == [102.0, 103.0, 110.0, 121.0]
    # the first day at inception: the first point has no return, the day is its second's
    expected = [1.02 - 1, 103 / 102 * 103 / 153 - 1, 120 / 103 - 1, 0.1]
    np.testing.assert_allclose(s.returns, expected, rtol=1e-12)
    assert s.cash_flows.tolist() == [0.0, 50.0, -10.0, 0.0]


async def test_weeks_start_on_monday(resources: Resources, intraday_id: int) -> None:
    s = await series(resources, intraday_id, Interval.WEEK, ALL)
    assert s.timestamps == [INTRADAY[4][0], INTRADAY[5][0]]  # Sunday's point ends the week
    assert s.values.tolist() == [110.0, 121.0]
    expected = [1.02 * (103 / 102) * (103 / 153) * (120 / 103) - 1, 0.1]
    np.testing.assert_allclose(s.returns, expected, rtol=1e-12)
    assert s.cash_flows.tolist() == [40.0, 0.0]


async def test_window_inside_a_bucket_leaves_the_anchor_and_its_flow_out(
    resources: Resources, intraday_id: int
) -> None:
    window = ResolvedWindow(after=datetime(2024, 1, 9, 12, tzinfo=UTC), until=None)
    s = await series(resources, intraday_id, Interval.WEEK, window)
    assert s.timestamps == [INTRADAY[4][0], INTRADAY[5][0]]
    # from the anchor (153 on 9 January, 09:00): 103 / 153, then 120 / 103
    np.testing.assert_allclose(s.returns, [120 / 153 - 1, 0.1], rtol=1e-12)
    assert s.cash_flows.tolist() == [-10.0, 0.0]
    until = ResolvedWindow(after=None, until=datetime(2024, 1, 9, 9, tzinfo=UTC))
    s = await series(resources, intraday_id, Interval.MONTH, until)
    assert s.timestamps == [INTRADAY[2][0]]
    assert s.values.tolist() == [153.0]
    np.testing.assert_allclose(s.returns, [1.02 * 103 / 102 - 1], rtol=1e-12)


async def test_minute_buckets(resources: Resources) -> None:
    start = datetime(2024, 3, 1, 14, 59, 59, 999_999, tzinfo=UTC)
    points = [
        (start, 100.0, 0.0),  # the last microsecond of 14:59
        (start + timedelta(microseconds=1), 101.0, 0.0),  # 15:00:00 exactly
        (start + timedelta(seconds=30), 102.01, 0.0),
        (start + timedelta(seconds=60), 103.0, 0.0),  # 15:00:59.999999
        (start + timedelta(seconds=61), 103.0, 0.0),  # 15:01:00.999999: no change
    ]
    sid = await create_strategy(resources, points=points)
    s = await series(resources, sid, Interval.MINUTE, ALL)
    assert s.timestamps == [points[0][0], points[3][0], points[4][0]]
    assert s.values.tolist() == [100.0, 103.0, 103.0]
    assert np.isnan(s.returns[0])  # a lone inception point
    np.testing.assert_allclose(s.returns[1:], [0.03, 0.0], rtol=1e-12)
    assert s.returns[2] == 0.0


def bucket_of(stamp: datetime, interval: Interval) -> object:
    """Reference bucketing in UTC, written with the standard library."""
    if interval is Interval.RAW:
        return stamp
    if interval is Interval.MINUTE:
        return stamp.replace(second=0, microsecond=0)
    if interval is Interval.HOUR:
        return stamp.replace(minute=0, second=0, microsecond=0)
    if interval is Interval.DAY:
        return stamp.date()
    if interval is Interval.WEEK:
        return stamp.date() - timedelta(days=stamp.weekday())  # ISO weeks: from Monday
    if interval is Interval.MONTH:
        return (stamp.year, stamp.month)
    raise AssertionError(f"no reference bucketing for {interval}")


def reference(
    points: Sequence[tuple[datetime, float, float]], window: ResolvedWindow, interval: Interval
) -> tuple[list[datetime], list[float], list[float], list[float]]:
    """The bucketed series computed row by row in Python: timestamps, values, returns, flows."""
    anchors = [p for p in points if window.after is not None and p[0] <= window.after]
    prev = anchors[-1][1] if anchors else None
    last: dict[object, tuple[datetime, float]] = {}
    growths: dict[object, list[float]] = {}
    flows: dict[object, list[float]] = {}
    for stamp, nav, flow in points:
        if window.after is not None and stamp <= window.after:
            continue
        if window.until is not None and stamp > window.until:
            break
        bucket = bucket_of(stamp, interval)
        last[bucket] = (stamp, nav)
        growths.setdefault(bucket, [])
        if prev is not None:  # at inception the first point has no growth
            growths[bucket].append(math.log((nav - flow) / prev))
        flows.setdefault(bucket, []).append(flow)
        prev = nav
    returns = [math.expm1(math.fsum(g)) if g else math.nan for g in growths.values()]
    return (
        [stamp for stamp, _ in last.values()],
        [nav for _, nav in last.values()],
        returns,
        [math.fsum(f) for f in flows.values()],
    )


def assert_matches_reference(
    s: Series,
    points: Sequence[tuple[datetime, float, float]],
    window: ResolvedWindow,
    interval: Interval,
) -> None:
    timestamps, values, returns, flows = reference(points, window, interval)
    assert s.timestamps == timestamps
    assert s.values.tolist() == values
    np.testing.assert_allclose(s.returns, returns, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.cash_flows, flows, rtol=1e-12, atol=1e-12)


def random_points(start: datetime, n: int, seed: int) -> list[tuple[datetime, float, float]]:
    """Irregular points (microseconds to days apart) with flows and unchanged values."""
    rng = np.random.default_rng(seed)
    gaps_s = rng.choice([5e-6, 0.4, 25.0, 700.0, 5_000.0, 40_000.0, 300_000.0], size=n)
    offsets_us = np.cumsum(gaps_s * rng.uniform(1.0, 2.0, size=n) * 1e6).astype(np.int64)
    growth = 1 + rng.normal(0, 0.01, size=n)
    growth[rng.random(n) < 0.1] = 1.0  # the same value again: a zero return
    navs = 100 * np.cumprod(growth)
    flows = np.where(rng.random(n) < 0.1, np.round(rng.normal(0, 10, size=n), 2), 0.0)
    flows = np.minimum(flows, navs / 2)  # the value before a flow stays positive
    return [
        (start + timedelta(microseconds=int(us)), float(nav), float(flow))
        for us, nav, flow in zip(offsets_us, navs, flows, strict=True)
    ]


def edge_points(start: datetime, n: int) -> list[tuple[datetime, float, float]]:
    """Points every six hours from a Monday at midnight: each is on a minute's, an hour's
    and a day's edge, and one in 28 on a week's (bucket edges before the origin some
    PostgreSQL releases' date_bin rounded into the bucket before)."""
    return [
        (start + timedelta(hours=6 * i), 100.0 + i % 7 - 0.5 * (i % 3), 0.0 if i % 5 else 1.0)
        for i in range(n)
    ]


# Around the Unix epoch, PostgreSQL's (2000-01-01) and a Monday in 2001; bucket edges
REFERENCE_POINTS = [
    random_points(datetime(1969, 11, 20, 3, tzinfo=UTC), 400, seed=1),
    random_points(datetime(1999, 11, 20, 3, tzinfo=UTC), 400, seed=2),
    random_points(datetime(2000, 11, 20, 3, tzinfo=UTC), 400, seed=3),
    edge_points(datetime(1995, 1, 2, tzinfo=UTC), 200),
]


def reference_windows(points: Sequence[tuple[datetime, float, float]]) -> list[ResolvedWindow]:
    first, last = points[0][0], points[-1][0]
    middle = points[len(points) // 2][0]
    return [
        ALL,
        ResolvedWindow(after=middle, until=None),  # anchored on a point
        ResolvedWindow(after=middle + timedelta(microseconds=1), until=None),  # just after one
        ResolvedWindow(after=first - timedelta(days=1), until=middle),  # nothing before it
        ResolvedWindow(after=first + (middle - first) / 3, until=middle + (last - middle) / 2),
        ResolvedWindow(after=last, until=None),  # empty
    ]


@pytest.fixture(scope="module")
async def reference_ids(resources: Resources) -> list[int]:
    return [await create_strategy(resources, points=p) for p in REFERENCE_POINTS]


@pytest.mark.parametrize("interval", list(Interval))
async def test_every_interval_matches_a_row_by_row_reference(
    resources: Resources, reference_ids: list[int], interval: Interval
) -> None:
    requests = [
        SeriesRequest(sid, window, interval)
        for sid, points in zip(reference_ids, REFERENCE_POINTS, strict=True)
        for window in reference_windows(points)
    ]
    async with resources.sessions() as session:
        found = await fetch_series(session, PERFORMANCE, requests)
    points_of = dict(zip(reference_ids, REFERENCE_POINTS, strict=True))
    for request, s in zip(requests, found, strict=True):
        assert_matches_reference(s, points_of[request.entity_id], request.window, interval)
    assert any(len(s) > 1 for s in found)
    if interval is not Interval.RAW:  # several points in a bucket
        assert sum(len(s) for s in found) < sum(
            len(reference(points_of[r.entity_id], r.window, Interval.RAW)[0]) for r in requests
        )


async def test_buckets_are_utc_whatever_the_session_time_zone(
    resources: Resources, reference_ids: list[int]
) -> None:
    points = REFERENCE_POINTS[2]
    requests = [SeriesRequest(reference_ids[2], ALL, interval) for interval in Interval]
    async with resources.sessions() as session:
        await session.execute(text("SET LOCAL timezone = 'Pacific/Chatham'"))  # UTC+12:45
        found = await fetch_series(session, PERFORMANCE, requests)
    for request, s in zip(requests, found, strict=True):
        assert_matches_reference(s, points, request.window, request.interval)


async def test_one_statement_serves_keys_with_different_windows_and_intervals(
    resources: Resources, reference_ids: list[int], intraday_id: int
) -> None:
    empty = await create_strategy(resources)
    sid = reference_ids[1]
    points = REFERENCE_POINTS[1]
    middle = ResolvedWindow(after=points[100][0], until=points[300][0])
    requests = [
        SeriesRequest(sid, ALL, Interval.WEEK),
        SeriesRequest(empty, ALL, Interval.DAY),
        SeriesRequest(sid, middle, Interval.DAY),
        SeriesRequest(intraday_id, ALL, Interval.DAY),
        SeriesRequest(sid, ALL, Interval.RAW),
        SeriesRequest(sid, ResolvedWindow(after=points[-1][0], until=None), Interval.MONTH),
        SeriesRequest(sid, middle, Interval.WEEK),
    ]
    async with resources.sessions() as session:
        together = await fetch_series(session, PERFORMANCE, requests)
        alone = [(await fetch_series(session, PERFORMANCE, [r]))[0] for r in requests]
    for request, s, single in zip(requests, together, alone, strict=True):
        assert s.timestamps == single.timestamps
        np.testing.assert_array_equal(s.returns, single.returns)
        if request.entity_id == sid:
            assert_matches_reference(s, points, request.window, request.interval)
    assert len(together[1]) == 0  # the empty strategy
    assert len(together[5]) == 0  # the window after the last point
    assert together[3].values.tolist() == [102.0, 103.0, 110.0, 121.0]


async def test_benchmark_levels_have_no_flows(resources: Resources) -> None:
    navs = [100.0, 110.0, 99.0, 108.9, 98.01]
    levels = [(stamp, level) for (stamp, _, _), level in zip(POINTS, navs, strict=True)]
    benchmark = await create_benchmark(resources, levels=levels)
    window = ResolvedWindow(after=ts(2), until=None)  # anchor: 110 on 2 January
    request = SeriesRequest(benchmark.id, window, Interval.MONTH)
    async with resources.sessions() as session:
        [s] = await fetch_series(session, BENCHMARK, [request])
    assert s.timestamps == [ts(3), ts(2, 2)]
    assert s.values.tolist() == [99.0, 98.01]
    np.testing.assert_allclose(s.returns, [-0.1, -0.01], rtol=1e-12)
    assert s.cash_flows.tolist() == [0.0, 0.0]


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
