from datetime import UTC, datetime, timedelta, timezone

import pytest

from settle_shared.db import aware

pytestmark = pytest.mark.unit


def test_a_time_sqlite_handed_back_without_zone_is_read_as_utc() -> None:
    assert aware(datetime(2026, 3, 1, 9, 30)) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_time_with_another_offset_becomes_the_same_instant_in_utc() -> None:
    amsterdam = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    result = aware(amsterdam)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_no_time_stays_no_time() -> None:
    assert aware(None) is None
