"""The returns loaders of one request build each calendar's index once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders import Loaders, SeriesKey
from loaders.returns import BenchmarkReturnsKey
from services.analytics import compare
from services.blends import BenchmarkLeg, BenchmarkSpec
from services.resources import Resources
from services.windows import MAX_WINDOW, Interval, Window, WindowPreset
from tests.factories import create_strategy


async def test_returns_on_the_same_dates_share_one_index_within_a_request(
    resources: Resources,
) -> None:
    days = pd.bdate_range("2022-01-03", periods=300, tz="UTC").to_pydatetime()
    ids = []
    for seed, dates in ((1, days), (2, days), (3, np.delete(days, 250))):
        navs = 100 * np.cumprod(1 + np.random.default_rng(seed).normal(0, 0.01, len(dates)))
        points = [(d, float(v), 0.0) for d, v in zip(dates, navs, strict=True)]
        ids.append(await create_strategy(resources, points=points))
    window = Window(preset=WindowPreset.ONE_YEAR)
    keys = [SeriesKey(i, window, Interval.DAY) for i in ids]

    loaders = Loaders.create(resources)
    first, second, third = await loaders.analytics.returns_by_strategy.load_many(keys)
    assert first.returns.index is second.returns.index
    assert third.returns.index is not first.returns.index  # one date fewer
    assert len(third.returns) == len(first.returns) - 1
    assert not first.returns.equals(second.returns)

    again = await Loaders.create(resources).analytics.returns_by_strategy.load(keys[0])
    assert again.returns.index is not first.returns.index  # another request: its own
    assert again.returns.equals(first.returns)
    assert again.window == first.window


async def test_a_benchmark_on_a_strategys_dates_shares_its_index(resources: Resources) -> None:
    spx = await Loaders.create(resources).benchmark_by_symbol.load("SPX")
    assert spx is not None
    spec = BenchmarkSpec((BenchmarkLeg(spx.id, "SPX", 1.0),), symbol="SPX")
    history = await Loaders.create(resources).analytics.returns_by_benchmark.load(
        BenchmarkReturnsKey(spec, MAX_WINDOW, Interval.DAY)
    )
    dates = pd.DatetimeIndex(history.returns.index)[-300:].to_pydatetime()
    navs = 100 * np.cumprod(1 + np.random.default_rng(4).normal(0, 0.01, len(dates)))
    points = [(d, float(v), 0.0) for d, v in zip(dates, navs, strict=True)]
    strategy_id = await create_strategy(resources, points=points)

    loaders = Loaders.create(resources).analytics
    subject = await loaders.returns_by_strategy.load(
        SeriesKey(strategy_id, MAX_WINDOW, Interval.DAY)
    )
    benchmark = await loaders.returns_by_benchmark.load(
        BenchmarkReturnsKey(spec, subject.follow(), Interval.DAY)
    )
    assert len(subject.returns) == 299  # after the inception point
    assert benchmark.returns.index is subject.returns.index
    assert benchmark.returns.equals(history.returns.iloc[-299:])
    assert not compare(subject.returns, benchmark.returns).alignment.changed
