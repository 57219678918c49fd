"""`POST /timeline/diary` (staff: the day's report; a parent: an own entry) and `GET /timeline/diary/{id}`."""

from __future__ import annotations

from datetime import date as Day
from datetime import timedelta
from typing import Literal

from pydantic import Field

from chalicelib import diary, directory_copy, feed
from chalicelib.store import DiaryItem
from portal_common import clock, errors
from portal_common.authz import Role, Target
from portal_common.parsing import Body, Out
from portal_common.service import PortalApp, Req, json_response

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
    photo_ids: list[str] = Field(default_factory=list, max_length=10)


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


def out(item: DiaryItem) -> DiaryOut:
    return DiaryOut(id=item.diary_id, kind=item.kind, child_id=item.child_id, date=item.date, text=item.text,
                    rhythm=list(item.rhythm or []), photo_ids=list(item.photo_ids or []),
                    author_role=item.author_role, created_at=item.created_at, updated_at=item.updated_at)


def _target(tenant: str, child_id: str, day: Day) -> tuple[Target, str | None]:
    groups = directory_copy.groups_on(tenant, child_id, day)
    group = directory_copy.group(tenant, sorted(groups)[0]) if groups else None
    return Target.child(tenant, child_id, groups, {group.location_id} if group else ()), (
        group.group_id if group else None)


def register(app: PortalApp) -> None:
    @app.endpoint("/diary", "POST", action="child.diary.write", body=DiaryIn, response=DiaryOut, status=201,
                  summary="Staff: write or edit today's report of a child; a parent: add an own entry")
    def write_diary(req: Req) -> object:
        principal, body = req.principal, req.body
        tenant, today = principal.tenant, clock.today()
        target, group_id = _target(tenant, body.child_id, body.date)
        req.authorize(target)
        if group_id is None:
            raise errors.NotFound()
        staff_side = principal.role is not Role.PARENT
        if staff_side and body.date != today:
            raise errors.Unprocessable(code="report_day_closed", errors=[
                {"loc": ["body", "date"], "msg": "staff write and edit a report on its own day"}])
        if not staff_side and not today - timedelta(days=PARENT_DAYS_BACK) <= body.date <= today:
            raise errors.Unprocessable(code="date_out_of_range", errors=[
                {"loc": ["body", "date"], "msg": f"today or the past {PARENT_DAYS_BACK} days"}])
        for n, photo_id in enumerate(body.photo_ids):
            photo = feed.get_photo(tenant, photo_id) if all(c.isalnum() or c in "-_" for c in photo_id) else None
            if photo is None or body.child_id not in photo.child_ids or not feed.may_see(principal, photo):
                raise errors.Unprocessable(code="unknown_photo", errors=[
                    {"loc": ["body", "photo_ids", n], "msg": "not a photo of this child"}])
        item, created = diary.write(tenant, child_id=body.child_id, day=body.date, author_id=principal.user_id,
                                    author_role="staff" if staff_side else "parent", group_id=group_id,
                                    text=body.text, rhythm=[r.model_dump() for r in body.rhythm],
                                    photo_ids=list(body.photo_ids))
        return out(item) if created else json_response(out(item), 200)

    @app.endpoint("/diary/{diary_id}", "GET", action="child.diary.read", response=DiaryOut,
                  summary="A daily report or a parent's entry (the child's guardians, the group's staff)")
    def read_diary(req: Req, diary_id: str) -> DiaryOut:
        tenant = req.principal.tenant
        item = diary.get(tenant, diary_id)
        if item is None:
            raise errors.NotFound()
        target, _group = _target(tenant, item.child_id, Day.fromisoformat(item.date))
        req.authorize(target)
        if not diary.has_diary_consent(tenant, item.child_id):
            raise errors.NotFound()
        return out(item)
