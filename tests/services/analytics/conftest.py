"""Fixtures: small hand-built series and real market series shipped with the demo data.

The market history is read from ``services/demo/data`` (provenance in its PROVENANCE.md),
the same files the demo benchmarks and strategies are built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

import pandas as pd
import pytest

DATA = files("services.demo") / "data"


def series(values: Sequence[float], start: str = "2024-01-31", freq: str = "ME") -> pd.Series:
    """Returns on a UTC index (month ends by default)."""
    index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.Series([float(v) for v in values], index=index)


def load_closes(name: str) -> pd.DataFrame:
    """Closes from one of the shipped gzipped CSV files, on a UTC index."""
    with (DATA / f"{name}.csv.gz").open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", parse_dates=["date"], index_col="date")
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    return frame


def daily_returns(closes: pd.Series) -> pd.Series:
    return closes.dropna().pct_change().iloc[1:]


@pytest.fixture(scope="session")
def sp500() -> pd.Series:
    """S&P 500 price index daily returns, 2014-2022."""
    closes = load_closes("sp500_index_daily")["close"]
    return daily_returns(closes.loc["2014-01-02":])


@pytest.fixture(scope="session")
def factors() -> pd.DataFrame:
    """Daily returns of the iShares factor ETFs (adjusted closes), 2014-2022."""
    return load_closes("factor_etfs_daily").pct_change().iloc[1:]


@pytest.fixture(scope="session")
def mtum(factors: pd.DataFrame) -> pd.Series:
    return factors["MTUM"]


@pytest.fixture(scope="session")
def treasury_3m() -> pd.Series:
    """3-month Treasury yield (annual, decimal), 1990-2017."""
    return load_closes("us_treasury_yields_daily")["3month"].dropna()
