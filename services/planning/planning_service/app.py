"""HTTP routes, event handlers and schedules of the planning service.

Thin by design: parse, authorize, call `planning_service`, map. Rules live in `planning_service/`.
"""

from datetime import timedelta

from chalice import Cron, Rate

from planning_service import (
    absences,
    calendar_feed,
    care,
    contracts,
    directory_copy,
    families,
    fiscal,
    ledger,
    opening_days,
    personal_data,
    purge,
    requests,
    routes_absences,
    routes_admin,
    routes_billing,
    routes_calendar,
    routes_documents,
    routes_feed,
    routes_flex,
    routes_overview,
    routes_requests,
    swap_rules,
)
from planning_service.store import PlanningItem, TenantItem
from portal_common import clock, retention
from portal_common.consumer import combine
from portal_common.contracts import planning as events
from portal_common.outbox import Changes
from portal_common.service import PortalApp

app = PortalApp("planning", tables=[PlanningItem], buckets=["documents"],
                delivers_into=[("exports", "archives", "personal/")])  # personal-data parts (personal_data.py)
outbox = app.publishes()
app.consume(combine(directory_copy.HANDLERS, absences.HANDLERS, calendar_feed.HANDLERS, families.HANDLERS,
                    {"planning.billing_run.requested": routes_billing.on_run_requested(outbox)},
                    retention.purge_handlers("planning", outbox, purge.purge, events.ChildPurged),
                    retention.personal_data_handlers("planning", outbox, personal_data.write,
                                                     events.PersonalDataDelivered)))
routes_calendar.register(app)
routes_admin.register(app, outbox)
routes_absences.register(app, outbox)
routes_requests.register(app, outbox)
routes_overview.register(app)
routes_feed.register(app)
routes_flex.register(app, outbox)
routes_documents.register(app)
routes_billing.register(app, outbox)
# The demo seeding and the tests reach the rules through the app module.
__all__ = ["app", "care", "contracts", "directory_copy", "fiscal", "ledger", "opening_days", "requests", "swap_rules"]


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_swap_hours")
def expire_swap_hours(event: object) -> int:
    """Swap hours expire at the end of their validity; idempotent when runs overlap."""
    today = clock.today()
    expired = 0
    for tenant, child_id in ledger.lots_due(today):
        expired += len(ledger.expire_due(tenant, child_id, today))
    return expired


@app.schedule(Rate(5, unit=Rate.MINUTES), name="expire_requests")
def expire_requests(event: object) -> int:
    """Pending requests lapse at their expiry moment (holds released, parent told); safe when runs overlap."""
    return requests.expire_due(outbox, clock.now())


@app.schedule(Cron(0, 4, 1, "*", "?", "*"), name="monthly_billing")
def monthly_billing(event: object) -> int:
    """On the 1st (04:00 UTC, after midnight in Amsterdam): last month's invoice run for every organisation
    with contracts; a December run that completes starts that year's annual statements."""
    month = (clock.today().replace(day=1) - timedelta(days=1)).isoformat()[:7]
    started = 0
    for tenant in TenantItem.query("_TENANTS"):
        ch = Changes(outbox, tenant.tenant, "planning")
        ch.emit(events.BillingRunRequested(kind="invoices", period=month))
        ch.commit()
        started += 1
    return started


@app.schedule(Cron(15, 3, "*", "*", "?", "*"), name="expire_fiscal_documents")
def expire_fiscal_documents(event: object) -> int:
    """Daily (03:15 UTC): invoices and annual statements kept for the fiscal retention after their child's
    purge are deleted, PDFs included, once their day has come (`fiscal.py`); safe when runs overlap."""
    return fiscal.expire_due(clock.today())
