"""Planning's admin routes: contracts per child, a location's extra closing days, the planning settings.

Contracts and settings are the organisation's admins' (`contracts.manage`, `planning.settings.manage`);
closing days also the location's manager's (`location.closures.manage`). Children and locations must
be known from auth's events (planning's copies); another tenant's are unknown: 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError

from planning_service import care, closures, contracts, directory_copy, opening_days, settings
from planning_service.api_admin import (
    ClosureIn,
    ClosureOut,
    ClosuresPage,
    ClosuresQuery,
    ContractIn,
    ContractOut,
    ContractsPage,
    ContractTerms,
    SettingsIn,
    SettingsOut,
)
from planning_service.child_access import valid_id
from planning_service.store import ClosureItem, ContractItem
from portal_common import clock, errors, ids
from portal_common.authz import Target
from portal_common.contracts import planning as events
from portal_common.outbox import Changes, Outbox
from portal_common.service import PortalApp, Req, json_response


def contract_out(item: ContractItem) -> ContractOut:
    return ContractOut(id=item.contract_id, child_id=item.child_id, product=item.product, group_id=item.group_id,
                       location_id=item.location_id, start=item.start, end=item.end,
                       hourly_rate_cents=int(item.hourly_rate_cents), days=item.days or {},
                       flex_hours_per_year=int(item.flex_hours_per_year or 0))


def care_days(terms: ContractTerms) -> dict[str, dict[str, str]]:
    found = {}
    for weekday, times in sorted(terms.days.items()):
        start, end = care.PARTS[times.part] if times.part else (times.start, times.end)
        found[weekday] = {"start": start, "end": end}
    return found


def check_terms(tenant: str, terms: ContractTerms, product: str, start: date) -> str:
    """The rules a contract's terms follow; the group's location when they hold."""
    problems = []
    if product == "regular" and not terms.days:
        problems.append({"loc": ["body", "days"], "msg": "a regular contract names its care days"})
    if product == "regular" and terms.flex_hours_per_year:
        problems.append({"loc": ["body", "flex_hours_per_year"], "msg": "flex hours belong to flex contracts"})
    if terms.end is not None and terms.end < start:
        problems.append({"loc": ["body", "end"], "msg": "the contract ends before it starts"})
    group = directory_copy.group(tenant, terms.group_id)
    if group is None:  # the same code as auth's placements give an unknown group
        raise errors.Unprocessable(code="unknown_group", errors=[
            {"loc": ["body", "group_id"], "msg": "no such group"}, *problems])
    if problems:
        raise errors.Unprocessable(code="invalid_contract", errors=problems)
    return group.location_id


def check_overlap(existing: list[ContractItem], start: str, end: str | None, contract_id: str | None = None) -> None:
    for other in existing:
        if other.contract_id == contract_id:
            continue
        if (end is None or other.start <= end) and (other.end is None or start <= other.end):
            raise errors.Conflict(code="contract_overlaps", errors=[
                {"loc": ["body"], "msg": f"overlaps contract {other.contract_id} from {other.start}"}])


def payload(item: ContractItem) -> dict[str, Any]:
    return {"contract_id": item.contract_id, "child_id": item.child_id, "product": item.product,
            "group_id": item.group_id, "location_id": item.location_id, "start": item.start, "end": item.end}


def known_child(tenant: str, child_id: str) -> None:
    if directory_copy.child(tenant, valid_id(child_id)) is None:
        raise errors.NotFound()


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/admin/children/{child_id}/contracts", "POST", action="contracts.manage", body=ContractIn,
                  response=ContractOut, status=201, summary="Register a child's contract (regular or flex)")
    def create_contract(req: Req, child_id: str) -> ContractOut:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.organisation(tenant))
        known_child(tenant, child_id)
        location_id = check_terms(tenant, body, body.product, body.start)
        end = body.end.isoformat() if body.end else None
        check_overlap(contracts.contracts_of_child(tenant, child_id), body.start.isoformat(), end)
        item = contracts.contract_item(
            tenant, f"contract-{ids.new_id().lower()}", child_id=child_id, product=body.product,
            location_id=location_id, group_id=body.group_id, start=body.start.isoformat(), end=end,
            hourly_rate_cents=body.hourly_rate_cents, days=care_days(body),
            flex_hours_per_year=body.flex_hours_per_year)
        ch = Changes(outbox, tenant, "planning")
        ch.save(item, ContractItem.pk.does_not_exist())
        ch.save(contracts.tenant_item(tenant))
        ch.emit(events.ContractStarted(**payload(item)))
        if end:
            ch.emit(events.ContractEnded(**payload(item)))
        ch.commit()
        return contract_out(item)

    @app.endpoint("/admin/children/{child_id}/contracts", "GET", action="contracts.manage", response=ContractsPage,
                  summary="A child's contracts, oldest first")
    def list_contracts(req: Req, child_id: str) -> dict[str, Any]:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        known_child(tenant, child_id)
        found = sorted(contracts.contracts_of_child(tenant, child_id), key=lambda c: c.start)
        return {"items": [contract_out(c) for c in found], "next_cursor": None}

    @app.endpoint("/admin/children/{child_id}/contracts/{contract_id}", "PUT", action="contracts.manage",
                  body=ContractTerms, response=ContractOut,
                  summary="Change a contract's group, days, rate, flex hours or end (ending it: set `end`)")
    def change_contract(req: Req, child_id: str, contract_id: str) -> ContractOut:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.organisation(tenant))
        known_child(tenant, child_id)
        existing = contracts.contracts_of_child(tenant, child_id)
        found = [c for c in existing if c.contract_id == valid_id(contract_id)]
        if not found:
            raise errors.NotFound()
        item = found[0]
        location_id = check_terms(tenant, body, item.product, date.fromisoformat(item.start))
        end = body.end.isoformat() if body.end else None
        check_overlap(existing, item.start, end, contract_id)
        previous_end = item.end
        changed = contracts.contract_item(
            tenant, item.contract_id, child_id=child_id, product=item.product, location_id=location_id,
            group_id=body.group_id, start=item.start, end=end, hourly_rate_cents=body.hourly_rate_cents,
            days=care_days(body), flex_hours_per_year=body.flex_hours_per_year)
        ch = Changes(outbox, tenant, "planning")
        ch.save(changed, ContractItem.pk.exists())
        ch.emit(events.ContractChanged(**payload(changed)))
        if end is not None and end != previous_end:
            ch.emit(events.ContractEnded(**payload(changed)))
        ch.commit()
        return contract_out(changed)

    @app.endpoint("/admin/settings", "GET", action="planning.settings.manage", response=SettingsOut,
                  summary="The organisation's planning rules (defaults until set)")
    def get_settings(req: Req) -> SettingsOut:
        req.authorize(Target.organisation(req.principal.tenant))
        return SettingsOut(**settings.load(req.principal.tenant).as_dict())

    @app.endpoint("/admin/settings", "PUT", action="planning.settings.manage", body=SettingsIn,
                  response=SettingsOut, summary="Set the organisation's planning rules")
    def put_settings(req: Req) -> SettingsOut:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        values = settings.PlanningSettings(**req.body.model_dump())
        settings.save(tenant, values)
        return SettingsOut(**values.as_dict())

    register_closures(app, outbox)


def _location(req: Req, location_id: str) -> str:
    tenant = req.principal.tenant
    req.authorize(Target.location(tenant, valid_id(location_id)))
    if directory_copy.location(tenant, location_id) is None:
        raise errors.NotFound()
    return location_id


def _day(value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise errors.NotFound() from None


def register_closures(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/admin/locations/{location_id}/closures", "GET", action="location.closures.manage",
                  query=ClosuresQuery, response=ClosuresPage, summary="A location's own closing days in a range")
    def list_closures(req: Req, location_id: str) -> dict[str, Any]:
        _location(req, location_id)
        found = closures.of_location(req.principal.tenant, location_id, req.query.from_, req.query.to)
        return {"items": [ClosureOut(location_id=location_id, date=d.isoformat(), description=text)
                          for d, text in sorted(found.items())], "next_cursor": None}

    @app.endpoint("/admin/locations/{location_id}/closures/{day}", "PUT", action="location.closures.manage",
                  body=ClosureIn, response=ClosureOut, also=(201,),
                  summary="Close a location on a day (the reason parents see)")
    def put_closure(req: Req, location_id: str, day: str) -> Any:
        tenant = req.principal.tenant
        _location(req, location_id)
        when = _day(day)
        if when < clock.today():
            raise errors.Unprocessable(code="in_the_past", errors=[{"loc": ["path", "day"], "msg": "a past day"}])
        already = opening_days.closure(when)
        if already is not None:
            raise errors.Unprocessable(code="already_closed", errors=[
                {"loc": ["path", "day"], "msg": f"already closed: {already.name(req.lang)}"}])
        existed = bool(closures.of_location(tenant, location_id, when, when))
        ch = Changes(outbox, tenant, "planning")
        ch.save(closures.item(tenant, location_id, when, req.body.description, req.principal.user_id))
        ch.emit(events.ClosureChanged(location_id=location_id, date=when.isoformat(), closed=True,
                                      description=req.body.description))
        ch.commit()
        out = ClosureOut(location_id=location_id, date=when.isoformat(), description=req.body.description)
        return out if existed else json_response(out, 201)

    @app.endpoint("/admin/locations/{location_id}/closures/{day}", "DELETE", action="location.closures.manage",
                  status=204, summary="Open a location again on a day it had closed")
    def delete_closure(req: Req, location_id: str, day: str) -> None:
        tenant = req.principal.tenant
        _location(req, location_id)
        when = _day(day)
        if not closures.of_location(tenant, location_id, when, when):
            raise errors.NotFound()
        ch = Changes(outbox, tenant, "planning")
        ch.delete(closures.item(tenant, location_id, when), ClosureItem.pk.exists())
        ch.emit(events.ClosureChanged(location_id=location_id, date=when.isoformat(), closed=False))
        try:
            ch.commit()
        except TransactWriteError:
            raise errors.NotFound() from None  # removed meanwhile
