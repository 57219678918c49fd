"""The location page: contact details, opening hours, team, and the safety-and-health and pedagogical
policies as versioned PDF documents.

Name, address, contact details and team are auth's facts, kept from `auth.location.changed` (newest
event wins, `store.save_unless_older`); opening hours and policies are written here by the location's
managers and the admins. Everything of one location is one partition, so the page is one Query.
Guardians and staff of the location (the token's `locations`), its managers and the admins read it;
anyone else gets 404. A policy version is never changed or removed: the `current` one of a kind is the
one with the newest `valid_from` that is not in the future.

| item | pk | sk |
|---|---|---|
| location (copy of auth's: name, address, contact, team) | `<t>#LOC#<loc>` | `LOCATION` |
| opening hours | `<t>#LOC#<loc>` | `HOURS` |
| policy version (its PDF: owner `policy` `<loc>:<kind>:<version>`) | `<t>#LOC#<loc>` | `POLICY#<kind>#<version>` |
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from pynamodb.attributes import DiscriminatorAttribute, JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from messaging_service import attachments
from messaging_service.store import MessagingItem
from portal_common import clock, errors, store
from portal_common.authz import Principal, Role, Target
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox
from portal_common.parsing import Body, Out
from portal_common.service import PortalApp, Req

KINDS = ("safety_health", "pedagogical")
LOCATION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class LocationPartItem(MessagingItem):
    """Base of a location partition's items: one Query returns the copy, the hours and the policies."""

    part = DiscriminatorAttribute()


class LocationCopyItem(LocationPartItem, discriminator="location"):  # type: ignore[call-arg]
    location_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = JSONAttribute(default=dict)
    contact = JSONAttribute(default=dict)
    team = JSONAttribute(default=list)  # [{"name", "role"}]
    as_of = UnicodeAttribute()


class OpeningHoursItem(LocationPartItem, discriminator="hours"):  # type: ignore[call-arg]
    hours = JSONAttribute(default=list)  # [{"weekday", "open", "close"}]
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class PolicyItem(LocationPartItem, discriminator="policy"):  # type: ignore[call-arg]
    kind = UnicodeAttribute()
    version = UnicodeAttribute()
    title = UnicodeAttribute()
    valid_from = UnicodeAttribute()
    attachment_id = UnicodeAttribute()
    file_name = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


def pk(tenant: str, location_id: str) -> str:
    return store.key(tenant, "LOC", location_id)


def on_location_changed(env: Envelope) -> None:
    p = env.payload
    store.save_unless_older(LocationCopyItem(
        pk(env.tenant, p["location_id"]), "LOCATION", location_id=p["location_id"], name=p["name"],
        address=dict(p.get("address") or {}), contact=dict(p.get("contact") or {}),
        team=[{"name": m.get("name", ""), "role": m.get("role", "")} for m in p.get("team") or []],
        as_of=env.occurred_at.isoformat()))


HANDLERS = {"auth.location.changed": on_location_changed}


def exists(tenant: str, location_id: str) -> bool:
    try:
        LocationCopyItem.get(pk(tenant, location_id), "LOCATION")
    except LocationCopyItem.DoesNotExist:
        return False
    return True


def policy_owner(location_id: str, kind: str, version: str) -> str:
    return f"{location_id}:{kind}:{version}"


def policy_readable(principal: Principal, owner_id: str) -> bool:
    """Whoever may read the location page may read its policies (attachments' reader of `policy`)."""
    location_id = owner_id.split(":", 1)[0]
    return principal.role is Role.ADMIN or location_id in principal.locations


# -- API ------------------------------------------------------------------------------------------
class Hours(Body):
    weekday: int = Field(ge=1, le=7, description="1 Monday … 7 Sunday")
    open: str = Field(pattern=TIME)
    close: str = Field(pattern=TIME)

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if self.close <= self.open:
            raise ValueError("closes after it opens")
        return self


class OpeningHoursIn(Body):
    opening_hours: list[Hours] = Field(max_length=21, description="one or more spans a day; none: closed")

    @model_validator(mode="after")
    def _no_overlap(self) -> OpeningHoursIn:
        spans = sorted((h.weekday, h.open, h.close) for h in self.opening_hours)
        for (day, _, close), (next_day, opens, _) in itertools.pairwise(spans):
            if day == next_day and opens < close:
                raise ValueError(f"opening hours of weekday {day} overlap")
        return self


class PolicyIn(Body):
    kind: Literal["safety_health", "pedagogical"]
    title: str = Field(min_length=1, max_length=200)
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$", description="e.g. 2026.1")
    valid_from: date
    attachment_id: str = Field(pattern=r"^att-[0-9a-z]{26}$", description="a completed PDF upload")


class FileRef(Out):
    id: str
    file_name: str


class PolicyOut(Out):
    version: str
    title: str
    valid_from: str
    attachment: FileRef
    current: bool = Field(description="the version in force today")


class PoliciesOut(Out):
    safety_health: list[PolicyOut]
    pedagogical: list[PolicyOut]


class HoursOut(Out):
    weekday: int
    open: str
    close: str


class OpeningHoursOut(Out):
    opening_hours: list[HoursOut]


class TeamMemberOut(Out):
    name: str
    role: str


class LocationPageOut(Out):
    id: str
    name: str
    address: dict[str, str]
    contact: dict[str, str] = Field(description="phone, email (and website when known)")
    opening_hours: list[HoursOut]
    team: list[TeamMemberOut]
    policies: PoliciesOut


def _versions(rows: list[PolicyItem], kind: str, today: str) -> list[PolicyOut]:
    mine = sorted((r for r in rows if r.kind == kind), key=lambda r: (r.valid_from, r.created_at), reverse=True)
    current = next((r for r in mine if r.valid_from <= today), None)
    return [PolicyOut(version=r.version, title=r.title, valid_from=r.valid_from,
                      attachment=FileRef(id=r.attachment_id, file_name=r.file_name), current=r is current)
            for r in mine]


def page(tenant: str, location_id: str) -> LocationPageOut:
    rows = list(LocationPartItem.query(pk(tenant, location_id)))
    found = next((r for r in rows if isinstance(r, LocationCopyItem)), None)
    if found is None:
        raise errors.NotFound()
    hours: list[dict[str, Any]] = next((r.hours for r in rows if isinstance(r, OpeningHoursItem)), [])
    policies = [r for r in rows if isinstance(r, PolicyItem)]
    today = clock.today().isoformat()
    return LocationPageOut(
        id=found.location_id, name=found.name, address=dict(found.address or {}), contact=dict(found.contact or {}),
        opening_hours=[HoursOut(**h) for h in hours], team=[TeamMemberOut(**m) for m in found.team or []],
        policies=PoliciesOut(**{kind: _versions(policies, kind, today) for kind in KINDS}))


def add_policy(outbox: Outbox, tenant: str, user_id: str, location_id: str, body: PolicyIn) -> PolicyOut:
    key = (pk(tenant, location_id), f"POLICY#{body.kind}#{body.version}")
    try:
        PolicyItem.get(*key, consistent_read=True)
        raise errors.Conflict(code="version_exists", errors=[
            {"loc": ["body", "version"], "msg": "this version of this policy already exists"}])
    except PolicyItem.DoesNotExist:
        pass
    ch = Changes(outbox, tenant, "messaging")
    [pdf] = attachments.claim(ch, tenant, user_id, [body.attachment_id], owner_kind="policy",
                              owner_id=policy_owner(location_id, body.kind, body.version),
                              loc=["body", "attachment_id"])
    if pdf.content_type != attachments.PDF:
        raise errors.Unprocessable(code="not_a_pdf", detail_key="messaging.attachment.not_a_pdf",
                                   errors=[{"loc": ["body", "attachment_id"], "msg": "a policy is a PDF"}])
    item = PolicyItem(*key, kind=body.kind, version=body.version, title=body.title,
                      valid_from=body.valid_from.isoformat(), attachment_id=pdf.attachment_id,
                      file_name=pdf.file_name, created_by=user_id, created_at=clock.now().isoformat())
    ch.save(item, PolicyItem.pk.does_not_exist())
    try:
        ch.commit()
    except TransactWriteError:
        raise errors.Conflict(code="version_exists", errors=[
            {"loc": ["body", "version"], "msg": "added meanwhile, or the attachment was used meanwhile"}]) from None
    versions = PolicyItem.query(key[0], PolicyItem.sk.startswith(f"POLICY#{body.kind}#"), consistent_read=True)
    return next(v for v in _versions(list(versions), body.kind, clock.today().isoformat())
                if v.version == body.version)


def register(app: PortalApp) -> None:
    def location(req: Req, location_id: str) -> str:
        if not LOCATION_ID.fullmatch(location_id):
            raise errors.NotFound()
        req.authorize(Target.location(req.principal.tenant, location_id))
        if not exists(req.principal.tenant, location_id):
            raise errors.NotFound()
        return location_id

    @app.endpoint("/locations/{location_id}", "GET", action="location.page.read", response=LocationPageOut,
                  summary="A location's page: contact details, opening hours, team and policies with their versions")
    def location_page(req: Req, location_id: str) -> LocationPageOut:
        if not LOCATION_ID.fullmatch(location_id):
            raise errors.NotFound()
        req.authorize(Target.location(req.principal.tenant, location_id))
        return page(req.principal.tenant, location_id)

    @app.endpoint("/locations/{location_id}/opening-hours", "PUT", action="location.page.manage",
                  body=OpeningHoursIn, response=OpeningHoursOut, summary="Set a location's opening hours")
    def set_opening_hours(req: Req, location_id: str) -> OpeningHoursOut:
        tenant = req.principal.tenant
        location(req, location_id)
        hours = sorted(({"weekday": h.weekday, "open": h.open, "close": h.close} for h in req.body.opening_hours),
                       key=lambda h: (h["weekday"], h["open"]))
        OpeningHoursItem(pk(tenant, location_id), "HOURS", hours=hours, updated_by=req.principal.user_id,
                         updated_at=clock.now().isoformat()).save()
        return OpeningHoursOut(opening_hours=[HoursOut(**h) for h in hours])

    @app.endpoint("/locations/{location_id}/policies", "POST", action="location.page.manage", body=PolicyIn,
                  response=PolicyOut, status=201,
                  summary="Add a version of the location's safety-and-health or pedagogical policy (a PDF)")
    def add_policy_version(req: Req, location_id: str) -> PolicyOut:
        location(req, location_id)
        body = req.body
        if not date(2000, 1, 1) <= body.valid_from <= clock.today() + timedelta(days=730):
            raise errors.Unprocessable(code="valid_from_out_of_range", errors=[
                {"loc": ["body", "valid_from"], "msg": "from 2000 up to two years ahead"}])
        return add_policy(app.outbox, req.principal.tenant, req.principal.user_id, location_id, body)

