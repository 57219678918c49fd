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
| attachment | `<t>#ATT#<id>` | `ATT` | `_ATT_DUE` / `<claimable until, UTC>#<t>#<id>` |
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import Field, field_validator
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, UpdateError

from messaging_service.store import MessagingItem
from portal_common import aws, clock, errors, files, i18n, ids, store
from portal_common.authz import Principal
from portal_common.outbox import Changes
from portal_common.parsing import Body, Out
from portal_common.service import PortalApp, Req
from portal_common.settings import get_settings

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

BUCKET = "attachments"
MAX_BYTES = 10 * 1024 * 1024  # 10 MB: a scanned letter or a phone photo; more belongs in a link
MAX_PIXELS = 40_000_000       # checked from the header before decoding (decompression bombs)
LINK_SECONDS = 300            # upload forms and download links work for 5 minutes
CLAIMABLE = timedelta(days=1)
SWEEP_GRACE = timedelta(minutes=15)  # longer than any request that may be claiming right now
SSE = files.SSE
DUE_INDEX = "_ATT_DUE"
UPLOADING, READY, REJECTED = "uploading", "ready", "rejected"
PDF = "application/pdf"
IMAGE_KINDS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {PDF: (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",)}
ATTACHMENT_ID = re.compile(r"^att-[0-9a-z]{26}$")
log = logging.getLogger("messaging.attachments")

# What the uploader reads when a file is refused (`code` stays the machine's key).
i18n.register({f"messaging.attachment.{code}": {"nl": nl, "en": en} for code, nl, en in (
    ("not_a_pdf", "Het bestand is geen PDF.", "The file is not a PDF."),
    ("type_mismatch", "Het bestand is niet van het opgegeven type.", "The file is not of the type declared."),
    ("too_large", "Het bestand is groter dan opgegeven of dan 10 MB.", "The file is larger than declared or 10 MB."),
    ("not_uploaded", "Het bestand is nog niet geüpload.", "The file has not been uploaded yet."),
    ("unreadable_image", "De afbeelding is beschadigd of onleesbaar.", "The image is damaged or unreadable."),
    ("too_many_pixels", "De afbeelding heeft te veel pixels.", "The image has too many pixels."),
    ("unknown_attachment", "Een bijlage is onbekend, niet van u of al gebruikt.",
     "An attachment is unknown, not yours or already used."),
)})


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


class Rejected(Exception):
    @property
    def code(self) -> str:
        return str(self.args[0])


def bucket() -> str:
    return get_settings().bucket_name("messaging", BUCKET)


def raw_key(tenant: str, attachment_id: str) -> str:
    return f"tmp/{tenant}/{attachment_id}"  # what the browser sent: never served


def file_key(tenant: str, attachment_id: str) -> str:
    return f"{tenant}/{attachment_id}"  # the checked (cleaned) bytes


def item_key(tenant: str, attachment_id: str) -> tuple[str, str]:
    return store.key(tenant, "ATT", attachment_id), "ATT"


def utc_key(moment: datetime) -> str:
    """An instant as a sortable UTC string (index keys compare as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def get(tenant: str, attachment_id: str) -> AttachmentItem | None:
    if not ATTACHMENT_ID.fullmatch(attachment_id):
        return None
    try:
        return AttachmentItem.get(*item_key(tenant, attachment_id), consistent_read=True)
    except AttachmentItem.DoesNotExist:
        return None


def _claimable(item: AttachmentItem, now: datetime) -> bool:
    return item.owner_kind is None and (item.claimable_until or 0) > now.timestamp()


# -- upload ---------------------------------------------------------------------------------------
def start(tenant: str, user_id: str, *, file_name: str, content_type: str,
          size: int) -> tuple[AttachmentItem, dict[str, Any]]:
    now = clock.now()
    attachment_id = f"att-{ids.new_id().lower()}"
    until = now + CLAIMABLE
    item = AttachmentItem(*item_key(tenant, attachment_id), attachment_id=attachment_id, file_name=file_name,
                          content_type=content_type, size=size, uploaded_by=user_id, created_at=now.isoformat(),
                          claimable_until=int(until.timestamp()), expires_at=int((until + CLAIMABLE).timestamp()),
                          gsi1pk=DUE_INDEX, gsi1sk=f"{utc_key(until)}#{tenant}#{attachment_id}")
    item.save(AttachmentItem.pk.does_not_exist())
    url, fields = files.upload_form(bucket(), raw_key(tenant, attachment_id), content_type=content_type,
                                    max_bytes=size, seconds=LINK_SECONDS)
    return item, {"url": url, "fields": fields}


def complete(tenant: str, item: AttachmentItem) -> AttachmentItem:
    """Check and clean the uploaded file; raises 422 with the reason when it is refused."""
    if item.status == REJECTED:
        raise _refusal(item.reason or "type_mismatch")
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
        raise _refusal("not_uploaded") from None
    try:
        clean = check(data, item.content_type, int(item.size))
    except Rejected as rejected:
        s3.delete_object(Bucket=bucket(), Key=key)
        _set(item, [AttachmentItem.status.set(REJECTED), AttachmentItem.reason.set(rejected.code)])
        raise _refusal(rejected.code) from None
    s3.put_object(Bucket=bucket(), Key=file_key(tenant, item.attachment_id), Body=clean,
                  ContentType=item.content_type, ServerSideEncryption=SSE)
    s3.delete_object(Bucket=bucket(), Key=key)
    _set(item, [AttachmentItem.status.set(READY), AttachmentItem.size.set(len(clean))])
    return get(tenant, item.attachment_id) or item


def _set(item: AttachmentItem, actions: list[Any]) -> None:
    try:
        item.update(actions=actions, condition=AttachmentItem.status == UPLOADING)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        log.info("attachment completed meanwhile", extra={"attachment_id": item.attachment_id})


def _refusal(code: str) -> errors.Problem:
    return errors.Unprocessable(code=code, detail_key=f"messaging.attachment.{code}",
                                errors=[{"loc": ["file"], "msg": code}])


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(data: bytes, declared: str, size: int) -> bytes:
    """The bytes to keep: a PDF as it is, an image re-encoded without metadata. Raises Rejected."""
    if len(data) > min(size, MAX_BYTES):
        raise Rejected("too_large")
    found = sniff(data)
    if found != declared:
        raise Rejected("not_a_pdf" if declared == PDF else "type_mismatch")
    return data if declared == PDF else clean_image(data, IMAGE_KINDS[declared])


def clean_image(data: bytes, pil_format: str) -> bytes:
    """Decode (pixel count checked from the header first) and re-encode with the pixels only."""
    from PIL import Image, ImageOps  # lazy: only completing an image pays for Pillow

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im: PILImage = Image.open(io.BytesIO(data), formats=[pil_format])
            if im.size[0] * im.size[1] > MAX_PIXELS:
                raise Rejected("too_many_pixels")
            im.load()
            im = ImageOps.exif_transpose(im)  # upright before the orientation tag goes with the EXIF
        except Rejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Rejected("too_many_pixels") from None
        except Exception:  # noqa: BLE001 - hostile bytes reach C decoders: any failure is the file's
            raise Rejected("unreadable_image") from None
    if pil_format == "JPEG" and im.mode not in ("RGB", "L", "CMYK"):
        im = im.convert("RGB")
    elif pil_format != "JPEG" and (im.mode not in ("RGB", "RGBA", "L", "LA", "P") or "transparency" in im.info):
        im = im.convert("RGBA")  # a palette's transparency lives in `info`, which is dropped next
    im.info = {}  # savers fall back to `info` for EXIF, ICC, comments, text chunks: start from nothing
    out = io.BytesIO()
    im.save(out, pil_format, **({"quality": 90} if pil_format in ("JPEG", "WEBP") else {"optimize": True}))
    return out.getvalue()


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
    bad = [n for n, a in enumerate(attachment_ids) if a in attachment_ids[:n] or not (
        (one := found.get(a)) and one.status == READY and one.uploaded_by == user_id and _claimable(one, now))]
    if bad:
        raise errors.Unprocessable(code="unknown_attachment", detail_key="messaging.attachment.unknown_attachment",
                                   errors=[{"loc": loc or ["body", "attachment_ids", n],
                                            "msg": "not a ready, unused upload of yours"} for n in bad])
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


# -- routes ---------------------------------------------------------------------------------------
Reader = Callable[[Principal, str], bool]  # may this caller read the owner with this id?
ContentType = Literal["application/pdf", "image/jpeg", "image/png", "image/webp"]


class AttachmentIn(Body):
    file_name: str = Field(min_length=1, max_length=200, description="shown and used when downloading")
    content_type: ContentType
    size: int = Field(ge=1, le=MAX_BYTES, description="bytes (at most 10 MB); the upload may not be larger")

    @field_validator("file_name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if any(c in value for c in '/\\"') or not value.isprintable() or value.strip() != value or value[0] == ".":
            raise ValueError("a plain file name without paths, quotes or control characters")
        return value


class UploadOut(Out):
    attachment_id: str
    url: str = Field(description="presigned POST: send `fields`, then the file, as multipart form data")
    fields: dict[str, str]
    expires_at: str


class FileOut(Out):
    file_name: str
    content_type: str
    size: int


class AttachmentOut(FileOut):
    attachment_id: str
    status: str = Field(description="uploading, ready or rejected")
    reason: str | None = None


class DownloadOut(FileOut):
    url: str = Field(description="a 5-minute link that downloads the file under its name")
    expires_at: str


def register(app: PortalApp, readers: dict[str, Reader]) -> None:
    @app.endpoint("/attachments", "POST", action="attachment.upload", body=AttachmentIn, response=UploadOut,
                  status=201, summary="Upload a PDF or image (≤ 10 MB) to attach: a presigned POST, then complete")
    def start_upload(req: Req) -> UploadOut:
        req.authorize()
        body = req.body
        if not body.file_name.lower().endswith(EXTENSIONS[body.content_type]):
            raise errors.Unprocessable(code="extension_mismatch", errors=[
                {"loc": ["body", "file_name"], "msg": f"a {body.content_type} file ends in "
                                                      f"{' or '.join(EXTENSIONS[body.content_type])}"}])
        item, form = start(req.principal.tenant, req.principal.user_id, file_name=body.file_name,
                           content_type=body.content_type, size=body.size)
        expires = datetime.fromisoformat(item.created_at) + timedelta(seconds=LINK_SECONDS)
        return UploadOut(attachment_id=item.attachment_id, expires_at=expires.isoformat(), **form)

    def own_upload(req: Req, attachment_id: str) -> AttachmentItem:
        item = get(req.principal.tenant, attachment_id)
        if item is None or item.uploaded_by != req.principal.user_id or not (
                item.owner_kind or _claimable(item, clock.now())):
            raise errors.NotFound()
        return item

    @app.endpoint("/attachments/{attachment_id}/complete", "POST", action="attachment.upload", response=AttachmentOut,
                  summary="Check the uploaded file (its real type and size) and clean an image of its metadata")
    def complete_upload(req: Req, attachment_id: str) -> AttachmentOut:
        req.authorize()
        item = complete(req.principal.tenant, own_upload(req, attachment_id))
        return AttachmentOut(attachment_id=item.attachment_id, status=item.status, reason=item.reason,
                             file_name=item.file_name, content_type=item.content_type, size=int(item.size))

    @app.endpoint("/attachments/{attachment_id}", "GET", action="attachment.read", response=DownloadOut,
                  summary="A 5-minute download link, for whoever may read what it is attached to")
    def download(req: Req, attachment_id: str) -> DownloadOut:
        req.authorize()
        item = get(req.principal.tenant, attachment_id)
        if item is None or item.status != READY:
            raise errors.NotFound()
        reader = readers.get(item.owner_kind or "", lambda principal, owner_id: False)
        if not (reader(req.principal, item.owner_id or "") if item.owner_kind else
                item.uploaded_by == req.principal.user_id and _claimable(item, clock.now())):
            raise errors.NotFound()
        url, expires = download_link(req.principal.tenant, item)
        return DownloadOut(url=url, expires_at=expires.isoformat(), file_name=item.file_name,
                           content_type=item.content_type, size=int(item.size))
