"""Sending days: which days a step may go out.

Steps go out on the configured weekdays (Monday to Friday by default), never on a national
holiday of the administration's country (the `holidays` package) and never on an extra
blocked date. A step that falls on another day moves to the next allowed day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum
from functools import lru_cache

import holidays


class Weekday(IntEnum):
    """ISO weekday numbers, as `date.isoweekday()` returns them."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7


WORKDAYS: frozenset[Weekday] = frozenset(
    {Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY}
)

# A calendar that allows no day at all would loop forever; a year covers any real calendar
# (every weekday allowed at least once and at most a few dozen blocked dates).
_MAX_SEARCH_DAYS = 366


def is_supported_country(country: str) -> bool:
    """True when the `holidays` package knows the national holidays of `country` (ISO code)."""
    return country in holidays.list_supported_countries()


@lru_cache(maxsize=512)
def _national_holidays(country: str, year: int) -> frozenset[date]:
    # Cached per (country, year): the daily run asks the same few years for every invoice.
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True)
class SendingCalendar:
    """The days on which steps may go out for one flow."""

    sending_days: frozenset[Weekday] = WORKDAYS
    country: str | None = "NL"
    blocked_dates: frozenset[date] = field(default_factory=frozenset)

    def is_holiday(self, day: date) -> bool:
        """True when `day` is a national holiday of the calendar's country."""
        if self.country is None:
            return False
        return day in _national_holidays(self.country, day.year)

    def is_sending_day(self, day: date) -> bool:
        """True when a step may go out on `day`."""
        return (
            day.isoweekday() in self.sending_days
            and day not in self.blocked_dates
            and not self.is_holiday(day)
        )

    def next_sending_day(self, day: date) -> date:
        """The first day on or after `day` on which a step may go out."""
        candidate = day
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_sending_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no sending day within a year after {day.isoformat()}")
