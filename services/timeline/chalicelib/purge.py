"""Retention: when every guardian's access to a child has ended (`auth.child.retention_due`), the
timeline deletes everything it holds of that child, S3 objects included.

- every photo the child is tagged in: its three derivatives, the photo row, its feed entries in every
  tagged child's feed (a photo showing this child disappears from its classmates' timelines too);
- that photo's place in its classmates' diary reports of that day (the report stays, the photo goes);
- its diary (staff reports and parents' entries), its feed partition, its photo access log, its rendered
  downloads (`tmp/`), and the timeline's copies of its consents, placements and name.

Upload rows hold no image (raw files are deleted when processed) and expire 30 days after the upload
(TTL), so they need no purge of their own.

Untagged group photos are kept: they show the group, not the child. Deleting is idempotent (a
redelivered event finds less and deletes that), and `verify` says what is left, so the deletion is
checked, not assumed.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import archive, feed
from chalicelib.store import DiaryItem, FeedEntryItem, PhotoAccessItem, TimelineItem
from portal_common import aws, store
from portal_common.events import Envelope

log = logging.getLogger("timeline.purge")


def _child_rows(tenant: str, child_id: str) -> list[Any]:
    """Rows keyed by the child: its feed, its access log, and its facts (consents, placements, name)."""
    rows: list[Any] = list(FeedEntryItem.query(store.key(tenant, "CHILDFEED", child_id)))
    rows += list(PhotoAccessItem.query(store.key(tenant, "PHOTOLOG", child_id)))
    rows += list(DiaryItem.query(store.key(tenant, "DIARY", child_id)))
    rows += list(TimelineItem.query(store.key(tenant, "CHILD", child_id)))
    return rows


def purge_child(tenant: str, child_id: str) -> dict[str, int]:
    """Delete the child's photos, feed, log, pending uploads and copies; what was deleted, counted."""
    s3 = aws.client("s3")
    photos_bucket = feed.photos_bucket()
    counts = {"photos": 0, "objects": 0, "rows": 0}
    tagged = [e.item_id for e in FeedEntryItem.query(store.key(tenant, "CHILDFEED", child_id)) if e.kind == "photo"]
    for photo_id in tagged:
        photo = feed.get_photo(tenant, photo_id)
        if photo is None:
            continue
        for key in photo.keys.values():
            s3.delete_object(Bucket=photos_bucket, Key=key)
            counts["objects"] += 1
        for other in photo.child_ids:
            FeedEntryItem(store.key(tenant, "CHILDFEED", other), f"{photo.date}#{photo_id}").delete()
            if other != child_id:
                _drop_from_diary(tenant, other, photo.date, photo_id)
        photo.delete()
        counts["photos"] += 1
    for row in _child_rows(tenant, child_id):
        row.delete()
        counts["rows"] += 1
    for obj in _downloads(tenant, child_id):
        s3.delete_object(Bucket=photos_bucket, Key=obj)
        counts["objects"] += 1
    return counts


def _downloads(tenant: str, child_id: str) -> list[str]:
    """The child's rendered report pages and the state of its diary archives in progress."""
    found = []
    for prefix in (feed.download_key(tenant, child_id, "").rsplit("/", 1)[0] + "/",
                   archive.state_prefix(tenant, child_id)):
        listed = aws.client("s3").list_objects_v2(Bucket=feed.photos_bucket(), Prefix=prefix).get("Contents", [])
        found += [o["Key"] for o in listed]
    return found


def _drop_from_diary(tenant: str, child_id: str, day: str, photo_id: str) -> None:
    """Take a purged photo out of another child's diary entries of its day (and their feed entries)."""
    for entry in DiaryItem.query(store.key(tenant, "DIARY", child_id), DiaryItem.sk.startswith(f"{day}#")):
        if photo_id in (entry.photo_ids or []):
            entry.update(actions=[DiaryItem.photo_ids.set([p for p in entry.photo_ids if p != photo_id])])
    feed_rows = FeedEntryItem.query(store.key(tenant, "CHILDFEED", child_id),
                                    FeedEntryItem.sk.startswith(f"{day}#diary#"))
    for row in feed_rows:
        if any(p["id"] == photo_id for p in row.photos or []):
            row.update(actions=[FeedEntryItem.photos.set([p for p in row.photos if p["id"] != photo_id])])


def verify(tenant: str, child_id: str, photo_ids: list[str]) -> list[str]:
    """What is left of the child in the timeline (empty when the purge is complete)."""
    left = [f"row {r.pk}/{r.sk}" for r in _child_rows(tenant, child_id)]
    s3 = aws.client("s3")
    photos_bucket = feed.photos_bucket()
    for photo_id in photo_ids:
        if feed.get_photo(tenant, photo_id) is not None:
            left.append(f"photo {photo_id}")
        listed = s3.list_objects_v2(Bucket=photos_bucket, Prefix=f"{tenant}/{photo_id}/").get("Contents", [])
        left += [f"object {o['Key']}" for o in listed]
    left += [f"object {key}" for key in _downloads(tenant, child_id)]
    return left


def on_retention_due(env: Envelope) -> None:
    child_id = env.payload["child_id"]
    counts = purge_child(env.tenant, child_id)
    log.info("child purged from the timeline", extra={"child_id": child_id, **counts})


HANDLERS = {"auth.child.retention_due": on_retention_due}
