"""Attachments (the paperclip) of messages, news, newsletters and location policies.

1. `POST /attachments`: anyone signed in gets a presigned POST (5 minutes, one file of at most the declared
   size, encrypted at rest) into the private attachments bucket, under `tmp/` (expired by lifecycle rule).
2. `POST /attachments/{id}/complete`: the file is judged by its bytes, never its name or declared type: a
   PDF starts with `%PDF-`; an image must be the declared JPEG, PNG or WebP and is re-encoded with its
   pixels only (EXIF with GPS, XMP, comments, colour profiles dropped; the orientation applied first).
   The checked bytes go to the permanent key `<t>/<id>`: a re-used form only overwrites the `tmp/` object.
   Refused → 422 `not_a_pdf`, `type_mismatch`, `too_large`, `unreadable_image`, `too_many_pixels`
   (the raw object deleted); nothing uploaded yet → 422 `not_uploaded` (the form may still be used).
3. `claim` (news, newsletters, policies, messages) makes the caller's ready uploads the owner's, in its transaction.
4. `GET /attachments/{id}`: a 5-minute link for whoever may read the owner (`readers`: a function per
   owner kind) or for the uploader before it is claimed; anyone else gets 404.

Unclaimed uploads stay claimable for a day, in the sparse due index `_ATT_DUE` (gsi1) whose Query the hourly
`expire_unclaimed` job reads to remove their files and rows. `expires_at` (TTL, a day later) is the backstop.

| item | pk | sk | gsi1 (pk / sk), while unclaimed |
|---|---|---|---|
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, UpdateError

from messaging_service.attachments import images, rules
from messaging_service.attachments.rules import IMAGE_KINDS, PDF, READY, REJECTED, UPLOADING, refusal
from messaging_service.moments import utc_key
from messaging_service.store import MessagingItem
from portal_common import aws, clock, files, ids, store
from portal_common.domain import RuleBroken
from portal_common.outbox import Changes
from portal_common.settings import get_settings

BUCKET = "attachments"
LINK_SECONDS = 300            # upload forms and download links work for 5 minutes
SWEEP_GRACE = timedelta(minutes=15)  # longer than any request that may be claiming right now
SSE = files.SSE
DUE_INDEX = "_ATT_DUE"
ATTACHMENT_ID = re.compile(r"^att-[0-9a-z]{26}$")
log = logging.getLogger("messaging.attachments")


class AttachmentItem(MessagingItem):
    """One uploaded file: `uploading`, then `ready` (checked, cleaned) or `rejected` (`reason`); owned once
    claimed (`owner_kind`: news | newsletter | policy | message, `owner_id`)."""

    attachment_id = UnicodeAttribute()
    file_name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    uploaded_by = UnicodeAttribute()
    status = UnicodeAttribute(default=UPLOADING)
    reason = UnicodeAttribute(null=True)
    owner_kind = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    claimable_until = NumberAttribute(null=True)  # epoch seconds; removed once claimed


def bucket() -> str:
    return get_settings().bucket_name("messaging", BUCKET)


def raw_key(tenant: str, attachment_id: str) -> str:
    return f"tmp/{tenant}/{attachment_id}"  # what the browser sent: never served


def file_key(tenant: str, attachment_id: str) -> str:
    return f"{tenant}/{attachment_id}"  # the checked (cleaned) bytes


def item_key(tenant: str, attachment_id: str) -> tuple[str, str]:
    return store.key(tenant, "ATT", attachment_id), "ATT"


def get(tenant: str, attachment_id: str) -> AttachmentItem | None:
    if not ATTACHMENT_ID.fullmatch(attachment_id):
        return None
    try:
        return AttachmentItem.get(*item_key(tenant, attachment_id), consistent_read=True)
    except AttachmentItem.DoesNotExist:
        return None


# -- upload ---------------------------------------------------------------------------------------
def start(tenant: str, user_id: str, *, file_name: str, content_type: str,
          size: int) -> tuple[AttachmentItem, dict[str, Any]]:
    rules.check_extension(file_name, content_type)
    now = clock.now()
    attachment_id = f"att-{ids.new_id().lower()}"
    until = rules.claimable_until(now)
    item = AttachmentItem(*item_key(tenant, attachment_id), attachment_id=attachment_id, file_name=file_name,
                          content_type=content_type, size=size, uploaded_by=user_id, created_at=now.isoformat(),
                          claimable_until=int(until.timestamp()),
                          expires_at=int((until + rules.CLAIMABLE).timestamp()),
                          gsi1pk=DUE_INDEX, gsi1sk=f"{utc_key(until)}#{tenant}#{attachment_id}")
    item.save(AttachmentItem.pk.does_not_exist())
    url, fields = files.upload_form(bucket(), raw_key(tenant, attachment_id), content_type=content_type,
                                    max_bytes=size, seconds=LINK_SECONDS)
    return item, {"url": url, "fields": fields}


def complete(tenant: str, item: AttachmentItem) -> AttachmentItem:
    """Check and clean the uploaded file; raises 422 with the reason when it is refused."""
    if item.status == REJECTED:
        raise refusal(item.reason or "type_mismatch")
    if item.status == READY:
        return item
    s3 = aws.client("s3")
    key = raw_key(tenant, item.attachment_id)
    try:
        data = s3.get_object(Bucket=bucket(), Key=key)["Body"].read(int(item.size) + 1)
    except s3.exceptions.NoSuchKey:
        fresh = get(tenant, item.attachment_id)  # a concurrent call may have completed it meanwhile
        if fresh is not None and fresh.status != UPLOADING:
            return complete(tenant, fresh)
        raise refusal("not_uploaded") from None
    try:
        clean = check(data, item.content_type, int(item.size))
    except RuleBroken as refused:
        s3.delete_object(Bucket=bucket(), Key=key)
        _set(item, [AttachmentItem.status.set(REJECTED), AttachmentItem.reason.set(refused.code)])
        raise
    s3.put_object(Bucket=bucket(), Key=file_key(tenant, item.attachment_id), Body=clean,
                  ContentType=item.content_type, ServerSideEncryption=SSE)
    s3.delete_object(Bucket=bucket(), Key=key)
    _set(item, [AttachmentItem.status.set(READY), AttachmentItem.size.set(len(clean))])
    return get(tenant, item.attachment_id) or item


def check(data: bytes, declared: str, size: int) -> bytes:
    """The bytes to keep: a PDF as it is, an image re-encoded without metadata. Raises RuleBroken."""
    rules.judge(data, declared, size)
    return data if declared == PDF else images.clean_image(data, IMAGE_KINDS[declared])


def _set(item: AttachmentItem, actions: list[Any]) -> None:
    try:
        item.update(actions=actions, condition=AttachmentItem.status == UPLOADING)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        log.info("attachment completed meanwhile", extra={"attachment_id": item.attachment_id})


# -- owners ---------------------------------------------------------------------------------------
def claim(changes: Changes, tenant: str, user_id: str, attachment_ids: list[str], *, owner_kind: str,
          owner_id: str, loc: list[Any] | None = None) -> list[AttachmentItem]:
    """Add to `changes` the conditional updates that make the caller's ready, unclaimed attachments
    `owner_kind`/`owner_id`'s; 422 `unknown_attachment` (a loc per bad id) before anything is written.

    The conditions hold at commit too: two owners racing for one attachment, one wins, the other's
    transaction fails (TransactWriteError) whole."""
    if not attachment_ids:
        return []
    now = clock.now()
    keys = [item_key(tenant, a) for a in dict.fromkeys(attachment_ids) if ATTACHMENT_ID.fullmatch(a)]
    found = {i.attachment_id: i for i in AttachmentItem.batch_get(keys, consistent_read=True)} if keys else {}
    rules.check_claim(attachment_ids, found, user_id, now, loc)
    items = [found[a] for a in attachment_ids]
    A = AttachmentItem
    for item in items:
        changes.update(item, [A.owner_kind.set(owner_kind), A.owner_id.set(owner_id), A.claimable_until.remove(),
                              A.expires_at.remove(), A.gsi1pk.remove(), A.gsi1sk.remove()],
                       condition=(A.status == READY) & A.owner_kind.does_not_exist() & (A.uploaded_by == user_id)
                       & (A.claimable_until > int(now.timestamp())))
    return items


def drop(changes: Changes, tenant: str, attachment_ids: list[str], *, owner_kind: str, owner_id: str) -> None:
    """Add the deletion of an owner's attachment rows to its transaction; `delete_files` after commit."""
    for attachment_id in attachment_ids:
        changes.delete(AttachmentItem(*item_key(tenant, attachment_id)),
                       (AttachmentItem.owner_kind == owner_kind) & (AttachmentItem.owner_id == owner_id))


def delete_files(tenant: str, attachment_ids: list[str]) -> None:
    s3 = aws.client("s3")
    for attachment_id in attachment_ids:
        s3.delete_object(Bucket=bucket(), Key=file_key(tenant, attachment_id))


def expire_unclaimed(now: datetime) -> int:
    """Remove attachments nobody claimed in time (files first, then the row): one Query on the due index."""
    removed = 0
    due = AttachmentItem.gsi1.query(DUE_INDEX, AttachmentItem.gsi1sk <= utc_key(now - SWEEP_GRACE))
    for item in cast(Iterable[AttachmentItem], due):
        tenant = item.pk.split(store.SEPARATOR)[0]
        s3 = aws.client("s3")
        for key in (raw_key(tenant, item.attachment_id), file_key(tenant, item.attachment_id)):
            s3.delete_object(Bucket=bucket(), Key=key)
        try:
            item.delete(condition=AttachmentItem.owner_kind.does_not_exist())
            removed += 1
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    return removed


def download_link(tenant: str, item: AttachmentItem) -> tuple[str, datetime]:
    url = files.download_url(bucket(), file_key(tenant, item.attachment_id), seconds=LINK_SECONDS,
                             file_name=item.file_name, content_type=item.content_type)
    return url, clock.now() + timedelta(seconds=LINK_SECONDS)


