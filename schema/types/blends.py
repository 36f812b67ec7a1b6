"""Benchmark inputs (a stored symbol or an ad-hoc blend) and the benchmark a result used."""

from __future__ import annotations

import strawberry

from schema.types.benchmarks import BenchmarkComponent
from services.analytics import Rebalance
from services.blends import BenchmarkSpec

strawberry.enum(
    Rebalance,
    description=(
        "When a blend's weights are reset to target: at the close of the last date of each "
        "day, month, quarter or year, or never (buy and hold)."
    ),
)


@strawberry.input(description="A blend component: a stored benchmark and its target weight.")
class BlendComponentInput:
    symbol: str
    weight: float = strawberry.field(description="Decimal fraction: 0.6 is 60 %.")


@strawberry.input(
    description=(
        "An ad-hoc blend of stored benchmarks (not themselves blends): 1 to 10 components "
        "whose weights sum to 1, drifting with their returns between rebalances."
    )
)
class BlendInput:
    components: list[BlendComponentInput]
    rebalance: Rebalance = Rebalance.MONTHLY


@strawberry.input(
    one_of=True,
    description=(
        "What to measure against: a stored benchmark by symbol (blends such as BLEND_60_40 "
        "included), or an ad-hoc blend."
    ),
)
class BenchmarkInput:
    symbol: str | None = strawberry.UNSET
    blend: BlendInput | None = strawberry.UNSET


@strawberry.type(description="The benchmark a result was measured against.")
class BenchmarkUsed:
    symbol: str | None = strawberry.field(description="Null for an ad-hoc blend.")
    label: str = strawberry.field(description="The symbol, or an ad-hoc blend spelled out.")
    components: list[BenchmarkComponent] = strawberry.field(
        description="A blend's components; a benchmark with levels of its own is its only one."
    )
    rebalance: Rebalance | None = strawberry.field(description="Null unless a blend.")

    @classmethod
    def from_spec(cls, spec: BenchmarkSpec) -> BenchmarkUsed:
        return cls(
            symbol=spec.symbol,
            label=spec.label,
            components=[
                BenchmarkComponent(symbol=leg.symbol, weight=leg.weight) for leg in spec.legs
            ],
            rebalance=spec.rebalance,
        )
