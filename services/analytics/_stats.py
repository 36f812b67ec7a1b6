"""Scalar statistics on float64 arrays of already checked returns.

Each function returns None where the statistic is undefined (too few points, zero
dispersion, an empty side), never NaN or an infinity.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from services.analytics._checks import FloatArray


def finite(x: float) -> float | None:
    """``x`` as a float, or None when it is NaN or infinite."""
    return float(x) if math.isfinite(x) else None


def constant(r: FloatArray) -> bool:
    """Whether all values are equal (exactly zero dispersion, whatever the rounding)."""
    return bool(r.max() == r.min())


def total_return(r: FloatArray) -> float | None:
    return float(np.prod(1.0 + r) - 1.0) if len(r) else None


def annualised(total: float, periods: float, periods_per_year: float) -> float | None:
    """``(1 + total) ** (periods_per_year / periods) - 1``; -1 for a total loss."""
    growth = 1.0 + total
    if periods <= 0 or growth < 0.0:
        return None
    if growth == 0.0:
        return -1.0
    return finite(growth ** (periods_per_year / periods) - 1.0)


def cagr(r: FloatArray, periods_per_year: float) -> float | None:
    total = total_return(r)
    return None if total is None else annualised(total, len(r), periods_per_year)


def volatility(r: FloatArray, periods_per_year: float, ddof: int) -> float | None:
    if len(r) < max(2, ddof + 1):
        return None
    return float(np.std(r, ddof=ddof) * math.sqrt(periods_per_year))


def sharpe(excess: FloatArray, periods_per_year: float, ddof: int) -> float | None:
    if len(excess) < max(2, ddof + 1) or constant(excess):
        return None
    return float(excess.mean() / np.std(excess, ddof=ddof) * math.sqrt(periods_per_year))


def downside_deviation(excess: FloatArray, periods_per_year: float) -> float | None:
    """Root mean square of ``min(excess, 0)`` over all periods, annualised by sqrt(ppy)."""
    if len(excess) < 1:
        return None
    below = np.minimum(excess, 0.0)
    return float(math.sqrt(float(np.mean(below * below))) * math.sqrt(periods_per_year))


def sortino(excess: FloatArray, periods_per_year: float) -> float | None:
    downside = downside_deviation(excess, periods_per_year)
    if len(excess) < 2 or not downside:
        return None
    return float(excess.mean() * periods_per_year / downside)


def omega(r: FloatArray, annual_threshold: float, periods_per_year: float) -> float | None:
    if len(r) < 2 or annual_threshold <= -1.0:
        return None
    threshold = (
        annual_threshold
        if periods_per_year == 1
        else (1.0 + annual_threshold) ** (1.0 / periods_per_year) - 1.0
    )
    diff = r - threshold
    gains, losses = diff[diff > 0.0].sum(), -diff[diff < 0.0].sum()
    return float(gains / losses) if losses > 0.0 else None


def percentile(ordered: FloatArray, q: float) -> float:
    """``np.percentile(x, q)`` (linear interpolation) of ``ordered = np.sort(x)``."""
    position = q / 100.0 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    below, above = float(ordered[low]), float(ordered[high])
    return below + (above - below) * (position - low)


def historical_var(ordered: FloatArray, tail: float) -> tuple[float | None, float | None]:
    """Percentile VaR and the mean of the ``int((n-1)*tail)+1`` worst, from sorted returns."""
    if len(ordered) < 1:
        return None, None
    k = int((len(ordered) - 1) * tail)
    return percentile(ordered, 100.0 * tail), float(ordered[: k + 1].mean())


def parametric_var(r: FloatArray, tail: float, ddof: int) -> tuple[float | None, float | None]:
    """Gaussian VaR ``mu + z * sigma`` and CVaR ``mu - sigma * pdf(z) / tail``."""
    if len(r) < max(2, ddof + 1):
        return None, None
    mu, sigma = float(r.mean()), float(np.std(r, ddof=ddof))
    normal = NormalDist()
    z = normal.inv_cdf(tail)
    return mu + z * sigma, mu - sigma * normal.pdf(z) / tail


def moments(r: FloatArray) -> tuple[float | None, float | None]:
    """Population (biased) skewness and excess kurtosis, as scipy.stats' defaults."""
    if len(r) < 3 or constant(r):
        return None, None
    centred = r - r.mean()
    sq = centred * centred
    m2 = float(sq.mean())
    m3 = float((sq * centred).mean())
    m4 = float((sq * sq).mean())
    return m3 / m2**1.5, m4 / (m2 * m2) - 3.0


def tail_ratio(ordered: FloatArray) -> float | None:
    """``abs(95th percentile) / abs(5th percentile)`` from sorted returns."""
    if len(ordered) < 1:
        return None
    high, low = percentile(ordered, 95.0), percentile(ordered, 5.0)
    return abs(high) / abs(low) if low != 0.0 else None


def stability(r: FloatArray) -> float | None:
    """R² of an OLS fit of cumulative log returns on the period number."""
    if len(r) < 2 or (r <= -1.0).any():
        return None
    y = np.cumsum(np.log1p(r))
    if constant(y):
        return None
    t = np.arange(len(y), dtype=np.float64)
    return _pearson(t, y) ** 2


def beta(s: FloatArray, b: FloatArray) -> float | None:
    """``cov(s, b) / var(b)`` (population moments); None when the benchmark is constant."""
    if len(s) < 2:
        return None
    b_res = b - b.mean()
    var = float(np.mean(b_res * b_res))
    if var < 1e-30:
        return None
    return float(np.mean(b_res * s) / var)


def alpha(s_ex: FloatArray, b_ex: FloatArray, b: float, periods_per_year: float) -> float | None:
    """``(1 + mean(s_ex - beta * b_ex)) ** ppy - 1`` (empyrical's compounding)."""
    return finite((1.0 + float(np.mean(s_ex - b * b_ex))) ** periods_per_year - 1.0)


def correlation(s: FloatArray, b: FloatArray) -> float | None:
    if len(s) < 2 or constant(s) or constant(b):
        return None
    return _pearson(s, b)


def _pearson(x: FloatArray, y: FloatArray) -> float:
    xc, yc = x - x.mean(), y - y.mean()
    return float(np.dot(xc, yc) / math.sqrt(float(np.dot(xc, xc)) * float(np.dot(yc, yc))))


def capture(s: FloatArray, b: FloatArray, periods_per_year: float) -> float | None:
    """Ratio of the CAGRs of ``s`` and ``b`` over the same periods."""
    top, bottom = cagr(s, periods_per_year), cagr(b, periods_per_year)
    if top is None or not bottom:
        return None
    return top / bottom
