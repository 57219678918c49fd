"""A request or absence as the overview shows it (also the answer of submit, decide and cancel)."""

from __future__ import annotations

from planning_service import care
from planning_service.api_overview import OverviewDay, OverviewItem
from planning_service.store import RequestItem


def overview_item(item: RequestItem) -> OverviewItem:
    days = [OverviewDay(date=d["date"], start=d["start"], end=d["end"], hours=float(care.to_hours(d["minutes"])))
            for d in item.days or []]
    absence = item.kind == "absence"
    total = int(item.deregistered_min) if absence else sum(int(d["minutes"]) for d in item.days or [])
    return OverviewItem(
        id=item.request_id, kind=item.kind, child_id=item.child_id, group_id=item.group_id, status=item.status,
        days=days, hours=float(care.to_hours(total)),
        swap_hours_earned=float(care.to_hours(int(item.earned_min))) if absence else None,
        payment=item.payment, reason=item.reason, comment=item.comment, expires_at=item.expires_at,
        created_at=item.created_at, decided_at=item.decided_at, decision_reason=item.decision_reason)
