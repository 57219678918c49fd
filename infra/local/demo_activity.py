"""A little planning history for the local stack's demo, so a newcomer's screens are not empty.

Only the local stack calls this (after `seed_demo`); tests seed the bare demo and build their own
history. Relative to the business clock's today, skipping closed days:
- Sara Mulder (parent11, Vlinders, Thursdays and Fridays) is reported absent on a Thursday more than
  24 hours ahead: 11 swap hours earned, and the confirmation e-mail goes out;
- with those hours her father asks for a Wednesday morning: pending, on staff2's to-do list;
- Bram de Groot (parent12, Bijen) got an extra Monday on invoice, approved by staff3;
- every family has its monthly invoices from the contracts' start (September 2025) to last month, and
  an annual statement per child for every full year before this one, made by the real billing runs.
Written through planning's own domain functions, so events, e-mails and the ledger are real.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

from portal_common import clock, ids

# A billing run's part while the stack seeds in the background: how long a stop may have to wait for it.
PART_SECONDS = 0.2


def _next_open(weekday: int, after: date) -> date:
    """The first ISO `weekday` after `after` on which the demo location is open."""
    from planning_service import opening_days

    day = after + timedelta(days=1)
    while day.isoweekday() != weekday or opening_days.closure(day) is not None:
        day += timedelta(days=1)
    return day


def seed_activity() -> list[str]:
    from planning_service import absences, contracts, requests, settings, store
    from planning_service.app import outbox

    tenant, today = "demo", clock.today()
    if list(store.RequestItem.query(f"{tenant}#CHILD#child-sara", store.RequestItem.sk.startswith("REQ#"),
                                        limit=1)):
        return []
    sara = contracts.contracts_of_child(tenant, "child-sara")
    thursday = _next_open(4, today + timedelta(days=1))
    accepted, _skipped = absences.assess(sara, thursday, thursday, clock.now(), {}, settings.load(tenant),
                                             set())
    report = absences.record(outbox, tenant, "child-sara", ids.new_id(), accepted, reason="holiday",
                                 comment="Weekendje weg", user_id="user-parent11", role="parent")
    wednesday = _next_open(3, thursday)
    requests.submit(outbox, tenant, child_id="child-sara", contract=sara[0],
                        lines=[{"date": wednesday.isoformat(), "start": "07:30", "end": "13:00", "minutes": 330}],
                        payment="swap_hours", expires_at=None, comment="Opa komt niet", user_id="user-parent11",
                        role="parent")
    bram = contracts.contracts_of_child(tenant, "child-bram")
    monday = _next_open(1, today + timedelta(days=1))
    extra = requests.submit(outbox, tenant, child_id="child-bram", contract=bram[0],
                                lines=[{"date": monday.isoformat(), "start": "07:30", "end": "18:30", "minutes": 660}],
                                payment="invoice", expires_at=None, comment=None, user_id="user-parent12",
                                role="parent")
    requests.approve(outbox, tenant, extra, bram[0], "user-staff3", "Gezellig!")
    return [f"demo planning: Sara absent {thursday} ({report.request_id}), her extra {wednesday} pending for "
            f"staff2, Bram's extra {monday} approved"]


def seed_billing(wait_seconds: float = 0.0, stop: threading.Event | None = None) -> list[str]:
    """Invoice every month from September 2025 until last month, then state every full year.

    Planning learns the families from auth's guardian events; the local stack calls this once its
    consumers run and waits (up to `wait_seconds`) until every demo child's guardians have arrived; it
    stops between two runs when `stop` is set (the stack shutting down)."""
    from infra.local import demo_data
    from planning_service import families, invoicing
    from planning_service.app import outbox

    tenant, today = "demo", clock.today()
    children = {c.id for family in demo_data.FAMILIES for c in family.children}
    deadline = time.monotonic() + wait_seconds
    while not children <= set(families.all_links(tenant)):
        if time.monotonic() > deadline or (stop is not None and stop.is_set()):
            return ["demo billing: skipped, planning has not received every family's guardians yet"]
        time.sleep(0.1)
    def run(kind: str, period: str) -> int | None:
        """One billing run in short parts (the production run's continuations), so that a stack shutting down
        is never kept waiting for a whole month's invoices; None when it stopped."""
        result = invoicing.execute(outbox, tenant, kind, period, budget_seconds=PART_SECONDS)
        created = result.created
        while not result.finished:
            if stop is not None and stop.is_set():
                return None
            result = invoicing.execute(outbox, tenant, kind, period, budget_seconds=PART_SECONDS,
                                           continuation=True)
            created += result.created
        return created

    month, invoices, statements = date(2025, 9, 1), 0, 0
    periods = []
    while invoicing.invoiceable(month.isoformat()[:7], today):
        periods.append(("invoices", month.isoformat()[:7]))
        month = (month + timedelta(days=32)).replace(day=1)
    periods += [("annual_statements", str(year)) for year in range(2025, today.year)]
    for kind, period in periods:
        created = None if stop is not None and stop.is_set() else run(kind, period)
        if created is None:
            return ["demo billing: stopped with the stack"]
        if kind == "invoices":
            invoices += created
        else:
            statements += created
    return [f"demo billing: {invoices} invoices (September 2025 to last month), {statements} annual statements"]
