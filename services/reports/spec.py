"""What a report is: a strategy against a benchmark over a window, as CSV or PDF.

A :class:`ReportSpec` is everything a download needs, so a signed link carries it whole
(:mod:`services.reports.links`) and any replica can serve it without shared state.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from services.errors import InvalidInput
from services.windows import MAX_WINDOW, Interval, Window, WindowPreset


class ReportFormat(StrEnum):
    CSV = "csv"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        return "text/csv; charset=utf-8" if self is ReportFormat.CSV else "application/pdf"


class ReportSection(StrEnum):
    """Parts of a report, in the order they appear."""

    METRICS = "metrics"
    CUMULATIVE_RETURNS = "cumulative_returns"
    DRAWDOWNS = "drawdowns"
    YEARLY_RETURNS = "yearly_returns"
    MONTHLY_RETURNS = "monthly_returns"
    ROLLING = "rolling"
    SERIES = "series"
    METHODOLOGY = "methodology"


class PageSize(StrEnum):
    A4 = "a4"
    LETTER = "letter"


_ORDER = list(ReportSection)
SECTIONS: dict[ReportFormat, tuple[ReportSection, ...]] = {
    ReportFormat.PDF: tuple(s for s in _ORDER if s is not ReportSection.SERIES),
    ReportFormat.CSV: (  # the long series last, after everything a reader looks up
        ReportSection.METRICS,
        ReportSection.METHODOLOGY,
        ReportSection.DRAWDOWNS,
        ReportSection.YEARLY_RETURNS,
        ReportSection.MONTHLY_RETURNS,
        ReportSection.SERIES,
    ),
}


def check_sections(
    fmt: ReportFormat, sections: tuple[ReportSection, ...]
) -> tuple[ReportSection, ...]:
    """The sections in report order (all of the format's when none is given)."""
    available = SECTIONS[fmt]
    unknown = [s.name for s in sections if s not in available]
    if unknown:
        raise InvalidInput(
            f"{', '.join(unknown)} not available in {fmt.name} reports; "
            f"choose from {', '.join(s.name for s in available)}"
        )
    return tuple(s for s in available if s in sections) or available


@dataclass(frozen=True)
class ReportSpec:
    """A report request. ``benchmark`` None means the strategy's default benchmark; empty
    ``sections`` means every section of the format. Invalid combinations raise InvalidInput.
    """

    strategy_id: int
    format: ReportFormat
    benchmark: str | None = None
    window: Window = MAX_WINDOW
    interval: Interval = Interval.DAY
    risk_free_rate: float | None = None
    risk_free_symbol: str | None = None
    sections: tuple[ReportSection, ...] = field(default=())
    page_size: PageSize = PageSize.A4

    def __post_init__(self) -> None:
        if self.risk_free_rate is not None and self.risk_free_symbol is not None:
            raise InvalidInput("give a risk-free rate or a cash benchmark, not both")
        rate = self.risk_free_rate
        if rate is not None and not (math.isfinite(rate) and rate > -1.0):
            raise InvalidInput(f"risk-free rate must be a finite annual rate > -1, got {rate}")
        object.__setattr__(self, "sections", check_sections(self.format, self.sections))

    def includes(self, section: ReportSection) -> bool:
        return section in self.sections

    def to_payload(self) -> dict[str, Any]:
        """A compact JSON-able form, for signed links."""
        payload: dict[str, Any] = {
            "s": self.strategy_id,
            "f": self.format.value,
            "w": _window_payload(self.window),
            "i": self.interval.value,
            "p": self.page_size.value,
        }
        if self.sections != SECTIONS[self.format]:
            payload["x"] = [s.value for s in self.sections]
        if self.benchmark is not None:
            payload["b"] = self.benchmark
        if self.risk_free_rate is not None:
            payload["r"] = self.risk_free_rate
        if self.risk_free_symbol is not None:
            payload["c"] = self.risk_free_symbol
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ReportSpec:
        """The inverse of :meth:`to_payload`; KeyError/ValueError on a malformed payload."""
        fmt = ReportFormat(payload["f"])
        return cls(
            strategy_id=int(payload["s"]),
            format=fmt,
            benchmark=payload.get("b"),
            window=_window_from_payload(payload["w"]),
            interval=Interval(payload["i"]),
            risk_free_rate=payload.get("r"),
            risk_free_symbol=payload.get("c"),
            sections=tuple(ReportSection(s) for s in payload.get("x", ())),
            page_size=PageSize(payload["p"]),
        )


def _window_payload(window: Window) -> dict[str, str]:
    if window.preset is not None:
        return {"preset": window.preset.value}
    bounds = {"from": window.start, "to": window.end}
    return {k: v.isoformat() for k, v in bounds.items() if v is not None}


def _window_from_payload(data: dict[str, str]) -> Window:
    if "preset" in data:
        return Window(preset=WindowPreset(data["preset"]))
    start, end = data.get("from"), data.get("to")
    return Window(
        start=datetime.fromisoformat(start) if start else None,
        end=datetime.fromisoformat(end) if end else None,
    )


def parse_window(text: str) -> Window:
    """A preset (``5Y``, ``YTD``, ``MAX`` ...) or ``FROM:TO`` dates, either side optional
    (``2015-01-01:2019-12-31``, ``2020-01-01:``): the CLI's spelling of a window."""
    text = text.strip()
    if ":" not in text:
        try:
            return Window(preset=WindowPreset(text.upper()))
        except ValueError:
            presets = ", ".join(p.value for p in WindowPreset)
            raise InvalidInput(
                f"unknown window {text!r}: give one of {presets}, or FROM:TO"
            ) from None
    start, _, end = text.partition(":")
    return Window(start=_date(start), end=_date(end, end_of_day=True))


def _date(text: str, *, end_of_day: bool = False) -> datetime | None:
    if not text.strip():
        return None
    try:
        day = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    if day.tzinfo is None:
        day = day.replace(tzinfo=UTC)
    if end_of_day and len(text.strip()) == len("YYYY-MM-DD"):  # the whole of that day
        return day + timedelta(days=1) - timedelta(microseconds=1)
    return day


def parse_risk_free(text: str | None) -> tuple[float | None, str | None]:
    """``0.02`` is an annual rate, anything else a cash benchmark's symbol."""
    if text is None or not text.strip():
        return None, None
    try:
        return float(text), None
    except ValueError:
        return None, text.strip().upper()


def window_label(window: Window) -> str:
    """``5Y``, ``since-inception``, ``2015-01-01_2019-12-31``, ``from-2015-01-01`` ..."""
    if window.preset is WindowPreset.MAX or window == Window():
        return "since-inception"
    if window.preset is not None:
        return window.preset.value
    start = window.start.date().isoformat() if window.start else None
    end = window.end.date().isoformat() if window.end else None
    if start and end:
        return f"{start}_{end}"
    return f"from-{start}" if start else f"to-{end}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def report_filename(slug: str, benchmark: str, spec: ReportSpec) -> str:
    """A file name that says what the report is: ``us-quality-qual_vs_SPX_5Y.pdf``."""
    stem = f"{slug}_vs_{benchmark}_{window_label(spec.window)}"
    return f"{_UNSAFE.sub('-', stem).strip('-')}.{spec.format.value}"
