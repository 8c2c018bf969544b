"""Business time. Domain code asks a Clock, never `datetime.now()`, so tests and demos can
run "as of" another date."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Where business time comes from."""

    def now(self) -> datetime:
        """The current business time, timezone-aware (UTC)."""
        ...


def today(clock: Clock, tz: tzinfo) -> date:
    """The business date in a time zone (an administration's)."""
    return clock.now().astimezone(tz).date()


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to: for tests."""

    current: datetime

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class FileClock:
    """Real time shifted by an offset kept in a JSON file, so every process of the embedded
    stack agrees on the business date and `settle clock set` takes effect without a restart."""

    path: Path
    _offset: timedelta = field(default=timedelta(0), init=False)
    _mtime: float = field(default=-1.0, init=False)
    _checked_at: float = field(default=0.0, init=False)

    def now(self) -> datetime:
        self._refresh()
        return datetime.now(UTC) + self._offset

    def _refresh(self) -> None:
        # A stat per call would be wasteful on hot paths; once a second is plenty for demos.
        monotonic = time.monotonic()
        if monotonic - self._checked_at < 1.0:
            return
        self._checked_at = monotonic
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._offset, self._mtime = timedelta(0), -1.0
            return
        if mtime != self._mtime:
            self._offset = read_offset(self.path)
            self._mtime = mtime


def read_offset(path: Path) -> timedelta:
    """The offset stored in a clock file (zero when there is none)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return timedelta(0)
    return timedelta(seconds=float(data.get("offset_seconds", 0)))


def set_business_time(path: Path, target: datetime) -> timedelta:
    """Shift the clock in `path` so that business time is `target` now; returns the offset."""
    if target.tzinfo is None:
        raise ValueError("the business time must be timezone-aware")
    offset = target - datetime.now(UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))
    tmp.replace(path)
    return offset


def reset_business_time(path: Path) -> None:
    """Back to real time."""
    path.unlink(missing_ok=True)


def clock_from_settings(clock_file: Path | None) -> Clock:
    return FileClock(clock_file) if clock_file else SystemClock()
