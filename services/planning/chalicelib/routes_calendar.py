"""The care calendar: per day, closed or open (with the closing day's name), and each child's care.

Contracted care comes from the child's contracts; absences, extra and flex days join the same items
as those features land. Authorization uses the group and location of the child's contract.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib import care, contracts, opening_days
from chalicelib.api import CalendarChild, CalendarDay, CalendarItem, CalendarOut, CalendarQuery
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


def register(app: PortalApp) -> None:
    @app.endpoint("/calendar", "GET", action="child.calendar.read", query=CalendarQuery, response=CalendarOut,
                  summary="Care calendar of one child or all of a parent's children over a date range")
    def calendar(req: Req) -> CalendarOut:
        query: CalendarQuery = req.query
        tenant = req.principal.tenant
        per_child: dict[str, dict[str, list[CalendarItem]]] = {}
        for child_id in _children(req, query):
            child_contracts = contracts.contracts_of_child(tenant, child_id)
            if not child_contracts:
                if query.child_id:
                    raise errors.NotFound()
                continue
            latest = max(child_contracts, key=lambda c: c.start)
            req.authorize(Target.child(tenant, child_id, {latest.group_id}, {latest.location_id}))
            days: dict[str, list[CalendarItem]] = {}
            for contract in child_contracts:
                for day in care.expand(contract, query.from_, query.to):
                    days.setdefault(day.day.isoformat(), []).append(CalendarItem(
                        kind="care", start=day.start, end=day.end, status="planned", hours=float(day.hours)))
            per_child[child_id] = days
        if not per_child and not query.child_id:
            req.authorized = True  # a parent without contracts: an empty calendar of their own
        result = []
        day = query.from_
        while day <= query.to:
            closed = opening_days.closure(day)
            key = day.isoformat()
            result.append(CalendarDay(
                date=key, closed=closed is not None, closed_reason=closed.name(req.lang) if closed else None,
                closed_code=closed.reason if closed else None,
                children=[CalendarChild(child_id=c, items=items.get(key, [])) for c, items in per_child.items()]))
            day += timedelta(days=1)
        return CalendarOut(days=result)
