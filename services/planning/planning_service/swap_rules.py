"""Swap hours (ruil- en inhaaluren): when an absence earns them, how long they last, which are used.

Pure: no I/O. The rules (BRIEF, "Rules the manual leaves open"; every number a per-organisation setting):
- an absence earns the contracted hours of that day when it is on a contracted care day, the location
  is open that day, and it is reported at least `notice_hours` (default 24) before that day's care
  starts. The comparison is between instants (UTC), so "24 hours before" is 24 real hours also across
  a daylight-saving switch. Exactly `notice_hours` before still earns; one second later does not;
- later or same-day reports are accepted (the care is cancelled) but earn nothing;
- earned hours are valid `validity_days` (default 365) from the absent day: usable on any date up to
  and including `valid_until = absent day + validity_days`, and expire the day after;
- oldest hours are used first: lots valid on the requested date, earliest `valid_until` first;
- a request is paid entirely with swap hours or entirely on invoice: `allocate` returns a complete
  allocation or None, never a part (the caller then invoices, or refuses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from planning_service import care
from portal_common import clock, errors

EARNED = "earned"
LATE = "late"
CLOSED = "closed"
NOT_CONTRACTED = "not_contracted"


@dataclass(frozen=True)
class SwapSettings:
    notice_hours: int = 24
    validity_days: int = 365

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> SwapSettings:
        """From an organisation's settings (`swap_hours_notice_hours`, `swap_hours_validity_days`)."""
        notice = int(settings.get("swap_hours_notice_hours", cls.notice_hours))
        validity = int(settings.get("swap_hours_validity_days", cls.validity_days))
        if notice < 0 or validity < 0:
            raise ValueError("swap-hour settings cannot be negative")
        return cls(notice, validity)


DEFAULTS = SwapSettings()
_NO_CLOSURES: Mapping[date, str] = MappingProxyType({})


@dataclass(frozen=True)
class AbsenceOutcome:
    """What reporting an absence for one day does: the care cancelled and the swap hours earned."""

    day: date
    outcome: str                       # earned | late | closed | not_contracted
    deregistered_minutes: int          # contracted care cancelled (0 when closed or not contracted)
    earned_minutes: int
    valid_until: date | None           # set when hours were earned
    deadline: datetime | None          # last instant a report earns hours (None without care)
    closed: str | None = None          # the closure reason key on a closed day

    @property
    def deregistered_hours(self) -> Decimal:
        return care.to_hours(self.deregistered_minutes)

    @property
    def earned_hours(self) -> Decimal:
        return care.to_hours(self.earned_minutes)

    @property
    def accepted(self) -> bool:
        """Whether the absence can be reported at all (only for contracted, open days)."""
        return self.outcome in (EARNED, LATE)


def notice_deadline(care_starts_at: datetime, notice_hours: int) -> datetime:
    """The last instant at which an absence still earns: `notice_hours` real hours before care starts."""
    if care_starts_at.tzinfo is None:
        raise ValueError("aware datetime required")
    return (care_starts_at.astimezone(UTC) - timedelta(hours=notice_hours)).astimezone(clock.AMSTERDAM)


def reported_in_time(reported_at: datetime, care_starts_at: datetime, notice_hours: int) -> bool:
    if reported_at.tzinfo is None:
        raise ValueError("aware datetime required")
    return reported_at.astimezone(UTC) <= notice_deadline(care_starts_at, notice_hours).astimezone(UTC)


def valid_until(absent_day: date, validity_days: int = DEFAULTS.validity_days) -> date:
    """The last date on which hours earned for `absent_day` can be used."""
    return absent_day + timedelta(days=validity_days)


def assess_care(day: date, care_day: care.CareDay | None, reported_at: datetime,
                settings: SwapSettings = DEFAULTS) -> AbsenceOutcome:
    """The outcome of an absence on `day`, given that day's contracted care (None: not contracted)."""
    if care_day is None:
        return AbsenceOutcome(day, NOT_CONTRACTED, 0, 0, None, None)
    deadline = notice_deadline(care_day.starts_at, settings.notice_hours)
    if care_day.closed is not None:
        return AbsenceOutcome(day, CLOSED, 0, 0, None, deadline, care_day.closed)
    if reported_in_time(reported_at, care_day.starts_at, settings.notice_hours):
        return AbsenceOutcome(day, EARNED, care_day.minutes, care_day.minutes,
                              valid_until(day, settings.validity_days), deadline)
    return AbsenceOutcome(day, LATE, care_day.minutes, 0, None, deadline)


def assess_absence(day: date, reported_at: datetime, *, days: Mapping[str, Mapping[str, str]],
                   contract_start: date | str, contract_end: date | str | None,
                   location_closures: Mapping[date, str] = _NO_CLOSURES,
                   settings: SwapSettings = DEFAULTS) -> AbsenceOutcome:
    """The outcome of an absence on `day` reported at `reported_at`, under a contract's days and period."""
    found = care.care_on(day, days, contract_start, contract_end, location_closures)
    return assess_care(day, found, reported_at, settings)


@dataclass(frozen=True)
class LotView:
    """What allocation needs of an earned lot: its id, validity and hours neither spent nor held."""

    lot_id: str
    valid_until: date
    available_minutes: int

    def usable_on(self, on_date: date) -> bool:
        return on_date <= self.valid_until and self.available_minutes > 0


def _oldest_first(lots: Iterable[LotView], on_date: date) -> list[LotView]:
    return sorted((lot for lot in lots if lot.usable_on(on_date)), key=lambda lot: (lot.valid_until, lot.lot_id))


def available_minutes(lots: Iterable[LotView], on_date: date) -> int:
    """Minutes usable for care on `on_date` (valid that day, not held)."""
    return sum(lot.available_minutes for lot in _oldest_first(lots, on_date))


def allocate(lots: Iterable[LotView], on_date: date, wanted_minutes: int) -> list[tuple[str, int]] | None:
    """Take `wanted_minutes` from lots valid on `on_date`, oldest `valid_until` first.

    Returns [(lot_id, minutes)] covering the whole amount, or None when the valid hours do not suffice
    (payment is never split between swap hours and invoice).
    """
    found = allocate_days(lots, [(on_date, wanted_minutes)])
    return None if found is None else [(lot_id, minutes) for lot_id, _day, minutes in found]


def allocate_days(lots: Iterable[LotView], wanted: Iterable[tuple[date, int]]) -> list[tuple[str, date, int]] | None:
    """Allocate several days of one request at once: [(lot_id, day, minutes)], or None if any day falls short.

    Days are served in date order, each from the lots valid on it, earliest `valid_until` first. That
    greedy order is optimal here: a lot valid until D serves any day up to D, so the hours that expire
    soonest go to the earliest days, and no other order fits a request this one cannot.
    """
    pool = {lot.lot_id: lot for lot in lots}
    taken: list[tuple[str, date, int]] = []
    for day, minutes in sorted(wanted):
        if minutes <= 0:
            raise ValueError("allocate a positive amount")
        left = minutes
        for lot in _oldest_first(pool.values(), day):
            part = min(left, lot.available_minutes)
            taken.append((lot.lot_id, day, part))
            pool[lot.lot_id] = LotView(lot.lot_id, lot.valid_until, lot.available_minutes - part)
            left -= part
            if left == 0:
                break
        if left:
            return None
    return taken


# The ledger's results (`ledger.py`), pure values: amounts in whole minutes, hours as decimals.

class NotEnoughHours(errors.Unprocessable):
    code = "not_enough_swap_hours"


class HoldNotFound(errors.NotFound):
    code = "swap_hold_not_found"


class HoldSettled(errors.Conflict):
    """Releasing a spent hold or spending a released one."""

    code = "swap_hold_settled"


class HoldExists(errors.Conflict):
    """A request holds hours once; holding other hours for it is refused."""

    code = "swap_hold_exists"


class OperationIdReused(errors.Conflict):
    code = "operation_id_reused"


class LedgerBusy(errors.Conflict):
    """Conflicting writes kept winning; nothing was applied. Safe to retry with the same operation id."""

    code = "ledger_busy"


@dataclass(frozen=True)
class Lot:
    lot_id: str
    valid_until: date
    earned_minutes: int
    free_minutes: int  # neither held, spent nor expired
    held_minutes: int
    source: str | None = None

    @property
    def remaining_minutes(self) -> int:
        return self.free_minutes + self.held_minutes


@dataclass(frozen=True)
class Hold:
    request_id: str
    days: tuple[tuple[date, int], ...]               # (date, minutes) the hours are for, in date order
    status: str                                      # held | released | spent
    allocations: tuple[tuple[str, date, int], ...]   # (lot id, its valid_until, minutes), oldest first

    @property
    def on_date(self) -> date:
        return self.days[0][0]

    @property
    def minutes(self) -> int:
        return sum(m for _day, m in self.days)

    @property
    def hours(self) -> Decimal:
        return care.to_hours(self.minutes)


@dataclass(frozen=True)
class Entry:
    kind: str  # earned | held | released | spent | expired
    minutes: int
    valid_until: date | None
    at: datetime
    ref: str | None  # the request, the absence (source) or the lot
    op_id: str
    lot_id: str | None

    @property
    def hours(self) -> Decimal:
        return care.to_hours(self.minutes)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "hours": self.hours, "valid_until": self.valid_until, "at": self.at,
                "ref": self.ref}


@dataclass(frozen=True)
class Balance:
    balance_minutes: int      # earned - spent - expired (held hours included)
    available_minutes: int    # neither held, spent nor expired, and valid on the asked date
    held_minutes: int
    entries: tuple[Entry, ...]
    lots: tuple[Lot, ...]

    @property
    def balance_hours(self) -> Decimal:
        return care.to_hours(self.balance_minutes)

    @property
    def available_hours(self) -> Decimal:
        return care.to_hours(self.available_minutes)

    @property
    def held_hours(self) -> Decimal:
        return care.to_hours(self.held_minutes)
