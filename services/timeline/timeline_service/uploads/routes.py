"""Staff upload photos: `POST /timeline/uploads` (a presigned POST), `GET /timeline/uploads/{id}` (its fate)."""

from __future__ import annotations

from datetime import date as Day
from typing import Literal

from pydantic import Field, field_validator

from portal_common import clock, errors, ids
from portal_common.authz import Target
from portal_common.parsing import Body, Out
from portal_common.service import PortalApp, Req
from timeline_service import directory_copy
from timeline_service import ids as timeline_ids
from timeline_service.uploads import images, service, store
from timeline_service.uploads.store import UploadItem

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Id = Field(min_length=1, max_length=64, pattern=ID_PATTERN)


class UploadIn(Body):
    group_id: str = Id
    child_ids: list[ids.Id] = Field(default_factory=list, max_length=30,
                                 description="the children in the photo (none: a group photo without faces)")
    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"]
    size: int = Field(ge=1, le=images.MAX_BYTES, description="bytes; the upload may not be larger")
    date: Day | None = Field(default=None, description="the day of the photo (default today, up to 7 days back)")

    @field_validator("child_ids")
    @classmethod
    def _distinct_ids(cls, value: list[str]) -> list[str]:
        for child_id in value:
            if not child_id or len(child_id) > 64 or not all(c.isalnum() or c in "_.:-" for c in child_id):
                raise ValueError("not a child id")
        if len(set(value)) != len(value):
            raise ValueError("a child is tagged twice")
        return value


class UploadOut(Out):
    upload_id: str
    url: str = Field(description="presigned POST: send `fields`, then the file, as multipart form data")
    fields: dict[str, str]
    expires_at: str


class UploadStatusOut(Out):
    upload_id: str
    status: str = Field(description="processing, published, blocked or rejected")
    reason: str | None = Field(description="rejected: not_an_image, unsupported_type, too_many_pixels, truncated, "
                                           "corrupt, too_large; blocked: no_photo_consent")
    detail: str | None = None
    blocked_children: list[str] = Field(description="blocked: the tagged children without photo consent")
    photo_id: str | None


def status_out(item: UploadItem) -> UploadStatusOut:
    return UploadStatusOut(upload_id=item.upload_id, status=item.status, reason=item.reason, detail=item.detail,
                           blocked_children=list(item.blocked_children or []), photo_id=item.photo_id)


def register(app: PortalApp) -> None:
    @app.endpoint("/uploads", "POST", action="group.photos.upload", body=UploadIn, response=UploadOut, status=201,
                  summary="Upload a photo for a group and day, tagging the children in it: a presigned POST")
    def start_upload(req: Req) -> UploadOut:
        tenant, body = req.principal.tenant, req.body
        group = directory_copy.group(tenant, body.group_id)
        req.authorize(Target.group(tenant, body.group_id, group.location_id if group else None))
        if group is None:
            raise errors.NotFound()
        item, url, fields = service.start(tenant, req.principal.user_id, group, asked=body.date,
                                          child_ids=body.child_ids, content_type=body.content_type, size=body.size,
                                          today=clock.today(), now=clock.now())
        return UploadOut(upload_id=item.upload_id, url=url, fields=fields,
                         expires_at=store.expires_at(item).isoformat())

    @app.endpoint("/uploads/{upload_id}", "GET", action="upload.read", response=UploadStatusOut,
                  summary="One's upload: processing, published (with the photo), blocked or rejected (why)")
    def upload_status(req: Req, upload_id: str) -> UploadStatusOut:
        req.authorize()
        found = store.get(req.principal.tenant, upload_id) if timeline_ids.is_upload_id(upload_id) else None
        if found is None or found.uploaded_by != req.principal.user_id:
            raise errors.NotFound()  # another's upload looks absent
        return status_out(found)
