"""perfgraph against empyrical-reloaded on real series: equal within 1e-9 where conventions match.

Deliberate differences are tested at the bottom of this module (see docs/analytics.md).
"""

from __future__ import annotations

import math

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import scipy.stats  # type: ignore[import-untyped]

from services.analytics import (
    RiskFree,
    compare,
    compute_metrics,
    cumulative_returns,
    drawdown_series,
    per_period_rates,
    rolling_alpha,
    rolling_beta,
    rolling_max_drawdown,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)

from .conftest import series

REL = 1e-9
RF_ANNUAL = 0.02
RF_DAILY = (1 + RF_ANNUAL) ** (1 / 252) - 1


def close(ours: float | None, theirs: float) -> bool:
    assert ours is not None
    return math.isclose(ours, float(theirs), rel_tol=REL, abs_tol=1e-15)


@pytest.fixture(scope="module", params=["MTUM", "USMV", "VLUE"])
def strategy(request: pytest.FixtureRequest, factors: pd.DataFrame) -> pd.Series:
    returns: pd.Series = factors[request.param]
    return returns


def test_single_series_metrics_match(strategy: pd.Series) -> None:
    m = compute_metrics(strategy, risk_free=RF_ANNUAL)
    assert m.methodology.periods_per_year == 252.0
    assert close(m.total_return, ep.cum_returns_final(strategy))
    assert close(m.cagr, ep.annual_return(strategy))
    assert close(m.annual_volatility, ep.annual_volatility(strategy))
    assert close(m.sharpe, ep.sharpe_ratio(strategy, risk_free=RF_DAILY))
    assert close(m.sortino, ep.sortino_ratio(strategy, required_return=RF_DAILY))
    assert close(m.downside_deviation, ep.downside_risk(strategy, required_return=RF_DAILY))
    assert close(m.calmar, ep.calmar_ratio(strategy))
    assert close(m.omega, ep.omega_ratio(strategy))
    assert close(m.max_drawdown, ep.max_drawdown(strategy))
    assert close(m.var_historical, ep.value_at_risk(strategy, cutoff=0.05))
    assert close(m.cvar_historical, ep.conditional_value_at_risk(strategy, cutoff=0.05))
    assert close(m.skew, scipy.stats.skew(strategy))
    assert close(m.kurtosis, scipy.stats.kurtosis(strategy))
    assert close(m.tail_ratio, ep.tail_ratio(strategy))
    assert close(m.stability, ep.stability_of_timeseries(strategy))


def test_omega_threshold_matches_required_return(strategy: pd.Series) -> None:
    m = compute_metrics(strategy, omega_threshold=0.08)
    assert close(m.omega, ep.omega_ratio(strategy, required_return=0.08, annualization=252))


def test_var_levels_match(strategy: pd.Series) -> None:
    for level in (0.9, 0.99):
        m = compute_metrics(strategy, var_level=level)
        cutoff = round(1 - level, 12)
        assert close(m.var_historical, ep.value_at_risk(strategy, cutoff=cutoff))
        assert close(m.cvar_historical, ep.conditional_value_at_risk(strategy, cutoff=cutoff))


def test_series_transforms_match(strategy: pd.Series) -> None:
    np.testing.assert_allclose(cumulative_returns(strategy), ep.cum_returns(strategy), rtol=REL)
    np.testing.assert_allclose(
        drawdown_series(strategy), ep.stats.drawdown_series(strategy), rtol=REL, atol=1e-15
    )


def test_benchmark_comparison_matches(strategy: pd.Series, sp500: pd.Series) -> None:
    c = compare(strategy, sp500, risk_free=RF_ANNUAL)
    s, b = strategy.loc[c.strategy_index.index], sp500.loc[c.benchmark_index.index]
    assert c.alignment.overlapping_periods == len(s) > 2000
    assert close(c.beta, ep.beta(s, b, risk_free=RF_DAILY))
    assert close(c.alpha, ep.alpha(s, b, risk_free=RF_DAILY))
    assert close(c.up_capture, ep.up_capture(s, b))
    assert close(c.down_capture, ep.down_capture(s, b))
    assert close(c.batting_average, ep.batting_average(s, b)["batting average"])
    assert close(c.information_ratio, ep.excess_sharpe(s, b) * math.sqrt(252))
    assert close(c.correlation, np.corrcoef(s, b)[0, 1])


def test_time_varying_risk_free_matches_empyrical_given_the_same_rates(
    sp500: pd.Series, treasury_3m: pd.Series
) -> None:
    returns = sp500.loc["2015-01-01":"2017-03-29"]
    rf = RiskFree.from_series(treasury_3m, name="3-month Treasury")
    m = compute_metrics(returns, risk_free=rf)
    per_period, used = per_period_rates(rf, returns.index, 252.0)
    rf_series = pd.Series(per_period, index=returns.index)
    assert used.backfilled_periods == 0
    assert 0.0 < used.mean_annual_rate < 0.01  # 2015-2017 T-bill yields
    assert close(m.sharpe, ep.sharpe_ratio(returns, risk_free=rf_series))
    assert close(m.sortino, ep.sortino_ratio(returns, required_return=rf_series))
    assert m.sharpe != pytest.approx(compute_metrics(returns).sharpe, rel=1e-6)


@pytest.mark.parametrize("window", [63, 126, 252])
def test_rolling_metrics_match(mtum: pd.Series, sp500: pd.Series, window: int) -> None:
    s = mtum.loc["2019-01-01":]
    b = sp500.loc[s.index]
    checks = [
        (rolling_volatility(s, window), ep.roll_annual_volatility(s, window)),
        (rolling_sharpe(s, window), ep.roll_sharpe_ratio(s, window)),
        (rolling_sortino(s, window), ep.roll_sortino_ratio(s, window)),
        (rolling_max_drawdown(s, window), ep.roll_max_drawdown(s, window)),
        (rolling_beta(s, b, window), ep.roll_beta(s, b, window)),
        (rolling_alpha(s, b, window), ep.roll_alpha(s, b, window)),
    ]
    for ours, theirs in checks:
        assert len(ours) == len(s) - window + 1
        np.testing.assert_allclose(ours.to_numpy(), np.asarray(theirs), rtol=REL, atol=1e-14)
        assert ours.index[0] == s.index[window - 1]


# --- deliberate differences -------------------------------------------------------------


def test_sortino_without_losses_is_none_where_empyrical_gives_infinity() -> None:
    r = series([0.01, 0.02, 0.0, 0.03], freq="B", start="2024-01-02")
    assert math.isinf(ep.sortino_ratio(r))
    assert compute_metrics(r).sortino is None


def test_sharpe_of_constant_returns_is_none_where_empyrical_gives_infinity() -> None:
    r = series([0.01] * 5, freq="B", start="2024-01-02")
    assert not math.isfinite(ep.sharpe_ratio(r))
    assert compute_metrics(r).sharpe is None


def test_omega_ignores_the_risk_free_rate_unlike_empyrical(mtum: pd.Series) -> None:
    ours = compute_metrics(mtum, risk_free=RF_ANNUAL).omega
    assert close(ours, ep.omega_ratio(mtum))
    assert not close_ok(ours, ep.omega_ratio(mtum, risk_free=RF_DAILY))


def test_beta_with_a_time_varying_rate_uses_excess_returns_unlike_empyrical(
    sp500: pd.Series, treasury_3m: pd.Series, factors: pd.DataFrame
) -> None:
    s = factors["MTUM"].loc[:"2017-03-29"]
    b = sp500.loc[s.index]
    rf = RiskFree.from_series(treasury_3m)
    per_period = pd.Series(per_period_rates(rf, s.index, 252.0)[0], index=s.index)
    ours = compare(s, b, risk_free=rf).beta
    assert ours is not None
    # empyrical ignores risk_free in beta; perfgraph regresses excess returns
    assert close(ep.beta(s, b, risk_free=per_period), ep.beta(s, b))
    assert close(ours, ep.beta(s - per_period, b - per_period))
    assert not close_ok(ours, ep.beta(s, b))


def test_win_rate_excludes_flat_periods() -> None:
    r = series([0.01, 0.0, -0.01, 0.0, 0.02], freq="B", start="2024-01-02")
    assert compute_metrics(r).win_rate == pytest.approx(2 / 3)


def close_ok(ours: float | None, theirs: float) -> bool:
    return ours is not None and math.isclose(ours, float(theirs), rel_tol=REL)
