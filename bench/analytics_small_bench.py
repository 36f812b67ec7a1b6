"""Per-call cost of ``compute_metrics`` and ``compare`` on one year of daily returns, and of
preparing a dashboard's analytics inputs.

A dashboard computes them for every strategy it shows, on short series, so their fixed
per-call overhead matters more than their throughput on long series (which
``analytics_bench.py`` measures against quantstats).

Data: the last 252 daily returns (one year) of JPM and of the S&P 500 price index from
``services/demo/data``. Workloads: metrics without and with a constant risk-free rate; a
comparison on the same calendar (distinct but equal indexes, as loaded); one where the
strategy also has the exchange holidays (business days, flat on holidays: the holiday
returns, zero, are compounded onto the next common date), and the alignment alone on those
calendars; one where the strategy lacks two dates.

Dashboard workloads (what bench/cache_bench.py's dashboard computes, on series built as the
series SQL returns them): 20 strategies' one-year daily series, ten on exchange days (stocks
from the demo data) and ten on weekdays (holidays included, as the synthetic strategies), and
the S&P 500 over each one's span (one series per distinct span, as the loaders batch them).
"returns preparation": ``services.returns.windowed`` for each of those series, as the returns
loaders call it (one ``DateIndexes`` per request where the implementation has it);
"returns, metrics and comparisons": that, then ``compute_metrics`` and ``compare`` of every
strategy with the S&P 500.

Baselines: ``services/`` as of each commit of ``BASELINES`` (before the analytics rewrite,
and before the input preparation and the alignment built fewer pandas objects), extracted
with ``git archive`` into a temporary directory and imported from there in a separate
process. All implementations run the same workloads in alternating processes (``ROUNDS``
each), in the same run; each process reports the median of ``REPEATS`` timings per
workload, and the table shows the median over its processes. The processes also report
every result, and the run fails unless all implementations return exactly the same values.

Run: uv run python bench/analytics_small_bench.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "services" / "demo" / "data"
RESULT = ROOT / "bench" / "results" / "analytics_small.md"
COMMAND = "uv run python bench/analytics_small_bench.py"
BASELINES = {  # label: commit, what it was
    "before the rewrite": (
        "109f226e2318a83c687ca41ced7edd430ce5e325",
        "before the rewrite of `compute_metrics` and `compare`",
    ),
    "previous": (
        "6dd19773e7426f0a8dc824ff4242b7911df21dc4",
        "before the returns preparation and the alignment built fewer pandas objects",
    ),
}
PERIODS = 252
ROUNDS = 3
REPEATS = 9
CALLS = 300  # per timing
DASHBOARD_CALLS = 30  # per timing of a dashboard workload
STOCKS = ["AAPL", "BAC", "CVX", "HD", "JNJ", "JPM", "KO", "MSFT", "PG", "XOM"]


def load() -> tuple[pd.Series, pd.Series]:
    """One year of JPM and S&P 500 daily returns, each on its own (equal) index."""

    def closes(name: str) -> pd.DataFrame:
        frame = pd.read_csv(DATA / f"{name}.csv.gz", parse_dates=["date"], index_col="date")
        frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
        return frame.loc["2021-12-01":"2022-12-28"]

    strategy = closes("sp500_stocks_daily")["JPM"].pct_change().iloc[-PERIODS:].rename("JPM")
    benchmark = closes("sp500_index_daily")["close"].pct_change().iloc[-PERIODS:].rename("SP500")
    return strategy, benchmark


def workloads() -> dict[str, tuple[Callable[[], Any], int]]:
    """Each workload and its calls per timing."""
    from services.analytics import align, compare, compute_metrics

    s, b = load()
    # flat on exchange holidays, as a fund valued every business day (the benchmark lacks them)
    unit = pd.DatetimeIndex(s.index).unit
    business_days = pd.bdate_range(s.index[0], s.index[-1], tz="UTC").as_unit(unit)
    every_day = s.reindex(business_days, fill_value=0.0)
    gappy = s.drop(s.index[[60, 180]])
    prepare, analyse = dashboard()
    return {
        "compute_metrics": (lambda: compute_metrics(s), CALLS),
        "compute_metrics, risk-free 4 %": (lambda: compute_metrics(s, risk_free=0.04), CALLS),
        "compare, same calendar": (lambda: compare(s, b), CALLS),
        "compare, strategy has the holidays too": (lambda: compare(every_day, b), CALLS),
        "align, strategy has the holidays too": (lambda: align(every_day, b), CALLS),
        "compare, strategy lacks 2 dates": (lambda: compare(gappy, b), CALLS),
        "dashboard: returns preparation (20 strategies, S&P 500)": (prepare, DASHBOARD_CALLS),
        "dashboard: returns, metrics and comparisons": (analyse, DASHBOARD_CALLS),
    }


def dashboard() -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The dashboard workloads: returns preparation, and that with metrics and comparisons."""
    import services.returns
    from services.analytics import compare, compute_metrics
    from services.returns import slice_series, windowed
    from services.series import Series
    from services.windows import Window, WindowPreset, resolve

    def series(levels: pd.Series) -> Series:
        """A full history as the series SQL returns it (a NaN return at inception)."""
        index = pd.DatetimeIndex(levels.index)
        epoch_us = index.as_unit("us").asi8.copy()
        values = levels.to_numpy(dtype=np.float64)
        returns = np.concatenate(([np.nan], values[1:] / values[:-1] - 1.0))
        return Series(epoch_us, values, returns, np.zeros(len(values)))

    def closes(name: str) -> pd.DataFrame:
        frame = pd.read_csv(DATA / f"{name}.csv.gz", parse_dates=["date"], index_col="date")
        frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
        return frame.loc["2020-12-01":"2022-12-28"]

    stocks = closes("sp500_stocks_daily")
    weekdays = pd.bdate_range(stocks.index[0], stocks.index[-1], tz="UTC")
    rng = np.random.default_rng(0)
    histories = [series(stocks[name]) for name in STOCKS] + [
        series(pd.Series(100 * np.cumprod(1 + rng.normal(3e-4, 0.01, len(weekdays))), weekdays))
        for _ in range(10)
    ]
    spx = series(closes("sp500_index_daily")["close"])
    window = Window(preset=WindowPreset.ONE_YEAR)
    calls: list[tuple[Series, Window, Any]] = []
    spans: dict[Window, int] = {}  # benchmark span: its position in calls
    pairs: list[tuple[int, int]] = []  # (strategy, benchmark) positions in calls
    for history in histories:
        resolved = resolve(window, history.timestamp_at(-1))
        strategy = len(calls)
        calls.append((slice_series(history, resolved), window, resolved))
        span = windowed(*calls[strategy]).follow()
        if span not in spans:
            on = resolve(span, spx.timestamp_at(-1))
            spans[span] = len(calls)
            calls.append((slice_series(spx, on), span, on))
        pairs.append((strategy, spans[span]))
    memo = getattr(services.returns, "DateIndexes", None)  # one per request, where it exists

    def prepare() -> list[Any]:
        if memo is None:
            return [windowed(*call) for call in calls]
        indexes = memo()
        return [windowed(*call, indexes=indexes) for call in calls]

    def analyse() -> list[Any]:
        returns = [w.returns for w in prepare()]
        return [(compute_metrics(returns[i]), compare(returns[i], returns[j])) for i, j in pairs]

    return prepare, analyse


def plain(value: Any) -> Any:
    """A JSON-able rendering of a result, exact for floats (repr round-trips)."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Series):
        return [plain(value.index), [repr(float(x)) for x in value.to_numpy()]]
    if isinstance(value, pd.Index):
        return [x.isoformat() for x in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, int | str | bool) or value is None:
        return value
    return repr(value)


def worker() -> None:
    """Time every workload with the ``services`` package on ``sys.path``; print JSON."""
    import services.analytics

    out: dict[str, Any] = {"module": services.analytics.__file__, "timings": {}, "results": {}}
    for name, (fn, calls) in workloads().items():
        out["results"][name] = plain(fn())
        runs = timeit.repeat(fn, number=calls, repeat=REPEATS)
        out["timings"][name] = statistics.median(runs) / calls * 1e6
    print(json.dumps(out))


def run_worker(pythonpath: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, __file__, "--worker"]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def extract_baseline(commit: str, target: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "services"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if parser.parse_args().worker:
        worker()
        return
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in [*BASELINES, "current"]}
    with tempfile.TemporaryDirectory() as tmp:
        paths: dict[str, str | None] = {"current": None}
        for label, (commit, _) in BASELINES.items():
            paths[label] = str(Path(tmp) / commit)
            extract_baseline(commit, Path(tmp) / commit)
        for _ in range(ROUNDS):
            for label, path in paths.items():
                runs[label].append(run_worker(path))
        for label, path in paths.items():
            where = path if path is not None else str(ROOT)
            assert all(run["module"].startswith(where) for run in runs[label]), label
    first = runs["current"][0]["results"]
    if not all(run["results"] == first for found in runs.values() for run in found):
        raise SystemExit("the implementations return different results")
    s, _ = load()
    labels = [*BASELINES, "current"]
    baselines = "; ".join(
        f"{label}: commit {commit[:7]}, {what}" for label, (commit, what) in BASELINES.items()
    )
    lines = [
        "# Analytics on short series: per-call cost",
        "",
        f"Command: `{COMMAND}`",
        "",
        f"Data: JPM daily returns vs the S&P 500 price index, {s.index[0].date()} .. "
        f"{s.index[-1].date()} ({len(s)} periods), from `services/demo/data`. Dashboard: "
        "20 strategies' one-year daily series (10 stocks on exchange days, 10 on weekdays) and "
        "the S&P 500 over their spans (see the script).",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}.",
        "",
        f"Baselines: `services/` at each commit ({baselines}), extracted with `git archive` "
        "and imported in their own processes. All implementations run alternately in the same "
        f"run, {ROUNDS} processes each; each process times {REPEATS} x {CALLS} calls per "
        f"workload ({DASHBOARD_CALLS} for a dashboard workload) and reports the median; the "
        "table shows the median over the processes.",
        "All implementations returned exactly the same results (every float, date and "
        "series value compared) on every workload.",
        "",
        "| workload | "
        + " | ".join(f"{label} µs/call" for label in labels)
        + " | "
        + " | ".join(f"speed-up vs {label}" for label in BASELINES)
        + " |",
        "|---" * (len(labels) + len(BASELINES) + 1) + "|",
    ]
    for name in runs["current"][0]["timings"]:
        cost = {
            label: statistics.median(run["timings"][name] for run in found)
            for label, found in runs.items()
        }
        ratios = [cost[label] / cost["current"] for label in BASELINES]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{cost[label]:.1f}" for label in labels)
            + " | "
            + " | ".join(f"{ratio:.2f}x" for ratio in ratios)
            + " |"
        )
    lines.append("")
    text = "\n".join(lines)
    print(text)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text)


if __name__ == "__main__":
    main()
