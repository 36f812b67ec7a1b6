"""Hand-built inputs with literal expected values for the pure builders."""

import math

import pandas as pd
import pytest

from services.demo import bill_index_levels, bond_index_levels, holding_fund


def _days(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2020-01-01", periods=n, tz="UTC", name="ts")


def _series(values: list[float]) -> pd.Series:
    return pd.Series(values, index=_days(len(values)), dtype="float64")


def test_bond_index_hand_computed_ten_year() -> None:
    # D(4%) = (1 - 1.02 ** -20) / 0.04 = 8.175716672298563
    # day 1: 100 * (1 + 0.04/252 - 8.175716672298563 * 0.01) = 91.84015634357445
    # day 2: yield unchanged, carry only: 91.84015634357445 * (1 + 0.05/252)
    levels = bond_index_levels(_series([0.04, 0.05, 0.05]))
    assert levels.to_list() == pytest.approx(
        [100.0, 91.84015634357445, 91.85837859681722], rel=1e-14
    )


def test_bond_index_zero_yield_uses_maturity_as_duration() -> None:
    # T = 1, D(0) = 1: a 1-point rise from 0% loses 1%; then 1%/252 of carry.
    levels = bond_index_levels(_series([0.0, 0.0, 0.01, 0.01]), maturity_years=1.0)
    assert levels.to_list() == pytest.approx([100.0, 100.0, 99.0, 99.00392857142856], rel=1e-14)


def test_bond_index_constant_yield_is_pure_carry() -> None:
    levels = bond_index_levels(_series([0.03] * 6), start_level=50.0)
    expected = [50.0 * (1 + 0.03 / 252) ** n for n in range(6)]
    assert levels.to_list() == pytest.approx(expected, rel=1e-14)


def test_bond_index_drops_dates_without_a_yield() -> None:
    yields = _series([0.03, math.nan, 0.03])
    levels = bond_index_levels(yields)
    assert levels.index.equals(yields.index[[0, 2]])
    assert levels.to_list() == pytest.approx([100.0, 100.0 * (1 + 0.03 / 252)], rel=1e-14)


def test_bond_index_of_no_yields_is_empty() -> None:
    assert bond_index_levels(_series([math.nan, math.nan])).empty


def test_bill_index_accrues_the_previous_yield() -> None:
    # 2.52% accrues 0.01% a day, 5.04% accrues 0.02%; the NaN date is dropped.
    levels = bill_index_levels(_series([0.0252, 0.0504, math.nan, 0.0]))
    assert levels.index.equals(_days(4)[[0, 1, 3]])
    assert levels.to_list() == pytest.approx([100.0, 100.01, 100.030002], rel=1e-14)


def test_holding_fund_trades_units_at_the_day_price() -> None:
    prices = _series([10.0, 20.0, 25.0, 20.0])
    flows = {_days(4)[1]: 500.0, _days(4)[3]: -1000.0}
    navs, cash_flows = holding_fund(prices, start_nav=1000.0, cash_flows=flows)
    # 100 units; +25 units at 20; 125 units at 25; -50 units at 20 leaves 75.
    assert navs.to_list() == pytest.approx([1000.0, 2500.0, 3125.0, 1500.0], rel=1e-14)
    assert cash_flows.to_list() == [0.0, 500.0, 0.0, -1000.0]


def test_holding_fund_rejects_flows_off_the_calendar() -> None:
    prices = _series([10.0, 11.0])
    with pytest.raises(ValueError, match="cash flow dates"):
        holding_fund(prices, start_nav=1.0, cash_flows={pd.Timestamp("2021-01-01", tz="UTC"): 1.0})
    with pytest.raises(ValueError, match="cash flow dates"):
        holding_fund(prices, start_nav=1.0, cash_flows={prices.index[0]: 1.0})


def test_holding_fund_rejects_redeeming_more_than_the_nav() -> None:
    prices = _series([10.0, 10.0])
    with pytest.raises(ValueError, match="redemption"):
        holding_fund(prices, start_nav=100.0, cash_flows={prices.index[1]: -100.0})
