"""Business hours: when a timed hold ends if only working minutes count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A week with at least one working day always reaches its window within 8 days; this bound only guards
# against a definition that slipped past validation.
_MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class BusinessHours:
    """Working days and a daily window [start, end) in local wall-clock time of `timezone`."""

    timezone: str
    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: dt.time
    end: dt.time

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The day's window as UTC instants, so arithmetic across a DST change counts real minutes."""
        zone = ZoneInfo(self.timezone)
        start = dt.datetime.combine(day, self.start, tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(day, self.end, tzinfo=zone).astimezone(dt.UTC)
        return start, end

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.weekday() not in self.days:
            return False
        start, end = self.window(local.date())
        return start <= moment < end

    def describe(self) -> str:
        days = ", ".join(WEEKDAYS[day] for day in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


def add_business_minutes(start: dt.datetime, minutes: int, hours: BusinessHours) -> dt.datetime:
    """The instant (UTC) at which `minutes` working minutes have passed since `start`.

    Time outside the window does not count: a 60-minute hold placed on Friday at 16:30 with a 09:00-17:00
    Monday-to-Friday window ends on Monday at 09:30 local time.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    cursor = start.astimezone(dt.UTC)
    remaining = dt.timedelta(minutes=minutes)
    if remaining <= dt.timedelta(0):
        return cursor
    day = cursor.astimezone(ZoneInfo(hours.timezone)).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in hours.days:
            window_start, window_end = hours.window(day)
            if cursor < window_end:
                begin = max(cursor, window_start)
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                cursor = window_end
        day += dt.timedelta(days=1)
    raise ValueError(f"business hours {hours.describe()} never open")
