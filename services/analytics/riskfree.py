"""Risk-free rates: a constant annual rate or a time-varying series, as per-period returns.

One conversion serves Sharpe, Sortino, alpha and Treynor, so every metric that subtracts a
risk-free rate subtracts the same per-period numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.analytics._checks import FloatArray, check_index, check_series, values


@dataclass(frozen=True, eq=False)
class RiskFree:
    """A risk-free rate: annual, as a decimal fraction (0.04 is 4 % a year; negative allowed).

    Build it with :meth:`constant` or :meth:`from_series`. ``rates`` is None for a constant.
    """

    annual_rate: float | None = None
    rates: pd.Series | None = None
    name: str = ""

    @classmethod
    def constant(cls, annual_rate: float, name: str = "") -> RiskFree:
        """A constant annual rate."""
        if not np.isfinite(annual_rate) or annual_rate <= -1.0:
            raise ValueError(f"annual risk-free rate must be finite and > -1, got {annual_rate}")
        return cls(annual_rate=float(annual_rate), name=name)

    @classmethod
    def from_series(cls, annual_rates: pd.Series, name: str = "") -> RiskFree:
        """Time-varying annual rates, each valid from its date until the next one."""
        annual_rates = check_series(annual_rates, "risk-free rates")
        if len(annual_rates) == 0:
            raise ValueError("risk-free rate series is empty")
        if (values(annual_rates) <= -1.0).any():
            raise ValueError("annual risk-free rates must be > -1")
        return cls(rates=annual_rates, name=name or str(annual_rates.name or "series"))

    def describe(self) -> str:
        """A human-readable description for methodology output."""
        if self.rates is None:
            label = f" ({self.name})" if self.name else ""
            return f"constant {self.annual_rate:.6g} a year{label}"
        first, last = self.rates.index[0].date(), self.rates.index[-1].date()
        return f"series {self.name} ({len(self.rates)} rates, {first}..{last})"


@dataclass(frozen=True)
class RiskFreeUsed:
    """What a result used as its risk-free rate.

    Attributes
    ----------
    description : str
        ``"none"`` (zero), a constant, or a series with its range.
    mean_annual_rate : float
        Mean of the annual rates applied over the result's periods (decimal fraction).
    backfilled_periods : int
        Periods dated before the series' first rate, which used that first rate.
    """

    description: str
    mean_annual_rate: float
    backfilled_periods: int = 0


def per_period_rates(
    risk_free: RiskFree | float | None, index: pd.Index, periods_per_year: float
) -> tuple[FloatArray, RiskFreeUsed]:
    """Per-period risk-free returns aligned to ``index``, and what was used.

    An annual rate ``R`` becomes ``(1 + R) ** (1 / periods_per_year) - 1`` per period. For a
    series, each period uses the latest rate dated at or before the period's date (forward
    fill), converted the same way; periods before the first rate use the first rate and are
    counted in ``RiskFreeUsed.backfilled_periods``. A bare float is a constant annual rate;
    None means zero.
    """
    dates = check_index(index, "returns")
    if risk_free is None:
        return np.zeros(len(dates)), RiskFreeUsed("none", 0.0)
    if not isinstance(risk_free, RiskFree):
        risk_free = RiskFree.constant(float(risk_free))
    annual, backfilled = _annual_rates(risk_free, dates)
    per_period: FloatArray = (1.0 + annual) ** (1.0 / periods_per_year) - 1.0
    mean = float(annual.mean()) if len(annual) else float(risk_free.annual_rate or 0.0)
    return per_period, RiskFreeUsed(risk_free.describe(), mean, backfilled)


def _annual_rates(risk_free: RiskFree, index: pd.DatetimeIndex) -> tuple[FloatArray, int]:
    if risk_free.rates is None:
        return np.full(len(index), float(risk_free.annual_rate or 0.0)), 0
    rates = risk_free.rates
    position = rates.index.searchsorted(index, side="right") - 1
    backfilled = int((position < 0).sum())
    annual: FloatArray = values(rates)[np.maximum(position, 0)]
    return annual, backfilled
