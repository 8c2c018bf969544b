from datetime import date

import pytest

from settle_dunning.domain import SendingCalendar, Weekday

pytestmark = pytest.mark.unit


def test_weekdays_are_sending_days_by_default() -> None:
    calendar = SendingCalendar(country=None)
    assert calendar.is_sending_day(date(2025, 3, 7))  # Friday
    assert not calendar.is_sending_day(date(2025, 3, 8))  # Saturday
    assert calendar.next_sending_day(date(2025, 3, 8)) == date(2025, 3, 10)


def test_national_holidays_of_the_country_are_skipped() -> None:
    calendar = SendingCalendar(country="NL")
    # Easter Monday 2025 is a Dutch holiday; the next sending day is Tuesday.
    assert calendar.is_holiday(date(2025, 4, 21))
    assert calendar.next_sending_day(date(2025, 4, 19)) == date(2025, 4, 22)
    # King's Day 2025 falls on a Saturday; Christmas runs into Boxing Day.
    assert calendar.next_sending_day(date(2025, 12, 25)) == date(2025, 12, 29)


def test_holidays_differ_per_country() -> None:
    # 1 May is a holiday in Belgium but not in the Netherlands.
    assert SendingCalendar(country="BE").next_sending_day(date(2025, 5, 1)) == date(2025, 5, 2)
    assert SendingCalendar(country="NL").next_sending_day(date(2025, 5, 1)) == date(2025, 5, 1)


def test_extra_blocked_dates_are_skipped() -> None:
    calendar = SendingCalendar(country=None, blocked_dates=frozenset({date(2025, 3, 10)}))
    assert calendar.next_sending_day(date(2025, 3, 10)) == date(2025, 3, 11)


def test_sending_days_are_configurable() -> None:
    calendar = SendingCalendar(
        sending_days=frozenset({Weekday.TUESDAY, Weekday.THURSDAY}), country=None
    )
    assert calendar.next_sending_day(date(2025, 3, 7)) == date(2025, 3, 11)


def test_a_calendar_without_any_sending_day_fails_loudly() -> None:
    with pytest.raises(ValueError):
        SendingCalendar(sending_days=frozenset(), country=None).next_sending_day(date(2025, 1, 1))
