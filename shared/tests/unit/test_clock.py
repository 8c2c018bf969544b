from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from settle_shared.clock import FileClock, FixedClock, reset_business_time, set_business_time, today

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
