import pandas as pd
import pytest

from services.analytics import PeriodFrequency, lookback_returns, period_returns, period_table


def daily(values: dict[str, float]) -> pd.Series:
    return pd.Series(list(values.values()), index=pd.DatetimeIndex(list(values), tz="UTC"))


R = daily(
    {
        "2023-12-28": 0.01,
        "2024-01-15": 0.10,
        "2024-01-31": -0.10,
        "2024-02-15": 0.05,
        "2024-04-02": 0.02,
        "2024-04-03": -0.01,
    }
)


def test_monthly_and_yearly_returns_compound_within_the_period() -> None:
    months = period_returns(R, PeriodFrequency.MONTH)
    assert [d.strftime("%Y-%m-%d") for d in months.index] == [
        "2023-12-01",
        "2024-01-01",
        "2024-02-01",
        "2024-04-01",
    ]
    assert months.tolist() == pytest.approx([0.01, 1.1 * 0.9 - 1, 0.05, 1.02 * 0.99 - 1])
    years = period_returns(R, PeriodFrequency.YEAR)
    assert years.tolist() == pytest.approx([0.01, 1.1 * 0.9 * 1.05 * 1.02 * 0.99 - 1])
    quarters = period_returns(R, PeriodFrequency.QUARTER)
    assert quarters.index[-1] == pd.Timestamp("2024-04-01", tz="UTC")
    assert quarters.tolist() == pytest.approx([0.01, 1.1 * 0.9 * 1.05 - 1, 1.02 * 0.99 - 1])


def test_period_table_with_benchmark_aligns_first() -> None:
    b = daily({"2024-01-15": 0.01, "2024-01-31": 0.02, "2024-02-15": 0.03, "2024-04-03": 0.04})
    table = period_table(R, PeriodFrequency.MONTH, b)
    assert table.alignment is not None
    assert list(table.alignment.strategy_dropped.strftime("%Y-%m-%d")) == ["2023-12-28"]
    assert list(table.alignment.strategy_merged.strftime("%Y-%m-%d")) == ["2024-04-02"]
    assert table.benchmark is not None
    assert table.excess is not None
    assert table.strategy.tolist() == pytest.approx([1.1 * 0.9 - 1, 0.05, 1.02 * 0.99 - 1])
    assert table.benchmark.tolist() == pytest.approx([1.01 * 1.02 - 1, 0.03, 0.04])
    assert table.excess.iloc[1] == pytest.approx(0.02)


def test_lookback_returns_as_of_the_last_date() -> None:
    lb = lookback_returns(R, periods_per_year=252)
    assert lb.as_of == pd.Timestamp("2024-04-03", tz="UTC")
    assert lb.mtd == pytest.approx(1.02 * 0.99 - 1)
    assert lb.qtd == pytest.approx(1.02 * 0.99 - 1)
    assert lb.ytd == pytest.approx(1.1 * 0.9 * 1.05 * 1.02 * 0.99 - 1)
    # 1M starts 2024-03-03: level at 2024-02-15
    assert lb.one_month == pytest.approx(1.02 * 0.99 - 1)
    # 3M starts 2024-01-03: level at 2023-12-28
    assert lb.three_months == pytest.approx(1.1 * 0.9 * 1.05 * 1.02 * 0.99 - 1)
    # windows starting before the first date
    assert lb.six_months is None
    assert lb.one_year is None
    assert lb.three_years is None
    assert lb.five_years is None
    total = 1.01 * 1.1 * 0.9 * 1.05 * 1.02 * 0.99 - 1
    assert lb.since_inception == pytest.approx(total)
    assert lb.since_inception_annualised == pytest.approx((1 + total) ** (252 / 6) - 1)


def test_multi_year_lookbacks_are_annualised_over_exact_years() -> None:
    r = daily({"2019-01-02": 0.5, "2020-06-30": 0.2, "2024-06-28": 0.1})
    lb = lookback_returns(r, periods_per_year=1)
    # 3Y window starts 2021-06-28: level at 2020-06-30
    assert lb.three_years == pytest.approx(1.1 ** (1 / 3) - 1)
    assert lb.five_years == pytest.approx((1.2 * 1.1) ** (1 / 5) - 1)


def test_mtd_is_none_when_inception_is_inside_the_month() -> None:
    lb = lookback_returns(daily({"2024-05-02": 0.01, "2024-05-03": 0.02}))
    assert lb.mtd is None
    assert lb.ytd is None
    assert lb.since_inception == pytest.approx(1.01 * 1.02 - 1)


def test_empty_series() -> None:
    empty = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=float)
    assert lookback_returns(empty).as_of is None
    assert len(period_returns(empty, PeriodFrequency.YEAR)) == 0
