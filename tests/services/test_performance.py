"""Analytics results from windowed returns: options, risk-free inputs, rolling windows."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from services.analytics import RollingMetric, compute_metrics, rolling_volatility
from services.errors import InvalidInput
from services.performance import (
    AnalyticsOptions,
    RiskFreeSpec,
    compute_rolling,
    compute_strategy_metrics,
    risk_free,
)
from services.returns import WindowedReturns, to_series, windowed
from services.windows import MAX_WINDOW, ResolvedWindow, Window


def daily(values: list[float], start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values), tz="UTC"))


def history(returns: pd.Series) -> WindowedReturns:
    """A series from inception (the base one business day before the first return)."""
    base = returns.index[0] - pd.offsets.BDay(1)
    return windowed(to_series(returns, base_date=base), MAX_WINDOW, ResolvedWindow(None, None))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"periods_per_year": 0.0}, "periodsPerYear must be in"),
        ({"periods_per_year": float("inf")}, "periodsPerYear must be in"),
        ({"var_level": 1.0}, "varLevel must be strictly between 0 and 1"),
        ({"var_level": 0.0}, "varLevel must be strictly between 0 and 1"),
    ],
)
def test_bad_options_are_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        AnalyticsOptions(**kwargs)  # type: ignore[arg-type]


def test_a_risk_free_spec_is_a_rate_or_a_cash_index() -> None:
    with pytest.raises(InvalidInput, match="exactly one"):
        RiskFreeSpec()
    with pytest.raises(InvalidInput, match="finite annual rate > -1"):
        RiskFreeSpec(annual_rate=-1.0)
    with pytest.raises(InvalidInput, match="TBILL has no returns"):
        risk_free(AnalyticsOptions(risk_free=RiskFreeSpec(cash_id=1, cash_symbol="TBILL")), None)


def test_metrics_with_a_cash_index_subtract_its_returns() -> None:
    returns = daily([0.01, -0.02, 0.015, 0.003, -0.001])
    cash = history(daily([0.0001, 0.0002, 0.0001, 0.0003, 0.0002]))
    options = AnalyticsOptions(risk_free=RiskFreeSpec(cash_id=7, cash_symbol="TBILL"))
    result = compute_strategy_metrics(history(returns), options, cash)
    excess = returns - cash.returns
    assert result.metrics.sharpe == pytest.approx(
        excess.mean() / excess.std() * np.sqrt(252), rel=1e-12
    )
    assert result.metrics.methodology.risk_free.description.startswith("cash index TBILL")
    plain = compute_metrics(returns)
    assert result.metrics.total_return == plain.total_return


def test_rolling_values_are_cut_to_the_window_after_a_full_lookback() -> None:
    returns = daily([0.01, -0.02, 0.015, 0.003, -0.001, 0.004, 0.02])
    window = Window(start=datetime(2024, 1, 5, tzinfo=UTC))
    result = compute_rolling(
        history(returns), None, RollingMetric.VOLATILITY, 3, window, AnalyticsOptions()
    )
    full = rolling_volatility(returns, 3)
    # the value on Jan 5 already uses Jan 3..5: history before the window is not lost
    assert result.values.index[0] == pd.Timestamp("2024-01-05", tz="UTC")
    assert result.values.tolist() == full.loc["2024-01-05":].tolist()
    assert result.window.periods == 3
    assert result.window.requested_from == datetime(2024, 1, 5, tzinfo=UTC)
    assert not result.window.starts_at_inception
    assert result.periods_per_year == 252.0
    assert result.alignment is None


def test_rolling_beta_needs_a_benchmark_and_a_sane_window() -> None:
    returns = history(daily([0.01, -0.02, 0.015]))
    with pytest.raises(InvalidInput, match="rolling BETA needs a benchmark"):
        compute_rolling(returns, None, RollingMetric.BETA, 2, MAX_WINDOW, AnalyticsOptions())
    with pytest.raises(InvalidInput, match="rolling periods must be between 2 and 10000, got 1"):
        compute_rolling(returns, None, RollingMetric.SHARPE, 1, MAX_WINDOW, AnalyticsOptions())
