"""Processing an uploaded photo before anyone sees it (the S3 notification reaches it through SQS).

The raw file is decoded and checked by `images.process` (real type, pixel limit before decoding,
truncation), auto-oriented and re-encoded without any metadata into thumb, medium and full derivatives. A
rejected file records its reason; a photo tagged with a child without photo consent is `blocked` (naming
the children, `rules.blocked_children`) and nothing of it is kept; otherwise the derivatives go to the
photos bucket and the photo is published in one transaction with its upload's status and its feed entries
(each tagged child's, or the group's for an untagged photo). The raw upload is deleted in every case.
Processing is idempotent: an upload no longer `processing` is left alone (redelivered notices).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from pynamodb.exceptions import TransactWriteError, UpdateError

from portal_common import aws, clock, ids
from portal_common.contracts import timeline as events
from portal_common.outbox import Changes, Outbox
from timeline_service import directory_copy
from timeline_service.feed import store as feed_store
from timeline_service.feed.store import FeedEntryItem
from timeline_service.photos import files
from timeline_service.photos.store import PhotoItem, photo_pk
from timeline_service.uploads import images, rules
from timeline_service.uploads.store import SSE, UPLOADS, UploadItem, bucket, get

log = logging.getLogger("timeline.uploads")


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
        consents = directory_copy.consents_of(tenant, set(upload.child_ids))
        blocked = rules.blocked_children(upload.child_ids, consents)
        if blocked:
            _finish(upload, status="blocked", reason="no_photo_consent", blocked_children=blocked)
        else:
            _publish(outbox, tenant, upload, processed)
    finally:
        s3.delete_object(Bucket=bucket(UPLOADS), Key=upload.s3_key)
    return get(tenant, upload_id)


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
        key = files.photo_key(tenant, photo_id, name)
        aws.client("s3").put_object(Bucket=files.photos_bucket(), Key=key, Body=derivative.data,
                                    ContentType=derivative.content_type, ServerSideEncryption=SSE)
        keys[name] = key
    now = clock.now().isoformat()
    ch = Changes(outbox, tenant, "timeline")
    ch.save(PhotoItem(photo_pk(tenant, photo_id), "PHOTO", photo_id=photo_id, upload_id=upload.upload_id,
                      group_id=upload.group_id, location_id=upload.location_id, date=upload.date,
                      child_ids=list(upload.child_ids), keys=keys, width=processed.width, height=processed.height,
                      uploaded_by=upload.uploaded_by, published_at=now), PhotoItem.pk.does_not_exist())
    for pk in feed_store.partitions_of(tenant, upload.group_id, upload.child_ids):
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
            aws.client("s3").delete_object(Bucket=files.photos_bucket(), Key=key)
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
