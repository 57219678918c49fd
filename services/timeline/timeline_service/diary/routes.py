"""The diary's routes.

- `POST /timeline/diary`: staff write (or edit, that day) a child's report; a parent adds an own entry.
- `GET /timeline/diary/{id}` and `.../download` (one self-contained HTML page with its photos, through a
  10-minute link; its photos count as downloaded in the child's access log).
- `GET /timeline/children/{child_id}/diary`: a child's diary, newest first (guardians, the group's staff).
- `GET /timeline/groups/{group_id}/diary?date=`: the group's day for its staff: every report and every
  parent's entry, so staff see what parents wrote.

Every one of them shows an entry, and each of its photos, only when `visibility.may_see` says the caller
sees it (`visible`): a guardian their own child's, staff their own groups' (the group the entry was written
in, not the child's group today), a manager their locations', an admin all; with diary consent, and each
photo while its photo consent holds.
"""

from __future__ import annotations

from datetime import date as Day
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from portal_common import aws, clock, errors, files
from portal_common.authz import Principal, Role, Target
from portal_common.ids import Id
from portal_common.parsing import Body, Out, Query
from portal_common.service import PortalApp, Req, json_response
from timeline_service import diary, diary_html, directory_copy, feed, visibility
from timeline_service.store import DiaryItem, GroupCopyItem, PhotoItem

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
PARENT_DAYS_BACK = 7


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


class DownloadOut(Out):
    url: str
    expires_at: str
    file_name: str


def out(item: DiaryItem, photo_ids: list[str]) -> DiaryOut:
    """A diary entry as its reader gets it: `photo_ids` are those of its photos the reader may see."""
    return DiaryOut(id=item.diary_id, kind=item.kind, child_id=item.child_id, date=item.date, text=item.text,
                    rhythm=list(item.rhythm or []), photo_ids=photo_ids,
                    author_role=item.author_role, created_at=item.created_at, updated_at=item.updated_at)


def _target(tenant: str, child_id: str, day: Day, placements: list[Any] | None = None,
            ) -> tuple[Target, GroupCopyItem | None]:
    """Who may touch the child's diary of `day`, and the group the child was in that day (`placements`: the
    child's, when the caller has read them already)."""
    if placements is None:
        placements = directory_copy.placements(tenant, child_id)
    groups = {p.group_id for p in placements if directory_copy.covers(p, day)}
    group = directory_copy.group(tenant, sorted(groups)[0]) if groups else None
    return Target.child(tenant, child_id, groups, {group.location_id} if group else ()), group


def visible(principal: Principal, rows: list[DiaryItem],
            locations: dict[str, str] | None = None) -> list[tuple[DiaryItem, list[PhotoItem]]]:
    """The rows the caller may see, each with those of its photos the caller may see (`visibility.may_see`):
    one BatchGetItem of the photos, one of the consents, and for a manager reading rows written before rows
    carried their location, one of the groups (`locations`: the groups' locations the caller knows)."""
    tenant = principal.tenant
    photos = feed.get_photos(tenant, [p for row in rows for p in row.photo_ids or []])
    consents = feed.consents_of(tenant, {r.child_id for r in rows} | {c for p in photos.values() for c in p.child_ids})
    known = dict(locations or {})
    missing = {r.group_id for r in rows if not r.location_id and r.group_id not in known}
    if principal.role is Role.MANAGER and missing:
        known.update(feed.group_locations(tenant, missing))
    shown = []
    for row in rows:
        if visibility.may_see(principal, visibility.of_diary(row, row.location_id or known.get(row.group_id)),
                              consents):
            shown.append((row, [photos[p] for p in row.photo_ids or [] if p in photos
                                and visibility.may_see(principal, visibility.of_photo(photos[p]), consents)]))
    return shown


def _page(rows: list[tuple[DiaryItem, list[PhotoItem]]]) -> list[DiaryOut]:
    return [out(row, [p.photo_id for p in photos]) for row, photos in rows]


def register(app: PortalApp) -> None:
    @app.endpoint("/diary", "POST", action="child.diary.write", body=DiaryIn, response=DiaryOut, status=201,
                  also=(200,), summary="Staff: write or edit today's report of a child; a parent: add an own entry")
    def write_diary(req: Req) -> object:
        principal, body = req.principal, req.body
        tenant, today = principal.tenant, clock.today()
        target, group = _target(tenant, body.child_id, body.date)
        req.authorize(target)
        if group is None:
            raise errors.NotFound()
        staff_side = principal.role is not Role.PARENT
        if staff_side and body.date != today:
            raise errors.Unprocessable(code="report_day_closed", errors=[
                {"loc": ["body", "date"], "msg": "staff write and edit a report on its own day"}])
        if not staff_side and not today - timedelta(days=PARENT_DAYS_BACK) <= body.date <= today:
            raise errors.Unprocessable(code="date_out_of_range", errors=[
                {"loc": ["body", "date"], "msg": f"today or the past {PARENT_DAYS_BACK} days"}])
        found = feed.get_photos(tenant, [p for p in body.photo_ids if feed.PHOTO_ID.fullmatch(p)])
        for n, photo_id in enumerate(body.photo_ids):
            photo = found.get(photo_id)
            if photo is None or body.child_id not in photo.child_ids or not feed.may_see(principal, photo):
                raise errors.Unprocessable(code="unknown_photo", errors=[
                    {"loc": ["body", "photo_ids", n], "msg": "not a photo of this child"}])
        item, created = diary.write(app.outbox, tenant, child_id=body.child_id, day=body.date,
                                    author_id=principal.user_id, author_role="staff" if staff_side else "parent",
                                    group_id=group.group_id, location_id=group.location_id,
                                    text=body.text, rhythm=[r.model_dump() for r in body.rhythm],
                                    photos=[found[p] for p in dict.fromkeys(body.photo_ids)])
        written = out(item, list(item.photo_ids or []))
        return written if created else json_response(written, 200)

    def readable(req: Req, diary_id: str) -> tuple[DiaryItem, list[PhotoItem]]:
        """The diary entry and its photos the caller may see; 404 when the caller may not see the entry."""
        tenant = req.principal.tenant
        item = diary.get(tenant, diary_id)
        if item is None:
            raise errors.NotFound()
        group = None if item.location_id else directory_copy.group(tenant, item.group_id)  # written before
        location = item.location_id or (group.location_id if group else None)
        req.authorize(Target.child(tenant, item.child_id, {item.group_id}, {location} if location else ()),
                      action="child.diary.read")
        found = visible(req.principal, [item], {item.group_id: location} if location else None)
        if not found:
            raise errors.NotFound()
        return found[0]

    @app.endpoint("/diary/{diary_id}", "GET", action="child.diary.read", response=DiaryOut,
                  summary="A daily report or a parent's entry (the child's guardians, the group's staff)")
    def read_diary(req: Req, diary_id: str) -> DiaryOut:
        return _page([readable(req, diary_id)])[0]

    @app.endpoint("/diary/{diary_id}/download", "GET", action="child.diary.read", response=DownloadOut,
                  summary="A 10-minute link to the report as one HTML page with its photos (works offline)")
    def download_diary(req: Req, diary_id: str) -> DownloadOut:
        return _download(req.principal, *readable(req, diary_id))

    @app.endpoint("/children/{child_id}/diary", "GET", action="child.diary.read", query=ListQuery,
                  response=DiaryPage, summary="A child's diary (reports and parents' entries), newest first")
    def child_diary(req: Req, child_id: str) -> dict[str, Any]:
        tenant = req.principal.tenant
        if not feed.ID.fullmatch(child_id):
            raise errors.NotFound()
        placements = directory_copy.placements(tenant, child_id)
        if not placements:
            raise errors.NotFound()  # a child the timeline never had placed (an admin's typo, another tenant's id)
        req.authorize(_target(tenant, child_id, clock.today(), placements)[0])
        position = req.page_position(req.query.cursor)
        if position and position.get("c") != child_id:
            raise errors.BadRequest(code="cursor_of_another_list")
        if not diary.has_diary_consent(tenant, child_id):
            return {"items": [], "next_cursor": None, "diary_consent": False}
        rows, last = diary.of_child(tenant, child_id, limit=req.query.limit, start=position["k"] if position else None)
        # Filtered by the rule (staff: their groups' entries only): a page may be shorter, its cursor moves on.
        shown = _page(visible(req.principal, rows))
        return {**req.page_body(shown, {"c": child_id, "k": last} if last else None),
                "diary_consent": True}

    @app.endpoint("/groups/{group_id}/diary", "GET", action="group.diary.read", query=DayQuery,
                  response=DiaryPage, summary="Staff: a group's day: every report and every parent's entry")
    def group_diary(req: Req, group_id: str) -> dict[str, Any]:
        tenant = req.principal.tenant
        group = directory_copy.group(tenant, group_id) if feed.ID.fullmatch(group_id) else None
        if group is None:
            raise errors.NotFound()
        req.authorize(Target.group(tenant, group_id, group.location_id))
        rows = diary.of_group_day(tenant, group_id, req.query.date or clock.today())
        shown = _page(visible(req.principal, rows, {group_id: group.location_id}))
        return {"items": shown, "next_cursor": None, "diary_consent": True}


def _download(principal: Principal, item: DiaryItem, shown: list[PhotoItem]) -> DownloadOut:
    """Render the report with its photos (those the reader may see, `visible`) into a temporary object."""
    tenant = principal.tenant
    s3 = aws.client("s3")
    images = {p.photo_id: s3.get_object(Bucket=feed.photos_bucket(), Key=p.keys["medium"])["Body"].read()
              for p in shown}
    child = directory_copy.child(tenant, item.child_id)
    group = directory_copy.group(tenant, item.group_id)
    name = child.name if child else ""
    page = diary_html.render(item, child_name=name, group_name=group.name if group else "", lang=principal.language,
                             photo_ids=[p.photo_id for p in shown],
                             image_src=lambda photo_id: diary_html.data_uri(images[photo_id]))
    key = feed.download_key(tenant, item.child_id, item.diary_id)
    s3.put_object(Bucket=feed.photos_bucket(), Key=key, Body=page.encode("utf-8"),
                  ContentType="text/html; charset=utf-8", ServerSideEncryption=files.SSE)
    feed.record_access(principal, shown, "download")
    file_name = f"{'dagverslag' if item.kind == 'report' else 'dagboek'}-{files.slug(name)}-{item.date}.html"
    return DownloadOut(url=feed.url(key, download_as=file_name), file_name=file_name,
                       expires_at=(clock.now() + timedelta(seconds=feed.URL_SECONDS)).isoformat())
