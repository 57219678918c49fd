"""The feed, photo views and downloads (each recorded), and who looked at a child's photos.

Whether a caller sees a photo is `visibility.may_see`'s decision (consent, and the caller's relation to the
photo itself: a guardian's child in it or placed in its group that day, staff of its group, a manager of
its location), the same one the feed makes about every entry it lists; the route authorizes the relation
it found (`req.authorize`). Anything else answers 404, the same as a photo that does not exist. Full-size
views and downloads are written to each tagged child's access log, which the child's guardians read:
something no peer product offers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from portal_common import clock, errors, files, store
from portal_common.authz import Role, Target
from portal_common.parsing import Out, Query
from portal_common.service import PortalApp, Req
from timeline_service import directory_copy, feed, visibility
from timeline_service.store import PhotoAccessItem, PhotoItem

ID = feed.ID
IdField = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class FeedQuery(Query):
    child_id: str | None = IdField
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=2048)


class PhotoRef(Out):
    id: str
    thumb_url: str
    medium_url: str


class FeedItemOut(Out):
    id: str
    kind: str = Field(description="photo or diary")
    date: str
    created_at: str
    child_ids: list[str] = Field(description="the caller's own children in it (a parent never sees others' ids)")
    photos: list[PhotoRef]
    text: str | None = Field(default=None, description="diary: the report's or entry's text")
    diary_kind: str | None = Field(default=None, description="diary: report (staff's, of the day) or parent_entry")


class FeedPage(Out):
    items: list[FeedItemOut]
    next_cursor: str | None


class PhotoOut(Out):
    id: str
    date: str
    child_ids: list[str]
    thumb_url: str
    medium_url: str
    full_url: str
    expires_in: int = Field(description="seconds the URLs work")


class DownloadOut(Out):
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


def _own(req: Req, child_ids: list[str]) -> list[str]:
    return [c for c in child_ids if c in req.principal.children] if req.principal.role is Role.PARENT else child_ids


def _photo_for(req: Req, photo_id: str) -> PhotoItem:
    """The photo when the caller may see it; 404 for anything else (another family, no consent, no photo)."""
    principal = req.principal
    tenant = principal.tenant
    photo = feed.get_photo(tenant, photo_id) if ID.fullmatch(photo_id) else None
    if photo is None:
        raise errors.NotFound()
    item = visibility.of_photo(photo)
    placements = feed.photo_placements(principal, item)
    if not visibility.may_see(principal, item, feed.consents_of(tenant, set(photo.child_ids)), placements):
        raise errors.NotFound()
    groups, locations = {photo.group_id}, {photo.location_id}
    child = visibility.via_child(principal, item, placements) or next(iter(photo.child_ids), None)
    if child is not None:  # a guardian through their child (tagged, or placed in the group that day)
        req.authorize(Target.child(tenant, child, groups, locations), action="child.photo.read")
    else:
        req.authorize(Target.group(tenant, photo.group_id, photo.location_id), action="group.photo.read")
    return photo


def _file_name(tenant: str, photo: PhotoItem, child_ids: list[str]) -> str:
    name = "groep"
    if child_ids:
        child = directory_copy.child(tenant, child_ids[0])
        name = child.name if child else "kind"
    return f"{files.slug(name, 'foto')}-{photo.date}.jpg"


def register(app: PortalApp) -> None:
    @app.endpoint("/feed", "GET", action="timeline.feed.read", query=FeedQuery, response=FeedPage,
                  summary="Photos and diary entries of one child or all one's children, newest first, cursor-paged")
    def read_feed(req: Req) -> dict[str, Any]:
        principal, query = req.principal, req.query
        tenant = principal.tenant
        placements = None
        if query.child_id:
            placements = {query.child_id: directory_copy.placements(tenant, query.child_id)}
            if not placements[query.child_id]:
                raise errors.NotFound()  # a child the timeline never had placed: nothing to show, nobody's
            today = [p for p in placements[query.child_id] if directory_copy.covers(p, clock.today())]
            req.authorize(Target.child(tenant, query.child_id, {p.group_id for p in today},
                                       {p.location_id for p in today}), action="child.timeline.read")
            children = [query.child_id]
        elif principal.role is Role.PARENT:
            req.authorize()
            children = sorted(principal.children)
        else:
            raise errors.Unprocessable(code="child_id_required", errors=[
                {"loc": ["query", "child_id"], "msg": "staff name the child"}])
        position = req.page_position(query.cursor)
        before = (position["sk"], position.get("id", "")) if position else None
        found = feed.page(tenant, children, before, query.limit, viewer=principal, placements=placements)
        items = []
        for entry in found.entries:
            photos = [PhotoRef(id=photo_id, thumb_url=feed.url(feed.photo_key(tenant, photo_id, "thumb")),
                               medium_url=feed.url(feed.photo_key(tenant, photo_id, "medium")))
                      for photo_id in found.photos[entry.item_id]]
            items.append(FeedItemOut(id=entry.item_id, kind=entry.kind, date=entry.date, created_at=entry.published_at,
                                     child_ids=_own(req, list(entry.child_ids)), photos=photos, text=entry.text,
                                     diary_kind=entry.diary_kind))
        last = found.next_position
        return req.page_body(items, {"sk": last[0], "id": last[1]} if last else None)

    @app.endpoint("/photos/{photo_id}", "GET", action="timeline.feed.read", response=PhotoOut,
                  summary="A photo's URLs (10 minutes); the full-size view is recorded for the child's guardians")
    def view_photo(req: Req, photo_id: str) -> PhotoOut:
        photo = _photo_for(req, photo_id)
        feed.record_access(req.principal, [photo], "view")
        return PhotoOut(id=photo.photo_id, date=photo.date, child_ids=_own(req, list(photo.child_ids)),
                        thumb_url=feed.url(photo.keys["thumb"]), medium_url=feed.url(photo.keys["medium"]),
                        full_url=feed.url(photo.keys["full"]), expires_in=feed.URL_SECONDS)

    @app.endpoint("/photos/{photo_id}/download", "GET", action="timeline.feed.read", response=DownloadOut,
                  summary="A 10-minute link that downloads the full photo as an attachment (child and date)")
    def download_photo(req: Req, photo_id: str) -> DownloadOut:
        photo = _photo_for(req, photo_id)
        feed.record_access(req.principal, [photo], "download")
        name = _file_name(req.principal.tenant, photo, _own(req, list(photo.child_ids)))
        return DownloadOut(url=feed.url(photo.keys["full"], download_as=name),
                           expires_at=(clock.now() + timedelta(seconds=feed.URL_SECONDS)).isoformat())

    @app.endpoint("/children/{child_id}/photo-access", "GET", action="child.photo_access.read", query=AccessQuery,
                  response=AccessPage, summary="Who viewed full size or downloaded photos of one's child, newest first")
    def photo_access(req: Req, child_id: str) -> dict[str, Any]:
        if not ID.fullmatch(child_id):
            raise errors.NotFound()
        req.authorize(Target.child(req.principal.tenant, child_id))
        position = req.page_position(req.query.cursor)
        if position and position.get("c") != child_id:
            raise errors.BadRequest(code="cursor_of_another_list")
        found = PhotoAccessItem.query(store.key(req.principal.tenant, "PHOTOLOG", child_id), scan_index_forward=False,
                                      limit=req.query.limit,
                                      **({"last_evaluated_key": position["k"]} if position else {}))
        items = [AccessOut(photo_id=r.photo_id, user_id=r.user_id, role=r.role, action=r.action, at=r.at)
                 for r in found]
        last = found.last_evaluated_key
        return req.page_body(items, {"c": child_id, "k": last} if last else None)

