"""Freshness on the NYSE calendar with a fixed "now": weekends and holidays never count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.calendars import trading_calendar
from services.freshness import Arrival, Cadence, Freshness, assess, combine

XNYS = trading_calendar("XNYS")
TWO_HOURS = 2 * 3600


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fresh(
    as_of: datetime,
    now: datetime,
    *,
    cadence: Cadence = "DAILY",
    limit: int = TWO_HOURS,
    received_at: datetime | None = None,
) -> Freshness:
    arrival = Arrival(as_of, received_at)
    return assess(arrival, now=now, calendar=XNYS, cadence=cadence, stale_after_s=limit)


# Friday 2024-07-05's close is due at 20:00 UTC on Monday 2024-07-08.
FRIDAY = at(2024, 7, 5)


@pytest.mark.parametrize(
    ("now", "stale"),
    [
        (at(2024, 7, 6, 12), False),  # Saturday
        (at(2024, 7, 7, 23), False),  # Sunday night
        (at(2024, 7, 8, 21, 59), False),  # Monday, within the limit after the close
        (at(2024, 7, 8, 22, 1), True),  # Monday, Monday's level is overdue
        (at(2024, 7, 10, 12), True),  # the feed stopped: still stale days later
    ],
)
def test_a_daily_feed_is_stale_after_its_limit_past_the_next_close(
    now: datetime, stale: bool
) -> None:
    result = fresh(FRIDAY, now)
    assert result.expected_next_at == at(2024, 7, 8, 20)
    assert result.is_stale is stale


def test_no_alarm_on_an_exchange_holiday() -> None:
    # Wednesday 2024-07-03 closed early (17:00 UTC); Thursday the 4th is a holiday.
    wednesday = at(2024, 7, 3)
    assert fresh(wednesday, at(2024, 7, 4, 23, 59)).is_stale is False
    assert fresh(wednesday, at(2024, 7, 5, 21, 59)).is_stale is False
    assert fresh(wednesday, at(2024, 7, 5, 22, 1)).is_stale is True
    # Good Friday 2024-03-29: Thursday's level is next followed by Monday's.
    assert fresh(at(2024, 3, 28), at(2024, 3, 30, 12)).expected_next_at == at(2024, 4, 1, 20)
    assert fresh(at(2024, 3, 28), at(2024, 3, 29, 23)).is_stale is False


def test_wall_clock_age_alone_is_not_staleness() -> None:
    # 2.5 days old on Monday morning, and not stale even with the default 26-hour limit.
    result = fresh(FRIDAY, at(2024, 7, 8, 12), limit=26 * 3600)
    assert result.is_stale is False
    assert fresh(FRIDAY, at(2024, 7, 9, 22, 1), limit=26 * 3600).is_stale is True


def test_latency_runs_from_the_close_for_end_of_day_levels() -> None:
    result = fresh(at(2024, 7, 3), at(2024, 7, 3, 18), received_at=at(2024, 7, 3, 17, 30))
    assert result.latency_s == 1800.0  # the early close was at 17:00 UTC
    stamped = fresh(at(2024, 7, 5, 15), at(2024, 7, 5, 16), received_at=at(2024, 7, 5, 15, 1))
    assert stamped.latency_s == 60.0


FIFTEEN_MINUTES = 15 * 60


@pytest.mark.parametrize(
    ("as_of", "now", "stale"),
    [
        (at(2024, 7, 8, 15), at(2024, 7, 8, 15, 14), False),
        (at(2024, 7, 8, 15), at(2024, 7, 8, 15, 16), True),  # stopped mid-session
        (at(2024, 7, 5, 19, 59), at(2024, 7, 5, 23), False),  # after Friday's close
        (at(2024, 7, 5, 19, 59), at(2024, 7, 6, 12), False),  # Saturday
        (at(2024, 7, 5, 19, 59), at(2024, 7, 8, 13, 43), False),  # Monday 13:30 open + 13 min
        (at(2024, 7, 5, 19, 59), at(2024, 7, 8, 13, 45), True),
    ],
)
def test_an_intraday_feed_counts_only_open_exchange_time(
    as_of: datetime, now: datetime, stale: bool
) -> None:
    assert fresh(as_of, now, cadence="INTRADAY", limit=FIFTEEN_MINUTES).is_stale is stale


def test_intraday_expects_the_next_level_at_once_or_at_the_next_open() -> None:
    during = fresh(at(2024, 7, 8, 15), at(2024, 7, 8, 15, 1), cadence="INTRADAY")
    assert during.expected_next_at == at(2024, 7, 8, 15)
    friday_close = fresh(at(2024, 7, 5, 20, 30), at(2024, 7, 6), cadence="INTRADAY")
    assert friday_close.expected_next_at == at(2024, 7, 8, 13, 30)


def test_no_data_is_stale() -> None:
    result = assess(None, now=at(2024, 7, 8), calendar=XNYS, cadence="DAILY", stale_after_s=60)
    assert (result.is_stale, result.as_of, result.expected_next_at) == (True, None, None)


def test_a_blend_is_as_fresh_as_its_stalest_component() -> None:
    now = at(2024, 7, 8, 12)
    current, behind = fresh(FRIDAY, now), fresh(FRIDAY - timedelta(days=3), now)
    blend = combine([current, behind], stale_after_s=60)
    assert (blend.as_of, blend.is_stale) == (behind.as_of, True)
    assert combine([current, current], 60).is_stale is False
    assert combine([], 60).is_stale is True
