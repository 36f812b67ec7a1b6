"""How reports write numbers, dates and colours: one module for CSV and PDF alike.

Both formats show the same figures under the same labels, formatted by the same functions,
so a number in a PDF can be found in its CSV and in the API. Machine-readable CSV cells use
:func:`csv_number` (shortest round-trip decimal of the float the API serves).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal

import pandas as pd

from services.windows import Interval

NOT_AVAILABLE = "n/a"

# Colours: gains and losses everywhere (tables, heatmap, bars), and one per series.
GAIN = "#1a7f37"
LOSS = "#c0392b"
STRATEGY = "#1f4e79"
BENCHMARK = "#8c959f"
INK = "#1f2328"
MUTED = "#57606a"
RULE = "#d0d7de"
SHADE = "#f3f5f8"

Tone = Literal["gain", "loss", "flat"]


def _missing(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


def percent(x: float | None, decimals: int = 2) -> str:
    """``0.12345`` -> ``12.35%``; no negative zero; ``n/a`` when undefined."""
    if x is None or _missing(x):
        return NOT_AVAILABLE
    value = round(x * 100.0, decimals)
    return f"{value + 0.0:.{decimals}f}%"  # + 0.0 turns -0.0 into 0.0


def ratio(x: float | None, decimals: int = 2) -> str:
    if x is None or _missing(x):
        return NOT_AVAILABLE
    return f"{round(x, decimals) + 0.0:.{decimals}f}"


def integer(x: int | None) -> str:
    return NOT_AVAILABLE if x is None else f"{x:,}"


def days(x: int | None) -> str:
    return NOT_AVAILABLE if x is None else f"{x:,} days"


def date_text(ts: datetime | pd.Timestamp | None) -> str:
    return NOT_AVAILABLE if ts is None else ts.strftime("%Y-%m-%d")


def timestamp_text(ts: datetime | pd.Timestamp | None) -> str:
    """A date, with the time when it is not midnight UTC."""
    if ts is None:
        return NOT_AVAILABLE
    if (ts.hour, ts.minute, ts.second, ts.microsecond) == (0, 0, 0, 0):
        return date_text(ts)
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def tone(x: float | None) -> Tone:
    if x is None or _missing(x) or round(x, 6) == 0.0:
        return "flat"
    return "gain" if x > 0 else "loss"


def tone_colour(x: float | None, flat: str = INK) -> str:
    return {"gain": GAIN, "loss": LOSS, "flat": flat}[tone(x)]


def csv_number(x: float | int | None) -> str:
    """A CSV cell: the shortest decimal that reads back as the same float; empty if undefined."""
    if x is None:
        return ""
    if isinstance(x, int):
        return str(x)
    return repr(float(x)) if math.isfinite(x) else ""


class Kind(Enum):
    PERCENT = "percent"
    RATIO = "ratio"
    NUMBER = "number"
    INTEGER = "integer"
    DAYS = "days"


def format_value(value: Any, kind: Kind) -> str:
    if kind is Kind.PERCENT:
        return percent(value)
    if kind is Kind.RATIO:
        return ratio(value)
    if kind is Kind.NUMBER:
        return ratio(value, 3)
    if kind is Kind.DAYS:
        return days(value)
    return integer(value)


@dataclass(frozen=True)
class Figure:
    """One reported number: its API field name, its label, how to format and colour it."""

    key: str  # the GraphQL field (camelCase) the value is served as
    label: str
    kind: Kind
    get: Callable[[Any], Any]
    toned: bool = False  # coloured as a gain or a loss

    def value(self, source: Any) -> Any:
        return self.get(source)

    def text(self, source: Any) -> str:
        return format_value(self.get(source), self.kind)


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda source: getattr(source, name)


def _mdd_days(metrics: Any) -> int | None:
    period = metrics.max_drawdown_period
    return None if period is None else int(period.duration_days)


def _f(key: str, label: str, kind: Kind, toned: bool = False) -> Figure:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    return Figure(key, label, kind, _attr(snake), toned)


_PERIOD_WORDS = {
    Interval.DAY: "day",
    Interval.WEEK: "week",
    Interval.MONTH: "month",
    Interval.HOUR: "hour",
    Interval.MINUTE: "minute",
    Interval.RAW: "period",
}


_ADJECTIVES = {Interval.DAY: "daily", Interval.WEEK: "weekly", Interval.MONTH: "monthly"}
_ADJECTIVES |= {Interval.HOUR: "hourly", Interval.MINUTE: "minute", Interval.RAW: "raw"}


def returns_count(periods: int, interval: Interval) -> str:
    """``1,258 daily returns``."""
    return f"{periods:,} {_ADJECTIVES[interval]} returns"


def metric_figures(interval: Interval) -> tuple[Figure, ...]:
    """Figures of :class:`services.analytics.Metrics`, for the strategy and the benchmark."""
    word = _PERIOD_WORDS[interval]
    P, R, N = Kind.PERCENT, Kind.RATIO, Kind.NUMBER
    return (
        _f("totalReturn", "Total return", P, toned=True),
        _f("cagr", "CAGR", P, toned=True),
        _f("annualVolatility", "Volatility (annualised)", P),
        _f("sharpe", "Sharpe ratio", R),
        _f("sortino", "Sortino ratio", R),
        _f("calmar", "Calmar ratio", R),
        _f("omega", "Omega ratio", R),
        _f("maxDrawdown", "Max drawdown", P, toned=True),
        Figure("maxDrawdownPeriod.durationDays", "Max drawdown duration", Kind.DAYS, _mdd_days),
        _f("varHistorical", f"VaR 95%, 1 {word} (historical)", P, toned=True),
        _f("cvarHistorical", f"CVaR 95%, 1 {word} (historical)", P, toned=True),
        _f("varParametric", f"VaR 95%, 1 {word} (parametric)", P, toned=True),
        _f("cvarParametric", f"CVaR 95%, 1 {word} (parametric)", P, toned=True),
        _f("downsideDeviation", "Downside deviation", P),
        _f("bestPeriod", f"Best {word}", P, toned=True),
        _f("worstPeriod", f"Worst {word}", P, toned=True),
        _f("winRate", f"Positive {word}s", P),
        _f("averageWin", f"Average up {word}", P, toned=True),
        _f("averageLoss", f"Average down {word}", P, toned=True),
        _f("skew", "Skewness", N),
        _f("kurtosis", "Excess kurtosis", N),
        _f("tailRatio", "Tail ratio", R),
        _f("stability", "Stability (R² of log growth)", N),
    )


COMPARISON_FIGURES: tuple[Figure, ...] = (
    _f("excessReturn", "Excess return", Kind.PERCENT, toned=True),
    _f("excessCagr", "Excess CAGR", Kind.PERCENT, toned=True),
    _f("alpha", "Alpha (annualised)", Kind.PERCENT, toned=True),
    _f("beta", "Beta", Kind.RATIO),
    _f("correlation", "Correlation", Kind.NUMBER),
    _f("rSquared", "R²", Kind.NUMBER),
    _f("trackingError", "Tracking error", Kind.PERCENT),
    _f("informationRatio", "Information ratio", Kind.RATIO),
    _f("upCapture", "Up capture", Kind.RATIO),
    _f("downCapture", "Down capture", Kind.RATIO),
    _f("battingAverage", "Batting average", Kind.PERCENT),
    _f("treynor", "Treynor ratio", Kind.PERCENT),
    _f("periods", "Aligned periods", Kind.INTEGER),
)

# The figures the PDF's first page shows (the CSV has them all).
KPI_KEYS = (
    "totalReturn",
    "cagr",
    "annualVolatility",
    "sharpe",
    "sortino",
    "calmar",
    "maxDrawdown",
    "maxDrawdownPeriod.durationDays",
    "varHistorical",
    "cvarHistorical",
    "bestPeriod",
    "worstPeriod",
    "winRate",
)
RELATIVE_KPI_KEYS = (
    "excessReturn",
    "excessCagr",
    "alpha",
    "beta",
    "correlation",
    "rSquared",
    "trackingError",
    "informationRatio",
    "upCapture",
    "downCapture",
    "battingAverage",
    "treynor",
    "periods",
)
