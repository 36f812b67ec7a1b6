"""Jump and missing-session checks, and the calendar arithmetic under them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.calendars import trading_calendar
from services.feeds.checks import find_jumps, find_missing_sessions, missing_sessions_warning

XNYS = trading_calendar("XNYS")


def day(m: int, d: int) -> datetime:
    return datetime(2024, m, d, tzinfo=UTC)


def test_only_changed_levels_beyond_the_threshold_are_flagged() -> None:
    series = [(day(1, 2), 100.0), (day(1, 3), 125.0), (day(1, 4), 99.0), (day(1, 5), 100.0)]
    flagged = find_jumps(series, changed={day(1, 3), day(1, 5)}, threshold=0.2)
    assert [(w.kind, w.ts) for w in flagged] == [("JUMP", day(1, 3))]
    assert "+25.0%" in flagged[0].message
    assert find_jumps(series, changed={day(1, 4)}, threshold=0.2)[0].message.startswith(
        "level 99 at 2024-01-04"
    )
    assert find_jumps(series, changed={day(1, 3)}, threshold=0.3) == []


def test_holidays_and_weekends_are_not_missing_sessions() -> None:
    # 2024-07-03 .. 2024-07-09: the 4th is Independence Day, the 6th and 7th a weekend.
    stamps = [day(7, 3), day(7, 5), day(7, 8), day(7, 9)]
    assert find_missing_sessions(stamps, XNYS) == []
    assert find_missing_sessions([day(7, 3), day(7, 9)], XNYS) == [
        date(2024, 7, 5),
        date(2024, 7, 8),
    ]


def test_intraday_stamps_belong_to_their_new_york_date() -> None:
    # 2024-07-08 23:30 UTC is still the 8th in New York; 2024-07-09 01:00 UTC is not.
    late_monday = datetime(2024, 7, 8, 23, 30, tzinfo=UTC)
    assert XNYS.session_of(late_monday) == date(2024, 7, 8)
    assert XNYS.session_of(datetime(2024, 7, 9, 1, tzinfo=UTC)) == date(2024, 7, 8)
    assert find_missing_sessions([day(7, 5), late_monday], XNYS) == []


def test_the_warning_lists_the_first_dates_and_counts_the_rest() -> None:
    missing = XNYS.sessions_between(date(2024, 1, 2), date(2024, 1, 31))
    warning = missing_sessions_warning(missing, "XNYS")
    assert warning is not None
    assert warning.message.startswith(f"{len(missing)} XNYS session(s) without a level: 2024-01-02")
    assert warning.message.endswith(f"and {len(missing) - 10} more")
    assert missing_sessions_warning([], "XNYS") is None


def test_open_exchange_time_skips_nights_weekends_and_holidays() -> None:
    # 30 minutes before Wednesday's early close, then the holiday, then Friday's open.
    start = datetime(2024, 7, 3, 16, 30, tzinfo=UTC)
    assert XNYS.after_trading_time(start, 3600) == datetime(2024, 7, 5, 14, 0, tzinfo=UTC)
