"""Benchmarks perfgraph can describe without being told, registered on demand.

The demo data set brings SPX, UST10Y_TR, TBILL_3M and BLEND_60_40 with their history. These
have no history shipped: ``perfgraph benchmarks create SYMBOL`` registers one, and a feed
(the market-data stream, an HTTP poll, a file) then supplies its levels.
"""

from __future__ import annotations

from services.benchmarks import NewBenchmark

CATALOG: dict[str, NewBenchmark] = {
    b.symbol: b
    for b in (
        NewBenchmark(
            symbol="SPX_TR",
            name="S&P 500 Total Return",
            kind="EQUITY_INDEX",
            return_basis="TOTAL_RETURN",
            description="S&P 500 with dividends reinvested.",
        ),
        NewBenchmark(
            symbol="US_AGG",
            name="Bloomberg US Aggregate Bond Index",
            kind="BOND_INDEX",
            return_basis="TOTAL_RETURN",
            description="Investment-grade US dollar bonds: Treasuries, corporates, MBS, ABS.",
        ),
        NewBenchmark(
            symbol="UST_ALL_TR",
            name="ICE US Treasury Index",
            kind="BOND_INDEX",
            return_basis="TOTAL_RETURN",
            description="US Treasury notes and bonds of all maturities.",
        ),
        NewBenchmark(
            symbol="SOFR_TR",
            name="SOFR total-return cash index",
            kind="CASH",
            return_basis="TOTAL_RETURN",
            description="Overnight secured funding rate, compounded: a risk-free rate.",
        ),
    )
}
