"""The timeline's copy of the directory facts it needs, kept from auth's events (never read from auth).

- consents (`auth.consents.changed`): whether a child's photos and diary may be shown, and since when
  photo consent runs again after a withdrawal (`visibility.photos_from_after` decides it);
- placements (`auth.child.placed`, `auth.placement.changed`): which group a child was in on a day;
- names (`auth.child.placed`, `auth.child.updated`), and people's names and roles (`auth.user.changed`:
  who published a photo or wrote an entry, in a personal-data export);
- groups and their location (`auth.group.changed`).

Handlers get the payload parsed into auth's contract (`portal_common.contracts.auth`), are idempotent and
order-tolerant: a row carries the moment of the event it came from and an older event never overwrites a
newer row. Reads are consistent where a privacy decision hangs on them (a withdrawn consent must count at
once). The loaders below read what `visibility` decides on, in as few calls as they can.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal_common import events, store
from portal_common.contracts import auth
from portal_common.directory_copies import DirectoryCopies
from portal_common.domain import Missing
from portal_common.events import Envelope
from timeline_service import visibility
from timeline_service.store import (
    ChildCopyItem,
    ConsentCopyItem,
    GroupCopyItem,
    PlacementCopyItem,
    UserNameCopyItem,
)


def _child_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "CHILD", child_id)


def consents(tenant: str, child_id: str) -> ConsentCopyItem | None:
    try:
        return ConsentCopyItem.get(_child_pk(tenant, child_id), "CONSENT", consistent_read=True)
    except ConsentCopyItem.DoesNotExist:
        return None


def consents_of(tenant: str, child_ids: set[str]) -> dict[str, ConsentCopyItem]:
    """The children's consents (one consistent BatchGetItem), by child id; a child without any is left out."""
    keys = [(_child_pk(tenant, c), "CONSENT") for c in sorted(child_ids)]
    return {c.child_id: c for c in ConsentCopyItem.batch_get(keys, consistent_read=True)} if keys else {}


def on_consents_changed(env: Envelope, changed: auth.ConsentsChanged) -> None:
    moment = changed.changed_at or env.occurred_at.isoformat()
    previous = consents(env.tenant, changed.child_id)
    store.save_unless_older(ConsentCopyItem(_child_pk(env.tenant, changed.child_id), "CONSENT",
                                            child_id=changed.child_id, photos=bool(changed.photos),
                                            diary=bool(changed.diary), outings=bool(changed.outings),
                                            photos_from=visibility.photos_from_after(previous, changed.photos,
                                                                                     moment),
                                            as_of=moment))


def on_user_changed(env: Envelope, changed: auth.UserChanged) -> None:
    """Name and role only: nothing else of the account is kept."""
    store.save_unless_older(UserNameCopyItem(store.key(env.tenant, "USER", changed.user_id), "USER",
                                             user_id=changed.user_id, name=changed.name, role=changed.role,
                                             as_of=env.occurred_at.isoformat()))


def user_names(tenant: str, user_ids: Iterable[str]) -> list[UserNameCopyItem]:
    """The name copies of these people (one BatchGetItem; a string that cannot be an id names nobody)."""
    keys = [(store.key(tenant, "USER", u), "USER") for u in sorted(set(user_ids)) if store.SEPARATOR not in u]
    return list(UserNameCopyItem.batch_get(keys, consistent_read=True)) if keys else []


# Names and placements: the shared keeper (portal_common.directory_copies), on this service's items.
COPIES = DirectoryCopies(ChildCopyItem, PlacementCopyItem, group_model=GroupCopyItem)
group = COPIES.group
placements = COPIES.placements
groups_on = COPIES.groups_on
child = COPIES.child
covers = COPIES.covers


def known_placements(tenant: str, child_id: str) -> list[PlacementCopyItem]:
    """The child's placements; `Missing` for a child the timeline never had placed (an admin's typo, another
    tenant's id): nothing to show, nobody's."""
    found = placements(tenant, child_id)
    if not found:
        raise Missing("not_found")
    return found


def group_locations(tenant: str, group_ids: Iterable[str]) -> dict[str, str]:
    """The groups' locations (the copies of auth's groups), one BatchGetItem."""
    keys = [(store.key(tenant, "GRP", g), "GROUP") for g in sorted(set(group_ids))]
    return {g.group_id: g.location_id for g in GroupCopyItem.batch_get(keys)} if keys else {}


def placements_of(tenant: str, child_ids: Iterable[str]) -> list[PlacementCopyItem]:
    """The children's placements (one Query a child): where a guardian's group photos come from."""
    return [p for c in sorted(set(child_ids)) for p in placements(tenant, c)]


HANDLERS = {**events.handlers((auth.ConsentsChanged, on_consents_changed), (auth.UserChanged, on_user_changed)),
            **COPIES.handlers}
