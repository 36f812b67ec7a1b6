"""How a result was computed, so that every number can be reconciled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from services.analytics._checks import check_index
from services.analytics.alignment import AlignmentPolicy
from services.analytics.returns import TRADING_DAYS_PER_YEAR, periods_per_year_of
from services.analytics.riskfree import RiskFreeUsed

PeriodsSource = Literal["given", "inferred", "default"]

HISTORICAL_VAR = (
    "historical: VaR is the (1 - level) percentile of the period returns with linear "
    "interpolation; CVaR the mean of the int((n - 1) * (1 - level)) + 1 worst returns"
)
PARAMETRIC_VAR = (
    "parametric: Gaussian with the sample mean and standard deviation (ddof as stated); "
    "VaR = mu + z * sigma, CVaR = mu - sigma * pdf(z) / (1 - level), z the (1 - level) quantile"
)


@dataclass(frozen=True)
class Methodology:
    """Conventions behind a result.

    Attributes
    ----------
    periods_per_year : float
        Annualisation factor used for every annualised number.
    periods_per_year_source : {"given", "inferred", "default"}
        Passed by the caller, inferred from the index spacing, or the default 252 used when
        fewer than two dates make inference impossible.
    ddof : int
        Delta degrees of freedom of standard deviations (volatility, Sharpe, tracking error,
        parametric VaR). Beta and correlation do not depend on it.
    risk_free : RiskFreeUsed
        The risk-free rate subtracted in Sharpe, Sortino, alpha, beta and Treynor.
    var_level : float
        Confidence level of VaR and CVaR (0.95: the worst 5 % of periods).
    var_method : str
        Both VaR methods, described.
    omega_threshold : float
        Annual minimum acceptable return of the Omega ratio, converted per period as
        ``(1 + t) ** (1 / periods_per_year) - 1``.
    alignment_policy : AlignmentPolicy or None
        How strategy and benchmark dates were aligned (None for a single series).
    """

    periods_per_year: float
    periods_per_year_source: PeriodsSource
    ddof: int
    risk_free: RiskFreeUsed
    var_level: float = 0.95
    var_method: str = f"{HISTORICAL_VAR}; {PARAMETRIC_VAR}"
    omega_threshold: float = 0.0
    alignment_policy: AlignmentPolicy | None = None

    @property
    def periods_per_year_inferred(self) -> bool:
        """Whether the annualisation factor was inferred from the data."""
        return self.periods_per_year_source == "inferred"


def resolve_periods_per_year(
    index: pd.DatetimeIndex, periods_per_year: float | None
) -> tuple[float, PeriodsSource]:
    """The caller's factor, else one inferred from ``index``, else 252 (under two dates)."""
    if periods_per_year is None and len(index) >= 2:
        check_index(index, "index")
    return resolve_checked(index, periods_per_year)


def resolve_checked(
    index: pd.DatetimeIndex, periods_per_year: float | None
) -> tuple[float, PeriodsSource]:
    """:func:`resolve_periods_per_year` for an index already checked by the caller."""
    if periods_per_year is not None:
        if not periods_per_year > 0:
            raise ValueError(f"periods_per_year must be > 0, got {periods_per_year}")
        return float(periods_per_year), "given"
    if len(index) >= 2:
        return periods_per_year_of(index), "inferred"
    return TRADING_DAYS_PER_YEAR, "default"
