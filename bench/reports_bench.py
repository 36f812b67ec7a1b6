"""A 10-year daily PDF report, against two baselines measured in the same run.

The report: stock-msft (demo data) against SPX over its last ten years of daily data, every
PDF section, A4. Timed end to end as the download endpoint builds it (fresh loaders, so the
data comes from PostgreSQL each time, then the analytics, the charts and the layout), and
split into loading and rendering. Baselines on the same data, in the same process:

- the CSV export of the same report (same loading, then the streamed file);
- quantstats' ``reports.html`` tearsheet of the same returns against the same benchmark
  returns (passed as a Series, so nothing is downloaded).

Writes bench/results/reports.md. Run: uv run python bench/reports_bench.py
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
import quantstats as qs
import reportlab
from pypdf import PdfReader

from bench._setup import RESULTS, open_bench_resources
from loaders import Loaders
from loaders.reports import ReportInputs, load_report_data
from resolvers.reports import build_report, find_strategy, report_inputs
from services.reports.data import ReportData
from services.reports.pdf import render_pdf
from services.reports.spec import ReportFormat, ReportSpec
from services.resources import Resources
from services.windows import Window, WindowPreset

COMMAND = "uv run python bench/reports_bench.py"
RESULT = RESULTS / "reports.md"
SLUG = "stock-msft"
REPEATS = 5
TARGET_SECONDS = 3.0
QS_REPORTS: Any = qs.reports  # quantstats is untyped


async def timed(fn: Callable[[], Awaitable[object]]) -> list[float]:
    """Wall times in seconds of REPEATS calls after one warm-up."""
    await fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return times


async def inputs_for(resources: Resources, fmt: ReportFormat) -> ReportInputs:
    record = await find_strategy(resources, SLUG)
    spec = ReportSpec(record.id, fmt, window=Window(preset=WindowPreset.TEN_YEARS))
    return await report_inputs(Loaders.create(resources), record, spec)


async def pdf_report(resources: Resources, inputs: ReportInputs) -> bytes:
    report = await build_report(Loaders.create(resources), inputs)
    assert isinstance(report.body, bytes)
    return report.body


async def csv_report(resources: Resources, inputs: ReportInputs) -> int:
    report = await build_report(Loaders.create(resources), inputs)
    assert not isinstance(report.body, bytes)
    return sum([len(chunk) async for chunk in report.body])


async def load(resources: Resources, inputs: ReportInputs) -> ReportData:
    return await load_report_data(Loaders.create(resources), inputs, datetime.now(UTC))


def tearsheet(data: ReportData, folder: Path) -> None:
    strategy = data.returns.returns.tz_localize(None).rename(SLUG)
    benchmark = data.benchmark_returns.returns.tz_localize(None).rename("SPX")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        QS_REPORTS.html(strategy, benchmark, output=str(folder / "tearsheet.html"), title=SLUG)


def row(name: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"| {name} | {statistics.median(ms):,.0f} ms | {min(ms):,.0f} ms | {max(ms):,.0f} ms |"


async def measure(resources: Resources) -> dict[str, Any]:
    load_average = os.getloadavg()[0]
    pdf_inputs = await inputs_for(resources, ReportFormat.PDF)
    csv_inputs = await inputs_for(resources, ReportFormat.CSV)
    data = await load(resources, pdf_inputs)
    pdf = await pdf_report(resources, pdf_inputs)

    async def render() -> bytes:
        return render_pdf(data)

    async def quantstats() -> None:
        with tempfile.TemporaryDirectory() as folder:
            tearsheet(data, Path(folder))

    return {
        "load": load_average,
        "data": data,
        "pdf": pdf,
        "pdf_times": await timed(lambda: pdf_report(resources, pdf_inputs)),
        "load_times": await timed(lambda: load(resources, pdf_inputs)),
        "render_times": await timed(render),
        "csv_times": await timed(lambda: csv_report(resources, csv_inputs)),
        "csv_bytes": await csv_report(resources, csv_inputs),
        "qs_times": await timed(quantstats),
    }


def write(results: dict[str, Any]) -> str:
    data: ReportData = results["data"]
    window = data.returns.window
    pdf, pdf_times = results["pdf"], results["pdf_times"]
    median_pdf = statistics.median(pdf_times)
    csv_ratio = median_pdf / statistics.median(results["csv_times"])
    qs_ratio = statistics.median(results["qs_times"]) / median_pdf
    verdict = "within" if median_pdf <= TARGET_SECONDS else "OVER"
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    lines = [
        "# Reports benchmark: a 10-year daily PDF report",
        "",
        f"Command: `{COMMAND}`",
        "",
        f"Report: {SLUG} against SPX, window TEN_YEARS: {window.periods:,} daily returns "
        f"from {window.start:%Y-%m-%d} to {window.end:%Y-%m-%d}; every PDF section, A4 "
        f"({pages} pages, {len(pdf) / 1024:,.0f} KiB). Demo data in the benchmark database.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, matplotlib "
        f"{matplotlib.__version__}, reportlab {reportlab.Version}, quantstats {qs.__version__}. "
        f"{REPEATS} timed runs each after one warm-up, one process, run one after another; "
        f"load average {results['load']:.1f} on {os.cpu_count()} cores when it started.",
        "",
        "| | median | min | max |",
        "|---|---|---|---|",
        row("PDF report, end to end (load + analytics + charts + layout)", pdf_times),
        row("  of which: loading and analytics (fresh loaders)", results["load_times"]),
        row("  of which: rendering (5 charts, tables, layout)", results["render_times"]),
        row(
            f"baseline: CSV export of the same report ({results['csv_bytes'] / 1024:,.0f} KiB)",
            results["csv_times"],
        ),
        row("baseline: quantstats reports.html on the same returns", results["qs_times"]),
        "",
        f"**The PDF takes {median_pdf:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target.** "
        f"It costs {csv_ratio:.1f}x the CSV export of the same report (the charts and layout "
        f"are the difference) and is {qs_ratio:.1f}x faster than quantstats' HTML tearsheet "
        "of the same returns.",
        "",
        "quantstats writes a different document (HTML with SVG charts, its own metric set): "
        "the comparison is of one complete tearsheet against another on the same returns. "
        "Rendering runs in a worker thread (asyncio.to_thread), so the event loop keeps "
        "serving other requests while a PDF is drawn.",
        "",
    ]
    return "\n".join(lines)


async def main() -> None:
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # quantstats' Arial
    resources = await open_bench_resources()
    try:
        results = await measure(resources)
    finally:
        await resources.close()
    text = write(results)
    RESULT.write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
