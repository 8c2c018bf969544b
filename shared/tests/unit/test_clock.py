from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from settle_shared.clock import (
    FileClock,
    FixedClock,
    business_time_on,
    reset_business_time,
    set_business_time,
    today,
)

pytestmark = pytest.mark.unit


def test_the_business_date_depends_on_the_administrations_time_zone():
    clock = FixedClock(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    assert today(clock, ZoneInfo("Europe/Amsterdam")) == date(2026, 11, 24)
    assert today(clock, UTC) == date(2026, 11, 23)


def test_a_fixed_clock_refuses_naive_time_and_moves_only_when_told():
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(days=2))
    assert clock.now() == datetime(2026, 1, 3, tzinfo=UTC)


def test_a_file_clock_follows_the_date_set_for_the_stack(tmp_path):
    path = tmp_path / "clock.json"
    clock = FileClock(path)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)

    set_business_time(path, datetime(2027, 3, 1, 12, 0, tzinfo=UTC))
    other_process = FileClock(path)  # another service of the stack sees the same date
    assert other_process.now().date() == date(2027, 3, 1)

    reset_business_time(path)
    assert FileClock(path).now().date() == datetime.now(UTC).date()


def test_a_date_set_late_in_the_utc_day_is_the_business_date_in_the_business_zone():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    # 23:30 UTC on a summer evening is already 01:30 the next day in Amsterdam.
    late = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    target = business_time_on(date(2031, 7, 21), late, amsterdam)
    assert target.astimezone(amsterdam).date() == date(2031, 7, 21)
    assert target.astimezone(amsterdam).time() == time(1, 30)
    # And early in the UTC day in winter: 00:30 UTC is 01:30 there, the same date.
    early = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
    assert business_time_on(date(2031, 1, 6), early, amsterdam).astimezone(
        amsterdam
    ).date() == date(2031, 1, 6)
