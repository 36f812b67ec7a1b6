import numpy as np
import pandas as pd
import pytest

from services.analytics import Rebalance, blend_returns


def days(*values: float) -> pd.Series:
    # 2024-01-30, 01-31 (January), 02-01, 02-02 (February)
    return pd.Series(values, index=pd.date_range("2024-01-30", periods=len(values), tz="UTC"))


A = days(0.10, 0.10, -0.20, 0.05)
B = days(0.00, -0.10, 0.10, 0.00)


def test_weight_one_on_a_component_is_that_component() -> None:
    for rebalance in Rebalance:
        out = blend_returns({"a": A, "b": B}, {"a": 1.0, "b": 0.0}, rebalance)
        np.testing.assert_allclose(out.to_numpy(), A.to_numpy(), rtol=1e-15)


def test_daily_rebalance_is_the_weighted_sum() -> None:
    out = blend_returns({"a": A, "b": B}, {"a": 0.6, "b": 0.4}, Rebalance.DAILY)
    np.testing.assert_allclose(out.to_numpy(), 0.6 * A.to_numpy() + 0.4 * B.to_numpy())


def test_monthly_rebalance_drifts_inside_the_month_and_resets_at_its_end() -> None:
    out = blend_returns({"a": A, "b": B}, {"a": 0.5, "b": 0.5}, Rebalance.MONTHLY)
    # January: holdings 0.55/0.5 after day 1, then 0.605/0.45 -> 1.055 / 1.05
    # February: reset to 0.5/0.5 -> 0.4/0.55, then 0.42/0.55 -> 0.97 / 0.95
    assert out.tolist() == pytest.approx([0.05, 1.055 / 1.05 - 1, -0.05, 0.97 / 0.95 - 1])


def test_never_rebalancing_is_buy_and_hold() -> None:
    out = blend_returns({"a": A, "b": B}, {"a": 0.3, "b": 0.7}, Rebalance.NEVER)
    held = 0.3 * (1 + A).cumprod() + 0.7 * (1 + B).cumprod()
    np.testing.assert_allclose((1 + out).cumprod().to_numpy(), held.to_numpy(), rtol=1e-14)


def test_blend_lives_on_common_dates_and_compounds_the_rest() -> None:
    extra = pd.concat([A, pd.Series([0.5], index=pd.DatetimeIndex(["2024-02-03"], tz="UTC"))])
    sparse = B.iloc[[0, 1, 3]]
    out = blend_returns({"a": A, "b": sparse}, {"a": 0.5, "b": 0.5}, Rebalance.DAILY)
    assert list(out.index) == list(sparse.index)
    assert out.iloc[-1] == pytest.approx(0.5 * (0.8 * 1.05 - 1) + 0.5 * 0.0)
    out2 = blend_returns({"a": extra, "b": B}, {"a": 0.5, "b": 0.5}, Rebalance.DAILY)
    assert len(out2) == 4


def test_weights_must_sum_to_one_and_match_components() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        blend_returns({"a": A, "b": B}, {"a": 0.6, "b": 0.5})
    with pytest.raises(ValueError, match="same keys"):
        blend_returns({"a": A, "b": B}, {"a": 1.0})
    with pytest.raises(ValueError, match="at least one"):
        blend_returns({}, {})


def test_sixty_forty_blend_of_real_series(sp500: pd.Series, factors: pd.DataFrame) -> None:
    usmv = factors["USMV"]
    monthly = blend_returns({"eq": sp500, "lv": usmv}, {"eq": 0.6, "lv": 0.4}, Rebalance.MONTHLY)
    daily = blend_returns({"eq": sp500, "lv": usmv}, {"eq": 0.6, "lv": 0.4}, Rebalance.DAILY)
    assert len(monthly) == len(usmv)
    # on the first date of each month the weights are back at target: the blends agree
    dates = pd.DatetimeIndex(monthly.index)
    month = dates.year * 12 + dates.month
    first = np.concatenate(([True], month[1:] != month[:-1]))
    np.testing.assert_allclose(monthly[first], daily[first], rtol=0, atol=1e-15)
    assert not np.allclose(monthly[~first], daily[~first], rtol=1e-9, atol=0)
    assert (monthly - daily).abs().max() < 0.005
