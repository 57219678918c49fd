"""The attachment routes: `POST /attachments` (a presigned upload form), `POST /attachments/{id}/complete`
(the file checked and cleaned) and `GET /attachments/{id}` (a 5-minute download link).

Who may download is decided per owner kind: `register` gets a reader per kind (a conversation's, a news
item's, a policy's) from the app's wiring; an unattached upload is its uploader's only. Anyone else: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator

from messaging_service.attachments import rules, store
from messaging_service.attachments.store import AttachmentItem
from portal_common import clock, errors
from portal_common.authz import Principal
from portal_common.parsing import Body, Out
from portal_common.service import PortalApp, Req

Reader = Callable[[Principal, str, datetime], bool]  # may this caller read the owner with this id, now?
ContentType = Literal["application/pdf", "image/jpeg", "image/png", "image/webp"]


class AttachmentIn(Body):
    file_name: str = Field(min_length=1, max_length=200, description="shown and used when downloading")
    content_type: ContentType
    size: int = Field(ge=1, le=rules.MAX_BYTES, description="bytes (at most 10 MB); the upload may not be larger")

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
        item, form = store.start(req.principal.tenant, req.principal.user_id, file_name=body.file_name,
                                 content_type=body.content_type, size=body.size)
        expires = datetime.fromisoformat(item.created_at) + timedelta(seconds=store.LINK_SECONDS)
        return UploadOut(attachment_id=item.attachment_id, expires_at=expires.isoformat(), **form)

    def own_upload(req: Req, attachment_id: str) -> AttachmentItem:
        item = store.get(req.principal.tenant, attachment_id)
        if item is None or not rules.visible_to_uploader(item, req.principal.user_id, clock.now()):
            raise errors.NotFound()
        return item

    @app.endpoint("/attachments/{attachment_id}/complete", "POST", action="attachment.upload", response=AttachmentOut,
                  summary="Check the uploaded file (its real type and size) and clean an image of its metadata")
    def complete_upload(req: Req, attachment_id: str) -> AttachmentOut:
        req.authorize()
        item = store.complete(req.principal.tenant, own_upload(req, attachment_id))
        return AttachmentOut(attachment_id=item.attachment_id, status=item.status, reason=item.reason,
                             file_name=item.file_name, content_type=item.content_type, size=int(item.size))

    @app.endpoint("/attachments/{attachment_id}", "GET", action="attachment.read", response=DownloadOut,
                  summary="A 5-minute download link, for whoever may read what it is attached to")
    def download(req: Req, attachment_id: str) -> DownloadOut:
        req.authorize()
        item = store.get(req.principal.tenant, attachment_id)
        if item is None or item.status != rules.READY:
            raise errors.NotFound()
        now = clock.now()
        reader = readers.get(item.owner_kind or "", lambda principal, owner_id, now: False)
        owner_readable = bool(item.owner_kind) and reader(req.principal, item.owner_id or "", now)
        if not rules.may_download(item, req.principal.user_id, now, owner_readable):
            raise errors.NotFound()
        url, expires = store.download_link(req.principal.tenant, item)
        return DownloadOut(url=url, expires_at=expires.isoformat(), file_name=item.file_name,
                           content_type=item.content_type, size=int(item.size))
