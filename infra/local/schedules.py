"""Schedules of the local stack: what EventBridge does in AWS, driven by the business clock.

moto never fires schedules, so the local stack does: every `@app.schedule` handler of every app fires
when its expression says, measured on `portal_common.clock.now()` (the dev clock), checked about once
a second and at once when `POST /dev/clock` moves the clock forward.

Expressions (EventBridge syntax; cron in UTC, as scheduled rules are):
- `rate(N minute|minutes|hour|hours|day|days)`: every N units after the stack started (or last fired);
- `cron(minutes hours day-of-month month day-of-week year)` with `*`, `?`, numbers, comma lists,
  ranges `a-b` and steps `*/n`, `a/n`; day-of-week 1-7 (1 = Sunday) or SUN-SAT, months 1-12 or JAN-DEC.

A clock jump over several periods fires a schedule once (catch-up is coalesced), then it waits for
its next due moment after the new time.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

log = logging.getLogger("infra.local")

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_DAY_NAMES = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_MONTH_NAMES = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_SEARCH_YEARS = 6  # leap days and sparse year lists still resolve; beyond that: never due


class ScheduleError(ValueError):
    """An expression the local stack cannot evaluate."""


class Schedule:
    """`next_after(t)`: the first due instant strictly after `t` (None when never)."""

    expression: str

    def next_after(self, when: datetime) -> datetime | None:
        raise NotImplementedError


@dataclass(frozen=True)
class RateSchedule(Schedule):
    expression: str
    period: timedelta

    def next_after(self, when: datetime) -> datetime:
        return when + self.period


def _field(raw: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """One cron field as the set of allowed values; None means "any" (`*` or `?`)."""
    if raw in ("*", "?"):
        return None
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(f"unsupported cron value {token!r}")
        value = int(token)
        if not low <= value <= high:
            raise ScheduleError(f"cron value {value} outside {low}-{high}")
        return value

    for part in raw.split(","):
        base, _, step_raw = part.partition("/")
        step = 1
        if step_raw:
            if not step_raw.isdigit() or int(step_raw) == 0:
                raise ScheduleError(f"bad cron step {part!r}")
            step = int(step_raw)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
            if start > end:
                raise ScheduleError(f"bad cron range {part!r}")
        else:
            start = number(base)
            end = high if step_raw else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule(Schedule):
    expression: str
    minutes: frozenset[int] | None
    hours: frozenset[int] | None
    days: frozenset[int] | None       # day of month
    months: frozenset[int] | None
    weekdays: frozenset[int] | None   # 1 = Sunday … 7 = Saturday (EventBridge)
    years: frozenset[int] | None

    def _day_matches(self, day: date) -> bool:
        if self.years is not None and day.year not in self.years:
            return False
        if self.months is not None and day.month not in self.months:
            return False
        if self.days is not None and day.day not in self.days:
            return False
        aws_weekday = day.isoweekday() % 7 + 1  # Monday (1) → 2, Sunday (7) → 1
        return self.weekdays is None or aws_weekday in self.weekdays

    def next_after(self, when: datetime) -> datetime | None:
        start = (when.astimezone(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        hours = sorted(self.hours) if self.hours is not None else list(range(24))
        minutes = sorted(self.minutes) if self.minutes is not None else list(range(60))
        day = start.date()
        for _ in range(366 * _SEARCH_YEARS):
            if self._day_matches(day):
                for hour in hours:
                    for minute in minutes:
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def parse(expression: str) -> Schedule:
    """Parse an EventBridge schedule expression; ScheduleError when unsupported."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        count = int(rate.group(1))
        if count < 1:
            raise ScheduleError("rate must be at least 1")
        return RateSchedule(text, count * _UNITS[rate.group(2).lower().rstrip("s")])
    cron = _CRON.match(text)
    if not cron:
        raise ScheduleError(f"not a rate() or cron() expression: {expression!r}")
    parts = cron.group(1).split()
    if len(parts) != 6:
        raise ScheduleError(f"cron needs 6 fields (min hour day month weekday year): {expression!r}")
    minute, hour, dom, month, dow, year = parts
    if dom != "?" and dow != "?":
        raise ScheduleError("cron: one of day-of-month and day-of-week must be '?'")
    return CronSchedule(
        text,
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=_field(dom, 1, 31),
        months=_field(month, 1, 12, _MONTH_NAMES),
        weekdays=_field(dow, 1, 7, _DAY_NAMES),
        years=_field(year, 1970, 2199),
    )


def expression_of(config: Any) -> str:
    """The expression string of a Chalice `ScheduledEventConfig` (string, Rate or Cron)."""
    raw = config.schedule_expression
    return raw if isinstance(raw, str) else raw.to_string()


def scheduled_event(rule: str, when: datetime, *, region: str, account: str) -> dict[str, Any]:
    """The event EventBridge hands a scheduled Lambda."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
        "detail": {},
    }


@dataclass
class Job:
    name: str                      # "<service>.<handler name>"
    schedule: Schedule
    run: Callable[[dict[str, Any]], Any]
    rule: str
    next_due: datetime | None = None
    runs: int = field(default=0)


class Scheduler:
    """Fires due jobs; `fire_due()` is safe to call from any thread (a lock serialises firing)."""

    def __init__(self, jobs: list[Job], now: Callable[[], datetime], *, region: str, account: str,
                 interval: float = 1.0) -> None:
        self.jobs = jobs
        self._now = now
        self._region = region
        self._account = account
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        start = now()
        for job in jobs:
            job.next_due = job.schedule.next_after(start)

    def fire_due(self) -> list[str]:
        """Run every job whose due moment has passed on the business clock; returns their names."""
        fired = []
        with self._lock:
            now = self._now()
            for job in self.jobs:
                if job.next_due is None or job.next_due > now:
                    continue
                event = scheduled_event(job.rule, job.next_due, region=self._region, account=self._account)
                job.next_due = job.schedule.next_after(now)
                job.runs += 1
                fired.append(job.name)
                try:
                    job.run(event)
                except Exception:
                    log.exception("schedule %s failed", job.name)
        return fired

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.fire_due()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="schedules", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
