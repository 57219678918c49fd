"""`GET /timeline/feed[?child_id=]`: photos and diary entries of one child or all one's children, newest first.

The route names whose feed is read (`rules.children_to_read`), authorizes the caller for the child (through
the child's placements today) or as a parent for their own, and maps the page `service.page` returns: what
`visibility.may_see` lets the caller see of the examined window, with presigned thumb and medium links.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from portal_common import clock
from portal_common.authz import Target
from portal_common.parsing import Out, Query
from portal_common.service import PortalApp, Req
from timeline_service import directory_copy, visibility
from timeline_service.feed import rules, service
from timeline_service.photos import files

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


def register(app: PortalApp) -> None:
    @app.endpoint("/feed", "GET", action="timeline.feed.read", query=FeedQuery, response=FeedPage,
                  summary="Photos and diary entries of one child or all one's children, newest first, cursor-paged")
    def read_feed(req: Req) -> dict[str, Any]:
        principal, query = req.principal, req.query
        tenant, today = principal.tenant, clock.today()
        children = rules.children_to_read(principal, query.child_id)
        placements = None
        if query.child_id:
            placements = {query.child_id: directory_copy.known_placements(tenant, query.child_id)}
            now_in = visibility.placed_on(placements[query.child_id], today.isoformat())
            req.authorize(Target.child(tenant, query.child_id, {p.group_id for p in now_in},
                                       {p.location_id for p in now_in}), action="child.timeline.read")
        else:
            req.authorize()  # a parent's own children
        position = req.page_position(query.cursor)
        before = (position["sk"], position.get("id", "")) if position else None
        found = service.page(tenant, children, before, query.limit, viewer=principal, placements=placements,
                             today=today)
        items = []
        for entry in found.entries:
            photos = [PhotoRef(id=photo_id, thumb_url=files.url(files.photo_key(tenant, photo_id, "thumb")),
                               medium_url=files.url(files.photo_key(tenant, photo_id, "medium")))
                      for photo_id in found.photos[entry.item_id]]
            items.append(FeedItemOut(id=entry.item_id, kind=entry.kind, date=entry.date, created_at=entry.published_at,
                                     child_ids=visibility.shown_children(principal, entry.child_ids), photos=photos,
                                     text=entry.text, diary_kind=entry.diary_kind))
        last = found.next_position
        return req.page_body(items, {"sk": last[0], "id": last[1]} if last else None)
