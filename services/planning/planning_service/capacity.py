"""A group's places on a day: capacity per half day, the children expected, absences, extra days.

Free places for a half day (morning, afternoon) = the group's capacity (planning's copy of auth's
group) minus the contract children expected that half (those reported absent free their place) minus
approved extra and flex days touching it. Pending requests take no place until approved; approval
checks again.

Cost: one GetItem (the group), one Query for the group's contracts started by that day (gsi1,
`CONTRACT#` ≤ the day) and one Query for that day's request and absence days (gsi1, `DAY#<date>#`).
No Scan. The contract Query is the one that grows: it reads every contract the group ever had that
started by that day (ended ones are filtered here), so its size follows the group's history (a few
hundred rows after years), not the day. Whether the location is open that day is the callers' check
(availability, submission and approval read the location's closing days), which keeps this at three
calls; on a closed day the numbers describe the contracts, not a day anyone comes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from planning_service import care, days, directory_copy
from planning_service.store import ContractItem, DayItem, GroupCopyItem
from portal_common import store

LIVE_BOOKINGS = frozenset({"pending", "approved"})


@dataclass(frozen=True)
class Expected:
    child_id: str
    start: str
    end: str
    absent: bool

    @property
    def parts(self) -> tuple[str, ...]:
        return care.parts_of_day(self.start, self.end)


@dataclass
class GroupDay:
    group_id: str
    day: date
    capacity: dict[str, int]
    expected: list[Expected] = field(default_factory=list)
    booked: list[DayItem] = field(default_factory=list)  # extra and flex days, pending or approved
    names: dict[str, str] = field(default_factory=dict)

    @property
    def places(self) -> dict[str, dict[str, int]]:
        """Per half day: capacity, children expected (absent ones not counted), approved extras, free."""
        result = {}
        for part in care.HALVES:
            present = sum(1 for e in self.expected if not e.absent and part in e.parts)
            extra = sum(1 for d in self.booked if d.status == "approved" and part in care.parts_of_day(d.start, d.end))
            cap = int(self.capacity.get(part, 0))
            result[part] = {"capacity": cap, "expected": present, "extra": extra, "free": cap - present - extra}
        return result

    def free(self) -> dict[str, int]:
        return {part: numbers["free"] for part, numbers in self.places.items()}


def group_day(tenant: str, group_id: str, day: date, *, exclude_request: str | None = None,
              group: GroupCopyItem | None = None) -> GroupDay:
    """The group's day; `exclude_request` leaves one request's own days out (its approval re-check).
    Pass `group` when the caller already read planning's copy of it."""
    group = group or directory_copy.group(tenant, group_id)
    view = GroupDay(group_id, day, dict(group.capacity) if group else {})
    found = days.of_group(tenant, group_id, day)
    absent = {d.child_id for d in found if d.kind == "absence"}
    view.booked = [d for d in found if d.kind in ("extra", "flex") and d.status in LIVE_BOOKINGS
                   and d.request_id != exclude_request]
    contracts = ContractItem.gsi1.query(store.key(tenant, "GRP", group_id),
                                        ContractItem.gsi1sk.between("CONTRACT#", f"CONTRACT#{day.isoformat()}~"))
    for contract in contracts:
        if not care.within(day, contract.start, contract.end):
            continue
        times = care.times_on(contract.days or {}, day)
        if times is not None:
            view.expected.append(Expected(contract.child_id, times[0], times[1], contract.child_id in absent))
    view.expected.sort(key=lambda e: (e.start, e.child_id))
    return view


def free_places(tenant: str, group_id: str, day: date, *, exclude_request: str | None = None) -> dict[str, int]:
    return group_day(tenant, group_id, day, exclude_request=exclude_request).free()


def has_room(free: dict[str, int], start: str, end: str) -> bool:
    """Whether a stay from `start` to `end` finds a free place in every half day it touches."""
    return all(free.get(part, 0) >= 1 for part in care.parts_of_day(start, end))
