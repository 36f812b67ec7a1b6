import numpy as np
import pandas as pd
import pytest

from services.analytics import (
    cumulative_returns,
    drawdown_series,
    infer_periods_per_year,
    rebase,
    twr_returns,
)

from .conftest import series


def test_twr_returns_removes_external_flows() -> None:
    nav = series([100.0, 110.0, 160.0, 150.0])
    flows = pd.Series([50.0], index=nav.index[[2]])
    r = twr_returns(nav, flows)
    # 110/100 - 1; (160 - 50)/110 - 1; 150/160 - 1
    assert list(r.index) == list(nav.index[1:])
    np.testing.assert_allclose(r.to_numpy(), [0.1, 0.0, -0.0625], rtol=0, atol=1e-15)


def test_twr_returns_without_flows_is_pct_change() -> None:
    nav = series([100.0, 90.0, 99.0])
    np.testing.assert_allclose(twr_returns(nav).to_numpy(), [-0.1, 0.1], atol=1e-15)


def test_twr_rejects_flows_on_dates_without_nav() -> None:
    nav = series([100.0, 110.0])
    flows = pd.Series([1.0], index=pd.DatetimeIndex(["2030-01-01"], tz="UTC"))
    with pytest.raises(ValueError, match="without a NAV"):
        twr_returns(nav, flows)


def test_cumulative_rebase_and_drawdown_literals() -> None:
    r = series([0.10, -0.05, 0.02, -0.03, 0.04])
    np.testing.assert_allclose(
        cumulative_returns(r).to_numpy(), [0.1, 0.045, 0.0659, 0.033923, 0.07527992], atol=1e-14
    )
    np.testing.assert_allclose(
        rebase(r).to_numpy(), [110.0, 104.5, 106.59, 103.3923, 107.527992], atol=1e-11
    )
    # peak 1.1 after the first period
    np.testing.assert_allclose(
        drawdown_series(r).to_numpy(),
        [0.0, -0.05, 1.0659 / 1.1 - 1, 1.033923 / 1.1 - 1, 1.07527992 / 1.1 - 1],
        atol=1e-14,
    )


def test_drawdown_counts_a_first_loss_from_the_starting_level() -> None:
    assert drawdown_series(series([-0.05, 0.02])).iloc[0] == pytest.approx(-0.05)


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("B", 252.0), ("W-FRI", 52.0), ("ME", 12.0), ("QE", 4.0), ("YE", 1.0), ("D", 365.0)],
)
def test_infer_periods_per_year(freq: str, expected: float) -> None:
    index = pd.date_range("2020-01-01", periods=40, freq=freq, tz="UTC")
    assert infer_periods_per_year(index) == expected


def test_infer_periods_per_year_intraday_scales_by_trading_hours() -> None:
    index = pd.date_range("2024-01-02 14:30", periods=7, freq="h", tz="UTC")
    assert infer_periods_per_year(index) == pytest.approx(252 * 6.5)


def test_infer_periods_per_year_needs_two_dates() -> None:
    with pytest.raises(ValueError, match="two dates"):
        infer_periods_per_year(pd.DatetimeIndex(["2024-01-02"], tz="UTC"))


def test_nan_in_returns_is_rejected_with_a_count() -> None:
    r = series([0.01, float("nan"), 0.02, float("nan")])
    with pytest.raises(ValueError, match="contain 2 missing"):
        cumulative_returns(r)


def test_naive_unsorted_and_duplicate_indexes_are_rejected() -> None:
    r = series([0.01, 0.02])
    with pytest.raises(ValueError, match="tz-aware UTC"):
        rebase(r.tz_localize(None))
    with pytest.raises(ValueError, match="sorted"):
        rebase(r.iloc[::-1])
    with pytest.raises(ValueError, match="duplicate"):
        rebase(pd.Series([0.1, 0.2], index=r.index[[0, 0]]))
    with pytest.raises(TypeError, match="DatetimeIndex"):
        rebase(pd.Series([0.1, 0.2]))
