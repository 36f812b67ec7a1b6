"""The PDF report: reportlab's platypus lays out the tables, text and matplotlib charts.

Page one holds the title block, the KPI tables and the growth chart; drawdowns, monthly and
yearly returns, rolling metrics and the methodology follow, each section kept with its
heading. The layout flows from the frame's width, so A4 and Letter both fit.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from services.reports import charts
from services.reports.data import ReportData
from services.reports.formatting import (
    COMPARISON_FIGURES,
    INK,
    KPI_KEYS,
    LOSS,
    MUTED,
    RELATIVE_KPI_KEYS,
    RULE,
    SHADE,
    STRATEGY,
    Figure,
    date_text,
    days,
    metric_figures,
    percent,
    returns_count,
    timestamp_text,
    tone_colour,
)
from services.reports.methodology import methodology_notes
from services.reports.spec import PageSize, ReportSection

# Binary image streams: ASCII85 text encoding (reportlab's default, in pure Python without
# its optional accelerator) made a quarter of the rendering time and 25 % of the file size.
rl_config.useA85 = 0
PAGE_SIZES = {PageSize.A4: A4, PageSize.LETTER: LETTER}
MARGIN = 15 * mm


def _register_fonts() -> None:
    """DejaVu Sans (shipped with matplotlib): the charts' face, embedded as a subset."""
    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    pdfmetrics.registerFont(TTFont("DejaVuSans", os.path.join(folder, "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", os.path.join(folder, "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")


_register_fonts()
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


def _style(name: str, size: float, colour: str = INK, **extra: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=extra.pop("font", REGULAR),
        fontSize=size,
        leading=size * 1.3,
        textColor=colors.HexColor(colour),
        **extra,
    )


TITLE = _style("title", 17, font=BOLD, spaceAfter=2)
SUBTITLE = _style("subtitle", 9.5, MUTED, spaceAfter=8)
HEADING = _style("heading", 10.5, STRATEGY, font=BOLD, spaceBefore=10, spaceAfter=2)
LEAD = _style("lead", 7.5, MUTED, spaceAfter=4)
BODY = _style("body", 7.5, spaceAfter=3)
CELL = 7.2


class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """Writes "Page n of m" once the page count is known (platypus lays out in one pass)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(REGULAR, 6.5)
            self.setFillColor(colors.HexColor(MUTED))
            width = self._pagesize[0]
            self.drawRightString(
                width - MARGIN, MARGIN - 7 * mm, f"Page {number} of {len(self._pages)}"
            )
            super().showPage()
        super().save()


def _footer(data: ReportData) -> Any:
    text = (
        f"{data.strategy.name} against {data.benchmark.label} · generated "
        f"{data.generated_at.strftime('%Y-%m-%d %H:%M UTC')} by perfgraph"
    )

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor(RULE))
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, MARGIN - 4 * mm, doc.pagesize[0] - MARGIN, MARGIN - 4 * mm)
        canvas.setFont(REGULAR, 6.5)
        canvas.setFillColor(colors.HexColor(MUTED))
        canvas.drawString(MARGIN, MARGIN - 7 * mm, text)
        canvas.restoreState()

    return draw


def _table(rows: Sequence[Sequence[str]], widths: Sequence[float], extra: list[Any]) -> Table:
    """A compact table: a shaded header row, thin rules, numbers right-aligned."""
    table = Table(list(rows), colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, CELL),
                ("FONT", (0, 0), (-1, 0), BOLD, CELL),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(INK)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(SHADE)),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor(RULE)),
                ("LINEBELOW", (0, -1), (-1, -1), 0.6, colors.HexColor(RULE)),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
                *extra,
            ]
        )
    )
    return table


def _tones(figures: Sequence[Figure], sources: Sequence[Any], first_row: int = 1) -> list[Any]:
    """Colour toned figures as gains or losses, column by column."""
    commands = []
    for row, figure in enumerate(figures, start=first_row):
        if not figure.toned:
            continue
        for col, source in enumerate(sources, start=1):
            colour = tone_colour(figure.value(source))
            commands.append(("TEXTCOLOR", (col, row), (col, row), colors.HexColor(colour)))
    return commands


def _pick(figures: Sequence[Figure], keys: Sequence[str]) -> list[Figure]:
    by_key = {f.key: f for f in figures}
    return [by_key[k] for k in keys]


def title_block(data: ReportData, width: float) -> list[Flowable]:
    s, b, w = data.strategy, data.benchmark_record, data.returns.window
    span = f"{timestamp_text(w.start)} to {timestamp_text(w.end)}" if w.periods else "no data"
    basis = b.return_basis.lower().replace("_", " ")
    risk_free = data.metrics.metrics.methodology.risk_free
    rows = [
        ["Strategy", f"{s.slug} · {s.asset_class.lower()} · {s.base_currency}", "Window", span],
        [
            "Benchmark",
            f"{b.symbol} · {b.name} · {basis}",
            "Returns",
            returns_count(w.periods, data.spec.interval),
        ],
        ["Risk-free", risk_free.description, "Data as of", timestamp_text(data.as_of)],
        ["", "", "Generated at", data.generated_at.strftime("%Y-%m-%d %H:%M UTC")],
    ]
    info = Table(rows, colWidths=[0.13 * width, 0.37 * width, 0.13 * width, 0.37 * width])
    info.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 7.5),
                ("FONT", (0, 0), (0, -1), BOLD, 7.5),
                ("FONT", (2, 0), (2, -1), BOLD, 7.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(INK)),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor(MUTED)),
                ("TEXTCOLOR", (2, 0), (2, -1), colors.HexColor(MUTED)),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(SHADE)),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    subtitle = f"Performance report against {escape(b.name)} ({escape(b.symbol)})"
    return [Paragraph(escape(s.name), TITLE), Paragraph(subtitle, SUBTITLE), info]


def kpi_tables(data: ReportData, width: float) -> Flowable:
    strategy, benchmark = data.metrics.metrics, data.benchmark_metrics.metrics
    comparison = data.comparison.comparison
    own = _pick(metric_figures(data.spec.interval), KPI_KEYS)
    relative = _pick(COMPARISON_FIGURES, RELATIVE_KPI_KEYS)
    left_width, right_width = 0.56 * width, 0.40 * width
    left = _table(
        [["Metric", "Strategy", "Benchmark"]]
        + [[f.label, f.text(strategy), f.text(benchmark)] for f in own],
        [0.5 * left_width, 0.25 * left_width, 0.25 * left_width],
        _tones(own, [strategy, benchmark]),
    )
    right = _table(
        [["Against the benchmark", ""]] + [[f.label, f.text(comparison)] for f in relative],
        [0.62 * right_width, 0.38 * right_width],
        _tones(relative, [comparison]),
    )
    outer = Table([[left, right]], colWidths=[left_width + 0.04 * width, right_width])
    outer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return outer


def _chart(png: bytes, width: float, height: float) -> Image:
    return Image(io.BytesIO(png), width=width, height=height)


def _section(title: str, lead: str, *body: Flowable) -> KeepTogether:
    return KeepTogether([Paragraph(title, HEADING), Paragraph(lead, LEAD), *body])


def drawdown_table(data: ReportData, width: float) -> Table:
    header = ["#", "Depth", "Peak", "Trough", "Recovered", "Length", "Periods"]
    rows = [
        [
            str(rank),
            percent(d.depth),
            date_text(d.peak) if d.peak is not None else "start",
            date_text(d.trough),
            date_text(d.recovery) if d.recovery is not None else "not yet",
            days(d.duration_days),
            f"{d.duration_periods:,}",
        ]
        for rank, d in enumerate(data.top_drawdowns, start=1)
    ]
    if not rows:
        rows = [["", "none", "", "", "", "", ""]]
    shares = [0.05, 0.13, 0.17, 0.17, 0.17, 0.17, 0.14]
    extra = [("TEXTCOLOR", (1, 1), (1, -1), colors.HexColor(LOSS))]
    return _table([header, *rows], [s * width for s in shares], extra)


def key_figures(data: ReportData, width: float) -> list[Flowable]:
    lead = (
        "Strategy and benchmark over the same span; relative figures on their aligned "
        "calendar. Gains in green, losses in red."
    )
    return [_section("Key figures", lead, kpi_tables(data, width))]


def cumulative_returns(data: ReportData, width: float) -> list[Flowable]:
    height = 0.5 * width
    png = charts.cumulative(data, (width / inch, height / inch))
    lead = (
        "Both series rebased to 100 at the start of the window; below, the strategy relative "
        "to the benchmark. Log scales where levels span more than eightfold."
    )
    return [_section("Cumulative return", lead, _chart(png, width, height))]


def drawdowns(data: ReportData, width: float) -> list[Flowable]:
    height = 0.3 * width
    png = charts.underwater(data, (width / inch, height / inch))
    lead = "Decline from the running peak of the compounded index, and the deepest episodes."
    table = drawdown_table(data, width)
    return [_section("Drawdowns", lead, _chart(png, width, height), Spacer(1, 4), table)]


def yearly_returns(data: ReportData, width: float) -> list[Flowable]:
    height = 0.3 * width
    png = charts.yearly_bars(data, (width / inch, height / inch))
    lead = (
        "Calendar-year returns (UTC) of the strategy and the benchmark on their aligned calendar."
    )
    return [_section("Yearly returns", lead, _chart(png, width, height))]


def monthly_returns(data: ReportData, width: float) -> list[Flowable]:
    png, height = charts.monthly_heatmap(data, width / inch)
    lead = (
        "Compounded strategy return of each calendar month (UTC) on the benchmark-aligned "
        "calendar, and of each year; the first and last may be partial."
    )
    return [_section("Monthly returns", lead, _chart(png, width, height * inch))]


def rolling(data: ReportData, width: float) -> list[Flowable]:
    height = 0.42 * width
    png = charts.rolling(data, (width / inch, height / inch))
    lead = (
        f"Each point covers the {data.rolling_periods:,} periods up to its date (about six months)."
    )
    return [_section("Rolling beta and Sharpe ratio", lead, _chart(png, width, height))]


def methodology(data: ReportData, width: float) -> list[Flowable]:
    notes = [
        Paragraph(f"<b>{escape(n.label)}.</b> {escape(n.text)}", BODY)
        for n in methodology_notes(data)
    ]
    return [Paragraph("Methodology", HEADING), *notes]


SECTIONS: dict[ReportSection, Callable[[ReportData, float], list[Flowable]]] = {
    ReportSection.METRICS: key_figures,
    ReportSection.CUMULATIVE_RETURNS: cumulative_returns,
    ReportSection.DRAWDOWNS: drawdowns,
    ReportSection.YEARLY_RETURNS: yearly_returns,
    ReportSection.MONTHLY_RETURNS: monthly_returns,
    ReportSection.ROLLING: rolling,
    ReportSection.METHODOLOGY: methodology,
}


def story(data: ReportData, width: float) -> list[Flowable]:
    parts: list[Flowable] = [*title_block(data, width), Spacer(1, 8)]
    for section in data.spec.sections:
        parts += SECTIONS[section](data, width)
    return parts


def render_pdf(data: ReportData) -> bytes:
    """The whole PDF, in memory (a few hundred kilobytes)."""
    buffer = io.BytesIO()
    pagesize = PAGE_SIZES[data.spec.page_size]
    doc = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Performance report: {data.strategy.name} against {data.benchmark.label}",
        author="perfgraph",
        subject=f"{data.strategy.slug} against {data.benchmark.label}",
        creator="perfgraph",
    )
    frame = Frame(MARGIN, MARGIN, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_footer(data))])
    doc.build(story(data, doc.width), canvasmaker=NumberedCanvas)
    return buffer.getvalue()
