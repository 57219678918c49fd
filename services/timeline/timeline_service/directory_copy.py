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

from portal_common import store
from portal_common.directory_copies import DirectoryCopies
from portal_common.events import Envelope
from timeline_service.store import ChildCopyItem, ConsentCopyItem, GroupCopyItem, PlacementCopyItem


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


# Names and placements: the shared keeper (portal_common.directory_copies), on this service's items.
COPIES = DirectoryCopies(ChildCopyItem, PlacementCopyItem, group_model=GroupCopyItem)
group = COPIES.group
placements = COPIES.placements
groups_on = COPIES.groups_on
child = COPIES.child
covers = COPIES.covers


HANDLERS = {"auth.consents.changed": on_consents_changed, **COPIES.handlers}
