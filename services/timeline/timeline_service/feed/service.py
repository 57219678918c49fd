"""A child's feed, the photos' facts and files, and the loaders of what `visibility` decides on.

Who sees what is `visibility.may_see`'s alone; this module loads its facts (consents, a guardian's children's
placements, the groups' locations) in as few calls as it can and asks it about every item.

**The feed** of one child, or all the parent's children merged: photos and diary entries mixed, newest
first, cursor-paged. Per child one Query of its placements, one of its own partition and one per
placement of its group's partition (within the placement's dates; staff and managers skip the groups they
could not see anyway), each from the cursor on and at most a page long, then one BatchGetItem of the
consents of every child on the page (and, for a manager and entries stored before they carried their
location, one of their groups): a page's cost does not grow with the history. The caller's rule then
filters the page, so a page may come back shorter than asked; the cursor moves on past everything
examined, so paging always ends. Positions are (sort key, item id): two children's reports of one day
share a sort key, and neither is skipped at a page's edge. Photo URLs are presigned for `URL_SECONDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from portal_common import clock, files, ids, store
from portal_common.authz import Principal, Role
from portal_common.settings import get_settings
from timeline_service import directory_copy, visibility
from timeline_service.store import (
    ConsentCopyItem,
    FeedEntryItem,
    GroupCopyItem,
    PhotoAccessItem,
    PhotoItem,
    PlacementCopyItem,
)

URL_SECONDS = 600  # image links live 10 minutes (at most 15)
PHOTOS = "photos"
ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
PHOTO_ID = re.compile(r"^pho-[a-z0-9]{26}$")
TEMPORARY = "tmp"  # objects under tmp/ expire after a day (the buckets' lifecycle rule)


def partitions_of(tenant: str, group_id: str, child_ids: list[str]) -> list[str]:
    """Where a new photo's feed entries go: each tagged child's feed, or its group's when untagged."""
    if child_ids:
        return [store.key(tenant, "CHILDFEED", c) for c in child_ids]
    return [store.key(tenant, "GROUPFEED", group_id)]


def consents_of(tenant: str, child_ids: set[str]) -> dict[str, ConsentCopyItem]:
    keys = [(store.key(tenant, "CHILD", c), "CONSENT") for c in sorted(child_ids)]
    return {c.child_id: c for c in ConsentCopyItem.batch_get(keys, consistent_read=True)} if keys else {}


def group_locations(tenant: str, group_ids: Iterable[str]) -> dict[str, str]:
    """The groups' locations (the copies of auth's groups), one BatchGetItem."""
    keys = [(store.key(tenant, "GRP", g), "GROUP") for g in sorted(set(group_ids))]
    return {g.group_id: g.location_id for g in GroupCopyItem.batch_get(keys)} if keys else {}


def placements_of(tenant: str, child_ids: Iterable[str]) -> list[PlacementCopyItem]:
    """The children's placements (one Query a child): where a guardian's group photos come from."""
    return [p for c in sorted(set(child_ids)) for p in directory_copy.placements(tenant, c)]


def photo_placements(principal: Principal, item: visibility.Item) -> list[PlacementCopyItem]:
    """What the rule needs beyond consents for a photo: a guardian's children's placements, for a group photo."""
    if principal.role is Role.PARENT and item.kind == visibility.PHOTO and not item.child_ids:
        return placements_of(principal.tenant, principal.children)
    return []


def may_see(principal: Principal, photo: PhotoItem) -> bool:
    """`visibility.may_see` of one photo, with its facts loaded."""
    item = visibility.of_photo(photo)
    return visibility.may_see(principal, item, consents_of(principal.tenant, set(photo.child_ids)),
                              photo_placements(principal, item))


def get_photo(tenant: str, photo_id: str) -> PhotoItem | None:
    try:
        return PhotoItem.get(store.key(tenant, "PHOTO", photo_id), "PHOTO")
    except PhotoItem.DoesNotExist:
        return None


def get_photos(tenant: str, photo_ids: list[str]) -> dict[str, PhotoItem]:
    keys = [(store.key(tenant, "PHOTO", p), "PHOTO") for p in dict.fromkeys(photo_ids)]
    return {p.photo_id: p for p in PhotoItem.batch_get(keys)} if keys else {}


def record_access(principal: Principal, photos: Iterable[PhotoItem], action: str) -> None:
    """Full-size views or downloads, in each tagged child's access log (the guardians read it): one batch."""
    now = clock.now().isoformat()
    with PhotoAccessItem.batch_write() as batch:
        for photo, child_id in ((p, c) for p in photos for c in p.child_ids):
            batch.save(PhotoAccessItem(store.key(principal.tenant, "PHOTOLOG", child_id), f"{now}#{ids.new_id()}",
                                       photo_id=photo.photo_id, child_id=child_id, user_id=principal.user_id,
                                       role=principal.role.value, action=action, at=now))


def photos_bucket() -> str:
    return get_settings().bucket_name("timeline", PHOTOS)


def photo_key(tenant: str, photo_id: str, derivative: str) -> str:
    """Where a photo's derivative (thumb, medium, full) lives in the photos bucket."""
    return f"{tenant}/{photo_id}/{derivative}.jpg"


def download_key(tenant: str, child_id: str, diary_id: str) -> str:
    """Where a diary report's download page is rendered (temporary; the child's purge takes it too)."""
    return f"{TEMPORARY}/{tenant}/diary/{child_id}/{diary_id}.html"


def url(key: str, *, download_as: str | None = None) -> str:
    return files.download_url(photos_bucket(), key, seconds=URL_SECONDS, file_name=download_as)


Position = tuple[str, str]  # (sort key, item id) of the last entry a page examined


@dataclass(frozen=True)
class Page:
    entries: list[FeedEntryItem]  # what the viewer may see of the examined window
    photos: dict[str, list[str]]  # per entry: the ids of its photos the viewer may see (a photo entry: itself)
    next_position: Position | None  # None: nothing after this page


def _position(entry: FeedEntryItem) -> Position:
    return entry.sk, entry.item_id


def _children_of(entry: FeedEntryItem) -> set[str]:
    """Every child whose consent decides what of the entry shows."""
    return set(entry.child_ids) | {c for p in entry.photos or [] for c in p["child_ids"]}


def _reaches(viewer: Principal, placement: PlacementCopyItem) -> bool:
    """Whether the group's partition of a placement can hold anything the viewer may see (else: no Query)."""
    if viewer.role is Role.STAFF:
        return placement.group_id in viewer.groups
    if viewer.role is Role.MANAGER:
        return placement.location_id in viewer.locations
    return True


def _candidates(tenant: str, child_id: str, placements: list[PlacementCopyItem], before: Position | None,
                fetch: int, today: str, viewer: Principal) -> list[FeedEntryItem]:
    top = before[0] if before else f"{today}#~"  # "~" sorts after every photo id
    found = list(FeedEntryItem.query(store.key(tenant, "CHILDFEED", child_id), FeedEntryItem.sk <= top,
                                     scan_index_forward=False, limit=fetch))
    for placement in placements:
        upper = min(top, f"{min(placement.end or today, today)}#~")  # only while placed, never after its end
        if upper < placement.start or not _reaches(viewer, placement):
            continue
        found += FeedEntryItem.query(store.key(tenant, "GROUPFEED", placement.group_id),
                                     FeedEntryItem.sk.between(placement.start, upper), scan_index_forward=False,
                                     limit=fetch)
    return [e for e in found if before is None or _position(e) < before]


def _locations(tenant: str, entries: list[FeedEntryItem], viewer: Principal) -> dict[str, str]:
    """For a manager: the locations of the groups of entries stored before entries carried their location."""
    if viewer.role is not Role.MANAGER:
        return {}
    return group_locations(tenant, {e.group_id for e in entries if not e.location_id})


def page(tenant: str, child_ids: list[str], before: Position | None, limit: int, *, viewer: Principal | None = None,
         placements: dict[str, list[PlacementCopyItem]] | None = None) -> Page:
    """One page of the children's photos and diary entries that `viewer` may see, newest first.

    `before`: where the previous page ended (its `next_position`); `viewer`: who reads (by default a guardian
    of exactly these children: the family's own view); `placements`: the children's, when already loaded."""
    viewer = viewer or Principal(tenant, "", Role.PARENT, children=frozenset(child_ids))
    today = clock.today().isoformat()
    known = placements if placements is not None else {c: directory_copy.placements(tenant, c) for c in child_ids}
    stays = [p for c in child_ids for p in known.get(c, [])]
    candidates: dict[str, FeedEntryItem] = {}
    fetch = limit + 2  # one to know whether a next page exists, one for an entry tied with the cursor's sort key
    for child_id in child_ids:
        for entry in _candidates(tenant, child_id, known.get(child_id, []), before, fetch, today, viewer):
            candidates.setdefault(entry.item_id, entry)  # a photo of two siblings shows once
    ordered = sorted(candidates.values(), key=_position, reverse=True)
    window = ordered[:limit]
    consents = consents_of(tenant, {c for e in window for c in _children_of(e)})
    locations = _locations(tenant, window, viewer)
    kept, photos = [], {}
    for entry in window:
        item = visibility.of_entry(entry, entry.location_id or locations.get(entry.group_id))
        if not visibility.may_see(viewer, item, consents, stays):
            continue
        kept.append(entry)
        photos[entry.item_id] = [entry.item_id] if item.kind == visibility.PHOTO else [
            r["id"] for r in entry.photos or []
            if visibility.may_see(viewer, visibility.of_photo_ref(r, item), consents, stays)]
    return Page(kept, photos, _position(window[-1]) if len(ordered) > limit else None)
