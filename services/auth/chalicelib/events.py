"""Events the auth service publishes: the directory facts other services keep a copy of."""

from __future__ import annotations

from portal_common.events import EventPayload, event_type

OWNER = "auth"


@event_type("auth.child.placed", owner=OWNER)
class ChildPlaced(EventPayload):
    """A child was placed in a group (a new placement, or a move to another group)."""

    child_id: str
    child_name: str
    birth_date: str
    group_id: str
    location_id: str
    start: str
    end: str | None = None


@event_type("auth.guardian.linked", owner=OWNER)
class GuardianLinked(EventPayload):
    child_id: str
    user_id: str


@event_type("auth.staff.assigned", owner=OWNER)
class StaffAssigned(EventPayload):
    """A staff member's groups (or a manager's locations) were set."""

    user_id: str
    role: str
    group_ids: list[str]
    location_ids: list[str]


PUBLISHES = (ChildPlaced, GuardianLinked, StaffAssigned)
