"""Published photos (`<t>#PHOTO#<photo>`) and who opened them (`<t>#PHOTOLOG#<child>`), with their reads.

A photo row is written with its feed entries when its upload is published (`uploads/processing.py`); its
files are in the photos bucket (`photos/files.py`). Full-size views and downloads are written to each tagged
child's access log, which the child's guardians read: something no peer product offers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from portal_common import clock, ids, store
from portal_common.authz import Principal
from timeline_service.store import TimelineItem


class PhotoItem(TimelineItem):
    """A processed photo: metadata-free JPEG derivatives (`keys`: thumb, medium, full) in the photos bucket."""

    photo_id = UnicodeAttribute()
    upload_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    date = UnicodeAttribute()
    child_ids = JSONAttribute(default=list)
    keys = JSONAttribute(default=dict)
    width = NumberAttribute()
    height = NumberAttribute()
    uploaded_by = UnicodeAttribute()
    published_at = UnicodeAttribute()


class PhotoAccessItem(TimelineItem):
    """Who viewed a photo full size or downloaded it, for the guardians of the children in it."""

    photo_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    action = UnicodeAttribute()  # view | download
    at = UnicodeAttribute()


def photo_pk(tenant: str, photo_id: str) -> str:
    return store.key(tenant, "PHOTO", photo_id)


def get_photo(tenant: str, photo_id: str) -> PhotoItem | None:
    try:
        return PhotoItem.get(photo_pk(tenant, photo_id), "PHOTO")
    except PhotoItem.DoesNotExist:
        return None


def get_photos(tenant: str, photo_ids: list[str]) -> dict[str, PhotoItem]:
    keys = [(photo_pk(tenant, p), "PHOTO") for p in dict.fromkeys(photo_ids)]
    return {p.photo_id: p for p in PhotoItem.batch_get(keys)} if keys else {}


def record_access(principal: Principal, photos: Iterable[PhotoItem], action: str) -> None:
    """Full-size views or downloads, in each tagged child's access log (the guardians read it): one batch."""
    now = clock.now().isoformat()
    with PhotoAccessItem.batch_write() as batch:
        for photo, child_id in ((p, c) for p in photos for c in p.child_ids):
            batch.save(PhotoAccessItem(store.key(principal.tenant, "PHOTOLOG", child_id), f"{now}#{ids.new_id()}",
                                       photo_id=photo.photo_id, child_id=child_id, user_id=principal.user_id,
                                       role=principal.role.value, action=action, at=now))


def access_log(tenant: str, child_id: str, *, limit: int,
               start: dict[str, Any] | None) -> tuple[list[PhotoAccessItem], Any]:
    """A child's photo access log, newest first: one Query per page (and where the next page starts)."""
    found = PhotoAccessItem.query(store.key(tenant, "PHOTOLOG", child_id), scan_index_forward=False, limit=limit,
                                  **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key
