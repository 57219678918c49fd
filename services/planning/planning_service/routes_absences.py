"""POST /planning/absences and GET /planning/swap-hours."""

from __future__ import annotations

from datetime import timedelta

from planning_service import absences, care, child_access, closures, days, settings
from planning_service.api_absences import (
    AbsenceChildOut,
    AbsenceDayOut,
    AbsenceIn,
    AbsenceOut,
    SkippedDay,
    SwapEntryOut,
    SwapHoursOut,
    SwapHoursQuery,
    SwapLotOut,
)
from planning_service.ledger import balance
from portal_common import clock, errors, ids
from portal_common.outbox import Outbox
from portal_common.service import PortalApp, Req


def _hours(minutes: int) -> float:
    return float(care.to_hours(minutes))


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/absences", "POST", action="child.absence.create", body=AbsenceIn, response=AbsenceOut,
                  status=201, summary="Report one or more children absent for one or more days")
    def report_absence(req: Req) -> AbsenceOut:
        body: AbsenceIn = req.body
        tenant, principal = req.principal.tenant, req.principal
        rules = settings.load(tenant)
        if (body.to - body.from_).days + 1 > rules.absence_max_days:
            raise errors.Unprocessable(code="range_too_long", errors=[
                {"loc": ["body", "to"], "msg": f"at most {rules.absence_max_days} days at a time"}])
        today = clock.today()
        if body.from_ < today:
            raise errors.Unprocessable(code="in_the_past", errors=[
                {"loc": ["body", "from"], "msg": "days that have passed cannot be reported"}])
        reported_at = clock.now()
        plans, skipped = [], []
        for child_id in body.child_ids:
            child_contracts = child_access.authorize_child(req, child_id)
            location_ids = {c.location_id for c in child_contracts}
            closed: dict = {}
            for location_id in sorted(location_ids):
                closed |= closures.of_location(tenant, location_id, body.from_, body.to)
            already = {d.date for d in days.of_child(tenant, child_id, body.from_, body.to) if d.kind == "absence"}
            accepted, left_out = absences.assess(child_contracts, body.from_, body.to, reported_at, closed, rules,
                                                 already)
            skipped += [SkippedDay(child_id=child_id, date=d.isoformat(), reason=why) for d, why in left_out]
            if accepted:
                plans.append((child_id, accepted))
        if not plans:
            raise errors.Unprocessable(code="no_care_days", errors=[
                {"loc": ["body"], "msg": "no contracted, open day in this range that is not already reported"}])
        report = ids.new_id()
        children = []
        for child_id, accepted in plans:
            request = absences.record(outbox, tenant, child_id, report, accepted, reason=body.reason,
                                      comment=body.comment, user_id=principal.user_id, role=principal.role.value)
            children.append(AbsenceChildOut(child_id=child_id, request_id=request.request_id, days=[
                AbsenceDayOut(date=d["date"], start=d["start"], end=d["end"], hours_deregistered=_hours(d["minutes"]),
                              swap_hours_earned=_hours(d["earned_min"]), outcome=d["outcome"],
                              valid_until=d["valid_until"]) for d in request.days]))
        minutes = [d for plan in plans for d in plan[1]]
        return AbsenceOut(
            id=report, children=children, skipped=skipped,
            hours_deregistered=_hours(sum(a.outcome.deregistered_minutes for a in minutes)),
            swap_hours_earned=_hours(sum(a.outcome.earned_minutes for a in minutes)))

    @app.endpoint("/swap-hours", "GET", action="child.swap_hours.read", query=SwapHoursQuery, response=SwapHoursOut,
                  summary="A child's swap hours: balance, available on a date, held, and every change")
    def swap_hours(req: Req) -> SwapHoursOut:
        query: SwapHoursQuery = req.query
        child_access.authorize_child(req, query.child_id)
        on = query.date or clock.today()
        if abs((on - clock.today()).days) > 3 * 366:
            raise errors.Unprocessable(code="date_out_of_range", errors=[{"loc": ["query", "date"],
                                                                         "msg": "within three years of today"}])
        found = balance(req.principal.tenant, query.child_id, on)
        # An expiry names the lot it emptied; a parent knows the absence that earned those hours.
        earned_by = {lot.lot_id: lot.source for lot in found.lots}
        return SwapHoursOut(
            child_id=query.child_id, date=on.isoformat(), balance_hours=_hours(found.balance_minutes),
            available_hours=_hours(found.available_minutes), held_hours=_hours(found.held_minutes),
            lots=[SwapLotOut(valid_until=lot.valid_until.isoformat(), earned_hours=_hours(lot.earned_minutes),
                             remaining_hours=_hours(lot.remaining_minutes), held_hours=_hours(lot.held_minutes))
                  for lot in found.lots if lot.remaining_minutes > 0 or lot.valid_until >= on - timedelta(days=31)],
            entries=[SwapEntryOut(kind=e.kind, hours=_hours(e.minutes),
                                  valid_until=e.valid_until.isoformat() if e.valid_until else None,
                                  at=e.at.isoformat(),
                                  ref=(earned_by.get(e.lot_id or "") or e.ref) if e.kind == "expired" else e.ref)
                     for e in reversed(found.entries)])
