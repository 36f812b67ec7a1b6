"""The report's charts, drawn with matplotlib's object API on the Agg backend into PNGs.

pyplot keeps global state and is not safe in threads; reports render in a worker thread,
so each chart is a :class:`~matplotlib.figure.Figure` of its own. Colours come from
:mod:`services.reports.formatting`: the strategy and the benchmark have one colour each,
gains and losses another pair, the same in every chart and table.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")  # no display: render to files only, before anything imports pyplot

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.style import context as style_context
from matplotlib.ticker import FuncFormatter

from services.analytics import drawdown_series
from services.reports.data import ReportData
from services.reports.formatting import (
    BENCHMARK,
    GAIN,
    INK,
    LOSS,
    MUTED,
    RULE,
    STRATEGY,
    percent,
)

DPI = 180
FONT = "DejaVu Sans"  # shipped with matplotlib; the PDF embeds the same face
STYLE = {
    "font.family": FONT,
    "font.size": 7.5,
    "axes.edgecolor": RULE,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e8ebef",
    "grid.linewidth": 0.5,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.major.size": 2.5,
    "ytick.major.size": 0,
    "axes.labelcolor": MUTED,
    "axes.titlesize": 8,
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "legend.frameon": False,
    "legend.fontsize": 7,
}
_DRAWING = threading.Lock()
P = ParamSpec("P")
R = TypeVar("R")


def styled(chart: Callable[P, R]) -> Callable[P, R]:
    """Draw ``chart`` in the report style, from matplotlib's defaults, one chart at a time.

    rcParams are global: without the lock a concurrent report could restyle a chart halfway,
    and starting from the defaults keeps out whatever else restyled matplotlib in the
    process (quantstats does on import).
    """

    @functools.wraps(chart)
    def draw(*args: P.args, **kwargs: P.kwargs) -> R:
        with _DRAWING, style_context(["default", STYLE]):
            return chart(*args, **kwargs)

    return draw


HEATMAP = LinearSegmentedColormap.from_list(
    "gain_loss", [LOSS, "#fbeae8", "#ffffff", "#e3f1e6", GAIN]
)
Size = tuple[float, float]  # inches


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _dates(index: pd.Index) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(index).tz_localize(None).to_numpy())


def _percent_axis(ax: Axes, decimals: int = 0) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: percent(y, decimals)))


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)


def _empty(ax: Axes, message: str = "No data in this window") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _legend(ax: Axes) -> None:
    """Above the plot on the right, clear of the data (the title sits on the left)."""
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.2)


def _figure(
    size: Size,
    *,
    left: float = 0.5,
    right: float = 0.1,
    top: float = 0.3,
    bottom: float = 0.28,
    gap: float = 0.32,
    rows: int = 1,
) -> Figure:
    """A figure with fixed margins in inches (constrained layout would cost more than the
    drawing itself): room for tick labels on the left and below, the title and legend above,
    and ``gap`` between ``rows`` stacked panels."""
    width, height = size
    figure = Figure(figsize=size, dpi=DPI)
    panel = (height - top - bottom - gap * (rows - 1)) / rows
    figure.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=gap / panel if rows > 1 else 0.2,
    )
    return figure


def _scale(ax: Axes, levels: np.ndarray) -> None:
    """A log scale once levels span more than eightfold: decades of growth stay readable."""
    finite = levels[np.isfinite(levels) & (levels > 0)]
    if finite.size and finite.max() / finite.min() > 8:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))


@styled
def cumulative(data: ReportData, size: Size) -> bytes:
    """Both series rebased to 100, and the relative line (strategy / benchmark) below."""
    c = data.comparison.comparison
    figure = _figure(size, rows=2, left=0.55)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    if c.periods == 0:
        _empty(top)
        bottom.set_visible(False)
        return _png(figure)
    dates = _dates(c.strategy_index.index)
    strategy, benchmark = c.strategy_index.to_numpy(), c.benchmark_index.to_numpy()
    top.plot(dates, strategy, color=STRATEGY, linewidth=1.1, label=data.strategy.name)
    top.plot(dates, benchmark, color=BENCHMARK, linewidth=1.0, label=data.benchmark.label)
    top.axhline(100.0, color=RULE, linewidth=0.6)
    _scale(top, np.concatenate((strategy, benchmark)))
    top.set_title("Growth of 100")
    _legend(top)
    relative = c.relative.to_numpy()
    bottom.plot(dates, relative, color=STRATEGY, linewidth=0.8)
    bottom.axhline(100.0, color=MUTED, linewidth=0.6)
    bottom.fill_between(dates, relative, 100.0, where=relative >= 100.0, color=GAIN, alpha=0.18)
    bottom.fill_between(dates, relative, 100.0, where=relative < 100.0, color=LOSS, alpha=0.18)
    bottom.set_title("Relative to the benchmark (100: level with it)", fontsize=7)
    _scale(bottom, relative)
    _date_axis(bottom)
    return _png(figure)


@styled
def underwater(data: ReportData, size: Size) -> bytes:
    """Drawdown from the running peak: the strategy filled, the benchmark as a line."""
    figure = _figure(size)
    ax = figure.subplots()
    returns = data.returns.returns
    if len(returns) == 0:
        _empty(ax)
        return _png(figure)
    dd = drawdown_series(returns)
    dates = _dates(dd.index)
    ax.fill_between(dates, dd.to_numpy(), 0.0, color=LOSS, alpha=0.35, linewidth=0)
    ax.plot(dates, dd.to_numpy(), color=LOSS, linewidth=0.7, label=data.strategy.name)
    bench = data.benchmark_returns.returns
    if len(bench):
        b = drawdown_series(bench)
        ax.plot(
            _dates(b.index),
            b.to_numpy(),
            color=BENCHMARK,
            linewidth=0.8,
            label=data.benchmark.label,
        )
    ax.set_ylim(top=0.0)
    _percent_axis(ax)
    _date_axis(ax)
    ax.set_title("Underwater")
    _legend(ax)
    return _png(figure)


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@styled
def monthly_heatmap(data: ReportData, width: float) -> tuple[bytes, float]:
    """Monthly returns by year with the year's return; returns the PNG and its height."""
    monthly, yearly = data.monthly.table.strategy, data.yearly.table.strategy
    years = sorted({ts.year for ts in monthly.index})
    height = 0.45 + 0.17 * max(len(years), 1)
    figure = _figure((width, height), left=0.4, right=0.02, top=0.2, bottom=0.03)
    months_ax, year_ax = figure.subplots(1, 2, width_ratios=[12, 1.25])
    figure.subplots_adjust(wspace=0.03)
    if not years:
        _empty(months_ax)
        year_ax.set_visible(False)
        return _png(figure), height
    grid = np.full((len(years), 12), np.nan)
    for ts, value in zip(pd.DatetimeIndex(monthly.index), monthly.to_numpy(), strict=True):
        grid[years.index(ts.year), ts.month - 1] = value
    totals = np.array(
        [[yearly.get(pd.Timestamp(year=y, month=1, day=1, tz="UTC"), np.nan)] for y in years]
    )
    _cells(months_ax, grid, years, _MONTHS)
    _cells(year_ax, totals, years, ["Year"])
    year_ax.set_yticks([])
    return _png(figure), height


def _cells(ax: Axes, values: np.ndarray, years: list[int], columns: list[str]) -> None:
    finite = np.abs(values[np.isfinite(values)])
    limit = float(np.quantile(finite, 0.95)) if finite.size else 0.01
    limit = max(limit, 1e-4)
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    ax.imshow(np.clip(values, -limit, limit), cmap=HEATMAP, norm=norm, aspect="auto")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(range(len(columns)), columns)
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0, labelsize=6.5)
    ax.set_yticks(range(len(years)), [str(y) for y in years])
    ax.tick_params(axis="y", length=0, labelsize=6.5)
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            colour = _text_on(HEATMAP(norm(np.clip(value, -limit, limit))))
            ax.text(
                col, row, percent(value, 1), ha="center", va="center", fontsize=5.6, color=colour
            )


def _text_on(background: tuple[float, float, float, float]) -> str:
    """Ink on light cells, white on dark ones (relative luminance, sRGB weights)."""
    red, green, blue, _ = background
    return INK if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.55 else "#ffffff"


@styled
def yearly_bars(data: ReportData, size: Size) -> bytes:
    """Calendar-year returns of the strategy and the benchmark, side by side."""
    table = data.yearly.table
    figure = _figure(size)
    ax = figure.subplots()
    if len(table.strategy) == 0:
        _empty(ax)
        return _png(figure)
    years = [ts.year for ts in table.strategy.index]
    x = np.arange(len(years))
    strategy = table.strategy.to_numpy()
    ax.bar(x - 0.2, strategy, width=0.4, color=STRATEGY, label=data.strategy.name)
    if table.benchmark is not None:
        ax.bar(
            x + 0.2,
            table.benchmark.to_numpy(),
            width=0.4,
            color=BENCHMARK,
            label=data.benchmark.label,
        )
    ax.axhline(0.0, color=MUTED, linewidth=0.6)
    if len(years) <= 16:
        for xi, value in zip(x, strategy, strict=True):
            colour = GAIN if value >= 0 else LOSS
            va = "bottom" if value >= 0 else "top"
            ax.text(
                xi - 0.2, value, percent(value, 1), ha="center", va=va, fontsize=5.6, color=colour
            )
    step = max(1, len(years) // 16)
    ax.set_xticks(x[::step], [str(y) for y in years[::step]])
    ax.grid(axis="x", visible=False)
    _percent_axis(ax)
    ax.set_title("Calendar-year returns")
    _legend(ax)
    return _png(figure)


@styled
def rolling(data: ReportData, size: Size) -> bytes:
    """Rolling beta against the benchmark and rolling Sharpe ratio, over the same window."""
    figure = _figure(size, rows=2)
    beta_ax, sharpe_ax = figure.subplots(2, 1, sharex=True)
    periods = data.rolling_periods
    assert data.rolling_beta is not None, "loaded with the ROLLING section"
    assert data.rolling_sharpe is not None, "loaded with the ROLLING section"
    beta, sharpe = data.rolling_beta.values, data.rolling_sharpe.values
    _rolling_panel(beta_ax, beta, 1.0, f"Rolling beta ({periods} periods)", toned=False)
    _rolling_panel(sharpe_ax, sharpe, 0.0, f"Rolling Sharpe ratio ({periods} periods)", toned=True)
    return _png(figure)


def _rolling_panel(
    ax: Axes, values: pd.Series, reference: float, title: str, *, toned: bool
) -> None:
    """One rolling metric; ``toned`` shades it as a gain above ``reference``, a loss below."""
    ax.set_title(title)
    if not np.isfinite(values.to_numpy()).any():
        _empty(ax, "Fewer returns than one rolling window")
        return
    dates, y = _dates(values.index), values.to_numpy()
    ax.plot(dates, y, color=STRATEGY, linewidth=0.9)
    ax.axhline(reference, color=MUTED, linewidth=0.6, linestyle="--")
    if toned:
        ax.fill_between(dates, y, reference, where=y >= reference, color=GAIN, alpha=0.12)
        ax.fill_between(dates, y, reference, where=y < reference, color=LOSS, alpha=0.12)
    _date_axis(ax)
