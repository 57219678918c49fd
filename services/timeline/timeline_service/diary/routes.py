"""The diary's routes.

- `POST /timeline/diary`: staff write (or edit, that day) a child's report; a parent adds an own entry.
- `GET /timeline/diary/{id}` and `.../download` (one self-contained HTML page with its photos, through a
  10-minute link; its photos count as downloaded in the child's access log).
- `GET /timeline/children/{child_id}/diary`: a child's diary, newest first (guardians, the group's staff).
- `GET /timeline/groups/{group_id}/diary?date=`: the group's day for its staff: every report and every
  parent's entry, so staff see what parents wrote.

Every one of them shows an entry, and each of its photos, only when `visibility.may_see` says the caller
sees it (`rules.shown`, through `service.visible`): a guardian their own child's, staff their own groups'
(the group the entry was written in, not the child's group today), a manager their locations', an admin
all; with diary consent, and each photo while its photo consent holds. The routes parse, authorize (through
the child's group of the day, or the entry's own group) and map; `service` applies the rules.
"""

from __future__ import annotations

from datetime import date as Day
from typing import Any, Literal

from pydantic import Field

from portal_common import clock, errors
from portal_common.authz import Target
from portal_common.ids import Id
from portal_common.parsing import Body, Out, Query
from portal_common.service import PortalApp, Req, json_response
from timeline_service import directory_copy, ids
from timeline_service.diary import service
from timeline_service.diary.store import DiaryItem

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class RhythmIn(Body):
    kind: Literal["meal", "bottle", "sleep", "diaper", "toilet", "activity", "medication", "temperature", "note"]
    time: str = Field(pattern=HHMM)
    note: str = Field(default="", max_length=500)


class DiaryIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    date: Day
    text: str = Field(min_length=1, max_length=5000)
    rhythm: list[RhythmIn] = Field(default_factory=list, max_length=60)
    photo_ids: list[Id] = Field(default_factory=list, max_length=10)


class DiaryOut(Out):
    id: str
    kind: str = Field(description="report (staff, one per child and day) or parent_entry")
    child_id: str
    date: str
    text: str
    rhythm: list[dict[str, str]]
    photo_ids: list[str]
    author_role: str
    created_at: str
    updated_at: str


class DiaryPage(Out):
    items: list[DiaryOut]
    next_cursor: str | None = None
    diary_consent: bool = Field(description="false: the guardians have not agreed to a diary (nothing shows)")


class ListQuery(Query):
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=2048)


class DayQuery(Query):
    date: Day | None = Field(default=None, description="the day (today when left out)")


class DiaryDownloadOut(Out):
    url: str
    expires_at: str
    file_name: str


def out(item: DiaryItem, photo_ids: list[str]) -> DiaryOut:
    """A diary entry as its reader gets it: `photo_ids` are those of its photos the reader may see."""
    return DiaryOut(id=item.diary_id, kind=item.kind, child_id=item.child_id, date=item.date, text=item.text,
                    rhythm=list(item.rhythm or []), photo_ids=photo_ids,
                    author_role=item.author_role, created_at=item.created_at, updated_at=item.updated_at)


def _page(rows: list[service.Shown]) -> list[DiaryOut]:
    return [out(row, [p.photo_id for p in photos]) for row, photos in rows]


def _child_target(tenant: str, child_id: str, groups: set[str], location_id: str | None) -> Target:
    return Target.child(tenant, child_id, groups, {location_id} if location_id else ())


def register(app: PortalApp) -> None:
    @app.endpoint("/diary", "POST", action="child.diary.write", body=DiaryIn, response=DiaryOut, status=201,
                  also=(200,), summary="Staff: write or edit today's report of a child; a parent: add an own entry")
    def write_diary(req: Req) -> object:
        principal, body = req.principal, req.body
        groups, group = service.placed_on(principal.tenant, body.child_id, body.date)
        req.authorize(_child_target(principal.tenant, body.child_id, groups, group.location_id if group else None))
        if group is None:
            raise errors.NotFound()
        item, created = service.write_for(app.outbox, principal, group, child_id=body.child_id, day=body.date,
                                          text=body.text, rhythm=[r.model_dump() for r in body.rhythm],
                                          photo_ids=list(body.photo_ids), today=clock.today(), now=clock.now())
        written = out(item, list(item.photo_ids or []))
        return written if created else json_response(written, 200)

    def readable(req: Req, diary_id: str) -> service.Shown:
        """The diary entry and its photos the caller may see; 404 when the caller may not see the entry."""
        tenant = req.principal.tenant
        item, location = service.entry(tenant, diary_id)
        req.authorize(_child_target(tenant, item.child_id, {item.group_id}, location), action="child.diary.read")
        return service.readable(req.principal, item, location)

    @app.endpoint("/diary/{diary_id}", "GET", action="child.diary.read", response=DiaryOut,
                  summary="A daily report or a parent's entry (the child's guardians, the group's staff)")
    def read_diary(req: Req, diary_id: str) -> DiaryOut:
        return _page([readable(req, diary_id)])[0]

    @app.endpoint("/diary/{diary_id}/download", "GET", action="child.diary.read", response=DiaryDownloadOut,
                  summary="A 10-minute link to the report as one HTML page with its photos (works offline)")
    def download_diary(req: Req, diary_id: str) -> DiaryDownloadOut:
        item, photos = readable(req, diary_id)
        done = service.download(req.principal, item, photos, clock.now())
        return DiaryDownloadOut(url=done.url, file_name=done.file_name, expires_at=done.expires_at.isoformat())

    @app.endpoint("/children/{child_id}/diary", "GET", action="child.diary.read", query=ListQuery,
                  response=DiaryPage, summary="A child's diary (reports and parents' entries), newest first")
    def child_diary(req: Req, child_id: str) -> dict[str, Any]:
        tenant = req.principal.tenant
        if not ids.is_id(child_id):
            raise errors.NotFound()
        placements = directory_copy.known_placements(tenant, child_id)
        groups, group = service.placed_on(tenant, child_id, clock.today(), placements)
        req.authorize(_child_target(tenant, child_id, groups, group.location_id if group else None))
        position = req.page_position(req.query.cursor)
        if position and position.get("c") != child_id:
            raise errors.BadRequest(code="cursor_of_another_list")
        shown, last, consent = service.child_page(req.principal, child_id, limit=req.query.limit,
                                                  start=position["k"] if position else None)
        if not consent:
            return {"items": [], "next_cursor": None, "diary_consent": False}
        return {**req.page_body(_page(shown), {"c": child_id, "k": last} if last else None), "diary_consent": True}

    @app.endpoint("/groups/{group_id}/diary", "GET", action="group.diary.read", query=DayQuery,
                  response=DiaryPage, summary="Staff: a group's day: every report and every parent's entry")
    def group_diary(req: Req, group_id: str) -> dict[str, Any]:
        tenant = req.principal.tenant
        group = directory_copy.group(tenant, group_id) if ids.is_id(group_id) else None
        if group is None:
            raise errors.NotFound()
        req.authorize(Target.group(tenant, group_id, group.location_id))
        shown = service.group_day(req.principal, group, req.query.date or clock.today())
        return {"items": _page(shown), "next_cursor": None, "diary_consent": True}
