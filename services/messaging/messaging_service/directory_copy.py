"""Messaging's copy of the directory facts it needs, kept from auth's events (never read from auth).

- children's names (`auth.child.placed`, `auth.child.updated`);
- placements (`auth.child.placed`, `auth.placement.changed`): a child's current group (where its
  guardians may write), and the children of a group or a location on a day (fan-out of news);
- families (`auth.guardian.linked` with the guardian's name, `auth.guardian.unlinked`,
  `auth.guardian.access_ended`): who takes part in a child's conversations; each guardian also keeps a
  row of the children they are or were a guardian of (the removal of their account finds them);
- groups (`auth.group.changed`) and their staff (`auth.staff.assigned`, which replaces a staff
  member's whole set of groups: the `STAFFOF` row remembers the set, so leaving a group is seen).

Handlers are idempotent and order-tolerant: every row (or, in a family, every guardian) carries the
moment of the event it came from, and an older event never overwrites a newer fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError

from messaging_service.store import (
    ChildCopyItem,
    FamilyCopyItem,
    GroupCopyItem,
    GroupStaffItem,
    GuardianOfItem,
    PlacementCopyItem,
    StaffOfItem,
)
from portal_common import clock, events, store
from portal_common.contracts.auth import (
    ChildPlaced,
    GuardianAccessEnded,
    GuardianLinked,
    GuardianUnlinked,
    PlacementChanged,
    StaffAssigned,
)
from portal_common.directory_copies import DirectoryCopies
from portal_common.events import Envelope

ATTEMPTS = 8


def _child_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "CHILD", child_id)


def _group_pk(tenant: str, group_id: str) -> str:
    return store.key(tenant, "GRP", group_id)


# -- children and placements ---------------------------------------------------------------------
def _placement_index(tenant: str, p: ChildPlaced | PlacementChanged) -> dict[str, Any]:
    """A group's and a location's children on a day are one Query each (fan-out, "children in a group")."""
    return {"gsi1pk": store.key(tenant, "GRPCHILDREN", p.group_id), "gsi1sk": f"{p.child_id}#{p.start}",
            "gsi2pk": store.key(tenant, "LOCCHILDREN", p.location_id), "gsi2sk": f"{p.child_id}#{p.start}"}


# The shared keeper (portal_common.directory_copies), on this service's items, read consistently: who may
# write where hangs on it.
COPIES = DirectoryCopies(ChildCopyItem, PlacementCopyItem, group_model=GroupCopyItem,
                         index=_placement_index)
group = COPIES.group
_covers = COPIES.covers
child_name = COPIES.child_name


def placements(tenant: str, child_id: str) -> list[PlacementCopyItem]:
    return COPIES.placements(tenant, child_id, consistent=True)


def groups_on(tenant: str, child_id: str, day: date) -> set[str]:
    """The groups the child was placed in on `day` (usually one)."""
    return COPIES.groups_on(tenant, child_id, day, consistent=True)


def current_group(tenant: str, child_id: str) -> str | None:
    """The group of today's placement: the only group whose staff the child's guardians may write to."""
    covering = sorted((p for p in placements(tenant, child_id) if _covers(p, clock.today())), key=lambda p: p.start)
    return covering[-1].group_id if covering else None


def child_names(tenant: str, child_ids: set[str]) -> dict[str, str]:
    """Names of several children: one BatchGetItem."""
    keys = [(_child_pk(tenant, c), "CHILD") for c in sorted(child_ids)]
    return {item.child_id: item.name for item in ChildCopyItem.batch_get(keys)} if keys else {}


def children_at_location(tenant: str, location_id: str, day: date) -> list[str]:
    """The children placed at a location on `day` (one paged Query of the location's placements)."""
    found: Iterable[PlacementCopyItem] = PlacementCopyItem.gsi2.query(  # type: ignore[assignment]
        store.key(tenant, "LOCCHILDREN", location_id))
    return sorted({p.child_id for p in found if _covers(p, day)})


def children_in_group(tenant: str, group_id: str, day: date) -> list[str]:
    """The children placed in a group on `day` (one paged Query of the group's placements)."""
    found: Iterable[PlacementCopyItem] = PlacementCopyItem.gsi1.query(  # type: ignore[assignment]
        store.key(tenant, "GRPCHILDREN", group_id))
    return sorted({p.child_id for p in found if _covers(p, day)})


# -- families ------------------------------------------------------------------------------------
def _family(tenant: str, child_id: str) -> FamilyCopyItem | None:
    try:
        return FamilyCopyItem.get(_child_pk(tenant, child_id), "FAMILY", consistent_read=True)
    except FamilyCopyItem.DoesNotExist:
        return None


def _set_guardian(env: Envelope, link: GuardianLinked | GuardianUnlinked | GuardianAccessEnded, *,
                  active: bool) -> None:
    child_id, user_id, moment = link.child_id, link.user_id, env.occurred_at.isoformat()

    def change(family: FamilyCopyItem) -> bool:
        guardians: dict[str, Any] = dict(family.guardians or {})
        known = guardians.get(user_id)
        if known and known["as_of"] > moment:
            return False  # a newer event already decided about this guardian
        name = getattr(link, "user_name", None) or (known or {}).get("name", "")  # only a link names them
        guardians[user_id] = {"name": name, "active": active, "as_of": moment}
        family.guardians = guardians
        return True

    pk = _child_pk(env.tenant, child_id)
    store.modify_versioned(FamilyCopyItem, pk, "FAMILY", change,
                           fresh=lambda: FamilyCopyItem(pk, "FAMILY", child_id=child_id, guardians={}))
    store.save_unless_older(GuardianOfItem(store.key(env.tenant, "USER", user_id), f"GUARDIAN#{child_id}",
                                           child_id=child_id, active=active, as_of=moment))


def on_guardian_linked(env: Envelope, linked: GuardianLinked) -> None:
    _set_guardian(env, linked, active=True)


def on_guardian_gone(env: Envelope, gone: GuardianUnlinked | GuardianAccessEnded) -> None:
    """Unlinked, or their access window closed: no longer a participant of the child's conversations."""
    _set_guardian(env, gone, active=False)


def _active(family: FamilyCopyItem | None) -> dict[str, str]:
    return {uid: g.get("name", "") for uid, g in (family.guardians if family else {}).items() if g.get("active")}


def every_guardian(tenant: str, child_id: str) -> dict[str, dict[str, Any]]:
    """user id → {"name", "active", "as_of"} of everyone who is or was the child's guardian (one GetItem)."""
    family = _family(tenant, child_id)
    return dict(family.guardians or {}) if family else {}


def children_of_guardian(tenant: str, user_id: str) -> list[str]:
    """The children the user is or was a guardian of (one Query of the user's partition)."""
    rows = GuardianOfItem.query(store.key(tenant, "USER", user_id), GuardianOfItem.sk.startswith("GUARDIAN#"),
                                consistent_read=True)
    return sorted(row.child_id for row in rows)


def guardians_of(tenant: str, child_id: str) -> dict[str, str]:
    """user id → name of the child's guardians who take part now (one GetItem)."""
    return _active(_family(tenant, child_id))


def families_of(tenant: str, child_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """child id → {user id → name} of its guardians taking part now (one BatchGetItem)."""
    wanted = sorted(set(child_ids))
    keys = [(_child_pk(tenant, c), "FAMILY") for c in wanted]
    found: dict[str, dict[str, str]] = {c: {} for c in wanted}
    for family in FamilyCopyItem.batch_get(keys, consistent_read=True) if keys else ():
        found[family.child_id] = _active(family)
    return found


# -- groups and their staff ----------------------------------------------------------------------
def groups(tenant: str, group_ids: set[str]) -> dict[str, GroupCopyItem]:
    """Several groups: one BatchGetItem."""
    keys = [(_group_pk(tenant, g), "GROUP") for g in sorted(group_ids)]
    return {item.group_id: item for item in GroupCopyItem.batch_get(keys)} if keys else {}


def staff_groups(tenant: str, user_id: str) -> StaffOfItem | None:
    try:
        return StaffOfItem.get(store.key(tenant, "USER", user_id), "STAFFOF", consistent_read=True)
    except StaffOfItem.DoesNotExist:
        return None


def on_staff_assigned(env: Envelope, assigned: StaffAssigned) -> None:
    """Put the staff member in the groups listed, take them out of the groups no longer listed."""
    tenant, moment = env.tenant, env.occurred_at.isoformat()
    user_id = assigned.user_id
    new = set(assigned.group_ids or ())
    for attempt in range(ATTEMPTS):
        previous = staff_groups(tenant, user_id)
        if previous is not None and previous.as_of > moment:
            return
        old = set(previous.group_ids) if previous else set()
        row = StaffOfItem(store.key(tenant, "USER", user_id), "STAFFOF", user_id=user_id, group_ids=sorted(new),
                          name=assigned.user_name or (previous.name if previous else ""),
                          role=assigned.role, as_of=moment)
        try:
            with store.transaction() as tx:
                tx.save(row, condition=StaffOfItem.pk.does_not_exist() if previous is None
                        else StaffOfItem.as_of == previous.as_of)
                for group_id in sorted(new):
                    tx.save(GroupStaffItem(_group_pk(tenant, group_id), f"STAFF#{user_id}", group_id=group_id,
                                           user_id=user_id, name=row.name, role=row.role, as_of=moment))
                for group_id in sorted(old - new):
                    tx.delete(GroupStaffItem(_group_pk(tenant, group_id), f"STAFF#{user_id}"))
            return
        except TransactWriteError:
            store.backoff(attempt)  # another assignment of the same person at the same moment: read again
    raise RuntimeError(f"staff assignment of {user_id} stayed busy")


def staff_of(tenant: str, group_id: str) -> dict[str, str]:
    """user id → name of the group's staff (one Query)."""
    return {s.user_id: s.name for s in GroupStaffItem.query(_group_pk(tenant, group_id),
                                                            GroupStaffItem.sk.startswith("STAFF#"),
                                                            consistent_read=True)}


def staff_member(tenant: str, group_id: str, user_id: str) -> GroupStaffItem | None:
    """The staff member's row in the group, or None when they do not work there (one GetItem)."""
    try:
        return GroupStaffItem.get(_group_pk(tenant, group_id), f"STAFF#{user_id}", consistent_read=True)
    except GroupStaffItem.DoesNotExist:
        return None


HANDLERS = {
    **COPIES.handlers,
    **events.handlers((GuardianLinked, on_guardian_linked), (GuardianUnlinked, on_guardian_gone),
                      (GuardianAccessEnded, on_guardian_gone), (StaffAssigned, on_staff_assigned)),
}
