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

from dataclasses import dataclass
from datetime import date
from typing import Any

from pynamodb.attributes import DiscriminatorAttribute, JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from messaging_service.attachments import store as attachments
from messaging_service.locations import rules
from messaging_service.locations.rules import KINDS
from messaging_service.store import MessagingItem
from portal_common import clock, store
from portal_common.domain import Missing, StateConflict
from portal_common.outbox import Changes, Outbox


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


def exists(tenant: str, location_id: str) -> bool:
    try:
        LocationCopyItem.get(pk(tenant, location_id), "LOCATION")
    except LocationCopyItem.DoesNotExist:
        return False
    return True


def set_opening_hours(tenant: str, location_id: str, user_id: str, spans: list[Any]) -> list[dict[str, Any]]:
    """Replace the location's opening hours; the hours as kept (per weekday, in the order of the day)."""
    hours = rules.opening_hours(spans)
    OpeningHoursItem(pk(tenant, location_id), "HOURS", hours=hours, updated_by=user_id,
                     updated_at=clock.now().isoformat()).save()
    return hours


@dataclass(frozen=True)
class Page:
    location: LocationCopyItem
    hours: list[dict[str, Any]]
    policies: dict[str, list[tuple[PolicyItem, bool]]]  # kind → versions newest first, with "in force today"


def page(tenant: str, location_id: str, today: date) -> Page:
    """Everything of the location's page: one Query of its partition; 404 when messaging knows no such location."""
    rows = list(LocationPartItem.query(pk(tenant, location_id)))
    found = next((r for r in rows if isinstance(r, LocationCopyItem)), None)
    if found is None:
        raise Missing("not_found")
    hours: list[dict[str, Any]] = next((r.hours for r in rows if isinstance(r, OpeningHoursItem)), [])
    policies = [r for r in rows if isinstance(r, PolicyItem)]
    return Page(found, hours, {kind: rules.versions(policies, kind, today) for kind in KINDS})


@dataclass(frozen=True)
class NewPolicy:
    kind: str
    title: str
    version: str
    valid_from: date
    attachment_id: str


def add_policy(outbox: Outbox, tenant: str, user_id: str, location_id: str,
               new: NewPolicy) -> tuple[PolicyItem, bool]:
    """A new version of one of the location's policies, its PDF claimed with it; the version as listed (with
    whether it is in force today). A version is never changed: the same one again is 409 `version_exists`."""
    today = clock.today()
    rules.check_valid_from(new.valid_from, today)
    key = (pk(tenant, location_id), f"POLICY#{new.kind}#{new.version}")
    try:
        PolicyItem.get(*key, consistent_read=True)
        raise StateConflict("version_exists", errors=[
            {"loc": ["body", "version"], "msg": "this version of this policy already exists"}])
    except PolicyItem.DoesNotExist:
        pass
    ch = Changes(outbox, tenant, "messaging")
    [pdf] = attachments.claim(ch, tenant, user_id, [new.attachment_id], owner_kind="policy",
                              owner_id=rules.policy_owner(location_id, new.kind, new.version),
                              loc=["body", "attachment_id"])
    rules.check_policy_file(pdf.content_type)
    item = PolicyItem(*key, kind=new.kind, version=new.version, title=new.title,
                      valid_from=new.valid_from.isoformat(), attachment_id=pdf.attachment_id,
                      file_name=pdf.file_name, created_by=user_id, created_at=clock.now().isoformat())
    ch.save(item, PolicyItem.pk.does_not_exist())
    try:
        ch.commit()
    except TransactWriteError:
        raise StateConflict("version_exists", errors=[
            {"loc": ["body", "version"], "msg": "added meanwhile, or the attachment was used meanwhile"}]) from None
    versions = PolicyItem.query(key[0], PolicyItem.sk.startswith(f"POLICY#{new.kind}#"), consistent_read=True)
    return next((v, current) for v, current in rules.versions(list(versions), new.kind, clock.today())
                if v.version == new.version)
