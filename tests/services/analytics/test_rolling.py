import numpy as np
import pandas as pd
import pytest

from services.analytics import (
    RollingMetric,
    compare,
    compute_metrics,
    rolling_alpha,
    rolling_beta,
    rolling_max_drawdown,
    rolling_metric,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)

from .conftest import series

R = [0.10, -0.05, 0.02, -0.03, 0.04, 0.01]
B = [0.05, -0.02, 0.01, -0.04, 0.02, 0.03]


def test_rolling_values_equal_full_metrics_on_each_window() -> None:
    s, b = series(R), series(B)
    vol = rolling_volatility(s, 4, periods_per_year=12)
    sharpe = rolling_sharpe(s, 4, periods_per_year=12, risk_free=0.03)
    sortino = rolling_sortino(s, 4, periods_per_year=12)
    mdd = rolling_max_drawdown(s, 4)
    beta = rolling_beta(s, b, 4, periods_per_year=12)
    alpha = rolling_alpha(s, b, 4, periods_per_year=12, risk_free=0.03)
    assert list(vol.index) == list(s.index[3:])
    for end in range(4, 7):
        window = s.iloc[end - 4 : end]
        m = compute_metrics(window, periods_per_year=12, risk_free=0.03)
        c = compare(window, b.iloc[end - 4 : end], periods_per_year=12, risk_free=0.03)
        date = window.index[-1]
        assert vol[date] == pytest.approx(m.annual_volatility, rel=1e-12)
        assert sharpe[date] == pytest.approx(m.sharpe, rel=1e-12)
        assert mdd[date] == pytest.approx(m.max_drawdown, rel=1e-12)
        assert beta[date] == pytest.approx(c.beta, rel=1e-12)
        assert alpha[date] == pytest.approx(c.alpha, rel=1e-12)
    # first window: -0.05 and -0.03 below zero; mean 0.04 / 4 = 0.01
    assert sortino.iloc[0] == pytest.approx(0.01 * 12 / np.sqrt(0.0034 / 4 * 12), rel=1e-12)


def test_window_of_constant_returns_is_nan_not_infinite() -> None:
    s = series([0.01, 0.01, 0.01, 0.02])
    out = rolling_sharpe(s, 3)
    assert np.isnan(out.iloc[0])
    assert np.isfinite(out.iloc[1])
    assert np.isnan(rolling_sortino(s, 3)).all()


def test_window_longer_than_the_series_is_empty() -> None:
    out = rolling_volatility(series(R), 63)
    assert len(out) == 0
    assert len(rolling_max_drawdown(series(R), 63)) == 0
    assert len(rolling_beta(series(R), series(B), 63)) == 0


def test_window_must_be_at_least_two() -> None:
    with pytest.raises(ValueError, match="window"):
        rolling_volatility(series(R), 1)


def test_dispatcher_routes_by_metric() -> None:
    s, b = series(R), series(B)
    pd.testing.assert_series_equal(
        rolling_metric(RollingMetric.BETA, s, 3, benchmark=b), rolling_beta(s, b, 3)
    )
    pd.testing.assert_series_equal(
        rolling_metric(RollingMetric.MAX_DRAWDOWN, s, 3), rolling_max_drawdown(s, 3)
    )
    with pytest.raises(ValueError, match="needs a benchmark"):
        rolling_metric(RollingMetric.ALPHA, s, 3)
