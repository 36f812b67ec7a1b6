"""Benchmark specs and blends computed from their components' full histories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from services.analytics import Rebalance, blend_returns
from services.benchmarks import BenchmarkComponent, BenchmarkRecord
from services.blends import blend_series, blend_spec, plain_spec, spec_for
from services.errors import InvalidInput, NotFound
from services.returns import slice_series, to_returns, to_series
from services.series import Series
from services.windows import ResolvedWindow


def record(
    id: int,
    symbol: str,
    kind: str = "EQUITY_INDEX",
    components: Sequence[tuple[str, float]] = (),
    rebalance: str | None = None,
) -> BenchmarkRecord:
    return BenchmarkRecord(
        id=id,
        symbol=symbol,
        name=symbol,
        description="",
        kind=kind,
        return_basis="PRICE",
        currency="USD",
        components=tuple(BenchmarkComponent(s, w) for s, w in components),
        rebalance=rebalance,
        calendar="XNYS",
        stale_after_s=3600,
        last_seq=0,
    )


STOCKS, BONDS = record(1, "STOCKS"), record(2, "BONDS", "BOND_INDEX")
MIX = record(3, "MIX", "BLEND", components=[("STOCKS", 0.6), ("BONDS", 0.4)], rebalance="MONTHLY")
KNOWN = {r.symbol: r for r in (STOCKS, BONDS, MIX)}


def test_a_stored_blend_becomes_its_legs_with_the_stored_rule() -> None:
    spec = spec_for(MIX, KNOWN)
    assert [(leg.benchmark_id, leg.weight) for leg in spec.legs] == [(1, 0.6), (2, 0.4)]
    assert spec.rebalance is Rebalance.MONTHLY
    assert spec.is_blend
    assert spec.label == "MIX"
    assert not plain_spec(STOCKS).is_blend


def test_an_ad_hoc_blend_is_labelled_by_its_weights() -> None:
    spec = blend_spec([("STOCKS", 0.25), ("BONDS", 0.75)], Rebalance.QUARTERLY, KNOWN)
    assert spec.symbol is None
    assert spec.label == "25% STOCKS / 75% BONDS, rebalanced quarterly"


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        ([("STOCKS", 0.6), ("BONDS", 0.3)], InvalidInput, "must sum to 1, got 0.9"),
        ([("STOCKS", 0.5), ("STOCKS", 0.5)], InvalidInput, "lists STOCKS more than once"),
        ([("STOCKS", float("nan")), ("BONDS", 1.0)], InvalidInput, "finite"),
        ([], InvalidInput, "needs 1 to 10 components, got 0"),
        ([("STOCKS", 0.5), ("GOLD", 0.5)], NotFound, "unknown benchmark 'GOLD'"),
        ([("MIX", 0.5), ("BONDS", 0.5)], InvalidInput, "MIX is itself a blend"),
    ],
)
def test_bad_blends_are_rejected_with_the_reason(
    weights: list[tuple[str, float]], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        blend_spec(weights, Rebalance.MONTHLY, KNOWN)


def levels(values: list[float], days: list[int]) -> pd.Series:
    index = pd.DatetimeIndex([pd.Timestamp(2024, 1, d, tz="UTC") for d in days])
    return pd.Series(values, index=index)


def stored(levels: pd.Series) -> Series:
    """A stored series from inception: levels, NaN first return."""
    returns = levels.pct_change().iloc[1:]
    return to_series(returns, base=float(levels.iloc[0]), base_date=levels.index[0])


def test_a_blend_series_compounds_the_blended_returns_from_100() -> None:
    stocks = stored(levels([100.0, 110.0, 99.0, 104.0], [2, 3, 4, 5]))
    bonds = stored(levels([50.0, 50.5, 51.0, 50.0], [2, 3, 4, 5]))
    spec = spec_for(MIX, KNOWN)
    blend = blend_series(spec, [stocks, bonds])
    expected = blend_returns(
        {"STOCKS": to_returns(stocks), "BONDS": to_returns(bonds)},
        {"STOCKS": 0.6, "BONDS": 0.4},
        Rebalance.MONTHLY,
    )
    assert blend.timestamps[0] == datetime(2024, 1, 2, tzinfo=UTC)
    assert np.isnan(blend.returns[0])
    np.testing.assert_allclose(blend.returns[1:], expected.to_numpy(), rtol=1e-15)
    np.testing.assert_allclose(blend.values, 100.0 * np.cumprod([1.0, *(1 + expected)]))
    # first day: 0.6 * 10 % + 0.4 * 1 % = 6.4 %
    assert blend.returns[1] == pytest.approx(0.064, rel=1e-12)


def test_a_window_of_a_blend_keeps_returns_of_the_full_history() -> None:
    stocks = stored(levels([100.0, 110.0, 99.0, 104.0], [2, 3, 4, 5]))
    bonds = stored(levels([50.0, 50.5, 51.0, 50.0], [2, 3, 4, 5]))
    full = blend_series(spec_for(MIX, KNOWN), [stocks, bonds])
    after = datetime(2024, 1, 3, tzinfo=UTC)
    window = slice_series(full, ResolvedWindow(after=after, until=None))
    # the drift since the month's rebalance is kept: not a blend restarted on Jan 3
    assert window.returns.tolist() == full.returns[2:].tolist()
    assert window.values.tolist() == full.values[2:].tolist()


def test_a_blend_with_a_component_without_data_is_empty() -> None:
    stocks = stored(levels([100.0, 110.0], [2, 3]))
    bonds = stored(levels([50.0], [2]))
    assert len(blend_series(spec_for(MIX, KNOWN), [stocks, bonds])) == 0
