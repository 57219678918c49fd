"""What the photo routes do: find a photo the caller may see, hand out its links, and record who opened it.

Whether a caller sees a photo is `visibility.may_see`'s decision (consent, and the caller's relation to the
photo itself: a guardian's child in it or placed in its group that day, staff of its group, a manager of
its location), the same one the feed makes about every entry it lists. Anything else is `Missing`, the
same as a photo that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal_common.authz import Principal, Role
from portal_common.domain import Missing
from timeline_service import directory_copy, ids, visibility
from timeline_service.photos import files, rules
from timeline_service.photos.store import PhotoItem, get_photo, record_access
from timeline_service.store import PlacementCopyItem


@dataclass(frozen=True)
class Links:
    thumb_url: str
    medium_url: str
    full_url: str


def photo_placements(principal: Principal, item: visibility.Item) -> list[PlacementCopyItem]:
    """What the rule needs beyond consents for a photo: a guardian's children's placements, for a group photo."""
    if principal.role is Role.PARENT and item.kind == visibility.PHOTO and not item.child_ids:
        return directory_copy.placements_of(principal.tenant, principal.children)
    return []


def visible_photo(principal: Principal, photo_id: str) -> tuple[PhotoItem, str | None]:
    """The photo when the caller may see it, with the child through whom the caller reads it
    (`rules.authorizing_child`); `Missing` for anything else (another family, no consent, no photo)."""
    tenant = principal.tenant
    photo = get_photo(tenant, photo_id) if ids.is_id(photo_id) else None
    if photo is None:
        raise Missing("not_found")
    item = visibility.of_photo(photo)
    placements = photo_placements(principal, item)
    if not visibility.may_see(principal, item, directory_copy.consents_of(tenant, set(photo.child_ids)), placements):
        raise Missing("not_found")
    return photo, rules.authorizing_child(principal, item, placements)


def view(principal: Principal, photo: PhotoItem) -> Links:
    """The photo's links (10 minutes); the full-size view is recorded in each tagged child's access log."""
    record_access(principal, [photo], "view")
    return Links(thumb_url=files.url(photo.keys["thumb"]), medium_url=files.url(photo.keys["medium"]),
                 full_url=files.url(photo.keys["full"]))


def download(principal: Principal, photo: PhotoItem, now: datetime) -> tuple[str, datetime]:
    """A link that downloads the full photo as an attachment named after the caller's child and the day, and
    when it stops working; recorded as a download."""
    record_access(principal, [photo], "download")
    shown = visibility.shown_children(principal, photo.child_ids)
    child = directory_copy.child(principal.tenant, shown[0]) if shown else None
    name = rules.download_name(photo.date, tagged=bool(shown), child_name=child.name if child else None)
    return files.url(photo.keys["full"], download_as=name), now + timedelta(seconds=files.URL_SECONDS)
