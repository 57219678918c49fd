"""Who sees a photo, a diary report or a parent's entry: the timeline's one rule.

Every list (the feed, a child's diary, a group's day, the diary archive) and every item route (a photo's
view and download, a diary entry's read and download) asks `may_see` about each item it would show, with
the facts it loaded; none decides on its own. Pure functions: no AWS, no HTTP. The caller passes the
item's facts (`Item`), the consents of the children involved (`ConsentCopyItem`s by child id) and, for a
guardian and an untagged group photo, the placements of the guardian's children (`PlacementCopyItem`s).

1. Consent, for everyone: a photo shows only while *every* tagged child's photo consent covers its
   publication (`photos_from`: consent given again after a withdrawal brings back only later photos); a
   diary entry only while its child has diary consent.
2. Then the caller's relation to the *item* (never to the child's current group):
   - a guardian: the tagged photos and diary entries of their own children; an untagged group photo of a
     group one of their children was placed in on the photo's day;
   - staff: items of their own groups (the group the item was made in);
   - a manager: items of groups at their locations (the location stored with the item);
   - an admin: every item of the tenant (items are read by tenant-prefixed keys only).
3. Of an item the caller sees, a parent is shown only their own children's ids (`shown_children`).

`photos_from` itself is set here too (`photos_from_after`, when a consent change is kept), so the consent
rule is read and written in one place. Unit tests: `tests/test_timeline_visibility_rules.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from portal_common.authz import Principal, Role

PHOTO, DIARY = "photo", "diary"


@dataclass(frozen=True)
class Item:
    """What the rule needs to know of a photo or a diary entry."""

    kind: str  # photo | diary
    group_id: str
    location_id: str | None  # None: not known, so no manager sees it
    date: str  # the day it shows (YYYY-MM-DD)
    child_ids: tuple[str, ...]  # a photo's tagged children (none: a group photo); a diary entry's child
    published_at: str = ""  # a photo's publication (its consent must cover it)


def photo_consent(child_ids: Iterable[str], published_at: str, consents: Mapping[str, Any]) -> bool:
    """Every tagged child's photo consent covers a photo published at `published_at` (untagged: no one's needed)."""
    for child_id in child_ids:
        found = consents.get(child_id)
        if found is None or not found.photos or (found.photos_from and published_at < found.photos_from):
            return False
    return True


def photos_from_after(previous: Any | None, photos: bool, moment: str) -> str | None:
    """`photos_from` of a child's consent once a change made at `moment` is kept (`previous`: the consent as
    kept until now, None when there was none): photo consent given again after a withdrawal starts afresh at
    `moment`, so a photo published before it stays hidden; otherwise `photos_from` stays what it was. An
    older change (`moment` before the kept one) restarts nothing: it is not kept at all."""
    if previous is not None and not previous.photos and photos and previous.as_of <= moment:
        return moment
    return previous.photos_from if previous is not None else None


def diary_consent(child_id: str, consents: Mapping[str, Any]) -> bool:
    found = consents.get(child_id)
    return bool(found and found.diary)


def consent_holds(item: Item, consents: Mapping[str, Any]) -> bool:
    if item.kind == DIARY:
        return bool(item.child_ids) and diary_consent(item.child_ids[0], consents)
    return photo_consent(item.child_ids, item.published_at, consents)


def placed(placement: Any, group_id: str, day: str) -> bool:
    return bool(placement.group_id == group_id and placement.start <= day
                and (placement.end is None or day <= placement.end))


def placed_on(placements: Iterable[Any], day: str) -> list[Any]:
    """The placements that cover `day` (YYYY-MM-DD): the child's groups that day (two on the day of a move)."""
    return [p for p in placements if p.start <= day and (p.end is None or day <= p.end)]


def via_child(principal: Principal, item: Item, placements: Iterable[Any] = ()) -> str | None:
    """The guardian's own child through whom they see the item (consent aside); None for no one."""
    if principal.role is not Role.PARENT:
        return None
    if item.child_ids:
        return next((c for c in item.child_ids if c in principal.children), None)
    if item.kind != PHOTO:
        return None
    return next((p.child_id for p in placements
                 if p.child_id in principal.children and placed(p, item.group_id, item.date)), None)


def related(principal: Principal, item: Item, placements: Iterable[Any] = ()) -> bool:
    """The caller's relation to the item itself (see the module's docstring), consent aside."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.MANAGER:
        return item.location_id is not None and item.location_id in principal.locations
    if principal.role is Role.STAFF:
        return item.group_id in principal.groups
    return via_child(principal, item, placements) is not None


def may_see(principal: Principal, item: Item, consents: Mapping[str, Any], placements: Iterable[Any] = ()) -> bool:
    """The rule: consent holds and the caller is related to the item."""
    return consent_holds(item, consents) and related(principal, item, placements)


def shown_children(principal: Principal, child_ids: Iterable[str]) -> list[str]:
    """The tagged children a caller is shown of an item they see: a parent only their own (never another
    family's child id); staff, managers and admins all."""
    if principal.role is Role.PARENT:
        return [c for c in child_ids if c in principal.children]
    return list(child_ids)


def guardian_of(tenant: str, child_id: str, user_id: str = "") -> Principal:
    """The view of a child's guardian (the diary archive is built for one)."""
    return Principal(tenant, user_id, Role.PARENT, children=frozenset({child_id}))


# -- an item's facts, from what the timeline stores ------------------------------------------------
def of_photo(photo: Any) -> Item:
    """A `PhotoItem`."""
    return Item(PHOTO, photo.group_id, photo.location_id, photo.date, tuple(photo.child_ids), photo.published_at)


def of_diary(row: Any, location_id: str | None) -> Item:
    """A `DiaryItem` (`location_id`: stored with it, or its group's for a row written before it was stored)."""
    return Item(DIARY, row.group_id, location_id, row.date, (row.child_id,), row.created_at)


def of_entry(entry: Any, location_id: str | None) -> Item:
    """A `FeedEntryItem` (a photo's or a diary entry's), with its location as for `of_diary`."""
    kind = DIARY if entry.kind == DIARY else PHOTO
    return Item(kind, entry.group_id, location_id, entry.date, tuple(entry.child_ids), entry.published_at)


def of_photo_ref(ref: Mapping[str, Any], entry: Item) -> Item:
    """A photo inside a diary entry (`{"id", "child_ids", "published_at", ...}`); a reference written before
    it carried its group, location and day is taken to be of the entry's (a report's photos are its day's)."""
    return Item(PHOTO, ref.get("group_id") or entry.group_id, ref.get("location_id") or entry.location_id,
                ref.get("date") or entry.date, tuple(ref["child_ids"]), ref["published_at"])
