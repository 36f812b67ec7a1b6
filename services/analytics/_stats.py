"""Scalar statistics on float64 arrays of already checked returns.

Each function returns None where the statistic is undefined (too few points, zero
dispersion, an empty side), never NaN or an infinity.

A metric bundle asks the same array for its mean and dispersion many times, so those are
computed once per array by :class:`Sample`. Means are numpy's pairwise sum divided by the
count and standard deviations the square root of the summed squared deviations over
``n - ddof``: the very operations, in the same order, that ``ndarray.mean`` and ``np.std``
perform, so results are identical to calling them, without their per-call overhead.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from services.analytics._checks import FloatArray


def finite(x: float) -> float | None:
    """``x`` as a float, or None when it is NaN or infinite."""
    return float(x) if math.isfinite(x) else None


def power(base: float, exponent: float) -> float | None:
    """``base ** exponent``; None where it overflows or is not a real number (a negative
    base, a fractional exponent), never an exception or an infinity."""
    if base < 0.0 and not float(exponent).is_integer():
        return None
    try:
        return finite(base**exponent)
    except OverflowError:
        return None


def mean(x: FloatArray) -> float:
    """``x.mean()`` of a non-empty array."""
    return float(np.add.reduce(x) / len(x))


def constant(r: FloatArray) -> bool:
    """Whether all values of a non-empty array are equal (``r.max() == r.min()``: exactly
    zero dispersion, whatever the rounding)."""
    return bool(np.count_nonzero(r != r[0]) == 0)


class Sample:
    """An array of returns and the values several statistics share, each computed once.

    The values are computed on first use (a comparison needs some of them for some arrays).
    """

    __slots__ = ("_centred", "_constant", "_low", "_mean", "_sum_squares", "n", "r")

    def __init__(self, r: FloatArray) -> None:
        self.r = r
        self.n = len(r)
        self._mean: float | None = None
        self._centred: FloatArray | None = None
        self._sum_squares: float | None = None
        self._low: float | None = None
        self._constant: bool | None = None

    @property
    def mean(self) -> float:
        """``r.mean()`` (needs one value)."""
        if self._mean is None:
            self._mean = mean(self.r)
        return self._mean

    @property
    def centred(self) -> FloatArray:
        """``r - r.mean()``."""
        if self._centred is None:
            self._centred = self.r - self.mean
        return self._centred

    @property
    def sum_squares(self) -> float:
        """``sum(centred ** 2)``."""
        if self._sum_squares is None:
            centred = self.centred
            self._sum_squares = float(np.add.reduce(centred * centred))
        return self._sum_squares

    def std(self, ddof: int) -> float:
        """``np.std(r, ddof=ddof)`` (needs more than ``ddof`` values)."""
        return math.sqrt(self.sum_squares / (self.n - ddof))

    @property
    def low(self) -> float:
        if self._low is None:
            self._low = float(self.r.min())
        return self._low

    @property
    def constant(self) -> bool:
        """:func:`constant` (needs one value)."""
        if self._constant is None:
            self._constant = constant(self.r)
        return self._constant


class Split(NamedTuple):
    """The positive and the negative values of an array (zeros are neither), with sums."""

    gains: FloatArray
    losses: FloatArray
    gain_sum: float
    loss_sum: float


def split(x: FloatArray) -> Split:
    gains, losses = x[x > 0.0], x[x < 0.0]
    return Split(gains, losses, float(np.add.reduce(gains)), float(np.add.reduce(losses)))


def total_return(r: FloatArray) -> float | None:
    return compounded(1.0 + r)


def compounded(growth: FloatArray) -> float | None:
    """``prod(growth) - 1``: the total return of ``growth = 1 + r``; None when empty."""
    return float(np.multiply.reduce(growth) - 1.0) if len(growth) else None


def annualised(total: float, periods: float, periods_per_year: float) -> float | None:
    """``(1 + total) ** (periods_per_year / periods) - 1``; -1 for a total loss."""
    growth = 1.0 + total
    if periods <= 0 or growth < 0.0:
        return None
    if growth == 0.0:
        return -1.0
    grown = power(growth, periods_per_year / periods)
    return None if grown is None else finite(grown - 1.0)


def cagr_of(total: float | None, periods: int, periods_per_year: float) -> float | None:
    """The CAGR of a total return over ``periods`` (None stays None)."""
    return None if total is None else annualised(total, periods, periods_per_year)


def cagr(r: FloatArray, periods_per_year: float) -> float | None:
    return cagr_of(total_return(r), len(r), periods_per_year)


def _dispersed(x: Sample, ddof: int) -> bool:
    return x.n >= max(2, ddof + 1)


def volatility(x: Sample, periods_per_year: float, ddof: int) -> float | None:
    if not _dispersed(x, ddof):
        return None
    return x.std(ddof) * math.sqrt(periods_per_year)


def sharpe(excess: Sample, periods_per_year: float, ddof: int) -> float | None:
    if not _dispersed(excess, ddof) or excess.constant:
        return None
    std = excess.std(ddof)
    if std == 0.0:  # returns that differ by less than their squares can hold
        return None
    return finite(excess.mean / std * math.sqrt(periods_per_year))


def downside_deviation(excess: FloatArray, periods_per_year: float) -> float | None:
    """Root mean square of ``min(excess, 0)`` over all periods, annualised by sqrt(ppy)."""
    if len(excess) < 1:
        return None
    below = np.minimum(excess, 0.0)
    return math.sqrt(mean(below * below)) * math.sqrt(periods_per_year)


def sortino(excess: Sample, downside: float | None, periods_per_year: float) -> float | None:
    """``mean(excess) * ppy / downside``, ``downside`` the :func:`downside_deviation`."""
    if excess.n < 2 or not downside:
        return None
    return finite(excess.mean * periods_per_year / downside)


def omega(
    r: FloatArray, annual_threshold: float, periods_per_year: float, at_zero: Split
) -> float | None:
    """Gains over losses around the per-period threshold; ``at_zero`` is ``split(r)``."""
    if len(r) < 2 or annual_threshold <= -1.0:
        return None
    threshold = (
        annual_threshold
        if periods_per_year == 1
        else (1.0 + annual_threshold) ** (1.0 / periods_per_year) - 1.0
    )
    # r - 0.0 is r, bit for bit
    diff = at_zero if threshold == 0.0 else split(r - threshold)
    gains, losses = diff.gain_sum, -diff.loss_sum
    return finite(gains / losses) if losses > 0.0 else None


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
    return percentile(ordered, 100.0 * tail), mean(ordered[: k + 1])


@lru_cache(maxsize=64)
def _normal_tail(tail: float) -> tuple[float, float]:
    """The standard normal's ``tail`` quantile ``z`` and its density ``pdf(z)``."""
    normal = NormalDist()
    z = normal.inv_cdf(tail)
    return z, normal.pdf(z)


def parametric_var(x: Sample, tail: float, ddof: int) -> tuple[float | None, float | None]:
    """Gaussian VaR ``mu + z * sigma`` and CVaR ``mu - sigma * pdf(z) / tail``."""
    if not _dispersed(x, ddof):
        return None, None
    mu, sigma = x.mean, x.std(ddof)
    z, density = _normal_tail(tail)
    return mu + z * sigma, mu - sigma * density / tail


def moments(x: Sample) -> tuple[float | None, float | None]:
    """Population (biased) skewness and excess kurtosis, as scipy.stats' defaults."""
    if x.n < 3 or x.constant:
        return None, None
    centred = x.centred
    sq = centred * centred
    m2 = x.sum_squares / x.n
    if m2 * m2 == 0.0:  # returns that differ by less than their powers can hold
        return None, None
    m3 = mean(sq * centred)
    m4 = mean(sq * sq)
    spread = power(m2, 1.5)
    skew = None if spread is None else finite(m3 / spread)
    return skew, finite(m4 / (m2 * m2) - 3.0)


def tail_ratio(ordered: FloatArray) -> float | None:
    """``abs(95th percentile) / abs(5th percentile)`` from sorted returns."""
    if len(ordered) < 1:
        return None
    high, low = percentile(ordered, 95.0), percentile(ordered, 5.0)
    return finite(abs(high) / abs(low)) if low != 0.0 else None


def stability(x: Sample) -> float | None:
    """R² of an OLS fit of cumulative log returns on the period number."""
    if x.n < 2 or x.low <= -1.0:
        return None
    y = np.add.accumulate(np.log1p(x.r))
    if constant(y):
        return None
    t = np.arange(len(y), dtype=np.float64)
    r = _pearson(t - mean(t), y - mean(y))
    return None if r is None else r**2


def beta(s: Sample, b: Sample) -> float | None:
    """``cov(s, b) / var(b)`` (population moments); None when the benchmark is constant."""
    if s.n < 2:
        return None
    var = b.sum_squares / b.n
    if var < 1e-30:
        return None
    return mean(b.centred * s.r) / var


def alpha(s_ex: FloatArray, b_ex: FloatArray, b: float, periods_per_year: float) -> float | None:
    """``(1 + mean(s_ex - beta * b_ex)) ** ppy - 1`` (empyrical's compounding)."""
    grown = power(1.0 + mean(s_ex - b * b_ex), periods_per_year)
    return None if grown is None else finite(grown - 1.0)


def correlation(s: Sample, b: Sample) -> float | None:
    if s.n < 2 or s.constant or b.constant:
        return None
    return _pearson(s.centred, b.centred)


def _pearson(xc: FloatArray, yc: FloatArray) -> float | None:
    """Pearson correlation of two centred arrays; None when a dispersion underflows."""
    a, b = float(np.dot(xc, xc)), float(np.dot(yc, yc))
    product = a * b
    # the root of the product (as ever); of each factor where the product under/overflows
    scale = math.sqrt(product) if 0.0 < product < math.inf else math.sqrt(a) * math.sqrt(b)
    return finite(float(np.dot(xc, yc)) / scale) if scale > 0.0 else None


def capture(s_growth: FloatArray, b_growth: FloatArray, periods_per_year: float) -> float | None:
    """Ratio of the CAGRs of two growth arrays ``1 + r`` over the same periods."""
    n = len(s_growth)
    top = cagr_of(compounded(s_growth), n, periods_per_year)
    bottom = cagr_of(compounded(b_growth), n, periods_per_year)
    if top is None or not bottom:
        return None
    return finite(top / bottom)
