"""Feed reports and statuses as rich tables, for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from services.feeds.polling import PollResult
from services.feeds.status import FeedStatus
from services.feeds.store import FeedReport

SHOWN_PROBLEMS = 20


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.1f}s"


def print_report(console: Console, report: FeedReport) -> None:
    counts = Table(title=f"{report.symbol}: import", show_header=False)
    for label, value in (
        ("rows read", report.received),
        ("inserted", report.inserted),
        ("revised", report.revised),
        ("unchanged", report.unchanged),
        ("duplicates in the file", report.duplicates),
        ("published without a value", report.skipped),
        ("rejected (quarantined)", report.rejected),
        ("warnings", len(report.warnings)),
        ("missing sessions", len(report.missing_sessions)),
        ("newest level", _when(report.as_of)),
    ):
        counts.add_row(label, str(value))
    console.print(counts)
    for problem in report.problems[:SHOWN_PROBLEMS]:
        console.print(f"[red]{problem.where}[/red] {problem.field}: {problem.reason}")
    if report.rejected > SHOWN_PROBLEMS:
        console.print(f"... and {report.rejected - SHOWN_PROBLEMS} more in the quarantine table")
    for warning in report.warnings[:SHOWN_PROBLEMS]:
        console.print(f"[yellow]{warning.kind}[/yellow] {warning.message}")


def status_table(statuses: Sequence[FeedStatus]) -> Table:
    table = Table(title="feeds")
    for column in ("symbol", "kind", "source", "as of", "received", "latency", "stale"):
        table.add_column(column)
    for column in ("expected next", "inserted", "rejected", "warnings", "last error"):
        table.add_column(column)
    for s in statuses:
        fresh, state = s.freshness, s.state
        table.add_row(
            s.feed.symbol,
            s.feed.kind + ("" if s.feed.enabled else " (off)"),
            s.feed.url or "-",
            _when(fresh.as_of),
            _when(fresh.received_at),
            _duration(fresh.latency_s),
            "[red]STALE[/red]" if fresh.is_stale else "[green]ok[/green]",
            _when(fresh.expected_next_at),
            str(state.inserted if state else 0),
            str(state.rejected if state else 0),
            str(state.flagged if state else 0),
            (state.last_error or "") if state else "",
        )
    return table


def poll_table(results: Sequence[PollResult]) -> Table:
    table = Table(title=f"{len(results)} feed(s) polled")
    for column in ("symbol", "url", "outcome"):
        table.add_column(column)
    for r in results:
        if r.error:
            outcome = f"[red]{r.error}[/red]"
        elif r.not_modified or r.report is None:
            outcome = "not modified"
        else:
            outcome = (
                f"{r.report.inserted} new, {r.report.revised} revised, {r.report.rejected} rejected"
            )
        table.add_row(r.feed.symbol, r.feed.url or "-", outcome)
    return table
