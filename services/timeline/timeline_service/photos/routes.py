"""The photo routes: a photo's links, its download (each recorded), and who looked at a child's photos.

- `GET /timeline/photos/{photo_id}` and `.../download`: only when `visibility.may_see` lets the caller see
  the photo (`service.visible_photo`); the route then authorizes the relation it found (a guardian through
  their child, staff and managers through the photo's group). Anything else answers 404, the same as a
  photo that does not exist.
- `GET /timeline/children/{child_id}/photo-access`: the child's guardians read who viewed a photo full size
  or downloaded it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from portal_common import clock, errors
from portal_common.authz import Target
from portal_common.parsing import Out, Query
from portal_common.service import PortalApp, Req
from timeline_service import ids, visibility
from timeline_service.photos import files, service, store
from timeline_service.photos.store import PhotoItem


class PhotoOut(Out):
    id: str
    date: str
    child_ids: list[str]
    thumb_url: str
    medium_url: str
    full_url: str
    expires_in: int = Field(description="seconds the URLs work")


class PhotoDownloadOut(Out):
    url: str
    expires_at: str


class AccessQuery(Query):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class AccessOut(Out):
    photo_id: str
    user_id: str
    role: str
    action: str = Field(description="view (full size) or download")
    at: str


class AccessPage(Out):
    items: list[AccessOut]
    next_cursor: str | None


def _readable(req: Req, photo_id: str) -> PhotoItem:
    """The photo when the caller may see it, authorized through the relation that lets them (else 404)."""
    photo, child = service.visible_photo(req.principal, photo_id)
    tenant = req.principal.tenant
    if child is not None:  # a guardian through their child (tagged, or placed in the group that day)
        req.authorize(Target.child(tenant, child, {photo.group_id}, {photo.location_id}), action="child.photo.read")
    else:
        req.authorize(Target.group(tenant, photo.group_id, photo.location_id), action="group.photo.read")
    return photo


def register(app: PortalApp) -> None:
    @app.endpoint("/photos/{photo_id}", "GET", action="timeline.feed.read", response=PhotoOut,
                  summary="A photo's URLs (10 minutes); the full-size view is recorded for the child's guardians")
    def view_photo(req: Req, photo_id: str) -> PhotoOut:
        photo = _readable(req, photo_id)
        links = service.view(req.principal, photo)
        return PhotoOut(id=photo.photo_id, date=photo.date,
                        child_ids=visibility.shown_children(req.principal, photo.child_ids),
                        thumb_url=links.thumb_url, medium_url=links.medium_url, full_url=links.full_url,
                        expires_in=files.URL_SECONDS)

    @app.endpoint("/photos/{photo_id}/download", "GET", action="timeline.feed.read", response=PhotoDownloadOut,
                  summary="A 10-minute link that downloads the full photo as an attachment (child and date)")
    def download_photo(req: Req, photo_id: str) -> PhotoDownloadOut:
        url, expires_at = service.download(req.principal, _readable(req, photo_id), clock.now())
        return PhotoDownloadOut(url=url, expires_at=expires_at.isoformat())

    @app.endpoint("/children/{child_id}/photo-access", "GET", action="child.photo_access.read", query=AccessQuery,
                  response=AccessPage, summary="Who viewed full size or downloaded photos of one's child, newest first")
    def photo_access(req: Req, child_id: str) -> dict[str, Any]:
        if not ids.is_id(child_id):
            raise errors.NotFound()
        req.authorize(Target.child(req.principal.tenant, child_id))
        position = req.page_position(req.query.cursor)
        if position and position.get("c") != child_id:
            raise errors.BadRequest(code="cursor_of_another_list")
        rows, last = store.access_log(req.principal.tenant, child_id, limit=req.query.limit,
                                      start=position["k"] if position else None)
        items = [AccessOut(photo_id=r.photo_id, user_id=r.user_id, role=r.role, action=r.action, at=r.at)
                 for r in rows]
        return req.page_body(items, {"c": child_id, "k": last} if last else None)
