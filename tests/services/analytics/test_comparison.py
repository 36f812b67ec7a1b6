"""Alignment policies and benchmark comparison on hand-checked series."""

import math

import numpy as np
import pandas as pd
import pytest

from services.analytics import AlignmentPolicy, RiskFree, align, compare
from services.analytics.alignment import aligned

from .conftest import series

S5 = [0.10, -0.05, 0.02, -0.03, 0.04]
B5 = [0.05, -0.02, 0.01, -0.04, 0.02]


def utc(*days: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(days), tz="UTC")


def test_comparison_literals() -> None:
    c = compare(series(S5), series(B5))
    assert c.periods == 5
    assert c.strategy_return == pytest.approx(0.07527992, rel=1e-12)
    b_total = 1.05 * 0.98 * 1.01 * 0.96 * 1.02 - 1
    assert c.benchmark_return == pytest.approx(b_total, rel=1e-12)
    assert c.excess_return == pytest.approx(0.07527992 - b_total, rel=1e-12)
    # cov(s, b) / var(b) with population moments: 0.001576 / 0.000984
    assert c.beta == pytest.approx(1.6016260162601625, rel=1e-12)
    assert c.correlation == pytest.approx(0.9454233357929683, rel=1e-12)
    assert c.r_squared == pytest.approx(0.9454233357929683**2, rel=1e-12)
    # active returns 0.05, -0.03, 0.01, 0.01, 0.02: mean 0.012, sample std 0.028635642...
    assert c.tracking_error == pytest.approx(0.09919677414109795, rel=1e-12)
    assert c.information_ratio == pytest.approx(0.012 / 0.028635642126552705 * np.sqrt(12))
    assert c.batting_average == pytest.approx(0.8)
    assert c.alpha == pytest.approx(0.12139477660331233, rel=1e-12)
    # up periods (b > 0): 1, 3, 5; down: 2, 4
    up_s, up_b = 1.10 * 1.02 * 1.04, 1.05 * 1.01 * 1.02
    assert c.up_capture == pytest.approx((up_s**4 - 1) / (up_b**4 - 1), rel=1e-12)
    down_s, down_b = 0.95 * 0.97, 0.98 * 0.96
    assert c.down_capture == pytest.approx((down_s**6 - 1) / (down_b**6 - 1), rel=1e-12)
    assert c.treynor == pytest.approx(0.1902869876210247 / 1.6016260162601625, rel=1e-12)
    assert c.outperforming is True


def test_rebased_series_and_relative_line() -> None:
    c = compare(series([0.10, 0.0]), series([0.0, 0.10]))
    assert c.strategy_index.tolist() == pytest.approx([110.0, 110.0])
    assert c.benchmark_index.tolist() == pytest.approx([100.0, 110.0])
    assert c.relative.tolist() == pytest.approx([110.0, 100.0])
    assert c.outperforming is False


def test_treynor_and_alpha_use_the_same_risk_free() -> None:
    rf = RiskFree.constant(0.12)
    c = compare(series(S5), series(B5), risk_free=rf)
    per = 1.12 ** (1 / 12) - 1
    s, b = np.array(S5) - per, np.array(B5) - per
    beta = np.mean((b - b.mean()) * s) / np.var(b)
    assert c.beta == pytest.approx(beta, rel=1e-12)  # unchanged by a constant rate
    assert c.alpha == pytest.approx((1 + np.mean(s - beta * b)) ** 12 - 1, rel=1e-12)
    assert c.treynor == pytest.approx((0.1902869876210247 - 0.12) / beta, rel=1e-10)
    assert c.methodology.risk_free.mean_annual_rate == 0.12


def test_constant_benchmark_gives_no_beta_alpha_or_correlation() -> None:
    c = compare(series(S5), series([0.01] * 5))
    assert c.beta is None
    assert c.alpha is None
    assert c.treynor is None
    assert c.correlation is None
    assert c.r_squared is None
    assert c.down_capture is None  # no down period


def test_compound_to_common_merges_returns_into_the_next_common_date() -> None:
    s = pd.Series(
        [0.10, 0.10, -0.5, 0.2], index=utc("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05")
    )
    b = pd.Series(
        [0.01, 0.02, 0.03, 0.04], index=utc("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05")
    )
    s2, b2, report = align(s, b)
    assert list(s2.index) == list(utc("2024-01-02", "2024-01-03", "2024-01-05"))
    # strategy: 01-01 precedes the first common date -> dropped; nothing merged
    np.testing.assert_allclose(s2.to_numpy(), [0.10, -0.5, 0.2])
    # benchmark: 01-04 compounded into 01-05
    np.testing.assert_allclose(b2.to_numpy(), [0.01, 0.02, 1.03 * 1.04 - 1])
    assert report.policy is AlignmentPolicy.COMPOUND_TO_COMMON
    assert report.overlapping_periods == 3
    assert list(report.strategy_dropped) == list(utc("2024-01-01"))
    assert list(report.benchmark_merged) == list(utc("2024-01-04"))
    assert len(report.strategy_merged) == 0
    assert len(report.benchmark_dropped) == 0
    # compounding preserves each side's total over the common span
    assert (1 + b2).prod() == pytest.approx((1 + b).prod())


def test_intersect_drops_non_common_dates() -> None:
    s = pd.Series([0.1, 0.2, 0.3], index=utc("2024-01-01", "2024-01-02", "2024-01-03"))
    b = pd.Series([0.01, 0.03], index=utc("2024-01-01", "2024-01-03"))
    s2, b2, report = align(s, b, AlignmentPolicy.INTERSECT)
    assert s2.tolist() == [0.1, 0.3]
    assert b2.tolist() == [0.01, 0.03]
    assert list(report.strategy_dropped) == list(utc("2024-01-02"))
    assert report.overlapping_periods == 2


def test_forward_fill_levels_gives_zero_returns_where_a_side_is_missing() -> None:
    s = pd.Series([0.1, 0.2, 0.3], index=utc("2024-01-01", "2024-01-02", "2024-01-03"))
    b = pd.Series([0.01, 0.03, 0.05], index=utc("2024-01-01", "2024-01-03", "2024-01-04"))
    s2, b2, report = align(s, b, AlignmentPolicy.FORWARD_FILL_LEVELS)
    assert list(s2.index) == list(utc("2024-01-01", "2024-01-02", "2024-01-03"))
    assert b2.tolist() == [0.01, 0.0, 0.03]
    assert list(report.benchmark_filled) == list(utc("2024-01-02"))
    assert list(report.benchmark_dropped) == list(utc("2024-01-04"))
    assert report.changed


def test_identical_calendars_need_no_alignment() -> None:
    _, _, report = align(series(S5), series(B5))
    assert report.overlapping_periods == 5
    assert not report.changed


def test_disjoint_series_compare_to_nothing() -> None:
    c = compare(series([0.1, 0.2]), series([0.1, 0.2], start="2030-01-31"))
    assert c.periods == 0
    assert c.beta is None
    assert c.strategy_return is None
    assert c.outperforming is None
    assert len(c.alignment.strategy_dropped) == 2


def test_compare_many_equals_compare_per_strategy() -> None:
    from services.analytics import compare_many

    s1, s2, b = series(S5), series(B5[::-1]), series(B5)
    many = compare_many({"one": s1, "two": s2}, b, risk_free=0.01)
    assert list(many) == ["one", "two"]
    assert many["two"].beta == compare(s2, b, risk_free=0.01).beta
    assert many["one"].alpha == compare(s1, b, risk_free=0.01).alpha
    assert many["one"].beta != many["two"].beta


def _pandas_compound(
    returns: pd.Series, common: pd.DatetimeIndex
) -> tuple[pd.Series, pd.Index, pd.Index]:
    """The alignment written with pandas' set operations: the reference for the fast one."""
    index = returns.index
    if len(common) == 0:
        return returns.iloc[:0], index[:0], index
    keep = (index >= common[0]) & (index <= common[-1])
    inside = index[keep]
    starts = np.concatenate(([0], inside.get_indexer(common[:-1]) + 1))
    compounded = np.multiply.reduceat(1.0 + returns.to_numpy()[keep], starts) - 1.0
    return pd.Series(compounded, index=common), inside.difference(common), index[~keep]


@pytest.mark.parametrize("seed", range(25))
def test_alignment_gives_exactly_what_pandas_set_operations_give(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC").as_unit("us")
    s_days, b_days = days[rng.random(60) < 0.75], days[rng.random(60) < 0.6]
    s = pd.Series(rng.normal(0.0, 0.01, len(s_days)), index=s_days)
    b = pd.Series(rng.normal(0.0, 0.01, len(b_days)), index=b_days.as_unit("ns"))
    common = s_days.intersection(b_days.as_unit("us"))
    s2, b2, report = align(s, b)
    for ours, merged, dropped, theirs in (
        (s2, report.strategy_merged, report.strategy_dropped, _pandas_compound(s, common)),
        (b2, report.benchmark_merged, report.benchmark_dropped, _pandas_compound(b, common)),
    ):
        assert list(ours.index) == list(common)
        np.testing.assert_array_equal(ours.to_numpy(), theirs[0].to_numpy())  # bit for bit
        assert list(merged) == list(theirs[1])
        assert list(dropped) == list(theirs[2])
    s3, b3, kept = align(s, b, AlignmentPolicy.INTERSECT)
    np.testing.assert_array_equal(s3.to_numpy(), s.loc[common].to_numpy())
    np.testing.assert_array_equal(b3.to_numpy(), b.loc[common].to_numpy())
    assert list(kept.strategy_dropped) == list(s_days.difference(common))
    assert list(kept.benchmark_dropped) == list(b.index.difference(common))


def _calendars() -> dict[str, tuple[pd.Series, pd.Series]]:
    """Strategy and benchmark returns on calendars alignment has to deal with."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2024-01-01", periods=120, tz="UTC").as_unit("us")

    def on(index: pd.DatetimeIndex, name: str | None = None) -> pd.Series:
        return pd.Series(rng.normal(0.0, 0.01, len(index)), index=index, name=name)

    daily = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC", name="day")
    return {
        "equal": (on(days, "s"), on(days.copy(), "b")),
        "strategy has extra dates": (on(days, "s"), on(days.delete([5, 40, 41]), "b")),
        "both have their own dates": (on(days.delete([3, 90])), on(days.delete([5, 40]))),
        "benchmark is longer": (on(days[10:-10]), on(days.delete([50]))),
        "units differ": (on(days.delete([7]).as_unit("ns")), on(days)),
        "no common date": (on(days[:50], "s"), on(days[60:].as_unit("ns").rename("b"), "b")),
        "weekly benchmark, daily strategy with a freq": (
            on(daily),
            on(pd.date_range("2024-01-05", periods=8, freq="W-FRI", tz="UTC")),
        ),
        "contiguous run of a daily index with a freq": (on(daily), on(daily[10:40].copy())),
    }


@pytest.mark.parametrize("policy", list(AlignmentPolicy))
@pytest.mark.parametrize("case", list(_calendars()))
def test_aligned_arrays_are_what_align_puts_in_series(case: str, policy: AlignmentPolicy) -> None:
    s, b = _calendars()[case]
    s2, b2, report = align(s, b, policy)
    found = aligned(s, b, policy)
    np.testing.assert_array_equal(found.strategy, s2.to_numpy())
    np.testing.assert_array_equal(found.benchmark, b2.to_numpy())
    assert found.index.equals(s2.index)
    s2_index = pd.DatetimeIndex(s2.index)
    assert (found.index.name, found.index.freq) == (s2_index.name, s2_index.freq)
    b_index = found.index if found.benchmark_index is None else found.benchmark_index
    assert b_index.equals(b2.index)
    assert (b_index.name, b_index.unit) == (b2.index.name, pd.DatetimeIndex(b2.index).unit)
    assert found.unchanged == (s2 is s and b2 is b)
    for name in ("strategy", "benchmark"):
        for what in ("dropped", "merged", "filled"):
            ours = getattr(found.report, f"{name}_{what}")
            theirs = getattr(report, f"{name}_{what}")
            assert ours.equals(theirs)
            assert (ours.name, ours.freq) == (theirs.name, theirs.freq)
    assert found.report.overlapping_periods == report.overlapping_periods == len(found.index)


def test_each_side_keeps_its_own_dates_when_nothing_is_common() -> None:
    s, b = _calendars()["no common date"]
    s2, b2, report = align(s, b)
    assert len(s2) == len(b2) == report.overlapping_periods == 0
    assert (s2.name, pd.DatetimeIndex(s2.index).unit) == ("s", "us")
    assert (b2.name, b2.index.name, pd.DatetimeIndex(b2.index).unit) == ("b", "b", "ns")
    assert list(report.strategy_dropped) == list(s.index)
    assert list(report.benchmark_dropped) == list(b.index)


def test_aligned_dates_keep_a_freq_only_for_a_contiguous_run() -> None:
    """As a boolean mask selects them: evenly spaced dates (every seventh day) get no freq."""
    weekly_s, weekly_b = _calendars()["weekly benchmark, daily strategy with a freq"]
    for policy in (AlignmentPolicy.COMPOUND_TO_COMMON, AlignmentPolicy.INTERSECT):
        s2, _, report = align(weekly_s, weekly_b, policy)
        assert len(s2) == 8
        assert pd.DatetimeIndex(s2.index).freq is None
        assert report.strategy_dropped.freq is None
    run_s, run_b = _calendars()["contiguous run of a daily index with a freq"]
    s3, _, report = align(run_s, run_b)
    assert pd.DatetimeIndex(s3.index).freq == "D"
    assert s3.index.name == "day"
    assert list(report.strategy_dropped) == list(run_s.index[:10]) + list(run_s.index[40:])


def test_forward_fill_matches_a_pandas_reindex_across_units() -> None:
    s = pd.Series(
        [0.1, 0.2, 0.3, -0.0], index=utc("2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05")
    )
    b = pd.Series(
        [0.01, 0.03, 0.05],
        index=utc("2024-01-02", "2024-01-03", "2024-01-05").as_unit("ns"),
        name="b",
    )
    s2, b2, report = align(s, b, AlignmentPolicy.FORWARD_FILL_LEVELS)
    union = s.index.union(b.index)
    union = union[(union >= b.index[0]) & (union <= s.index[-1])]
    pd.testing.assert_series_equal(s2, s.reindex(union, fill_value=0.0))
    pd.testing.assert_series_equal(b2, b.reindex(union, fill_value=0.0))
    assert np.signbit(s2.iloc[-1])  # values are moved, not recomputed: -0.0 stays -0.0
    assert list(report.strategy_filled) == list(utc("2024-01-03"))
    assert list(report.benchmark_filled) == list(utc("2024-01-04"))
    assert list(report.strategy_dropped) == list(utc("2024-01-01"))


def _all_finite(result: object) -> None:
    for name, value in vars(result).items():
        assert not isinstance(value, float) or math.isfinite(value), name


def test_minute_bars_whose_annualised_figures_overflow_give_none() -> None:
    index = pd.date_range("2024-01-02 14:30", periods=2, freq="min", tz="UTC")
    strategy = pd.Series([0.02, 0.01], index=index)
    benchmark = pd.Series([0.001, -0.001], index=index)
    c = compare(strategy, benchmark)
    assert c.strategy_cagr is None  # 1.0302 ** (98,280 / 2): no float holds it
    assert c.strategy_return == pytest.approx(1.02 * 1.01 - 1)
    _all_finite(c)


def test_a_cash_like_benchmark_gives_no_infinite_alpha_or_ratio() -> None:
    """Returns constant but for rounding noise: beta is huge, and what it feeds (alpha,
    Treynor) is None or finite, never an OverflowError or an infinity."""
    rng = np.random.default_rng(0)
    strategy = series(list(rng.normal(0.0005, 0.01, 250)), "2024-01-01", "B")
    benchmark = series(list(0.0002 + rng.normal(0, 1e-14, 250)), "2024-01-01", "B")
    c = compare(strategy, benchmark)
    _all_finite(c)
