"""Flex care: POST /planning/flex-requests and GET /planning/flex-pot.

Flex requests follow the extra-day flow (decision, cancel, expiry and the overview are the same
routes) but are paid from the flex-hours pot, held in the same transaction as the request.
"""

from __future__ import annotations

from planning_service import care, child_access, flex, requests
from planning_service.api_overview import OverviewItem
from planning_service.api_requests import FlexPotOut, FlexPotQuery, FlexRequestIn
from planning_service.overview import overview_item
from planning_service.routes_requests import check_days, check_expiry
from portal_common import clock, errors
from portal_common.outbox import Outbox
from portal_common.service import PortalApp, Req


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/flex-requests", "POST", action="child.request.create", body=FlexRequestIn, response=OverviewItem,
                  status=201, summary="Request flex days for a child (month M until month M-1 begins), from the pot")
    def submit_flex(req: Req) -> OverviewItem:
        body: FlexRequestIn = req.body
        principal = req.principal
        child_contracts = child_access.authorize_child(req, body.child_id)
        contract = check_days(principal.tenant, body, child_contracts, flex=True)
        check_expiry(body)
        item = requests.submit(outbox, principal.tenant, child_id=body.child_id, contract=contract,
                               lines=requests.day_lines(body.days), payment=requests.FLEX_POT,
                               expires_at=body.expires_at, comment=body.comment, user_id=principal.user_id,
                               role=principal.role.value, kind="flex", contracts=child_contracts)
        return overview_item(item)

    @app.endpoint("/flex-pot", "GET", action="child.flex_pot.read", query=FlexPotQuery, response=FlexPotOut,
                  summary="A child's flex-hours pot of a year: total, used, held and available hours")
    def flex_pot(req: Req) -> FlexPotOut:
        query: FlexPotQuery = req.query
        child_contracts = child_access.authorize_child(req, query.child_id)
        if not flex.flex_contracts(child_contracts):
            raise errors.Unprocessable(code="no_flex_contract", errors=[
                {"loc": ["query", "child_id"], "msg": "the child has no flex contract"}])
        year = query.year or clock.today().year
        pot = flex.read(req.principal.tenant, query.child_id, year, child_contracts)

        def hours(minutes: int) -> float:
            return float(care.to_hours(minutes))

        return FlexPotOut(child_id=query.child_id, year=year, total_hours=hours(pot.total_minutes),
                          used_hours=hours(pot.used_minutes), held_hours=hours(pot.held_minutes),
                          available_hours=hours(pot.available_minutes),
                          first_open_month=flex.first_open_month(clock.today()).isoformat()[:7])
