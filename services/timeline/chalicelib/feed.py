"""Who sees which photo, and a parent's feed.

**Who sees a photo** (`may_see`):
- a tagged photo: a guardian of one of the tagged children, and staff of its group (managers: of its
  location; admins) — and only while *every* tagged child has photo consent that covers the photo's
  publication (`photos_from`): a withdrawal hides the photo from every timeline at the next read;
- an untagged group photo: the guardians of the children placed in that group on the photo's day.

**Diary entries** (a day's report, a parent's entry) show while their child has diary consent; each photo
in them shows only while its own tagged children's photo consent covers it.

**The feed** of one child, or all the parent's children merged: photos and diary entries mixed, newest
first, cursor-paged. Per child
one Query of its own partition and one per placement of its group's partition (within the placement's
dates), each from the cursor on and at most a page long, then one BatchGetItem of the tagged children's
consents: a page's cost does not grow with the history. Photo URLs are presigned for `URL_SECONDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib import directory_copy
from chalicelib.store import ConsentCopyItem, FeedEntryItem, PhotoAccessItem, PhotoItem
from portal_common import clock, files, ids, store
from portal_common.authz import Principal, Role
from portal_common.settings import get_settings

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


def consented(entry: Any, consents: dict[str, ConsentCopyItem]) -> bool:
    """Every tagged child's photo consent covers this photo (an untagged photo needs none).

    `entry` is a photo, a photo's feed entry or a diary entry's photo reference (a dict)."""
    child_ids = entry["child_ids"] if isinstance(entry, dict) else entry.child_ids
    published_at = entry["published_at"] if isinstance(entry, dict) else entry.published_at
    for child_id in child_ids:
        found = consents.get(child_id)
        if found is None or not found.photos or (found.photos_from and published_at < found.photos_from):
            return False
    return True


def shown(entry: FeedEntryItem, consents: dict[str, ConsentCopyItem]) -> bool:
    """A photo entry while its photo consent holds; a diary entry while its child's diary consent holds."""
    if entry.kind == "diary":
        found = consents.get(entry.child_ids[0])
        return bool(found and found.diary)
    return consented(entry, consents)


def visible_photos(entry: FeedEntryItem, consents: dict[str, ConsentCopyItem]) -> list[str]:
    """The ids of a feed entry's photos that may be shown now."""
    if entry.kind != "diary":
        return [entry.item_id]
    return [p["id"] for p in entry.photos or [] if consented(p, consents)]


def children_of(entry: FeedEntryItem) -> set[str]:
    """Every child whose consent decides what of the entry shows."""
    return set(entry.child_ids) | {c for p in entry.photos or [] for c in p["child_ids"]}


def may_see(principal: Principal, photo: PhotoItem) -> bool:
    if photo.child_ids and not consented(photo, consents_of(principal.tenant, set(photo.child_ids))):
        return False
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.MANAGER:
        return photo.location_id in principal.locations
    if principal.role is Role.STAFF:
        return photo.group_id in principal.groups
    if photo.child_ids:
        return bool(set(photo.child_ids) & principal.children)
    day = date.fromisoformat(photo.date)
    return any(photo.group_id in directory_copy.groups_on(principal.tenant, c, day) for c in principal.children)


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


@dataclass(frozen=True)
class Page:
    entries: list[FeedEntryItem]
    consents: dict[str, ConsentCopyItem]
    next_position: str | None


def _candidates(tenant: str, child_id: str, before: str | None, limit: int, today: str) -> list[FeedEntryItem]:
    upper = before or f"{today}#~"  # "~" sorts after every photo id
    found = list(FeedEntryItem.query(store.key(tenant, "CHILDFEED", child_id), FeedEntryItem.sk < upper,
                                     scan_index_forward=False, limit=limit))
    for placement in directory_copy.placements(tenant, child_id):
        last = min(placement.end or today, today)
        top = min(upper, f"{last}#~")
        found += FeedEntryItem.query(store.key(tenant, "GROUPFEED", placement.group_id),
                                     FeedEntryItem.sk.between(placement.start, top), scan_index_forward=False,
                                     limit=limit)
    return [e for e in found if e.sk != before and e.sk < upper]


def page(tenant: str, child_ids: list[str], before: str | None, limit: int) -> Page:
    """One page of the children's photos and diary entries, newest first; `before` is the last entry's sort key."""
    today = clock.today().isoformat()
    candidates: dict[str, FeedEntryItem] = {}
    for child_id in child_ids:
        for entry in _candidates(tenant, child_id, before, limit + 1, today):
            candidates.setdefault(entry.item_id, entry)  # a photo of two siblings shows once
    ordered = sorted(candidates.values(), key=lambda e: e.sk, reverse=True)
    window = ordered[:limit + 1]
    consents = consents_of(tenant, {c for e in window for c in children_of(e)})
    kept = [e for e in window[:limit] if shown(e, consents)]
    more = len(ordered) > limit
    return Page(kept, consents, window[limit - 1].sk if more else None)
