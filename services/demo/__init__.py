"""Demo benchmarks and strategies built from real market history shipped with the package."""

from services.demo.build import (
    BenchmarkKind,
    DemoBenchmark,
    DemoStrategy,
    ReturnBasis,
    bill_index_levels,
    bond_index_levels,
    demo_benchmarks,
    demo_strategies,
    holding_fund,
)

__all__ = [
    "BenchmarkKind",
    "DemoBenchmark",
    "DemoStrategy",
    "ReturnBasis",
    "bill_index_levels",
    "bond_index_levels",
    "demo_benchmarks",
    "demo_strategies",
    "holding_fund",
]
