"""HTTP routes, event handlers and schedules of the planning service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalice import Rate

from chalicelib import care, contracts, directory_copy, ledger, opening_days, routes_calendar, swap_rules
from chalicelib.store import PlanningItem
from portal_common import clock
from portal_common.service import PortalApp

app = PortalApp("planning", tables=[PlanningItem])
app.consume(directory_copy.HANDLERS)
routes_calendar.register(app)
__all__ = ["app", "care", "contracts", "directory_copy", "ledger", "opening_days", "swap_rules"]


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_swap_hours")
def expire_swap_hours(event: object) -> int:
    """Swap hours expire at the end of their validity; idempotent when runs overlap."""
    today = clock.today()
    expired = 0
    for tenant, child_id in ledger.lots_due(today):
        expired += len(ledger.expire_due(tenant, child_id, today))
    return expired
