"""Photos on their way in: the presigned upload, then processing before anyone sees them.

1. `request_upload`: staff of a group ask for a presigned POST (a few minutes, one image of at most the
   declared size, a declared image type, encrypted at rest) for a day, tagging children who were
   placed in that group that day (others → 422 `child_not_in_group`). The upload row starts as
   `processing`.
2. `process_upload` (the S3 notification reaches it through SQS): the raw file is decoded and checked
   by `images.process` (real type, pixel limit before decoding, truncation), auto-oriented and
   re-encoded without any metadata into thumb, medium and full derivatives. A rejected file records
   its reason; a photo tagged with a child without photo consent is `blocked` (naming the children)
   and nothing of it is kept; otherwise the derivatives go to the photos bucket and the photo is
   published in one transaction with its upload's status and its feed entries (each tagged child's,
   or the group's for an untagged photo). The raw upload is deleted in every case.
   Processing is idempotent: an upload no longer `processing` is left alone (redelivered notices).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from pynamodb.exceptions import TransactWriteError, UpdateError

from portal_common import aws, clock, errors, files, ids, store
from portal_common.contracts import timeline as events
from portal_common.outbox import Changes, Outbox
from portal_common.settings import get_settings
from timeline_service import directory_copy, feed, images
from timeline_service.store import FeedEntryItem, PhotoItem, UploadItem

UPLOADS, PHOTOS = "uploads", "photos"
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
MAX_BYTES = images.MAX_BYTES
UPLOAD_SECONDS = 300
UPLOAD_ROW_KEPT = timedelta(days=30)  # an upload's status row, for the uploader
SSE = files.SSE
log = logging.getLogger("timeline.uploads")


def bucket(name: str) -> str:
    return get_settings().bucket_name("timeline", name)


def upload_key(tenant: str, upload_id: str) -> tuple[str, str]:
    return store.key(tenant, "UPLOAD", upload_id), "UPLOAD"


def get(tenant: str, upload_id: str) -> UploadItem | None:
    try:
        return UploadItem.get(*upload_key(tenant, upload_id), consistent_read=True)
    except UploadItem.DoesNotExist:
        return None


def request_upload(tenant: str, user_id: str, *, group_id: str, location_id: str, day: date,
                   child_ids: list[str], content_type: str, size: int) -> tuple[UploadItem, str, dict[str, str]]:
    """The upload row and a presigned POST for its one file."""
    strangers = [c for c in child_ids if group_id not in directory_copy.groups_on(tenant, c, day)]
    if strangers:
        raise errors.Unprocessable(code="child_not_in_group", errors=[
            {"loc": ["body", "child_ids", child_ids.index(c)], "msg": "not placed in this group on that day"}
            for c in strangers])
    upload_id = f"upl-{ids.new_id().lower()}"
    # The tenant and upload id in the key are how the S3 notification finds the row again.
    s3_key = f"{tenant}/{upload_id}"
    item = UploadItem(*upload_key(tenant, upload_id), upload_id=upload_id, group_id=group_id,
                      location_id=location_id, date=day.isoformat(), child_ids=list(child_ids),
                      content_type=content_type, size=size, s3_key=s3_key, uploaded_by=user_id,
                      created_at=clock.now().isoformat(),
                      expires_at=int((clock.now() + UPLOAD_ROW_KEPT).timestamp()))  # TTL: no image in it
    item.save(UploadItem.pk.does_not_exist())
    url, fields = files.upload_form(bucket(UPLOADS), s3_key, content_type=content_type, max_bytes=size,
                                    seconds=UPLOAD_SECONDS)
    return item, url, fields


def upload_expires_at(item: UploadItem) -> datetime:
    return datetime.fromisoformat(item.created_at) + timedelta(seconds=UPLOAD_SECONDS)


def process_upload(outbox: Outbox, tenant: str, upload_id: str) -> UploadItem | None:
    """Check, clean and publish (or block, or reject) one uploaded photo; None when there is no such upload."""
    upload = get(tenant, upload_id)
    if upload is None or upload.status != "processing":
        return upload
    s3 = aws.client("s3")
    try:
        body = s3.get_object(Bucket=bucket(UPLOADS), Key=upload.s3_key)["Body"]
        data = body.read(int(upload.size) + 1)  # one byte more than declared tells "too large"
    except s3.exceptions.NoSuchKey:
        return upload  # the notice came before the object (or a retry after it was deleted)
    try:
        if len(data) > int(upload.size):
            raise images.ImageRejected("too_large", "the file is larger than the size declared")
        processed = images.process(data)
    except images.ImageRejected as rejected:
        _finish(upload, status="rejected", reason=rejected.code, detail=rejected.detail)
    else:
        blocked = [c for c in upload.child_ids if not _photo_consent(tenant, c)]
        if blocked:
            _finish(upload, status="blocked", reason="no_photo_consent", blocked_children=blocked)
        else:
            _publish(outbox, tenant, upload, processed)
    finally:
        s3.delete_object(Bucket=bucket(UPLOADS), Key=upload.s3_key)
    return get(tenant, upload_id)


def _photo_consent(tenant: str, child_id: str) -> bool:
    found = directory_copy.consents(tenant, child_id)
    return bool(found and found.photos)


def _finish(upload: UploadItem, **changes: Any) -> None:
    actions = [getattr(UploadItem, name).set(value) for name, value in changes.items()]
    actions.append(UploadItem.processed_at.set(clock.now().isoformat()))
    try:
        upload.update(actions=actions, condition=UploadItem.status == "processing")
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        log.info("upload processed meanwhile by another worker", extra={"upload_id": upload.upload_id})


def _publish(outbox: Outbox, tenant: str, upload: UploadItem, processed: images.Processed) -> None:
    photo_id = f"pho-{ids.new_id().lower()}"
    keys = {}
    for name, derivative in processed.derivatives.items():
        key = feed.photo_key(tenant, photo_id, name)
        aws.client("s3").put_object(Bucket=feed.photos_bucket(), Key=key, Body=derivative.data,
                                    ContentType=derivative.content_type, ServerSideEncryption=SSE)
        keys[name] = key
    now = clock.now().isoformat()
    ch = Changes(outbox, tenant, "timeline")
    ch.save(PhotoItem(store.key(tenant, "PHOTO", photo_id), "PHOTO", photo_id=photo_id, upload_id=upload.upload_id,
                      group_id=upload.group_id, location_id=upload.location_id, date=upload.date,
                      child_ids=list(upload.child_ids), keys=keys, width=processed.width, height=processed.height,
                      uploaded_by=upload.uploaded_by, published_at=now), PhotoItem.pk.does_not_exist())
    for pk in feed.partitions_of(tenant, upload.group_id, upload.child_ids):
        ch.save(FeedEntryItem(pk, f"{upload.date}#{photo_id}", kind="photo", item_id=photo_id, date=upload.date,
                              child_ids=list(upload.child_ids), group_id=upload.group_id,
                              location_id=upload.location_id, published_at=now))
    ch.update(upload, [UploadItem.status.set("published"), UploadItem.photo_id.set(photo_id),
                       UploadItem.processed_at.set(now)], condition=UploadItem.status == "processing")
    ch.emit(events.PhotoPublished(photo_id=photo_id, group_id=upload.group_id, location_id=upload.location_id,
                                  date=upload.date, child_ids=list(upload.child_ids)))
    try:
        ch.commit()
    except TransactWriteError:
        # Another worker (a redelivered notice) finished this upload first: its photo stands, ours goes.
        for key in keys.values():
            aws.client("s3").delete_object(Bucket=feed.photos_bucket(), Key=key)
        log.info("upload published meanwhile by another worker", extra={"upload_id": upload.upload_id})


def keys_from_s3_event(record_body: dict[str, Any]) -> list[tuple[str, str]]:
    """(tenant, upload id) of every object an S3 notification names (`s3:TestEvent` names none)."""
    found = []
    for record in record_body.get("Records", []):
        key = unquote_plus(record.get("s3", {}).get("object", {}).get("key", ""))
        tenant, _, upload_id = key.partition("/")
        if tenant and upload_id.startswith("upl-") and "/" not in upload_id:
            found.append((tenant, upload_id))
    return found
