"""Trading calendars: which dates are sessions, and when each session opens and closes.

The holidays come from ``exchange_calendars`` (maintained exchange rules and ad-hoc closures,
such as the 2001 and 2012 NYSE closures). Its schedule is read once per calendar into plain
sorted lists, and the arithmetic feeds need (the session a timestamp belongs to, the next
close, trading time between two instants) is done here with ``bisect``: cheap enough for
every freshness check, and independent of the library's pandas internals.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xc

from services.errors import InvalidInput

FIRST_DATE = "1980-01-01"
YEARS_AHEAD = 3


@dataclass(frozen=True)
class TradingCalendar:
    name: str
    tz: ZoneInfo
    sessions: tuple[date, ...]  # sorted
    opens: tuple[datetime, ...]  # UTC, one per session
    closes: tuple[datetime, ...]

    def covers(self, day: date) -> bool:
        return self.sessions[0] <= day <= self.sessions[-1]

    def is_session(self, day: date) -> bool:
        i = bisect_left(self.sessions, day)
        return i < len(self.sessions) and self.sessions[i] == day

    def session_of(self, ts: datetime) -> date:
        """The trading date a level stamped ``ts`` belongs to.

        A stamp at exactly midnight UTC is an end-of-day level of that UTC date (how daily
        files are stored); any other stamp takes its date in the exchange's time zone.
        """
        utc = ts.astimezone(UTC)
        return utc.date() if utc.time() == time(0) else ts.astimezone(self.tz).date()

    def observed_at(self, ts: datetime) -> datetime:
        """When the level was observed: the close of its session for end-of-day stamps."""
        utc = ts.astimezone(UTC)
        if utc.time() != time(0) or not self.is_session(utc.date()):
            return utc
        return self.closes[bisect_left(self.sessions, utc.date())]

    def next_close_after_session(self, day: date) -> datetime | None:
        """The close of the first session after trading date ``day``."""
        i = bisect_right(self.sessions, day)
        return self.closes[i] if i < len(self.sessions) else None

    def sessions_between(self, first: date, last: date) -> list[date]:
        """Sessions from ``first`` to ``last``, both included."""
        return list(
            self.sessions[bisect_left(self.sessions, first) : bisect_right(self.sessions, last)]
        )

    def missing_sessions(self, days: Iterable[date]) -> list[date]:
        """Sessions between the first and last of ``days`` that are not among them."""
        present = set(days)
        if not present:
            return []
        expected = self.sessions_between(min(present), max(present))
        return [d for d in expected if d not in present]

    def first_open_at_or_after(self, ts: datetime) -> datetime | None:
        """``ts`` itself during a session, otherwise the next open."""
        i = bisect_right(self.closes, ts)
        if i == len(self.closes):
            return None
        return max(ts, self.opens[i])

    def after_trading_time(self, start: datetime, seconds: float) -> datetime | None:
        """The instant at which ``seconds`` of open-exchange time have passed since ``start``."""
        left = timedelta(seconds=seconds)
        i = bisect_right(self.closes, start)
        while i < len(self.opens):
            begin = max(start, self.opens[i])
            if self.closes[i] - begin >= left:
                return begin + left
            left -= self.closes[i] - begin
            i += 1
        return None


@lru_cache(maxsize=16)
def trading_calendar(name: str) -> TradingCalendar:
    """The named exchange calendar (``XNYS``, ``XLON``, ``24/7`` ...), loaded once."""
    end = date.today().replace(month=12, day=31)
    end = end.replace(year=end.year + YEARS_AHEAD)
    try:
        with warnings.catch_warnings():
            # exchange_calendars trips pandas deprecation warnings while it builds itself.
            warnings.simplefilter("ignore")
            cal = xc.get_calendar(name, start=FIRST_DATE, end=end.isoformat())
            schedule = cal.schedule
    except xc.errors.InvalidCalendarName as exc:
        raise InvalidInput(f"unknown trading calendar {name!r}") from exc
    sessions = tuple(d.date() for d in schedule.index)
    opens = tuple(t.to_pydatetime() for t in schedule["open"])
    closes = tuple(t.to_pydatetime() for t in schedule["close"])
    return TradingCalendar(name, ZoneInfo(str(cal.tz)), sessions, opens, closes)
