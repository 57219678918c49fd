"""News and newsletters (`/news`, `/newsletters`: the same routes, two lists).

Writing names `location.news.publish` (managers of that location, admins); an organisation-wide item
takes `organisation.news.publish` (admins: a manager gets 403). Reading names `organisation.news.read`
(anyone of the tenant) and, for a location's item or list, `location.news.read` on that location (404
for anyone not of it). A scheduled item is 404 for readers until its moment, like one that does not exist.
Who may read or write what, and which moments may be chosen, are `rules.py`'s decisions.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from messaging_service.attachments.store import ATTACHMENT_ID
from messaging_service.locations import store as locations
from messaging_service.publications import rules, store
from messaging_service.publications.store import PublicationEntryItem, PublicationItem
from portal_common import clock, errors
from portal_common.authz import Target
from portal_common.ids import Id
from portal_common.parsing import Body, Out, Query
from portal_common.service import PortalApp, Req

SEGMENTS = {"news": "news", "newsletter": "newsletters"}
MAX_BODY = 160 * 1024  # 20,000 characters of Dutch text, with room for multi-byte characters
LocationId: Any = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
AttachmentIds: Any = Field(default_factory=list, max_length=10, description="completed uploads of the writer's")


class _Text(Body):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20000)
    attachment_ids: list[Id] = AttachmentIds
    publish_at: AwareDatetime | None = Field(default=None, description="a future moment: scheduled; else now")
    pinned: bool = False

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("not only white space")
        return value.strip()

    @field_validator("attachment_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        if any(not ATTACHMENT_ID.fullmatch(v) for v in value):
            raise ValueError("not an attachment id")
        if len(set(value)) != len(value):
            raise ValueError("an attachment is named twice")
        return value

    def draft(self) -> rules.Draft:
        return rules.Draft(self.title, self.body, list(self.attachment_ids), self.pinned, self.publish_at)


class PublicationIn(_Text):
    location_id: str | None = LocationId


class PublicationUpdate(_Text):
    """The whole item again (a location item stays at its location); `publish_at` only moves a scheduled one."""


class ListQuery(Query):
    location_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description=(
        "only this location's items; without it, the organisation's and those of all one's locations"))
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=2048)


class AttachmentRef(Out):
    id: str
    file_name: str
    content_type: str
    size: int


class EntryOut(Out):
    id: str
    title: str
    published_at: str
    attachments: list[AttachmentRef]
    location_id: str | None = Field(description="None: the whole organisation")
    pinned: bool
    excerpt: str


class PublicationPage(Out):
    items: list[EntryOut]
    next_cursor: str | None


class PublicationOut(EntryOut):
    kind: str = Field(description="news or newsletter")
    body: str
    status: str = Field(description="scheduled (writers only see it before its moment) or published")
    created_at: str
    updated_at: str


def entry_out(e: PublicationEntryItem) -> EntryOut:
    return EntryOut(id=e.publication_id, title=e.title, published_at=store.published_at(e.publish_at),
                    attachments=[AttachmentRef(**a) for a in e.attachments], location_id=e.location_id,
                    pinned=bool(e.pinned), excerpt=e.excerpt)


def publication_out(p: PublicationItem) -> PublicationOut:
    return PublicationOut(id=p.publication_id, kind=p.kind, title=p.title, body=p.body,
                          published_at=store.published_at(p.publish_at),
                          attachments=[AttachmentRef(**a) for a in p.attachments], location_id=p.location_id,
                          pinned=bool(p.pinned), excerpt=rules.excerpt(p.body),
                          status=rules.PUBLISHED if rules.is_out(p.publish_at, clock.now()) else p.status,
                          created_at=p.created_at, updated_at=p.updated_at)


def _authorize_write(req: Req, location_id: str | None) -> None:
    tenant = req.principal.tenant
    if location_id is None:
        req.authorize(Target.organisation(tenant), action="organisation.news.publish")
        return
    req.authorize(Target.location(tenant, location_id))
    if not locations.exists(tenant, location_id):
        raise errors.NotFound()


def _readable(req: Req, kind: str, publication_id: str) -> PublicationItem:
    tenant = req.principal.tenant
    item = store.get(tenant, kind, publication_id)
    if item is None:
        raise errors.NotFound()
    if item.location_id is None:
        req.authorize(Target.organisation(tenant))
    else:
        req.authorize(Target.location(tenant, item.location_id), action="location.news.read")
    principal = req.principal
    if not rules.may_read(principal.role.value, principal.locations, item.location_id, item.publish_at, clock.now()):
        raise errors.NotFound()
    return item


def _writable(req: Req, kind: str, publication_id: str) -> PublicationItem:
    item = store.get(req.principal.tenant, kind, publication_id)
    if item is None:
        raise errors.NotFound()
    _authorize_write(req, item.location_id)
    return item


def _register_kind(app: PortalApp, kind: str) -> None:
    base = f"/{SEGMENTS[kind]}"

    def named(fn: Any, name: str) -> Any:
        fn.__name__ = fn.__qualname__ = f"{name}_{kind}"  # one view (and cursor scope) per list
        return fn

    def create(req: Req) -> PublicationOut:
        body = req.body
        _authorize_write(req, body.location_id)
        item = store.create(app.outbox, req.principal.tenant, req.principal.user_id, kind, body.location_id,
                                   body.draft())
        return publication_out(item)

    def list_page(req: Req) -> dict[str, Any]:
        principal, query = req.principal, req.query
        if query.location_id:
            req.authorize(Target.location(principal.tenant, query.location_id), action="location.news.read")
            scopes: list[str] | None = [query.location_id]
        else:
            req.authorize(Target.organisation(principal.tenant))
            scopes = rules.visible_scopes(principal.role.value, principal.locations)
        found = store.page(principal.tenant, kind, scopes, req.page_position(query.cursor), query.limit)
        return req.page_body([entry_out(e) for e in found.pinned + found.entries], found.next_position)

    def read(req: Req, publication_id: str) -> PublicationOut:
        return publication_out(_readable(req, kind, publication_id))

    def edit(req: Req, publication_id: str) -> PublicationOut:
        item = _writable(req, kind, publication_id)
        return publication_out(store.update(app.outbox, req.principal.tenant, req.principal.user_id, item,
                                                   req.body.draft()))

    def remove(req: Req, publication_id: str) -> None:
        store.delete(app.outbox, req.principal.tenant, _writable(req, kind, publication_id))

    what = "news item" if kind == "news" else "newsletter"
    app.endpoint(base, "POST", action="location.news.publish", body=PublicationIn, response=PublicationOut,
                 status=201, max_body=MAX_BODY, summary=f"Publish a {what} for a location or the organisation, "
                                                        "now or at a moment")(named(create, "publish"))
    app.endpoint(base, "GET", action="organisation.news.read", query=ListQuery, response=PublicationPage,
                 summary=f"The {what}s one may read, pinned first, then newest first, cursor-paged"
                 )(named(list_page, "list"))
    app.endpoint(f"{base}/{{publication_id}}", "GET", action="organisation.news.read", response=PublicationOut,
                 summary=f"A {what} with its body and attachments")(named(read, "read"))
    app.endpoint(f"{base}/{{publication_id}}", "PUT", action="location.news.publish", body=PublicationUpdate,
                 response=PublicationOut, max_body=MAX_BODY,
                 summary=f"Change a {what} (title, body, pin, attachments; the moment while scheduled)"
                 )(named(edit, "edit"))
    app.endpoint(f"{base}/{{publication_id}}", "DELETE", action="location.news.publish", status=204,
                 summary=f"Delete a {what} and its attachments")(named(remove, "delete"))


def register(app: PortalApp) -> None:
    for kind in rules.KINDS:
        _register_kind(app, kind)
