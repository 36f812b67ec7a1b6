"""Benchmarks to measure against: one stored series, or a blend of stored series.

A blend (stored, like BLEND_60_40, or ad hoc, given by a client) has no levels of its own.
Its series is computed from its components' full histories with
:func:`services.analytics.blend_returns` and only then cut to a window: rebalancing is
path-dependent, so a window's blend returns must not depend on where the window starts. Its
levels are an index at 100 on the blend's first date (the latest first date of its
components), the same whatever window is asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.analytics import Rebalance, blend_returns
from services.benchmarks import BenchmarkRecord
from services.errors import InvalidInput, NotFound
from services.returns import to_returns, to_series
from services.series import EMPTY, Series

MAX_COMPONENTS = 10
WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class BenchmarkLeg:
    benchmark_id: int
    symbol: str
    weight: float


@dataclass(frozen=True)
class BenchmarkSpec:
    """A stored benchmark with levels (one leg of weight 1), or a blend of several.

    ``symbol`` is the stored benchmark's symbol, None for an ad-hoc blend; ``rebalance`` is
    None for a benchmark with levels of its own.
    """

    legs: tuple[BenchmarkLeg, ...]
    rebalance: Rebalance | None = None
    symbol: str | None = None

    @property
    def is_blend(self) -> bool:
        return self.rebalance is not None

    @property
    def label(self) -> str:
        """The symbol, or the blend spelled out (``60% SPX / 40% UST10Y_TR, monthly``)."""
        if self.symbol is not None:
            return self.symbol
        parts = " / ".join(f"{leg.weight * 100:g}% {leg.symbol}" for leg in self.legs)
        return f"{parts}, rebalanced {self.rebalance.value if self.rebalance else 'never'}"


def plain_spec(record: BenchmarkRecord) -> BenchmarkSpec:
    """A benchmark with levels of its own."""
    return BenchmarkSpec((BenchmarkLeg(record.id, record.symbol, 1.0),), symbol=record.symbol)


def stored_rebalance(record: BenchmarkRecord) -> Rebalance:
    """A stored blend's rule; one stored without a rule is held without rebalancing."""
    return Rebalance[record.rebalance.upper()] if record.rebalance else Rebalance.NEVER


def component_symbols(record: BenchmarkRecord) -> list[str]:
    return [c.symbol for c in record.components]


def spec_for(
    record: BenchmarkRecord, components: Mapping[str, BenchmarkRecord | None]
) -> BenchmarkSpec:
    """The spec of a stored benchmark; a blend's ``components`` are looked up by symbol."""
    if not record.is_blend:
        return plain_spec(record)
    weights = [(c.symbol, c.weight) for c in record.components]
    return blend_spec(weights, stored_rebalance(record), components, symbol=record.symbol)


def blend_spec(
    weights: Sequence[tuple[str, float]],
    rebalance: Rebalance,
    records: Mapping[str, BenchmarkRecord | None],
    *,
    symbol: str | None = None,
) -> BenchmarkSpec:
    """Validate a blend's components against the stored benchmarks they name."""
    _check_weights(weights)
    legs = []
    for name, weight in weights:
        record = records.get(name)
        if record is None:
            raise NotFound(f"unknown benchmark {name!r} in blend")
        if record.is_blend:
            raise InvalidInput(
                f"blend component {name} is itself a blend: list its components instead"
            )
        legs.append(BenchmarkLeg(record.id, record.symbol, float(weight)))
    return BenchmarkSpec(tuple(legs), rebalance, symbol)


def _check_weights(weights: Sequence[tuple[str, float]]) -> None:
    if not 1 <= len(weights) <= MAX_COMPONENTS:
        raise InvalidInput(f"a blend needs 1 to {MAX_COMPONENTS} components, got {len(weights)}")
    names = [name for name, _ in weights]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"blend lists {', '.join(duplicates)} more than once")
    if not all(math.isfinite(w) for _, w in weights):
        raise InvalidInput("blend weights must be finite numbers")
    total = math.fsum(w for _, w in weights)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise InvalidInput(f"blend weights must sum to 1, got {total:.12g}")


def blend_series(spec: BenchmarkSpec, components: Sequence[Series]) -> Series:
    """The blend's full series from its legs' full series (in ``spec.legs`` order).

    Empty when a component has no data or the components share no date.
    """
    if spec.rebalance is None or any(len(c) < 2 for c in components):
        return EMPTY
    returns = {leg.symbol: to_returns(c) for leg, c in zip(spec.legs, components, strict=True)}
    weights = {leg.symbol: leg.weight for leg in spec.legs}
    blended = blend_returns(returns, weights, spec.rebalance)
    if len(blended) == 0:
        return EMPTY
    base: datetime = max(c.timestamp_at(0) for c in components)
    first = blended.index[0].to_pydatetime()
    return to_series(blended, base_date=base if base < first else None)
