"""Contracted care: a contract's weekdays and times expanded into care days; hours; parts of the day.

Pure: no I/O. A contract's `days` maps an ISO weekday ("1" = Monday … "7" = Sunday) to
`{"start": "HH:MM", "end": "HH:MM"}` in local time (Europe/Amsterdam); `start`/`end` are ISO dates,
both inclusive (`end` None: open-ended).

Hours are real elapsed time: both ends become aware instants with `clock.at` (zoneinfo resolves the
offset of that very day) and are subtracted in UTC. Subtracting two aware datetimes that share one
`ZoneInfo` would be wall-clock arithmetic and ignore the offset change, so it is never done here.
Care 07:30-18:30 lies outside the 02:00-03:00 switch and is 11 hours on every day, also on the
daylight-saving Sundays (29 March 2026: 23-hour day; 25 October 2026: 25-hour day); a range that
crosses the switch (00:00-12:00) is 11 real hours in March and 13 in October. A wall-clock time that
does not exist (02:30 on the March Sunday) is read with the offset before the switch (`fold=0`).

Amounts are integer minutes everywhere (no float drift); `to_hours` shows them as decimal hours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from planning_service import opening_days
from portal_common import clock

MORNING = "morning"
AFTERNOON = "afternoon"
WHOLE_DAY = "whole_day"
# Part of the day → (start, end), local wall-clock time.
PARTS: Mapping[str, tuple[str, str]] = MappingProxyType({
    MORNING: ("07:30", "13:00"),
    AFTERNOON: ("13:00", "18:30"),
    WHOLE_DAY: ("07:30", "18:30"),
})
HALVES = (MORNING, AFTERNOON)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_HUNDREDTH = Decimal("0.01")
_NO_CLOSURES: Mapping[date, str] = MappingProxyType({})


def wall_minutes(hhmm: str) -> int:
    """Minutes since local midnight of an "HH:MM" time (strict: two digits each, 00:00-23:59)."""
    match = _HHMM.match(hhmm or "")
    if not match:
        raise ValueError(f"not a time of day (HH:MM): {hhmm!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def check_range(start: str, end: str) -> None:
    if wall_minutes(start) >= wall_minutes(end):
        raise ValueError(f"a time range must end after it starts: {start}-{end}")


def starts_at(day: date, hhmm: str) -> datetime:
    """The aware instant of a local time on a day."""
    wall_minutes(hhmm)
    return clock.at(day, hhmm)


def minutes(start: str, end: str, day: date) -> int:
    """Real minutes of care from `start` to `end` on `day` (instants compared in UTC)."""
    check_range(start, end)
    begin = clock.at(day, start).astimezone(UTC)
    finish = clock.at(day, end).astimezone(UTC)
    return int((finish - begin).total_seconds()) // 60


def hours(start: str, end: str, day: date) -> Decimal:
    """Real hours of care from `start` to `end` on `day`, as a decimal (two places)."""
    return to_hours(minutes(start, end, day))


def to_hours(amount_minutes: int) -> Decimal:
    """Integer minutes shown as decimal hours, rounded to hundredths."""
    return (Decimal(int(amount_minutes)) / 60).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


class Minutes(int):
    """An amount already in whole minutes, passed where hours are accepted (`to_minutes` keeps it as is):
    contracted care of 07:31-18:30 is 659 minutes, which no two-decimal hour figure expresses exactly."""


def to_minutes(amount_hours: Any) -> int:
    """Hours (int, Decimal, numeric string; a float via its repr) as exact whole minutes, never negative.

    A `Minutes` value is already minutes and comes back unchanged."""
    if isinstance(amount_hours, Minutes):
        if amount_hours < 0:
            raise ValueError(f"minutes cannot be negative: {int(amount_hours)}")
        return int(amount_hours)
    try:
        value = Decimal(str(amount_hours)) * 60
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount of hours: {amount_hours!r}") from exc
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"hours must be whole minutes: {amount_hours!r}")
    if value < 0:
        raise ValueError(f"hours cannot be negative: {amount_hours!r}")
    return int(value)


def parts_of_day(start: str, end: str) -> tuple[str, ...]:
    """The halves of the day (morning, afternoon) that a local time range overlaps, in order.

    Touching at a boundary is no overlap: 07:30-13:00 is the morning only, 12:30-14:00 both.
    """
    check_range(start, end)
    lo, hi = wall_minutes(start), wall_minutes(end)
    touched = []
    for part in HALVES:
        part_lo, part_hi = (wall_minutes(t) for t in PARTS[part])
        if lo < part_hi and part_lo < hi:
            touched.append(part)
    return tuple(touched)


def part_label(start: str, end: str) -> str | None:
    """"morning", "afternoon", "whole_day" for a range, by the halves it overlaps (None: neither)."""
    touched = parts_of_day(start, end)
    if len(touched) == len(HALVES):
        return WHOLE_DAY
    return touched[0] if touched else None


@dataclass(frozen=True)
class CareDay:
    """One day of contracted care. `closed` holds the reason key when the location is closed."""

    day: date
    start: str
    end: str
    minutes: int
    closed: str | None = None
    contract_id: str | None = None

    @property
    def hours(self) -> Decimal:
        return to_hours(self.minutes)

    @property
    def parts(self) -> tuple[str, ...]:
        return parts_of_day(self.start, self.end)

    @property
    def starts_at(self) -> datetime:
        return clock.at(self.day, self.start)

    @property
    def ends_at(self) -> datetime:
        return clock.at(self.day, self.end)


def _as_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def times_on(days: Mapping[str, Mapping[str, str]], day: date) -> tuple[str, str] | None:
    """The contracted (start, end) on the weekday of `day`, or None."""
    entry = days.get(str(day.isoweekday()))
    if not entry:
        return None
    return entry["start"], entry["end"]


def within(day: date, contract_start: date | str, contract_end: date | str | None) -> bool:
    """Whether `day` lies in the contract period (both ends inclusive; no end: open-ended)."""
    first, last = _as_date(contract_start), _as_date(contract_end)
    if first is None:
        raise ValueError("a contract needs a start date")
    return first <= day and (last is None or day <= last)


def care_on(day: date, days: Mapping[str, Mapping[str, str]], contract_start: date | str,
            contract_end: date | str | None, location_closures: Mapping[date, str] = _NO_CLOSURES,
            *, contract_id: str | None = None) -> CareDay | None:
    """The contracted care on `day` (with `closed` set when the location is closed), or None."""
    if not within(day, contract_start, contract_end):
        return None
    times = times_on(days, day)
    if times is None:
        return None
    start, end = times
    return CareDay(day, start, end, minutes(start, end, day), opening_days.closed_reason(day, location_closures),
                   contract_id)


def care_days(days: Mapping[str, Mapping[str, str]], contract_start: date | str, contract_end: date | str | None,
              range_start: date, range_end: date, location_closures: Mapping[date, str] = _NO_CLOSURES,
              *, include_closed: bool = False, contract_id: str | None = None) -> list[CareDay]:
    """Care days of a contract in a date range (both inclusive), skipping closed days unless asked."""
    for weekday, entry in days.items():
        if weekday not in {"1", "2", "3", "4", "5", "6", "7"}:
            raise ValueError(f"not an ISO weekday: {weekday!r}")
        check_range(entry["start"], entry["end"])
    first = max(range_start, _as_date(contract_start) or range_start)
    last_contract = _as_date(contract_end)
    last = min(range_end, last_contract) if last_contract else range_end
    found = []
    if first > last:
        return found
    for day in opening_days.days_between(first, last):
        care = care_on(day, days, contract_start, contract_end, location_closures, contract_id=contract_id)
        if care is not None and (include_closed or care.closed is None):
            found.append(care)
    return found


def _field(contract: Any, name: str) -> Any:
    return contract.get(name) if isinstance(contract, Mapping) else getattr(contract, name, None)


def expand(contract: Any, range_start: date, range_end: date,
           location_closures: Mapping[date, str] = _NO_CLOSURES, *, include_closed: bool = False) -> list[CareDay]:
    """`care_days` for a contract item or mapping with `days`, `start`, `end` (and `contract_id`)."""
    return care_days(_field(contract, "days") or {}, _field(contract, "start"), _field(contract, "end"),
                     range_start, range_end, location_closures, include_closed=include_closed,
                     contract_id=_field(contract, "contract_id") or _field(contract, "id"))
