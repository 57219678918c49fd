"""The care calendar: per day, closed or open (with the closing day's name), and each child's care.

Per child: contracted care from its contracts, and its absences and pending or approved extra and
flex days from its request days, each with its status. Contracted care on a day the child is
reported absent shows as `cancelled`. A location's own closing days apply to the children placed
there: the day is `closed` for everyone when every child shown is closed (holidays, weekends),
and each child's entry says whether it is closed for that child.

Cost: two Queries per child (contracts; request days in the range) and one per location.
Authorization uses the group and location of the child's latest contract.
"""

from __future__ import annotations

from datetime import date, timedelta

from planning_service import care, closures, contracts, days, opening_days
from planning_service.api import CalendarChild, CalendarDay, CalendarItem, CalendarOut, CalendarQuery
from planning_service.store import ContractItem
from portal_common import errors
from portal_common.authz import Role, Target
from portal_common.service import PortalApp, Req


def _children(req: Req, query: CalendarQuery) -> list[str]:
    principal = req.principal
    if query.child_id:
        return [query.child_id]
    if principal.role is Role.PARENT:
        return sorted(principal.children)
    raise errors.Unprocessable(code="child_id_required", errors=[
        {"loc": ["query", "child_id"], "msg": "staff name the child (group views are separate)"}])


def latest_contract(child_contracts: list[ContractItem]) -> ContractItem:
    return max(child_contracts, key=lambda c: c.start)


def child_items(tenant: str, child_contracts: list[ContractItem], start: date, end: date,
                location_closures: dict[date, str]) -> dict[str, list[CalendarItem]]:
    """Day (ISO) → the child's calendar items: care, then absences, extra and flex days."""
    child_id = child_contracts[0].child_id
    booked = days.of_child(tenant, child_id, start, end)
    absent = {d.date for d in booked if d.kind == "absence"}
    per_day: dict[str, list[CalendarItem]] = {}
    for contract in child_contracts:
        for day in care.expand(contract, start, end, location_closures):
            key = day.day.isoformat()
            per_day.setdefault(key, []).append(CalendarItem(
                kind="care", start=day.start, end=day.end, status="cancelled" if key in absent else "planned",
                hours=float(day.hours)))
    for row in booked:
        per_day.setdefault(row.date, []).append(CalendarItem(
            kind=row.kind, start=row.start, end=row.end, status=row.status,
            hours=float(care.to_hours(int(row.minutes))), request_id=row.request_id))
    return per_day


def register(app: PortalApp) -> None:
    @app.endpoint("/calendar", "GET", action="child.calendar.read", query=CalendarQuery, response=CalendarOut,
                  summary="Care calendar of one child or all of a parent's children over a date range")
    def calendar(req: Req) -> CalendarOut:
        query: CalendarQuery = req.query
        tenant = req.principal.tenant
        shown: dict[str, ContractItem] = {}
        child_contracts: dict[str, list[ContractItem]] = {}
        for child_id in _children(req, query):
            found = contracts.contracts_of_child(tenant, child_id)
            if not found:
                if query.child_id:
                    raise errors.NotFound()
                continue
            latest = latest_contract(found)
            req.authorize(Target.child(tenant, child_id, {latest.group_id}, {latest.location_id}))
            shown[child_id], child_contracts[child_id] = latest, found
        if not shown and not query.child_id:
            req.authorized = True  # a parent without contracts: an empty calendar of their own
        location_closures = {loc: closures.of_location(tenant, loc, query.from_, query.to)
                             for loc in sorted({c.location_id for c in shown.values()})}
        per_child = {child_id: child_items(tenant, child_contracts[child_id], query.from_, query.to,
                                           location_closures[latest.location_id])
                     for child_id, latest in shown.items()}
        result = []
        day = query.from_
        while day <= query.to:
            key = day.isoformat()
            national = opening_days.closure(day)
            own = {c: opening_days.closure(day, location_closures[latest.location_id])
                   for c, latest in shown.items()}
            everyone = national or (next(iter(own.values())) if own and all(own.values()) else None)
            result.append(CalendarDay(
                date=key, closed=everyone is not None, closed_reason=everyone.name(req.lang) if everyone else None,
                closed_code=everyone.reason if everyone else None,
                children=[CalendarChild(child_id=c, items=items.get(key, []), closed=own[c] is not None,
                                        closed_reason=own[c].name(req.lang) if own[c] else None)
                          for c, items in per_child.items()]))
            day += timedelta(days=1)
        return CalendarOut(days=result)
