"""Business hours: timed holds count only working minutes, in the window's own time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warpware.rules import BusinessHours, add_business_minutes

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = BusinessHours("America/New_York", frozenset({0, 1, 2, 3, 4}), dt.time(9), dt.time(17))


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def test_inside_the_window_minutes_simply_add() -> None:
    until = add_business_minutes(ny(2026, 3, 4, 10), 90, WEEKDAYS_9_TO_5)

    assert until == ny(2026, 3, 4, 11, 30)
    assert until.tzinfo is dt.UTC


def test_friday_afternoon_carries_over_the_weekend() -> None:
    # Friday 16:30: 30 minutes left on Friday, 30 more from Monday 09:00.
    assert add_business_minutes(ny(2026, 3, 6, 16, 30), 60, WEEKDAYS_9_TO_5) == ny(2026, 3, 9, 9, 30)


def test_a_hold_placed_on_saturday_starts_counting_on_monday() -> None:
    assert add_business_minutes(ny(2026, 3, 7, 11), 30, WEEKDAYS_9_TO_5) == ny(2026, 3, 9, 9, 30)


def test_before_opening_counts_from_opening() -> None:
    assert add_business_minutes(ny(2026, 3, 4, 6), 60, WEEKDAYS_9_TO_5) == ny(2026, 3, 4, 10)


def test_ending_exactly_at_closing_stays_on_that_day() -> None:
    assert add_business_minutes(ny(2026, 3, 4, 16), 60, WEEKDAYS_9_TO_5) == ny(2026, 3, 4, 17)


def test_more_than_a_day_of_minutes_spans_several_days() -> None:
    # 8h a day: 20 working hours from Thursday 09:00 end Monday 13:00.
    assert add_business_minutes(ny(2026, 3, 5, 9), 20 * 60, WEEKDAYS_9_TO_5) == ny(2026, 3, 9, 13)


def test_now_in_utc_is_read_in_the_window_time_zone() -> None:
    # 2026-03-06 22:30 UTC is Friday 17:30 in New York: already closed, so Monday it is.
    now = dt.datetime(2026, 3, 6, 22, 30, tzinfo=dt.UTC)

    assert add_business_minutes(now, 15, WEEKDAYS_9_TO_5) == dt.datetime(2026, 3, 9, 13, 15, tzinfo=dt.UTC)


def test_dst_change_over_a_weekend_keeps_local_opening_time() -> None:
    # Clocks go forward on Sunday 2026-03-08: Friday opens at 14:00 UTC, Monday at 13:00 UTC.
    until = add_business_minutes(ny(2026, 3, 6, 16, 45), 30, WEEKDAYS_9_TO_5)

    assert until == dt.datetime(2026, 3, 9, 13, 15, tzinfo=dt.UTC)


def test_zero_minutes_is_now() -> None:
    assert add_business_minutes(ny(2026, 3, 7, 11), 0, WEEKDAYS_9_TO_5) == ny(2026, 3, 7, 11)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add_business_minutes(dt.datetime(2026, 3, 7, 11), 5, WEEKDAYS_9_TO_5)


def _count_by_walking(start: dt.datetime, minutes: int, hours: BusinessHours) -> dt.datetime:
    """Oracle: step one minute at a time and count the minutes that begin inside the window."""
    cursor = start.astimezone(dt.UTC)
    counted = 0
    while counted < minutes:
        if hours.contains(cursor):
            counted += 1
        cursor += dt.timedelta(minutes=1)
    return cursor


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=dt.UTC)
    ),
    minutes=st.integers(min_value=1, max_value=1500),
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    zone=st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC"]),
)
def test_matches_a_minute_by_minute_walk(
    start: dt.datetime, minutes: int, days: frozenset[int], zone: str
) -> None:
    hours = BusinessHours(zone, days, dt.time(8, 30), dt.time(18))

    assert add_business_minutes(start, minutes, hours) == _count_by_walking(start, minutes, hours)
