"""One injectable clock for every business date and instant, in Europe/Amsterdam.

Code asks `clock.now()` / `clock.today()`; nothing calls `datetime.now()` directly. Tests install a
`ManualClock`; the local stack installs an `OffsetClock` that `POST /dev/clock` moves forward, so every
service in the process sees the same time.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(AMSTERDAM)


class ManualClock:
    """A clock that stands still until told to move (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(AMSTERDAM)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("aware datetime required")
        with self._lock:
            self._now = when.astimezone(AMSTERDAM)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            # Add in UTC: aware + timedelta in a zoneinfo zone is wall-clock arithmetic, which lands in
            # (or skips) the daylight-saving gap, so "24 hours later" would be 23 or 25 real hours.
            self._now = (self._now.astimezone(UTC) + delta).astimezone(AMSTERDAM)


class OffsetClock:
    """Real time plus an offset that can only grow (the local stack's dev clock)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return (datetime.now(UTC) + offset).astimezone(AMSTERDAM)

    def move_to(self, when: datetime) -> datetime:
        """Move the clock to `when`; moving backwards is refused (schedules never run twice)."""
        if when.tzinfo is None:
            raise ValueError("aware datetime required")
        with self._lock:
            current = datetime.now(UTC) + self._offset
            if when < current:
                raise ValueError("the dev clock only moves forward")
            self._offset += when - current
        return self.now()


_clock: Clock = SystemClock()


def set_clock(new: Clock) -> Clock:
    """Install a clock for the whole process; returns the previous one."""
    global _clock
    previous, _clock = _clock, new
    return previous


def get_clock() -> Clock:
    return _clock


def now() -> datetime:
    """The current instant, aware, in Europe/Amsterdam."""
    return _clock.now()


def today() -> date:
    """Today's date in Europe/Amsterdam."""
    return _clock.now().date()


def utcnow() -> datetime:
    return _clock.now().astimezone(UTC)


def local(dt: datetime) -> datetime:
    """Any aware instant expressed in Europe/Amsterdam."""
    if dt.tzinfo is None:
        raise ValueError("aware datetime required")
    return dt.astimezone(AMSTERDAM)


def at(day: date, hhmm: str) -> datetime:
    """The aware instant of a local wall-clock time on a day (daylight saving handled by zoneinfo)."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)
