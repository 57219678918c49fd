"""Upload rows (`<t>#UPLOAD#<upload>`): one photo on its way in, for its uploader, and the uploads bucket.

A row holds no image and expires after 30 days (TTL); the raw file waits in the uploads bucket under
`<t>/<upload>` (the S3 notification finds the row again by that key) until processing deletes it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from portal_common import files, ids, store
from portal_common.settings import get_settings
from timeline_service.store import TimelineItem

UPLOADS = "uploads"
UPLOAD_SECONDS = 300
UPLOAD_ROW_KEPT = timedelta(days=30)  # an upload's status row, for the uploader
SSE = files.SSE


class UploadItem(TimelineItem):
    """A photo a staff member is uploading: `processing` until the file has been checked, then
    `published` (with `photo_id`), `blocked` (a tagged child lacks photo consent: `blocked_children`)
    or `rejected` (`reason`: not an image, too many pixels, truncated, ...). The raw file is deleted
    once it has been processed, whatever the outcome."""

    upload_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    date = UnicodeAttribute()
    child_ids = JSONAttribute(default=list)
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute(default="processing")
    reason = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    blocked_children = JSONAttribute(default=list)
    photo_id = UnicodeAttribute(null=True)
    uploaded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    processed_at = UnicodeAttribute(null=True)


def bucket(name: str = UPLOADS) -> str:
    return get_settings().bucket_name("timeline", name)


def upload_key(tenant: str, upload_id: str) -> tuple[str, str]:
    return store.key(tenant, "UPLOAD", upload_id), "UPLOAD"


def get(tenant: str, upload_id: str) -> UploadItem | None:
    try:
        return UploadItem.get(*upload_key(tenant, upload_id), consistent_read=True)
    except UploadItem.DoesNotExist:
        return None


def create(tenant: str, user_id: str, *, group_id: str, location_id: str, day: date, child_ids: list[str],
           content_type: str, size: int, now: datetime) -> tuple[UploadItem, str, dict[str, str]]:
    """A new upload row (`processing`) and a presigned POST for its one file (a few minutes, the declared type,
    at most the declared size, encrypted at rest)."""
    upload_id = f"upl-{ids.new_id().lower()}"
    # The tenant and upload id in the key are how the S3 notification finds the row again.
    s3_key = f"{tenant}/{upload_id}"
    item = UploadItem(*upload_key(tenant, upload_id), upload_id=upload_id, group_id=group_id,
                      location_id=location_id, date=day.isoformat(), child_ids=list(child_ids),
                      content_type=content_type, size=size, s3_key=s3_key, uploaded_by=user_id,
                      created_at=now.isoformat(),
                      expires_at=int((now + UPLOAD_ROW_KEPT).timestamp()))  # TTL: no image in it
    item.save(UploadItem.pk.does_not_exist())
    url, fields = files.upload_form(bucket(UPLOADS), s3_key, content_type=content_type, max_bytes=size,
                                    seconds=UPLOAD_SECONDS)
    return item, url, fields


def expires_at(item: UploadItem) -> datetime:
    """When the upload's presigned POST stops working."""
    return datetime.fromisoformat(item.created_at) + timedelta(seconds=UPLOAD_SECONDS)
