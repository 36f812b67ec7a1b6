"""compute_metrics on hand-checked series and on edge cases."""

import math

import pandas as pd
import pytest

from services.analytics import Metrics, RiskFree, compute_metrics

from .conftest import series

# Month-end returns; hand arithmetic:
# index 1.1, 1.045, 1.0659, 1.033923, 1.07527992; mean 0.016; sample std 0.0594138031...
R5 = [0.10, -0.05, 0.02, -0.03, 0.04]


@pytest.fixture
def m5() -> Metrics:
    return compute_metrics(series(R5))


def test_return_and_risk_literals(m5: Metrics) -> None:
    assert m5.periods == 5
    assert m5.methodology.periods_per_year == 12.0
    assert m5.methodology.periods_per_year_source == "inferred"
    assert m5.total_return == pytest.approx(0.07527992, rel=1e-12)
    assert m5.cagr == pytest.approx(1.07527992 ** (12 / 5) - 1, rel=1e-12)
    assert m5.cagr == pytest.approx(0.1902869876210247, rel=1e-12)
    assert m5.annual_volatility == pytest.approx(0.20581545131500695, rel=1e-12)
    assert m5.sharpe == pytest.approx(0.9328745668668872, rel=1e-12)
    # downside: sqrt((0.05^2 + 0.03^2) / 5) = sqrt(0.00068)
    assert m5.downside_deviation == pytest.approx(math.sqrt(0.00068) * math.sqrt(12), rel=1e-12)
    assert m5.sortino == pytest.approx(0.016 * 12 / (math.sqrt(0.00068 * 12)), rel=1e-12)
    assert m5.omega == pytest.approx(0.16 / 0.08, rel=1e-12)


def test_drawdown_literals(m5: Metrics) -> None:
    assert m5.max_drawdown == pytest.approx(1.033923 / 1.1 - 1, rel=1e-12)
    assert m5.calmar == pytest.approx(0.1902869876210247 / 0.06007, rel=1e-10)
    dd = m5.max_drawdown_period
    assert dd is not None
    assert dd.peak == pd.Timestamp("2024-01-31", tz="UTC")
    assert dd.start == pd.Timestamp("2024-02-29", tz="UTC")
    assert dd.trough == pd.Timestamp("2024-04-30", tz="UTC")
    assert dd.recovery is None
    assert dd.duration_periods == 4
    assert dd.duration_days == 121


def test_distribution_literals(m5: Metrics) -> None:
    # sorted: -0.05, -0.03, 0.02, 0.04, 0.10; 5th percentile at rank 0.2
    assert m5.var_historical == pytest.approx(-0.046, rel=1e-12)
    assert m5.cvar_historical == pytest.approx(-0.05, rel=1e-12)
    assert m5.var_parametric == pytest.approx(0.016 - 1.6448536269514722 * 0.0594138031100518)
    assert m5.cvar_parametric == pytest.approx(0.016 - 0.0594138031100518 * 2.0627128075074)
    assert m5.skew == pytest.approx(0.2955399326572363, rel=1e-10)
    assert m5.kurtosis == pytest.approx(-1.1549446669181205, rel=1e-10)
    assert m5.tail_ratio == pytest.approx(0.088 / 0.046, rel=1e-12)
    assert m5.stability == pytest.approx(0.13295989782891648, rel=1e-10)
    assert (m5.best_period, m5.worst_period) == (0.10, -0.05)
    assert m5.best_date == pd.Timestamp("2024-01-31", tz="UTC")
    assert m5.worst_date == pd.Timestamp("2024-02-29", tz="UTC")
    assert m5.win_rate == pytest.approx(0.6)
    assert m5.average_win == pytest.approx(0.16 / 3)
    assert m5.average_loss == pytest.approx(-0.04)


def test_var_level_is_an_argument() -> None:
    m = compute_metrics(series(R5), var_level=0.75)
    # 25th percentile: rank 1 -> -0.03; CVaR over int(4 * 0.25) + 1 = 2 worst
    assert m.var_historical == pytest.approx(-0.03)
    assert m.cvar_historical == pytest.approx(-0.04)
    assert m.methodology.var_level == 0.75


def test_risk_free_enters_sharpe_and_sortino() -> None:
    m = compute_metrics(series(R5), risk_free=RiskFree.constant(0.12), periods_per_year=12)
    rf = 1.12 ** (1 / 12) - 1
    assert m.sharpe == pytest.approx((0.016 - rf) / 0.0594138031100518 * math.sqrt(12), rel=1e-9)
    assert m.methodology.risk_free.mean_annual_rate == 0.12
    assert m.methodology.periods_per_year_source == "given"


def test_ddof_is_honoured() -> None:
    m0 = compute_metrics(series(R5), ddof=0)
    m1 = compute_metrics(series(R5), ddof=1)
    assert m0.annual_volatility is not None
    assert m1.annual_volatility is not None
    assert m0.annual_volatility / m1.annual_volatility == pytest.approx(math.sqrt(4 / 5))
    assert m0.methodology.ddof == 0


def test_empty_series_gives_none_everywhere() -> None:
    m = compute_metrics(series([]))
    assert m.periods == 0
    assert m.start is None
    assert m.total_return is None
    assert m.cagr is None
    assert m.max_drawdown is None
    assert m.var_historical is None
    assert m.sharpe is None
    assert m.methodology.periods_per_year_source == "default"


def test_single_point_has_level_metrics_only() -> None:
    m = compute_metrics(series([0.05]))
    assert m.total_return == pytest.approx(0.05)
    assert m.cagr == pytest.approx(1.05**252 - 1)  # default 252 without a second date
    assert m.annual_volatility is None
    assert m.sharpe is None
    assert m.sortino is None
    assert m.omega is None
    assert m.skew is None
    assert m.stability is None
    assert m.max_drawdown == 0.0
    assert m.calmar is None


def test_zero_volatility_gives_no_sharpe() -> None:
    m = compute_metrics(series([0.01] * 6))
    assert m.annual_volatility == 0.0
    assert m.sharpe is None
    assert m.skew is None
    assert m.kurtosis is None


def test_dispersion_too_small_to_square_gives_none_not_an_error_or_infinity() -> None:
    """Returns that differ, but whose squared deviations underflow to zero: the statistics
    that divide by a dispersion are undefined (None), not a division by zero or infinite."""
    m = compute_metrics(series([1e-300, 2e-300, -1e-300, 3e-300]))
    assert m.skew is None
    assert m.kurtosis is None
    assert m.sharpe is None
    assert m.total_return == 0.0
    for name, value in vars(m).items():
        assert not isinstance(value, float) or math.isfinite(value), name


def test_no_losing_period_gives_no_sortino_omega_or_calmar() -> None:
    m = compute_metrics(series([0.01, 0.02, 0.0, 0.03]))
    assert m.sortino is None
    assert m.omega is None
    assert m.calmar is None
    assert m.downside_deviation == 0.0
    assert m.max_drawdown == 0.0
    assert m.max_drawdown_period is None
    assert m.average_loss is None
    assert m.win_rate == 1.0


def test_total_loss_gives_cagr_of_minus_one() -> None:
    m = compute_metrics(series([0.1, -1.0, 0.0]))
    assert m.cagr == -1.0
    assert m.max_drawdown == -1.0
    assert m.stability is None


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="var_level"):
        compute_metrics(series(R5), var_level=95)
    with pytest.raises(ValueError, match="periods_per_year"):
        compute_metrics(series(R5), periods_per_year=0)


@pytest.mark.parametrize("scale", [1e-90, 1e-120, 1e-150, 1e-300])
def test_tiny_dispersions_give_none_never_an_error(scale: float) -> None:
    m = compute_metrics(series([0.0, scale, 2 * scale, -scale]))
    assert m.skew is None or math.isfinite(m.skew)
    assert m.kurtosis is None or math.isfinite(m.kurtosis)


def test_annualising_minute_bars_that_overflow_gives_none() -> None:
    """Two one-minute returns annualise with about 98,000 periods a year: the CAGR does not
    exist as a float (it is None, not an OverflowError)."""
    index = pd.date_range("2024-01-02 14:30", periods=3, freq="min", tz="UTC")
    m = compute_metrics(pd.Series([0.02, 0.01, 0.002], index=index))
    assert m.total_return == pytest.approx(1.02 * 1.01 * 1.002 - 1)
    assert m.cagr is None
    assert m.calmar is None
    for name, value in vars(m).items():
        assert not isinstance(value, float) or math.isfinite(value), name
