"""Extra-day requests (submit, decide, cancel) and availability for a child on a date."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from planning_service import capacity, care, child_access, closures, days, opening_days, request_ids, requests, settings
from planning_service import flex as flex_rules
from planning_service.api_overview import OverviewItem
from planning_service.api_requests import AvailabilityOption, AvailabilityOut, AvailabilityQuery, DecisionIn, RequestIn
from planning_service.overview import overview_item
from planning_service.store import ContractItem
from portal_common import clock, errors, i18n
from portal_common.authz import Role
from portal_common.outbox import Outbox
from portal_common.service import PortalApp, Req

OPENS, CLOSES = care.PARTS[care.WHOLE_DAY]
# The `detail` of every refusal these routes give, in Dutch and English (`code` stays the machine's key).
TEXTS = {f"planning.request.{code}": {"nl": nl, "en": en} for code, nl, en in (
    ("too_many_days", "Er staan te veel dagen in deze aanvraag.", "This request has too many days."),
    ("date_out_of_range", "Een dag ligt te vroeg of te ver vooruit.", "A day is too soon or too far ahead."),
    ("no_contract", "Uw kind heeft op een gevraagde dag geen contract.", "Your child has no contract on a day asked."),
    ("end_before_start", "Een dag moet eindigen na het begin.", "A day must end after it starts."),
    ("outside_opening_hours", "Opvang kan tussen 07:30 en 18:30.", "Care is possible between 07:30 and 18:30."),
    ("closed", "De locatie is op een gevraagde dag gesloten.", "The location is closed on a day asked."),
    ("already_attends", "Uw kind komt op een gevraagde dag al.", "Your child already comes on a day asked."),
    ("no_capacity", "Er is geen plaats meer in de groep.", "There is no free place in the group."),
    ("expiry_in_the_past", "Het vervalmoment is al voorbij.", "The expiry moment has already passed."),
    ("expiry_after_first_day", "Het vervalmoment moet voor de eerste dag liggen.",
     "The expiry moment must come before the first day."),
    ("staff_requests_are_invoiced", "Een aanvraag van een medewerker wordt altijd gefactureerd.",
     "A request entered by staff is always invoiced."),
    ("not_enough_swap_hours", "Er zijn niet genoeg geldige ruiluren.", "There are not enough valid swap hours."),
    ("not_pending", "Deze aanvraag is niet meer in behandeling.", "This request is no longer pending."),
    ("ledger_busy", "Probeer het zo nog eens.", "Please try again in a moment."),
)}
i18n.register(TEXTS)


def _bilingual(view: Callable[..., Any]) -> Callable[..., Any]:
    """Give a refusal the Dutch or English detail for its code, in the reader's language."""
    @functools.wraps(view)
    def wrapped(req: Req, **params: str) -> Any:
        try:
            return view(req, **params)
        except errors.Problem as problem:
            key = f"planning.request.{problem.code}"
            if not problem.detail_key and i18n.has(key):
                problem.detail_key = key
            raise
    return wrapped


def _problem(problems: list[tuple[int, str, str]]) -> None:
    if problems:
        raise errors.Unprocessable(code=problems[0][1], errors=[
            {"loc": ["body", "days", index, "date"], "msg": msg, "code": code} for index, code, msg in problems])


def check_days(tenant: str, body: Any, child_contracts: list[ContractItem], *, flex: bool = False) -> ContractItem:
    """Every rule a requested day must meet; all problems at once (422), else the governing contract.

    Extra days: from tomorrow up to the request window (settings). Flex days: from the first month
    still open (month M closes when month M-1 begins) up to a year ahead, on a flex contract."""
    rules, today = settings.load(tenant), clock.today()
    first, last = body.days[0].date, body.days[-1].date
    if len(body.days) > rules.request_max_days:
        raise errors.Unprocessable(code="too_many_days", errors=[
            {"loc": ["body", "days"], "msg": f"at most {rules.request_max_days} days in one request"}])
    if flex:
        earliest, latest = flex_rules.first_open_month(today), today + timedelta(days=365)
        usable = flex_rules.flex_contracts(child_contracts)
        if not usable:
            raise errors.Unprocessable(code="no_flex_contract", errors=[
                {"loc": ["body", "child_id"], "msg": "the child has no flex contract"}])
    else:
        earliest = today + timedelta(days=rules.request_min_days_ahead)
        latest = today + timedelta(days=rules.request_max_days_ahead)
        usable = child_contracts
    booked = {d.date for d in days.of_child(tenant, body.child_id, first, last) if d.kind in ("extra", "flex")}
    problems: list[tuple[int, str, str]] = []
    governing: ContractItem | None = None
    for index, day in enumerate(body.days):
        contract = child_access.on(usable, day.date)
        if not earliest <= day.date <= latest:
            code = "flex_deadline_passed" if flex and day.date < earliest else "date_out_of_range"
            problems.append((index, code, f"from {earliest} up to {latest}"))
            continue
        if contract is None:
            problems.append((index, "no_contract", "the child has no (flex) contract on this date"))
            continue
        governing = governing or contract
        if not care.wall_minutes(day.start) < care.wall_minutes(day.end):
            problems.append((index, "end_before_start", "the day must end after it starts"))
            continue
        if care.wall_minutes(day.start) < care.wall_minutes(OPENS) or care.wall_minutes(day.end) > care.wall_minutes(
                CLOSES):
            problems.append((index, "outside_opening_hours", f"between {OPENS} and {CLOSES}"))
            continue
        closed = opening_days.closure(day.date, closures.of_location(tenant, contract.location_id, day.date, day.date))
        if closed is not None:
            problems.append((index, "closed", f"closed: {closed.name('en')}"))
            continue
        if care.times_on(contract.days or {}, day.date) is not None or day.date.isoformat() in booked:
            problems.append((index, "already_attends", "the child already comes on this day"))
            continue
        free = capacity.free_places(tenant, contract.group_id, day.date)
        if not capacity.has_room(free, day.start, day.end):
            problems.append((index, "no_capacity", "no free place in the group for these hours"))
    _problem(problems)
    assert governing is not None  # every day had a contract, or a problem was raised
    return governing


def check_expiry(body: RequestIn) -> None:
    if body.expires_at is None:
        return
    first = body.days[0]
    if body.expires_at <= clock.now():
        raise errors.Unprocessable(code="expiry_in_the_past", errors=[
            {"loc": ["body", "expires_at"], "msg": "the expiry moment has passed"}])
    if body.expires_at >= clock.at(first.date, first.start):
        raise errors.Unprocessable(code="expiry_after_first_day", errors=[
            {"loc": ["body", "expires_at"], "msg": "the request must lapse before its first day begins"}])


def availability(tenant: str, child_contracts: list[ContractItem], child_id: str, day: date) -> AvailabilityOut:
    rules, today = settings.load(tenant), clock.today()
    contract = child_access.on(child_contracts, day) or child_access.latest(child_contracts)
    closed = opening_days.closure(day, closures.of_location(tenant, contract.location_id, day, day))
    booked = any(d.kind in ("extra", "flex") for d in days.of_child(tenant, child_id, day, day))
    in_range = today + timedelta(days=rules.request_min_days_ahead) <= day <= today + timedelta(
        days=rules.request_max_days_ahead)
    free = capacity.free_places(tenant, contract.group_id, day) if closed is None else {}
    options = []
    for part in (care.MORNING, care.AFTERNOON, care.WHOLE_DAY):
        start, end = care.PARTS[part]
        places = min((free.get(h, 0) for h in care.parts_of_day(start, end)), default=0)
        reason: Any = None
        if not in_range:
            reason = "out_of_range"
        elif child_access.on(child_contracts, day) is None:
            reason = "no_contract"
        elif closed is not None:
            reason = "closed"
        elif care.times_on(contract.days or {}, day) is not None or booked:
            reason = "already_attends"
        elif places < 1:
            reason = "no_capacity"
        options.append(AvailabilityOption(part=part, start=start, end=end, available=reason is None,
                                          free_places=max(places, 0), reason=reason))
    return AvailabilityOut(date=day.isoformat(), child_id=child_id, group_id=contract.group_id,
                           closed_reason=closed.name("nl") if closed else None, options=options)


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/requests", "POST", action="child.request.create", body=RequestIn, response=OverviewItem,
                  status=201, summary="Request extra days for a child, paid with swap hours or on invoice")
    @_bilingual
    def submit(req: Req) -> OverviewItem:
        body: RequestIn = req.body
        principal = req.principal
        child_contracts = child_access.authorize_child(req, body.child_id)
        if body.payment == "swap_hours" and principal.role is not Role.PARENT:
            raise errors.Unprocessable(code="staff_requests_are_invoiced", errors=[
                {"loc": ["body", "payment"], "msg": "only a parent can spend their swap hours"}])
        contract = check_days(principal.tenant, body, child_contracts)
        check_expiry(body)
        item = requests.submit(outbox, principal.tenant, child_id=body.child_id, contract=contract,
                               lines=requests.day_lines(body.days), payment=body.payment, expires_at=body.expires_at,
                               comment=body.comment, user_id=principal.user_id, role=principal.role.value)
        return overview_item(item)

    @app.endpoint("/requests/{request_id}/decision", "POST", action="child.request.decide", body=DecisionIn,
                  response=OverviewItem, summary="Approve or reject a pending request (staff of the group, manager)")
    @_bilingual
    def decide(req: Req, request_id: str) -> OverviewItem:
        tenant, body = req.principal.tenant, req.body
        child_id = request_ids.parse(request_id)[0]
        child_contracts = child_access.authorize_child(req, child_id)
        item = requests.get(tenant, request_id)
        requests.require_open(outbox, tenant, item)
        if body.decision == "reject":
            return overview_item(requests.release_and_close(outbox, tenant, item, "rejected", req.principal.user_id,
                                                            body.reason))
        for line in item.days:
            day = date.fromisoformat(line["date"])
            free = capacity.free_places(tenant, item.group_id, day, exclude_request=item.request_id)
            closed = opening_days.closure(day, closures.of_location(tenant, item.location_id, day, day))
            if closed is not None:
                raise errors.Conflict(code="closed", errors=[
                    {"loc": ["path", "request_id"], "msg": f"the location is closed on {line['date']}"}])
            if not capacity.has_room(free, line["start"], line["end"]):
                raise errors.Conflict(code="no_capacity", errors=[
                    {"loc": ["path", "request_id"], "msg": f"no free place on {line['date']} any more"}])
        contract = child_access.on(child_contracts, date.fromisoformat(item.days[0]["date"])) or child_access.latest(
            child_contracts)
        return overview_item(requests.approve(outbox, tenant, item, contract, req.principal.user_id, body.reason))

    @app.endpoint("/requests/{request_id}/cancel", "POST", action="child.request.cancel", response=OverviewItem,
                  summary="Cancel one's own pending request (its swap hours come back)")
    @_bilingual
    def cancel(req: Req, request_id: str) -> OverviewItem:
        tenant = req.principal.tenant
        child_access.authorize_child(req, request_ids.parse(request_id)[0])
        item = requests.get(tenant, request_id)
        return overview_item(requests.release_and_close(outbox, tenant, item, "cancelled", req.principal.user_id))

    @app.endpoint("/availability", "GET", action="child.availability.read", query=AvailabilityQuery,
                  response=AvailabilityOut, summary="Parts of a day with a free place in the child's group")
    @_bilingual
    def get_availability(req: Req) -> AvailabilityOut:
        query: AvailabilityQuery = req.query
        child_contracts = child_access.authorize_child(req, query.child_id)
        return availability(req.principal.tenant, child_contracts, query.child_id, query.date)
