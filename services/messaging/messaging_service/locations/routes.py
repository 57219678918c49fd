"""The location page's routes: `GET /locations/{id}` (contact details, opening hours, team and policies with
their versions), `PUT /locations/{id}/opening-hours` and `POST /locations/{id}/policies` (its managers and the
admins). Guardians and staff of the location, its managers and the admins read it; anyone else gets 404.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from messaging_service.locations import store
from messaging_service.locations.rules import KINDS
from messaging_service.locations.store import PolicyItem
from portal_common import clock, errors
from portal_common.authz import Target
from portal_common.parsing import Body, Out
from portal_common.service import PortalApp, Req

LOCATION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


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


def policy_out(row: PolicyItem, current: bool) -> PolicyOut:
    return PolicyOut(version=row.version, title=row.title, valid_from=row.valid_from,
                     attachment=FileRef(id=row.attachment_id, file_name=row.file_name), current=current)


def register(app: PortalApp) -> None:
    def location(req: Req, location_id: str) -> str:
        if not LOCATION_ID.fullmatch(location_id):
            raise errors.NotFound()
        req.authorize(Target.location(req.principal.tenant, location_id))
        if not store.exists(req.principal.tenant, location_id):
            raise errors.NotFound()
        return location_id

    @app.endpoint("/locations/{location_id}", "GET", action="location.page.read", response=LocationPageOut,
                  summary="A location's page: contact details, opening hours, team and policies with their versions")
    def location_page(req: Req, location_id: str) -> LocationPageOut:
        if not LOCATION_ID.fullmatch(location_id):
            raise errors.NotFound()
        req.authorize(Target.location(req.principal.tenant, location_id))
        found = store.page(req.principal.tenant, location_id, clock.today())
        place = found.location
        return LocationPageOut(
            id=place.location_id, name=place.name, address=dict(place.address or {}),
            contact=dict(place.contact or {}), opening_hours=[HoursOut(**h) for h in found.hours],
            team=[TeamMemberOut(**m) for m in place.team or []],
            policies=PoliciesOut(**{kind: [policy_out(r, current) for r, current in found.policies[kind]]
                                    for kind in KINDS}))

    @app.endpoint("/locations/{location_id}/opening-hours", "PUT", action="location.page.manage",
                  body=OpeningHoursIn, response=OpeningHoursOut, summary="Set a location's opening hours")
    def set_opening_hours(req: Req, location_id: str) -> OpeningHoursOut:
        location(req, location_id)
        hours = store.set_opening_hours(req.principal.tenant, location_id, req.principal.user_id,
                                        list(req.body.opening_hours))
        return OpeningHoursOut(opening_hours=[HoursOut(**h) for h in hours])

    @app.endpoint("/locations/{location_id}/policies", "POST", action="location.page.manage", body=PolicyIn,
                  response=PolicyOut, status=201,
                  summary="Add a version of the location's safety-and-health or pedagogical policy (a PDF)")
    def add_policy_version(req: Req, location_id: str) -> PolicyOut:
        location(req, location_id)
        body = req.body
        new = store.NewPolicy(body.kind, body.title, body.version, body.valid_from, body.attachment_id)
        return policy_out(*store.add_policy(app.outbox, req.principal.tenant, req.principal.user_id, location_id,
                                            new))
