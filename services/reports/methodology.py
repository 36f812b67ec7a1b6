"""The methodology notes of a report: how every number was computed (CSV and PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from services.analytics import AlignmentReport
from services.reports.data import ReportData
from services.reports.formatting import date_text, percent, returns_count, timestamp_text
from services.reports.spec import ReportSection
from services.returns import EffectiveWindow
from services.windows import Interval


@dataclass(frozen=True)
class Note:
    key: str
    label: str
    text: str


def _window(w: EffectiveWindow, interval: Interval) -> str:
    if w.periods == 0:
        return "no returns in this window"
    base = (
        f"measured from the first NAV on {date_text(w.measured_from)} (inception)"
        if w.starts_at_inception
        else f"measured from the last value on or before {date_text(w.measured_from)}"
    )
    return (
        f"{returns_count(w.periods, interval)} from {timestamp_text(w.start)} to "
        f"{timestamp_text(w.end)}, {base}"
    )


def _requested(w: EffectiveWindow) -> str:
    start = date_text(w.requested_from) if w.requested_from else "inception"
    end = date_text(w.requested_to) if w.requested_to else "the latest point"
    return f"from {start} to {end}"


def _alignment(report: AlignmentReport) -> str:
    policy = report.policy.name
    counts = {
        "strategy dates merged": len(report.strategy_merged),
        "benchmark dates merged": len(report.benchmark_merged),
        "strategy dates dropped": len(report.strategy_dropped),
        "benchmark dates dropped": len(report.benchmark_dropped),
        "strategy dates filled": len(report.strategy_filled),
        "benchmark dates filled": len(report.benchmark_filled),
    }
    changes = ", ".join(f"{n:,} {what}" for what, n in counts.items() if n) or "no date changed"
    return f"{policy}: {report.overlapping_periods:,} common periods; {changes}"


def methodology_notes(data: ReportData) -> list[Note]:
    m = data.metrics.metrics.methodology
    c = data.comparison.comparison
    rf = m.risk_free
    record = data.benchmark_record
    interval = data.spec.interval
    notes = [
        Note(
            "returns",
            "Returns",
            "Time-weighted: r_t = (NAV_t - cash flow_t) / NAV_t-1 - 1, so subscriptions "
            f"and redemptions are not performance; bucketed by {interval.value} (a bucket "
            "compounds the returns inside it). Decimal fractions shown as percentages.",
        ),
        Note("window_requested", "Window requested", _requested(data.returns.window)),
        Note("window_used", "Window used", _window(data.returns.window, interval)),
        Note(
            "benchmark",
            "Benchmark",
            f"{record.symbol}, {record.name} ({record.return_basis.lower().replace('_', ' ')}"
            f"): {record.description}",
        ),
        Note(
            "benchmark_window", "Benchmark data", _window(data.benchmark_returns.window, interval)
        ),
        Note(
            "periods_per_year",
            "Annualisation",
            f"{m.periods_per_year:g} periods per year ({m.periods_per_year_source}); "
            f"standard deviations with ddof = {m.ddof}.",
        ),
        Note(
            "risk_free",
            "Risk-free rate",
            f"{rf.description}; mean annual rate {percent(rf.mean_annual_rate)}"
            + (
                f"; {rf.backfilled_periods:,} periods before its data"
                if rf.backfilled_periods
                else ""
            )
            + (f"; {rf.extended_periods:,} periods after its data" if rf.extended_periods else "")
            + ". Used in Sharpe, Sortino, alpha, beta and Treynor.",
        ),
        Note("var", f"VaR and CVaR ({percent(m.var_level, 0)})", m.var_method),
        Note("alignment", "Alignment with the benchmark", _alignment(c.alignment)),
        Note(
            "drawdowns",
            "Drawdowns",
            "Decline of the compounded index from its running peak, the starting level "
            "included; an episode runs from the last peak to the first date back at it.",
        ),
        Note(
            "rolling",
            "Rolling windows",
            f"{data.rolling_periods:,} periods (about six months) over the whole history, "
            "each value dated at its window's last period; beta against the benchmark.",
        ),
        Note(
            "undefined",
            "Undefined values",
            "n/a (empty in CSV) marks a statistic that is undefined: too few periods, zero "
            "dispersion, no loss, a constant benchmark.",
        ),
    ]
    if not data.spec.includes(ReportSection.ROLLING):
        notes = [n for n in notes if n.key != "rolling"]
    return notes
