import numpy as np
import pandas as pd
import pytest

from services.analytics import RiskFree, per_period_rates

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
