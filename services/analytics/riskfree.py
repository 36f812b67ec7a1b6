"""Risk-free rates: a constant annual rate, a series of annual rates, or a cash index's returns.

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

    Build it with :meth:`constant`, :meth:`from_series` (annual rates) or
    :meth:`from_returns` (the period returns of a cash total-return index).
    """

    annual_rate: float | None = None
    rates: pd.Series | None = None
    name: str = ""
    returns: pd.Series | None = None

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

    @classmethod
    def from_returns(cls, cash_returns: pd.Series, name: str = "") -> RiskFree:
        """The period returns of a cash total-return index (a T-bill index, say).

        Such an index already accrues the risk-free rate, so its own returns are the
        risk-free returns: no annual rate, day count or periods per year is involved. See
        :func:`per_period_rates` for how they are put on another calendar.
        """
        cash_returns = check_series(cash_returns, "cash returns")
        if len(cash_returns) == 0:
            raise ValueError("cash return series is empty")
        if (values(cash_returns) <= -1.0).any():
            raise ValueError("cash returns must be > -1")
        return cls(returns=cash_returns, name=name or str(cash_returns.name or "cash"))

    def describe(self) -> str:
        """A human-readable description for methodology output."""
        if self.returns is not None:
            first, last = self.returns.index[0].date(), self.returns.index[-1].date()
            return f"cash index {self.name} ({len(self.returns)} returns, {first}..{last})"
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
        Mean of the annual rates applied over the result's periods (decimal fraction); for
        a cash index, the mean of its per-period returns annualised as
        ``(1 + r) ** periods_per_year - 1``.
    backfilled_periods : int
        Periods dated before the series' first rate (or first cash return), which used
        that first rate (return).
    extended_periods : int
        Cash index only: periods entirely after its last date, which used its last return.
    """

    description: str
    mean_annual_rate: float
    backfilled_periods: int = 0
    extended_periods: int = 0


def per_period_rates(
    risk_free: RiskFree | float | None, index: pd.Index, periods_per_year: float
) -> tuple[FloatArray, RiskFreeUsed]:
    """Per-period risk-free returns aligned to ``index``, and what was used.

    An annual rate ``R`` becomes ``(1 + R) ** (1 / periods_per_year) - 1`` per period. For a
    series, each period uses the latest rate dated at or before the period's date (forward
    fill), converted the same way; periods before the first rate use the first rate and are
    counted in ``RiskFreeUsed.backfilled_periods``. A bare float is a constant annual rate;
    None means zero.

    A cash index (:meth:`RiskFree.from_returns`) is not converted: each period ``(t_{i-1},
    t_i]`` gets the index's growth over that span, ``L(t_i) / L(t_{i-1}) - 1`` with ``L`` the
    index compounded from its returns and read as of each date (its last value at or before
    it), so cash returns on dates the index lacks are compounded into the next period and
    none is lost. The first period, whose start the index does not carry, gets the cash
    return dated at or just before it. Periods before the cash index's first date use its
    first return (``backfilled_periods``); periods entirely after its last date use its last
    return (``extended_periods``); a period inside its range with no cash date gets 0, the
    index's own (flat) growth.
    """
    return rates_on(risk_free, check_index(index, "returns"), periods_per_year)


def rates_on(
    risk_free: RiskFree | float | None, dates: pd.DatetimeIndex, periods_per_year: float
) -> tuple[FloatArray, RiskFreeUsed]:
    """:func:`per_period_rates` on an index already checked by the caller."""
    if risk_free is None:
        return np.zeros(len(dates)), RiskFreeUsed("none", 0.0)
    if not isinstance(risk_free, RiskFree):
        risk_free = RiskFree.constant(float(risk_free))
    if risk_free.returns is not None:
        return _cash_rates(risk_free, risk_free.returns, dates, periods_per_year)
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


def _cash_rates(
    risk_free: RiskFree, cash: pd.Series, index: pd.DatetimeIndex, periods_per_year: float
) -> tuple[FloatArray, RiskFreeUsed]:
    growth = values(cash)
    last = len(growth) - 1
    position = cash.index.searchsorted(index, side="right") - 1
    previous = np.concatenate(([-1], position[:-1]))
    rates = _compounded_between(growth, previous, position)
    if len(index):
        rates[0] = growth[max(int(position[0]), 0)]
    before = position < 0
    first = np.arange(len(index)) == 0
    after = (index > cash.index[-1]) & ((previous == last) | first)
    rates[before] = growth[0]
    rates[after] = growth[last]
    with np.errstate(over="ignore"):
        annual = (1.0 + rates) ** periods_per_year - 1.0
    mean = float(annual.mean()) if len(annual) else 0.0
    used = RiskFreeUsed(risk_free.describe(), mean, int(before.sum()), int(after.sum()))
    return rates, used


def _compounded_between(growth: FloatArray, start: np.ndarray, end: np.ndarray) -> FloatArray:
    """Compounded ``growth[start + 1 : end + 1]`` per pair: exact for one return, 0 for none."""
    levels = np.concatenate(([1.0], np.cumprod(1.0 + growth)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = levels[end + 1] / levels[start + 1] - 1.0
    single = growth[np.clip(end, 0, len(growth) - 1)]
    count = end - start
    result: FloatArray = np.where(count == 1, single, np.where(count == 0, 0.0, ratio))
    return result
