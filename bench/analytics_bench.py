"""perfgraph's full metric bundle against quantstats' full metrics report, on the same data.

One 10-year daily series (JPM adjusted closes, 2013-2022) against the S&P 500 price index.
Both sides run several times in one process; median wall times are compared, and the values
whose conventions match are cross-checked. Writes bench/results/analytics.md.

Run: uv run python bench/analytics_bench.py
"""

from __future__ import annotations

import math
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import quantstats as qs

from services.analytics import (
    PeriodFrequency,
    compare,
    compute_metrics,
    lookback_returns,
    period_table,
    top_drawdowns,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = files("services.demo") / "data"
RESULT = ROOT / "bench" / "results" / "analytics.md"
COMMAND = "uv run python bench/analytics_bench.py"
REPEATS = 15
WARMUP = 2
# quantstats is untyped
QS_STATS: Any = qs.stats
QS_REPORTS: Any = qs.reports


def load() -> tuple[pd.Series, pd.Series]:
    def closes(name: str) -> pd.DataFrame:
        with (DATA / f"{name}.csv.gz").open("rb") as handle:
            frame = pd.read_csv(handle, compression="gzip", parse_dates=["date"], index_col="date")
        frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
        return frame.loc["2012-12-31":"2022-12-28"]

    strategy = closes("sp500_stocks_daily")["JPM"].pct_change().iloc[1:].rename("JPM")
    benchmark = closes("sp500_index_daily")["close"].pct_change().iloc[1:].rename("SP500")
    return strategy, benchmark


def perfgraph_bundle(s: pd.Series, b: pd.Series) -> dict[str, Any]:
    """What a report needs: metrics of both, the comparison, drawdowns, tables, lookbacks."""
    return {
        "strategy": compute_metrics(s),
        "benchmark": compute_metrics(b),
        "comparison": compare(s, b),
        "drawdowns": top_drawdowns(s, 5),
        "benchmark_drawdowns": top_drawdowns(b, 5),
        "months": period_table(s, PeriodFrequency.MONTH, b),
        "years": period_table(s, PeriodFrequency.YEAR, b),
        "lookback": lookback_returns(s),
        "benchmark_lookback": lookback_returns(b),
    }


def quantstats_report(s: pd.Series, b: pd.Series) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report: pd.DataFrame = QS_REPORTS.metrics(s, b, mode="full", display=False)
    return report


def median_seconds(fn: Callable[[], object]) -> tuple[float, list[float]]:
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def cross_check(
    s: pd.Series, b: pd.Series, bundle: dict[str, Any]
) -> list[tuple[str, float, float, str]]:
    """(metric, perfgraph, quantstats function at full precision, verdict)."""
    m, c = bundle["strategy"], bundle["comparison"]
    naive = s.tz_localize(None)
    naive_b = b.tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs: list[tuple[str, Any, Any]] = [
            ("cumulative return", m.total_return, QS_STATS.comp(naive)),
            ("annual volatility", m.annual_volatility, QS_STATS.volatility(naive)),
            ("Sharpe", m.sharpe, QS_STATS.sharpe(naive)),
            ("Sortino", m.sortino, QS_STATS.sortino(naive)),
            ("Omega", m.omega, QS_STATS.omega(naive)),
            ("max drawdown", m.max_drawdown, QS_STATS.max_drawdown(naive)),
            ("VaR 95 % (parametric)", m.var_parametric, QS_STATS.value_at_risk(naive)),
            ("tail ratio", m.tail_ratio, QS_STATS.tail_ratio(naive)),
            ("win rate (days)", m.win_rate, QS_STATS.win_rate(naive)),
            ("average win", m.average_win, QS_STATS.avg_win(naive)),
            ("average loss", m.average_loss, QS_STATS.avg_loss(naive)),
            ("best day", m.best_period, QS_STATS.best(naive)),
            ("worst day", m.worst_period, QS_STATS.worst(naive)),
            ("beta", c.beta, QS_STATS.greeks(naive, naive_b)["beta"]),
            ("correlation", c.correlation, naive.corr(naive_b)),
            ("R²", c.r_squared, QS_STATS.r_squared(naive, naive_b)),
            (
                "information ratio (per period)",
                c.information_ratio / math.sqrt(252),
                QS_STATS.information_ratio(naive, naive_b),
            ),
            ("CAGR", m.cagr, QS_STATS.cagr(naive)),
            ("skew", m.skew, QS_STATS.skew(naive)),
            ("kurtosis", m.kurtosis, QS_STATS.kurtosis(naive)),
            ("CVaR 95 %", m.cvar_historical, QS_STATS.cvar(naive)),
        ]
    rows = []
    for name, ours, theirs in pairs:
        same = math.isclose(float(ours), float(theirs), rel_tol=1e-9)
        rows.append((name, float(ours), float(theirs), "match" if same else "differs"))
    return rows


NOTES = {
    "skew": "quantstats uses pandas' bias-corrected skew; perfgraph scipy's population skew "
    "(as empyrical)",
    "kurtosis": "quantstats uses pandas' bias-corrected excess kurtosis; perfgraph the "
    "population one (as empyrical)",
    "CVaR 95 %": "quantstats averages returns below the parametric VaR; perfgraph's historical "
    "CVaR averages the worst int((n-1)*0.05)+1 returns (as empyrical)",
}


def main() -> None:
    s, b = load()
    bundle = perfgraph_bundle(s, b)
    ours, our_times = median_seconds(lambda: perfgraph_bundle(s, b))
    theirs, their_times = median_seconds(
        lambda: quantstats_report(s.tz_localize(None), b.tz_localize(None))
    )
    ratio = theirs / ours
    rows = cross_check(s, b, bundle)
    report: Any = quantstats_report(s.tz_localize(None), b.tz_localize(None))
    lines = [
        "# Analytics benchmark: perfgraph vs quantstats",
        "",
        f"Command: `{COMMAND}`",
        "",
        f"Data: JPM daily returns vs the S&P 500 price index, {s.index[0].date()} .. "
        f"{s.index[-1].date()} ({len(s)} periods), from `services/demo/data` "
        "(see PROVENANCE.md there).",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}, quantstats {qs.__version__}.",
        "",
        "perfgraph bundle: `compute_metrics` of strategy and benchmark, `compare`, "
        "`top_drawdowns(5)` of both, monthly and yearly `period_table` with the benchmark, "
        "`lookback_returns` of both.",
        'quantstats: `quantstats.reports.metrics(returns, benchmark, mode="full", display=False)`.',
        f"{REPEATS} timed repetitions each after {WARMUP} warm-ups, one process.",
        "",
        "| | median | min | max |",
        "|---|---|---|---|",
        f"| perfgraph bundle | {ours * 1e3:.2f} ms | {min(our_times) * 1e3:.2f} ms | "
        f"{max(our_times) * 1e3:.2f} ms |",
        f"| quantstats full metrics | {theirs * 1e3:.1f} ms | {min(their_times) * 1e3:.1f} ms | "
        f"{max(their_times) * 1e3:.1f} ms |",
        "",
        f"**perfgraph is {ratio:.0f}x faster** (target: at least 100x).",
        "",
        "## Value cross-check (quantstats' own functions at full precision)",
        "",
        "| metric | perfgraph | quantstats | verdict |",
        "|---|---|---|---|",
    ]
    for name, a, q, verdict in rows:
        note = NOTES.get(name, "")
        cell = f"{verdict}: {note}" if verdict == "differs" and note else verdict
        lines.append(f"| {name} | {a:.12g} | {q:.12g} | {cell} |")
    lines += [
        "",
        "The report itself rounds to two decimals; its Sharpe, beta and max drawdown read "
        f"{report.loc['Sharpe', 'Strategy']}, {report.loc['Beta', 'Strategy']} and "
        f"{report.loc['Max Drawdown', 'Strategy']}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text)


if __name__ == "__main__":
    main()
