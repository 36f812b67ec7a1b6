import numpy as np
import pandas as pd
import pytest

from services.analytics import RiskFree, compute_metrics, per_period_rates

from .conftest import series


def test_constant_rate_is_compounded_down_to_the_period() -> None:
    index = series([0.0, 0.0, 0.0]).index
    rates, used = per_period_rates(0.0816, index, 4.0)
    # 1.0816 ** (1/4) = 1.0198 (1.0198 ** 2 = 1.03999..., squared again 1.0816)
    np.testing.assert_allclose(rates, [1.0816**0.25 - 1] * 3, rtol=1e-15)
    assert rates[0] == pytest.approx(0.019803902718557, rel=1e-12)
    assert used.mean_annual_rate == 0.0816
    assert used.description.startswith("constant")


def test_negative_rates_are_allowed() -> None:
    index = series([0.0, 0.0]).index
    rates, _ = per_period_rates(RiskFree.constant(-0.0075), index, 12.0)
    assert rates[0] == pytest.approx(0.9925 ** (1 / 12) - 1, rel=1e-14)
    assert rates[0] < 0


def test_series_is_forward_filled_and_backfilled_before_its_first_rate() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    annual = pd.Series([0.12, 0.24], index=index[[1, 3]] + pd.Timedelta(hours=1))
    rates, used = per_period_rates(RiskFree.from_series(annual), index, 12.0)
    # 2024-01-01 and -02 precede the first rate (01-02 01:00) -> the first rate is used
    expected_annual = [0.12, 0.12, 0.12, 0.12, 0.24]
    np.testing.assert_allclose(rates, [(1 + a) ** (1 / 12) - 1 for a in expected_annual])
    assert used.backfilled_periods == 2
    assert used.mean_annual_rate == pytest.approx(0.144)


def test_no_risk_free_is_zero() -> None:
    rates, used = per_period_rates(None, series([0.1, 0.2]).index, 252.0)
    assert rates.tolist() == [0.0, 0.0]
    assert used.description == "none"


def test_invalid_rates_are_rejected() -> None:
    with pytest.raises(ValueError, match="> -1"):
        RiskFree.constant(-1.0)
    with pytest.raises(ValueError, match="empty"):
        RiskFree.from_series(pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=float))


def _days(*days: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(2024, 1, d, tz="UTC") for d in days])


def test_cash_returns_on_the_same_calendar_are_the_risk_free_returns() -> None:
    cash = pd.Series([0.01, -0.002, 0.0003], index=_days(2, 3, 4))
    rates, used = per_period_rates(RiskFree.from_returns(cash, "BILLS"), cash.index, 252.0)
    assert rates.tolist() == [0.01, -0.002, 0.0003]
    assert (used.backfilled_periods, used.extended_periods) == (0, 0)
    expected_mean = np.mean([(1 + r) ** 252 - 1 for r in (0.01, -0.002, 0.0003)])
    assert used.mean_annual_rate == pytest.approx(expected_mean, rel=1e-12)
    assert used.description == "cash index BILLS (3 returns, 2024-01-02..2024-01-04)"


def test_cash_returns_are_compounded_over_longer_periods() -> None:
    cash = pd.Series([0.01, 0.02, 0.03, 0.04, 0.05], index=_days(1, 2, 3, 4, 5))
    rates, _ = per_period_rates(RiskFree.from_returns(cash), _days(2, 4, 5), 52.0)
    # the first period takes the cash return dated on it; then 1.03 * 1.04 - 1; then 0.05
    np.testing.assert_allclose(rates, [0.02, 0.0712, 0.05], rtol=1e-14)


def test_cash_returns_are_backfilled_and_extended_with_counts() -> None:
    cash = pd.Series([0.01, 0.02, 0.03, 0.04, 0.05], index=_days(3, 4, 5, 6, 7))
    risk_free = RiskFree.from_returns(cash)
    rates, used = per_period_rates(risk_free, _days(2, 3, 5, 8, 9), 252.0)
    # Jan 2 precedes the index: its first return. Jan 5 covers Jan 4 and 5 (1.02 * 1.03 - 1),
    # Jan 8 covers Jan 6 and 7 (1.04 * 1.05 - 1); Jan 9 is entirely after: its last return.
    np.testing.assert_allclose(rates, [0.01, 0.01, 0.0506, 0.092, 0.05], rtol=1e-14)
    assert (used.backfilled_periods, used.extended_periods) == (1, 1)


def test_a_period_inside_the_cash_range_without_a_cash_date_gets_zero() -> None:
    cash = pd.Series([0.01, 0.02], index=_days(2, 5))
    rates, used = per_period_rates(RiskFree.from_returns(cash), _days(2, 3, 5), 252.0)
    assert rates.tolist() == [0.01, 0.0, 0.02]
    assert (used.backfilled_periods, used.extended_periods) == (0, 0)


def test_sharpe_with_a_cash_index_subtracts_its_returns() -> None:
    returns = series([0.02, -0.01, 0.03, 0.005], freq="D")
    cash = pd.Series([0.001, 0.002, 0.001, 0.003], index=returns.index)
    with_cash = compute_metrics(
        returns, risk_free=RiskFree.from_returns(cash), periods_per_year=252.0
    )
    excess = returns - cash
    assert with_cash.sharpe == pytest.approx(excess.mean() / excess.std() * np.sqrt(252), 1e-12)
    assert with_cash.methodology.risk_free.description.startswith("cash index")


def test_invalid_cash_returns_are_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        RiskFree.from_returns(pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=float))
    with pytest.raises(ValueError, match="> -1"):
        RiskFree.from_returns(series([0.01, -1.0]))
