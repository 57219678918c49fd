"""A location's own closing days (holidays come from `opening_days`): stored per location, read per range.

One Query per location and range (`<t>#LOC#<location>`, `CLOSED#<from>` … `CLOSED#<to>`).
"""

from __future__ import annotations

from datetime import date

from planning_service.store import ClosureItem
from portal_common import store


def _pk(tenant: str, location_id: str) -> str:
    return store.key(tenant, "LOC", location_id)


def of_location(tenant: str, location_id: str, start: date, end: date) -> dict[date, str]:
    """The location's extra closing days in [start, end] → the manager's description."""
    found = ClosureItem.query(_pk(tenant, location_id),
                              ClosureItem.sk.between(f"CLOSED#{start.isoformat()}", f"CLOSED#{end.isoformat()}"))
    return {date.fromisoformat(item.date): item.description for item in found}


def item(tenant: str, location_id: str, day: date, description: str = "", created_by: str = "") -> ClosureItem:
    return ClosureItem(_pk(tenant, location_id), f"CLOSED#{day.isoformat()}", location_id=location_id,
                       date=day.isoformat(), description=description, created_by=created_by)
