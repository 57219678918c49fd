"""The purge's record (`<t>#PURGE#<child>` / `<photo>`): the photos of a child being purged."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from portal_common import store
from timeline_service.store import TimelineItem


class PurgeMarkItem(TimelineItem):
    """A photo of a child being purged, with its day and tagged children, written before the purge deletes
    anything: photo rows and files are keyed by the photo alone, so this is how the purge's check (and a
    repeated purge) still finds a photo whose feed entries are already gone. Deleted once the check is clean."""

    photo_id = UnicodeAttribute()
    date = UnicodeAttribute(null=True)
    child_ids = JSONAttribute(default=list)


def marks_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "PURGE", child_id)
