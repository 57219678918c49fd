"""What a month costs a family: pure arithmetic on contracts and billable days, in integer cents.

- **Contracted care** (regular contracts) is billed as Dutch organisations do: the yearly amount in
  equal monthly parts. The yearly hours are the weekly contracted hours times the billed weeks per
  year (52 by default, a billing-profile number); a month's part is a twelfth of them. A contract that
  starts or ends within the month pays that part pro rata by calendar days.
- **Extra days paid by invoice** and **used flex hours** are the billable days planning wrote when it
  approved them (`BillableItem`, already rounded per day).

Every amount is rounded half up to a whole cent once, from exact integers (never floats); a line's
hours are whole minutes, rounded half up the same way.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from planning_service.care import wall_minutes

CARE, EXTRA, FLEX = "care", "extra", "flex"


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers (no floats anywhere)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Line:
    child_id: str
    kind: str  # care | extra | flex
    minutes: int
    rate_cents: int
    amount_cents: int
    location_id: str
    date: str | None = None  # extra and flex: the day of care
    start: str | None = None  # care: the first and last day of the month the line covers
    end: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Line:
        return cls(**{k: raw.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def month_bounds(period: str) -> tuple[date, date]:
    """"2026-10" → (1 October, 31 October)."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def weekly_minutes(days: dict[str, dict[str, str]]) -> int:
    """Contracted minutes per week (wall-clock times: a DST night does not change what is billed)."""
    return sum(wall_minutes(times["end"]) - wall_minutes(times["start"]) for times in days.values())


def care_line(contract: Any, period: str, weeks_per_year: int) -> Line | None:
    """A regular contract's part of the month, or None when it does not run in it (or is flex)."""
    if contract.product != "regular":
        return None
    first, last = month_bounds(period)
    start = max(first, date.fromisoformat(contract.start))
    end = min(last, date.fromisoformat(contract.end)) if contract.end else last
    if start > end:
        return None
    covered, month_days = (end - start).days + 1, last.day
    yearly_minutes = weekly_minutes(contract.days or {}) * weeks_per_year
    rate = int(contract.hourly_rate_cents)
    return Line(child_id=contract.child_id, kind=CARE, location_id=contract.location_id, rate_cents=rate,
                minutes=half_up(yearly_minutes * covered, 12 * month_days),
                amount_cents=half_up(yearly_minutes * rate * covered, 60 * 12 * month_days),
                start=start.isoformat(), end=end.isoformat())


def billable_line(item: Any, fallback_location: str) -> Line:
    return Line(child_id=item.child_id, kind=item.kind, minutes=int(item.minutes),
                rate_cents=int(item.hourly_rate_cents), amount_cents=int(item.amount_cents),
                location_id=item.location_id or fallback_location, date=item.date)


def lines_for(child_ids: tuple[str, ...], period: str, contracts: list[Any], billables: list[Any],
              weeks_per_year: int) -> list[Line]:
    """Every line of the month for these children: care per contract, then their days in date order."""
    mine = set(child_ids)
    location_of = {c.child_id: c.location_id for c in sorted(contracts, key=lambda c: c.start)}
    lines = [line for c in sorted(contracts, key=lambda c: (c.child_id, c.start)) if c.child_id in mine
             for line in [care_line(c, period, weeks_per_year)] if line is not None]
    lines += [billable_line(b, location_of.get(b.child_id, "")) for b in
              sorted(billables, key=lambda b: (b.child_id, b.date, b.request_id)) if b.child_id in mine]
    return lines


def total(lines: list[Line]) -> int:
    return sum(line.amount_cents for line in lines)


@dataclass(frozen=True)
class StatementRow:
    location_id: str
    kind: str
    rate_cents: int
    minutes: int
    amount_cents: int


def statement_rows(lines: list[Line]) -> list[StatementRow]:
    """A year's invoice lines of one child summed per location, kind of care and hourly rate (the
    childcare benefit asks for hours and the hourly rate; a rate change in the year gives two rows)."""
    sums: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        kind = FLEX if line.kind == FLEX else CARE  # extra days are day care at the contract's rate
        entry = sums[(line.location_id, kind, line.rate_cents)]
        entry[0] += line.minutes
        entry[1] += line.amount_cents
    return [StatementRow(loc, kind, rate, minutes, amount)
            for (loc, kind, rate), (minutes, amount) in sorted(sums.items())]
