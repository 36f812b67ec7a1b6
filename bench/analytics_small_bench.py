"""Per-call cost of ``compute_metrics`` and ``compare`` on one year of daily returns.

A dashboard computes them for every strategy it shows, on short series, so their fixed
per-call overhead matters more than their throughput on long series (which
``analytics_bench.py`` measures against quantstats).

Data: the last 252 daily returns (one year) of JPM and of the S&P 500 price index from
``services/demo/data``. Workloads: metrics without and with a constant risk-free rate; a
comparison on the same calendar (distinct but equal indexes, as loaded); one where the
strategy also has the exchange holidays (business days, flat on holidays: the holiday
returns, zero, are compounded onto the next common date); one where the strategy lacks two
dates.

Baseline: ``services/`` as of ``BASELINE`` (the commit before the analytics rewrite),
extracted with ``git archive`` into a temporary directory and imported from there in a
separate process. Both implementations run the same workloads in alternating processes
(``ROUNDS`` each), in the same run; each process reports the median of ``REPEATS`` timings
per workload, and the table shows the median over its processes. The processes also report
every result, and the run fails unless both implementations return exactly the same values.

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
BASELINE = "109f226e2318a83c687ca41ced7edd430ce5e325"
PERIODS = 252
ROUNDS = 3
REPEATS = 9
CALLS = 300  # per timing


def load() -> tuple[pd.Series, pd.Series]:
    """One year of JPM and S&P 500 daily returns, each on its own (equal) index."""

    def closes(name: str) -> pd.DataFrame:
        frame = pd.read_csv(DATA / f"{name}.csv.gz", parse_dates=["date"], index_col="date")
        frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
        return frame.loc["2021-12-01":"2022-12-28"]

    strategy = closes("sp500_stocks_daily")["JPM"].pct_change().iloc[-PERIODS:].rename("JPM")
    benchmark = closes("sp500_index_daily")["close"].pct_change().iloc[-PERIODS:].rename("SP500")
    return strategy, benchmark


def workloads() -> dict[str, Callable[[], Any]]:
    from services.analytics import compare, compute_metrics

    s, b = load()
    # flat on exchange holidays, as a fund valued every business day (the benchmark lacks them)
    unit = pd.DatetimeIndex(s.index).unit
    business_days = pd.bdate_range(s.index[0], s.index[-1], tz="UTC").as_unit(unit)
    every_day = s.reindex(business_days, fill_value=0.0)
    gappy = s.drop(s.index[[60, 180]])
    return {
        "compute_metrics": lambda: compute_metrics(s),
        "compute_metrics, risk-free 4 %": lambda: compute_metrics(s, risk_free=0.04),
        "compare, same calendar": lambda: compare(s, b),
        "compare, strategy has the holidays too": lambda: compare(every_day, b),
        "compare, strategy lacks 2 dates": lambda: compare(gappy, b),
    }


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
    for name, fn in workloads().items():
        out["results"][name] = plain(fn())
        runs = timeit.repeat(fn, number=CALLS, repeat=REPEATS)
        out["timings"][name] = statistics.median(runs) / CALLS * 1e6
    print(json.dumps(out))


def run_worker(pythonpath: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, __file__, "--worker"]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def extract_baseline(target: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASELINE, "services"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if parser.parse_args().worker:
        worker()
        return
    current: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        extract_baseline(Path(tmp))
        for _ in range(ROUNDS):
            baseline.append(run_worker(tmp))
            current.append(run_worker(None))
    assert all(run["module"].startswith(tmp) for run in baseline), baseline[0]["module"]
    assert all(run["module"].startswith(str(ROOT)) for run in current), current[0]["module"]
    identical = all(run["results"] == current[0]["results"] for run in baseline + current)
    if not identical:
        raise SystemExit("the baseline and the current implementation return different results")
    s, _ = load()
    lines = [
        "# Analytics on short series: per-call cost",
        "",
        f"Command: `{COMMAND}`",
        "",
        f"Data: JPM daily returns vs the S&P 500 price index, {s.index[0].date()} .. "
        f"{s.index[-1].date()} ({len(s)} periods), from `services/demo/data`.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}.",
        "",
        f"Baseline: `services/` at commit {BASELINE[:7]} (before the rewrite of "
        "`compute_metrics` and `compare`), extracted with `git archive` and imported in its "
        "own processes. Baseline and current run alternately in the same run, "
        f"{ROUNDS} processes each; each process times {REPEATS} x {CALLS} calls per workload "
        "and reports the median; the table shows the median over the processes.",
        "Both implementations returned exactly the same results (every float, date and "
        "series value compared) on every workload.",
        "",
        "| workload | baseline µs/call | current µs/call | speed-up |",
        "|---|---|---|---|",
    ]
    for name in current[0]["timings"]:
        before = statistics.median(run["timings"][name] for run in baseline)
        after = statistics.median(run["timings"][name] for run in current)
        lines.append(f"| {name} | {before:.1f} | {after:.1f} | {before / after:.2f}x |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text)


if __name__ == "__main__":
    main()
