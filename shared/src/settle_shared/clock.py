"""Business time. Domain code asks a Clock, never `datetime.now()`, so tests and demos can
run "as of" another date."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

# Where `settle up` keeps the embedded stack's business clock (under its var folder), and the
# variable `settle clock` and every command run beside the stack read it from.
STACK_CLOCK_FILE = Path("var/clock.json")
CLOCK_FILE_VARIABLE = "SETTLE_CLOCK_FILE"


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


def business_time_on(day: date, now: datetime, zone: tzinfo) -> datetime:
    """The business time that makes `day` the business date in `zone`, keeping the time of day
    that `now` has there: after 22:00 UTC in a Dutch summer, the UTC time of day would already
    fall on the next day in Amsterdam."""
    return datetime.combine(day, now.astimezone(zone).time(), tzinfo=zone)


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


def stack_clock_file() -> Path:
    """The clock file of the embedded stack, as `settle clock` finds it: ``SETTLE_CLOCK_FILE``,
    else ``var/clock.json``."""
    return Path(os.environ.get(CLOCK_FILE_VARIABLE) or STACK_CLOCK_FILE)


@contextmanager
def stack_clock_for(env_prefixes: Iterable[str]) -> Iterator[Path]:
    """Inside the block, services whose settings are loaded with one of ``env_prefixes`` (a
    command of theirs) run on the stack's business clock, unless their own ``CLOCK_FILE`` is
    set: what a command stamps then sorts with what the running stack stamps. The environment
    is as it was afterwards."""
    clock_file = stack_clock_file()
    added = []
    for prefix in env_prefixes:
        variable = f"{prefix}CLOCK_FILE"
        if not os.environ.get(variable):
            os.environ[variable] = str(clock_file)
            added.append(variable)
    try:
        yield clock_file
    finally:
        for variable in added:
            os.environ.pop(variable, None)
