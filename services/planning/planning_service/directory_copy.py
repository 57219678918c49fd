"""Planning's copy of the directory facts it needs, kept from auth's events (never read from auth's table).

Handlers are idempotent (the consumer already skips a seen event id) and order-tolerant: an event
older than the copy it would overwrite is ignored, so a late redelivery cannot undo a newer change.
"""

from __future__ import annotations

from planning_service.store import ChildCopyItem, GroupCopyItem, LocationCopyItem
from portal_common import store
from portal_common.events import Envelope


def on_group_changed(env: Envelope) -> None:
    payload = env.payload
    store.save_unless_older(GroupCopyItem(store.key(env.tenant, "GRP", payload["group_id"]), "GROUP",
                               group_id=payload["group_id"], location_id=payload["location_id"], name=payload["name"],
                               capacity={k: int(v) for k, v in payload["capacity"].items()},
                               as_of=env.occurred_at.isoformat()))


def on_child(env: Envelope) -> None:
    """`auth.child.placed` and `auth.child.updated` both carry the child's name and birth date."""
    payload = env.payload
    store.save_unless_older(ChildCopyItem(store.key(env.tenant, "CHILD", payload["child_id"]), "CHILD",
                               child_id=payload["child_id"], name=payload["child_name"],
                               birth_date=payload["birth_date"], as_of=env.occurred_at.isoformat()))


def on_location_changed(env: Envelope) -> None:
    payload = env.payload
    store.save_unless_older(LocationCopyItem(store.key(env.tenant, "LOC", payload["location_id"]), "LOCATION",
                                  location_id=payload["location_id"], name=payload["name"],
                                  registration_number=payload.get("registration_number"),
                                  as_of=env.occurred_at.isoformat()))


def group(tenant: str, group_id: str) -> GroupCopyItem | None:
    try:
        return GroupCopyItem.get(store.key(tenant, "GRP", group_id), "GROUP")
    except GroupCopyItem.DoesNotExist:
        return None


def child(tenant: str, child_id: str) -> ChildCopyItem | None:
    try:
        return ChildCopyItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
    except ChildCopyItem.DoesNotExist:
        return None


def location(tenant: str, location_id: str) -> LocationCopyItem | None:
    try:
        return LocationCopyItem.get(store.key(tenant, "LOC", location_id), "LOCATION")
    except LocationCopyItem.DoesNotExist:
        return None


def child_names(tenant: str, child_ids: set[str]) -> dict[str, str]:
    """Names of several children in one BatchGetItem (staff views)."""
    if not child_ids:
        return {}
    keys = [(store.key(tenant, "CHILD", c), "CHILD") for c in sorted(child_ids)]
    return {item.child_id: item.name for item in ChildCopyItem.batch_get(keys)}


HANDLERS = {"auth.group.changed": on_group_changed, "auth.child.placed": on_child, "auth.child.updated": on_child,
            "auth.location.changed": on_location_changed}


def locations(tenant: str, location_ids: set[str]) -> dict[str, LocationCopyItem]:
    """Several locations in one BatchGetItem (invoices and statements name them)."""
    keys = [(store.key(tenant, "LOC", loc), "LOCATION") for loc in sorted(location_ids)]
    return {item.location_id: item for item in LocationCopyItem.batch_get(keys)} if keys else {}


def children(tenant: str, child_ids: set[str]) -> dict[str, ChildCopyItem]:
    """Several children in one BatchGetItem (names and birth dates for invoices and statements)."""
    keys = [(store.key(tenant, "CHILD", c), "CHILD") for c in sorted(child_ids)]
    return {item.child_id: item for item in ChildCopyItem.batch_get(keys)} if keys else {}
