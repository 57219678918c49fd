"""Request days (`DayItem`): the per-day rows of absences and extra/flex requests.

A child's days in a range are one Query on its partition; a group's days on one date one Query on
gsi1. Only the live statuses matter to the calendar and to capacity: an absence `reported`, a request
`pending` or `approved`; cancelled, rejected and expired days stay for the overview's history.
"""

from __future__ import annotations

from datetime import date

from planning_service.store import DayItem
from portal_common import store

LIVE = frozenset({"reported", "pending", "approved"})


def key(tenant: str, child_id: str, day: str, request_id: str) -> tuple[str, str]:
    return store.key(tenant, "CHILD", child_id), f"DAY#{day}#{request_id}"


def group_key(tenant: str, group_id: str, day: str, child_id: str, request_id: str) -> tuple[str, str]:
    return store.key(tenant, "GRP", group_id), f"DAY#{day}#{child_id}#{request_id}"


def of_child(tenant: str, child_id: str, start: date, end: date, *, live_only: bool = True) -> list[DayItem]:
    found = DayItem.query(store.key(tenant, "CHILD", child_id),
                          DayItem.sk.between(f"DAY#{start.isoformat()}", f"DAY#{end.isoformat()}~"))
    return [d for d in found if not live_only or d.status in LIVE]


def of_group(tenant: str, group_id: str, day: date, *, live_only: bool = True) -> list[DayItem]:
    found = DayItem.gsi1.query(store.key(tenant, "GRP", group_id), DayItem.gsi1sk.startswith(f"DAY#{day.isoformat()}#"))
    return [d for d in found if not live_only or d.status in LIVE]
