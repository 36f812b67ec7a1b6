import numpy as np
import pandas as pd
import pytest

from services.analytics import compute_metrics, drawdown_series, top_drawdowns

from .conftest import series


def test_episodes_literal() -> None:
    # index: 1.1, 0.99, 1.1 (recovered), 1.21, 1.089, 1.1979
    r = series([0.10, -0.10, 1.1 / 0.99 - 1, 0.10, -0.10, 0.10])
    deepest, second = top_drawdowns(r, 5)
    assert deepest.depth == pytest.approx(-0.10)
    assert deepest.peak == r.index[0]
    assert deepest.start == r.index[1]
    assert deepest.trough == r.index[1]
    assert deepest.recovery == r.index[2]
    assert deepest.duration_periods == 2
    assert deepest.recovered
    assert deepest.duration_days == (r.index[2] - r.index[0]).days
    assert second.depth == pytest.approx(-0.10)
    assert second.peak == r.index[3]
    assert second.recovery is None
    assert second.duration_periods == 2
    assert not second.recovered


def test_drawdown_from_the_first_period_has_no_peak_date() -> None:
    r = series([-0.2, 0.1, 0.2])
    (dd,) = top_drawdowns(r, 3)
    assert dd.peak is None
    assert dd.start == r.index[0]
    assert dd.recovery == r.index[2]
    assert dd.duration_periods == 3
    assert dd.depth == pytest.approx(-0.2)


def test_top_is_ordered_and_limited(mtum: pd.Series) -> None:
    top = top_drawdowns(mtum, 10)
    assert len(top) == 10
    depths = [d.depth for d in top]
    assert depths == sorted(depths)
    assert top[0].depth == pytest.approx(compute_metrics(mtum).max_drawdown, rel=1e-12)
    dd = drawdown_series(mtum)
    for d in top:
        assert dd[d.trough] == pytest.approx(d.depth, rel=1e-12)
        if d.recovery is not None:
            assert dd[d.recovery] == 0.0
        assert (dd[d.start : d.trough] < 0).all()


def test_no_drawdown_no_episode() -> None:
    assert top_drawdowns(series([0.01, 0.02]), 3) == []
    with pytest.raises(ValueError, match="top"):
        top_drawdowns(series([0.01]), 0)


def test_covid_crash_on_the_sp500(sp500: pd.Series) -> None:
    covid = next(d for d in top_drawdowns(sp500, 5) if d.trough.year == 2020)
    assert covid.trough == pd.Timestamp("2020-03-23", tz="UTC")
    assert covid.peak == pd.Timestamp("2020-02-19", tz="UTC")
    assert covid.depth == pytest.approx(2237.40 / 3386.15 - 1, rel=1e-4)
    assert np.isfinite(covid.duration_days)


@pytest.mark.parametrize("column", ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"])
def test_metrics_max_drawdown_period_is_the_first_top_episode(
    factors: pd.DataFrame, column: str
) -> None:
    r = factors[column]
    assert compute_metrics(r).max_drawdown_period == top_drawdowns(r, 1)[0]
    tail = r.loc["2022-11-01":]
    assert compute_metrics(tail).max_drawdown_period == top_drawdowns(tail, 1)[0]
