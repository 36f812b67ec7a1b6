"""Properties that must hold for any series (checked on real data)."""

import numpy as np
import pandas as pd
import pytest

from services.analytics import (
    AlignmentPolicy,
    align,
    compare,
    compute_metrics,
    rolling_max_drawdown,
)


@pytest.mark.parametrize("shift", [1e-4, 1e-3, 1e-2])
def test_adding_a_constant_cannot_deepen_max_drawdown(mtum: pd.Series, shift: float) -> None:
    base = compute_metrics(mtum).max_drawdown
    shifted = compute_metrics(mtum + shift).max_drawdown
    assert base is not None
    assert shifted is not None
    assert shifted >= base
    assert shifted > base  # strictly, on a real series


def test_scaling_returns_scales_volatility_not_sharpe_sign(mtum: pd.Series) -> None:
    m1, m2 = compute_metrics(mtum), compute_metrics(2 * mtum)
    assert m1.annual_volatility is not None
    assert m2.annual_volatility is not None
    assert m2.annual_volatility == pytest.approx(2 * m1.annual_volatility, rel=1e-12)
    assert m2.sharpe == pytest.approx(m1.sharpe, rel=1e-12)


def test_self_comparison(mtum: pd.Series) -> None:
    c = compare(mtum, mtum)
    assert c.beta == pytest.approx(1.0)
    assert c.correlation == pytest.approx(1.0)
    assert c.alpha == pytest.approx(0.0, abs=1e-12)
    assert c.tracking_error == 0.0
    assert c.information_ratio is None
    assert c.relative.to_numpy() == pytest.approx(100.0)


def test_compounding_alignment_preserves_total_return(mtum: pd.Series, sp500: pd.Series) -> None:
    sparse = sp500.iloc[::3]  # benchmark every third day
    s, b, report = align(mtum, sparse, AlignmentPolicy.COMPOUND_TO_COMMON)
    kept = mtum.loc[s.index[0] : s.index[-1]]
    assert (1 + s).prod() == pytest.approx((1 + kept).prod(), rel=1e-12)
    assert len(report.strategy_merged) > 1000
    assert len(s) == len(b) == report.overlapping_periods


def test_rolling_drawdown_is_never_deeper_than_the_full_one(mtum: pd.Series) -> None:
    full = compute_metrics(mtum).max_drawdown
    assert full is not None
    rolling = rolling_max_drawdown(mtum, 126)
    assert rolling.min() == pytest.approx(full, rel=1e-12) or rolling.min() > full
    assert (rolling <= 0).all()
    assert np.isfinite(rolling).all()
