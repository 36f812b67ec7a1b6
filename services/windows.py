"""Performance windows: presets and explicit ranges, resolved against a series' as-of date.

A resolved window is ``(after, until]``: its points have ``after < ts <= until`` and its
returns are measured from the anchor, the last point at or before ``after``. Trailing
presets (1Y, ...) end at the series' latest point and start exactly one period earlier, so
a 1Y return is NAV(as of) / NAV(as of - 1 year) - 1. Calendar presets (MTD, QTD, YTD) and
explicit ``from`` dates include points on the start date itself, so their anchor is the last
point before it (for YTD: the previous year's last NAV).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import pandas as pd

from services.errors import InvalidWindow

_JUST_BEFORE = timedelta(microseconds=1)


class WindowPreset(StrEnum):
    MTD = "MTD"
    QTD = "QTD"
    YTD = "YTD"
    ONE_MONTH = "1M"
    THREE_MONTHS = "3M"
    SIX_MONTHS = "6M"
    ONE_YEAR = "1Y"
    THREE_YEARS = "3Y"
    FIVE_YEARS = "5Y"
    TEN_YEARS = "10Y"
    MAX = "MAX"


class Interval(StrEnum):
    RAW = "raw"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_TRAILING_MONTHS = {
    WindowPreset.ONE_MONTH: 1,
    WindowPreset.THREE_MONTHS: 3,
    WindowPreset.SIX_MONTHS: 6,
    WindowPreset.ONE_YEAR: 12,
    WindowPreset.THREE_YEARS: 36,
    WindowPreset.FIVE_YEARS: 60,
    WindowPreset.TEN_YEARS: 120,
}


@dataclass(frozen=True)
class Window:
    """What a client asked for: a preset, or an explicit ``start``/``end`` (either optional)."""

    preset: WindowPreset | None = None
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.preset is not None and (self.start is not None or self.end is not None):
            raise InvalidWindow("give either a window preset or from/to dates, not both")
        for name, value in (("from", self.start), ("to", self.end)):
            if value is not None and value.tzinfo is None:
                raise InvalidWindow(f"window {name} must include a time zone offset")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidWindow(
                f"window from ({self.start.isoformat()}) is after to ({self.end.isoformat()})"
            )

    @property
    def cache_key(self) -> str:
        if self.preset is not None:
            return self.preset.value
        start = self.start.isoformat() if self.start else ""
        end = self.end.isoformat() if self.end else ""
        return f"{start}~{end}"


MAX_WINDOW = Window(preset=WindowPreset.MAX)


@dataclass(frozen=True)
class ResolvedWindow:
    after: datetime | None  # None: from inception, no anchor
    until: datetime | None  # None: up to the latest point


def _month_start(ts: datetime, months_back: int = 0) -> datetime:
    stamp = pd.Timestamp(ts).tz_convert(UTC).normalize().replace(day=1)
    return (stamp - pd.DateOffset(months=months_back)).to_pydatetime()


@lru_cache(maxsize=4096)
def resolve(window: Window, as_of: datetime | None) -> ResolvedWindow:
    """Turn a window into bounds, given the series' latest timestamp (None if empty).

    Pure, and asked the same question for every strategy that ends on the same day: memoised
    (calendar arithmetic with pandas offsets costs tens of microseconds)."""
    if window.preset is None:
        after = window.start - _JUST_BEFORE if window.start else None
        return ResolvedWindow(after=after, until=window.end)
    if window.preset is WindowPreset.MAX or as_of is None:
        return ResolvedWindow(after=None, until=None)
    if window.preset in _TRAILING_MONTHS:
        stamp = pd.Timestamp(as_of) - pd.DateOffset(months=_TRAILING_MONTHS[window.preset])
        return ResolvedWindow(after=stamp.to_pydatetime(), until=as_of)
    current = pd.Timestamp(as_of).tz_convert(UTC)
    back = {
        WindowPreset.MTD: 0,
        WindowPreset.QTD: (current.month - 1) % 3,
        WindowPreset.YTD: current.month - 1,
    }[window.preset]
    return ResolvedWindow(after=_month_start(as_of, back) - _JUST_BEFORE, until=as_of)
