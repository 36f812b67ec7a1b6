"""Reports hold the API's numbers: the CSV read back and the PDF's text, against GraphQL.

Each test asks the API for the same strategy, benchmark and window as the report, and
compares: floats in the CSV must be the very floats the API serves; the PDF must show the
API's values formatted by the shared formatting functions.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from services.reports.formatting import (
    COMPARISON_FIGURES,
    KPI_KEYS,
    RELATIVE_KPI_KEYS,
    Figure,
    format_value,
    metric_figures,
)
from services.windows import Interval
from tests.api.reports import download, field, number, sections, strategy_id
from tests.conftest import GraphQLClient

WINDOW = {"from": "2015-01-01T00:00:00Z", "to": "2019-12-31T00:00:00Z"}
METRICS = metric_figures(Interval.DAY)


def selection(figures: tuple[Figure, ...]) -> str:
    """GraphQL fields for figures; ``a.b`` keys become ``a { b }``."""
    return " ".join(
        f"{f.key.split('.')[0]} {{ {f.key.split('.')[1]} }}" if "." in f.key else f.key
        for f in figures
    )


API = f"""
query($id: ID!, $window: WindowInput, $benchmark: BenchmarkInput) {{
  strategy(id: $id) {{
    performance(window: $window, interval: DAY) {{
      columns {{ timestamps nav returns cumulativeReturn drawdown }}
    }}
    metrics(window: $window, benchmark: $benchmark) {{
      {selection(METRICS)}
      benchmark {{ metrics {{ {selection(METRICS)} }} }}
    }}
    comparison(window: $window, benchmark: $benchmark) {{
      {selection(COMPARISON_FIGURES)}
      alignment {{ strategyMerged {{ count }} benchmarkMerged {{ count }} }}
      series {{ timestamps relative }}
    }}
    drawdowns(window: $window, top: 5) {{ depth peak start trough recovery durationDays }}
    monthly: periodReturns(frequency: MONTH, window: $window, benchmark: $benchmark) {{
      columns {{ timestamps strategy benchmark excess }}
    }}
    yearly: periodReturns(frequency: YEAR, window: $window, benchmark: $benchmark) {{
      columns {{ timestamps strategy benchmark excess }}
    }}
  }}
}}
"""
LEVELS = """
query($symbol: String!, $window: WindowInput) {
  benchmark(symbol: $symbol) { series(window: $window, interval: DAY) {
    columns { timestamps level returns } } }
}
"""


async def api_values(
    gql: GraphQLClient, sid: str, benchmark: str = "SPX", window: dict[str, str] = WINDOW
) -> tuple[dict[str, Any], dict[str, Any]]:
    variables = {"id": sid, "window": window, "benchmark": {"symbol": benchmark}}
    strategy = (await gql(API, variables))["strategy"]
    levels = await gql(LEVELS, {"symbol": benchmark, "window": window})
    return strategy, levels["benchmark"]["series"]["columns"]


def by_date(timestamps: list[str], values: list[float | None]) -> dict[str, float | None]:
    return {ts[:10]: v for ts, v in zip(timestamps, values, strict=True)}


async def test_the_csv_holds_the_apis_metrics_and_series(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    sid = await strategy_id(gql, "us-momentum-mtum")
    response = await download(gql, client, strategyId=sid, format="CSV", window=WINDOW)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="us-momentum-mtum_vs_SPX_2015-01-01_2019-12-31.csv"'
    )
    report = sections(response.text)
    api, levels = await api_values(gql, sid)

    assert list(report) == [
        "report", "metrics", "methodology", "top_drawdowns", "yearly_returns",
        "monthly_returns", "series",
    ]  # fmt: skip
    fields = {r["field"]: r["value"] for r in report["report"]}
    assert (fields["strategy"], fields["benchmark"]) == ("us-momentum-mtum", "SPX")
    assert fields["data_as_of"] == api["performance"]["columns"]["timestamps"][-1].replace(
        "Z", "+00:00"
    )
    check_metrics(report["metrics"], api)
    check_series(report["series"], api, levels)
    check_tables(report, api)


def check_metrics(rows: list[dict[str, str]], api: dict[str, Any]) -> None:
    metrics = {r["key"]: r for r in rows}
    assert len(metrics) == len(METRICS) + len(COMPARISON_FIGURES)
    for f in METRICS:
        row = metrics[f.key]
        assert number(row["strategy"]) == field(api["metrics"], f.key), f.key
        assert number(row["benchmark"]) == field(api["metrics"]["benchmark"]["metrics"], f.key)
        assert row["strategy_text"] == format_value(field(api["metrics"], f.key), f.kind)
    for f in COMPARISON_FIGURES:
        assert number(metrics[f.key]["strategy"]) == api["comparison"][f.key], f.key
        assert metrics[f.key]["benchmark"] == ""


def check_series(rows: list[dict[str, str]], api: dict[str, Any], levels: dict[str, Any]) -> None:
    columns = api["performance"]["columns"]
    assert [r["date"] for r in rows] == [ts[:10] for ts in columns["timestamps"]]
    for csv_name, api_name in [
        ("nav", "nav"),
        ("return", "returns"),
        ("cumulative_return", "cumulativeReturn"),
        ("drawdown", "drawdown"),
    ]:
        assert [number(r[csv_name]) for r in rows] == columns[api_name], csv_name
    # The demo's strategy and benchmark share a calendar: nothing merged, so the aligned
    # benchmark return is the benchmark's own return of the day.
    alignment = api["comparison"]["alignment"]
    assert alignment["strategyMerged"]["count"] == alignment["benchmarkMerged"]["count"] == 0
    level = by_date(levels["timestamps"], levels["level"])
    returns = by_date(levels["timestamps"], levels["returns"])
    relative = api["comparison"]["series"]
    line = by_date(relative["timestamps"], relative["relative"])
    assert len(line) == len(rows) > 1200
    for r in rows:
        assert number(r["benchmark_level"]) == level[r["date"]]
        assert number(r["benchmark_return"]) == returns[r["date"]]
        assert number(r["relative"]) == line[r["date"]]


def check_tables(report: dict[str, list[dict[str, str]]], api: dict[str, Any]) -> None:
    drawdowns = report["top_drawdowns"]
    assert [number(r["depth"]) for r in drawdowns] == [d["depth"] for d in api["drawdowns"]]
    assert [r["trough"][:10] for r in drawdowns] == [d["trough"][:10] for d in api["drawdowns"]]
    assert [int(r["duration_days"]) for r in drawdowns] == [
        d["durationDays"] for d in api["drawdowns"]
    ]
    for name, alias in [("monthly_returns", "monthly"), ("yearly_returns", "yearly")]:
        columns = api[alias]["columns"]
        rows = report[name]
        assert [r["period"] for r in rows] == [ts[:10] for ts in columns["timestamps"]]
        for column in ("strategy", "benchmark", "excess"):
            assert [number(r[column]) for r in rows] == columns[column], (name, column)


async def test_a_blend_benchmark_reports_its_index_levels(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    sid = await strategy_id(gql, "us-quality-qual")
    window = {"from": "2015-01-01T00:00:00Z", "to": "2016-12-31T00:00:00Z"}  # bond data ends 2017
    response = await download(
        gql, client, strategyId=sid, format="CSV", window=window, benchmark="blend_60_40",
        sections=["SERIES"],
    )  # fmt: skip
    assert 'filename="us-quality-qual_vs_BLEND_60_40_' in response.headers["content-disposition"]
    report = sections(response.text)
    assert list(report) == ["report", "series"]
    api, levels = await api_values(gql, sid, "BLEND_60_40", window)
    level = by_date(levels["timestamps"], levels["level"])
    relative = api["comparison"]["series"]
    line = by_date(relative["timestamps"], relative["relative"])
    missing = [r["date"] for r in report["series"] if r["benchmark_level"] == ""]
    assert "2015-10-12" in missing, "Columbus Day: stocks trade, the bond leg does not"
    assert len(missing) < 10
    for r in report["series"]:  # a date the blend lacks is empty in both
        assert number(r["benchmark_level"]) == level.get(r["date"])
        assert number(r["relative"]) == line.get(r["date"])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def render_pages(content: bytes, folder: Path) -> list[np.ndarray]:
    """Each page as a greyscale array, rendered by poppler's pdftoppm."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: apt-get install -y poppler-utils")
    (folder / "report.pdf").write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(folder / "report.pdf"), str(folder / "page")],
        check=True,
        timeout=60,
    )
    return [
        np.asarray(Image.open(png).convert("L"), dtype=np.float64)
        for png in sorted(folder.glob("page-*.png"))
    ]


async def test_the_pdf_shows_the_apis_kpis_and_renders(
    gql: GraphQLClient, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    sid = await strategy_id(gql, "us-momentum-mtum")
    response = await download(gql, client, strategyId=sid, format="PDF", window=WINDOW)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    api, _ = await api_values(gql, sid)
    text = pdf_text(response.content)

    assert "US Momentum Factor (MTUM)" in text
    assert "Performance report against S&P 500 (SPX)" in text
    assert "2015-01-02 to 2019-12-31" in text
    assert "1,258 daily returns" in text
    own = {f.key: f for f in METRICS}
    for key in KPI_KEYS:
        f = own[key]
        strategy = format_value(field(api["metrics"], key), f.kind)
        benchmark = format_value(field(api["metrics"]["benchmark"]["metrics"], key), f.kind)
        assert f"{f.label} {strategy} {benchmark}" in text, key
    relative = {f.key: f for f in COMPARISON_FIGURES}
    for key in RELATIVE_KPI_KEYS:
        f = relative[key]
        assert f"{f.label} {format_value(api['comparison'][key], f.kind)}" in text, key
    for heading in ["Cumulative return", "Drawdowns", "Yearly returns", "Monthly returns",
                    "Rolling beta and Sharpe ratio", "Methodology"]:  # fmt: skip
        assert heading in text
    depth = format_value(api["drawdowns"][0]["depth"], own["maxDrawdown"].kind)
    assert re.search(rf"1 {re.escape(depth)} \d{{4}}-\d\d-\d\d", text), "top drawdowns table"

    pages = render_pages(response.content, tmp_path)
    assert len(pages) == len(PdfReader(io.BytesIO(response.content)).pages) >= 2
    for page in pages:
        assert page.shape == (468, 331)  # A4 at 40 dpi
        # A page with only its footer has a deviation of about 3 and 0.5 % of pixels inked.
        assert page.std() > 15, "a page is blank"
        assert (page < 250).mean() > 0.05, "a page has almost nothing on it"


async def test_letter_paper_and_chosen_sections(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    sid = await strategy_id(gql, "stock-ko")
    response = await download(
        gql, client, strategyId=sid, format="PDF", pageSize="LETTER", sections=["METRICS"],
        window={"preset": "FIVE_YEARS"},
    )  # fmt: skip
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    text = pdf_text(response.content)
    assert "Key figures" in text
    assert "Monthly returns" not in text
    assert 'filename="stock-ko_vs_SPX_5Y.pdf"' in response.headers["content-disposition"]
