"""The timeline's copy of the directory facts it needs, kept from auth's events (never read from auth).

- consents (`auth.consents.changed`): whether a child's photos and diary may be shown, and since when
  photo consent runs again after a withdrawal (see `ConsentCopyItem`);
- placements (`auth.child.placed`, `auth.placement.changed`): which group a child was in on a day;
- names (`auth.child.placed`, `auth.child.updated`);
- groups and their location (`auth.group.changed`).

Handlers are idempotent and order-tolerant: a row carries the moment of the event it came from and
an older event never overwrites a newer row. Reads are consistent where a privacy decision hangs on
them (a withdrawn consent must count at once).
"""

from __future__ import annotations

from datetime import date

from chalicelib.store import ChildCopyItem, ConsentCopyItem, GroupCopyItem, PlacementCopyItem
from portal_common import store
from portal_common.events import Envelope


def _child_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "CHILD", child_id)


def consents(tenant: str, child_id: str) -> ConsentCopyItem | None:
    try:
        return ConsentCopyItem.get(_child_pk(tenant, child_id), "CONSENT", consistent_read=True)
    except ConsentCopyItem.DoesNotExist:
        return None


def on_consents_changed(env: Envelope) -> None:
    payload = env.payload
    moment = payload.get("changed_at") or env.occurred_at.isoformat()
    previous = consents(env.tenant, payload["child_id"])
    photos_from = previous.photos_from if previous else None
    if previous is not None and not previous.photos and payload["photos"] and previous.as_of <= moment:
        photos_from = moment  # consent given again: only photos published from now on
    store.save_unless_older(ConsentCopyItem(_child_pk(env.tenant, payload["child_id"]), "CONSENT",
                                 child_id=payload["child_id"], photos=bool(payload["photos"]),
                                 diary=bool(payload["diary"]), outings=bool(payload["outings"]),
                                 photos_from=photos_from, as_of=moment))


def on_child_placed(env: Envelope) -> None:
    on_child_updated(env)  # both carry the child's name
    _save_placement(env)


def on_child_updated(env: Envelope) -> None:
    payload = env.payload
    store.save_unless_older(ChildCopyItem(_child_pk(env.tenant, payload["child_id"]), "CHILD",
                                          child_id=payload["child_id"], name=payload["child_name"],
                                          as_of=env.occurred_at.isoformat()))


def on_placement_changed(env: Envelope) -> None:
    payload = env.payload
    previous_start = payload.get("previous_start")
    if previous_start and previous_start != payload["start"]:
        PlacementCopyItem(_child_pk(env.tenant, payload["child_id"]), f"PLACEMENT#{previous_start}").delete()
    _save_placement(env)


def _save_placement(env: Envelope) -> None:
    payload = env.payload
    store.save_unless_older(PlacementCopyItem(
        _child_pk(env.tenant, payload["child_id"]), f"PLACEMENT#{payload['start']}", child_id=payload["child_id"],
        group_id=payload["group_id"], location_id=payload["location_id"], start=payload["start"],
        end=payload.get("end"), as_of=env.occurred_at.isoformat()))


def placements(tenant: str, child_id: str) -> list[PlacementCopyItem]:
    return list(PlacementCopyItem.query(_child_pk(tenant, child_id), PlacementCopyItem.sk.startswith("PLACEMENT#")))


def groups_on(tenant: str, child_id: str, day: date) -> set[str]:
    """The groups the child was placed in on `day` (usually one; two on the day of a move)."""
    iso = day.isoformat()
    return {p.group_id for p in placements(tenant, child_id) if p.start <= iso and (p.end is None or iso <= p.end)}


def on_group_changed(env: Envelope) -> None:
    payload = env.payload
    store.save_unless_older(GroupCopyItem(store.key(env.tenant, "GRP", payload["group_id"]), "GROUP",
                               group_id=payload["group_id"], location_id=payload["location_id"], name=payload["name"],
                               as_of=env.occurred_at.isoformat()))


def child(tenant: str, child_id: str) -> ChildCopyItem | None:
    try:
        return ChildCopyItem.get(_child_pk(tenant, child_id), "CHILD")
    except ChildCopyItem.DoesNotExist:
        return None


def group(tenant: str, group_id: str) -> GroupCopyItem | None:
    try:
        return GroupCopyItem.get(store.key(tenant, "GRP", group_id), "GROUP")
    except GroupCopyItem.DoesNotExist:
        return None


HANDLERS = {"auth.group.changed": on_group_changed, "auth.consents.changed": on_consents_changed,
            "auth.child.placed": on_child_placed, "auth.child.updated": on_child_updated,
            "auth.placement.changed": on_placement_changed}
