"""Reporting a child absent: which days are deregistered, what swap hours they earn, what is written.

Only contracted, open days are absences. The other weekdays of the range are skipped and named:
`closed` (a national holiday or the location's own closing day on which the child would have come),
`not_contracted` (no care that day: another weekday, or outside the contracts), `already_reported`
(a live absence exists, so reporting a range twice changes nothing). Weekends are left out silently.
Hours are earned per `swap_rules.assess_absence`: reported at least the organisation's notice hours
(24 by default) before that day's care starts; a later report is accepted and earns nothing.

Writes, per child, in one transaction: the absence (`RequestItem`, kind `absence`), its days
(`DayItem`, status `reported`) and `planning.absence.reported`. The swap hours are earned right after
the commit, and again by planning's own consumer of that event, with the same operation ids: the
ledger applies an operation id once, so a crash after the commit cannot lose hours and a redelivered
event cannot double them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from planning_service import care, child_access, days, ledger, opening_days, request_ids, swap_rules
from planning_service.settings import PlanningSettings
from planning_service.store import ContractItem, DayItem, RequestItem
from portal_common import clock, store
from portal_common.contracts import planning as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox


@dataclass(frozen=True)
class Assessed:
    child_id: str
    contract: ContractItem
    day: date
    outcome: swap_rules.AbsenceOutcome


def assess(child_contracts: list[ContractItem], first: date, last: date, reported_at: datetime,
           closures: dict[date, str], settings: PlanningSettings,
           already: set[str]) -> tuple[list[Assessed], list[tuple[date, str]]]:
    """(days to deregister, skipped days with their reason) for one child."""
    accepted: list[Assessed] = []
    skipped: list[tuple[date, str]] = []
    for day in opening_days.days_between(first, last):
        if day.isoweekday() > 5:
            continue  # the locations are closed at weekends: nothing to deregister, nothing worth naming
        contract = child_access.on(child_contracts, day)
        if contract is None:
            skipped.append((day, "not_contracted"))
            continue
        outcome = swap_rules.assess_absence(day, reported_at, days=contract.days, contract_start=contract.start,
                                            contract_end=contract.end, location_closures=closures,
                                            settings=settings.swap)
        if outcome.outcome == swap_rules.NOT_CONTRACTED:
            skipped.append((day, "not_contracted"))
            continue
        if outcome.outcome == swap_rules.CLOSED:
            skipped.append((day, "closed"))
            continue
        if day.isoformat() in already:
            skipped.append((day, "already_reported"))
            continue
        accepted.append(Assessed(child_contracts[0].child_id, contract, day, outcome))
    return accepted, skipped


def earn_op(request_id: str, day: str) -> str:
    return f"earn.{request_id}.{day}"


def day_line(a: Assessed) -> dict[str, Any]:
    times = care.times_on(a.contract.days, a.day) or ("", "")
    o = a.outcome
    return {"date": a.day.isoformat(), "start": times[0], "end": times[1], "minutes": o.deregistered_minutes,
            "earned_min": o.earned_minutes, "outcome": o.outcome,
            "valid_until": o.valid_until.isoformat() if o.valid_until else None}


def record(outbox: Outbox, tenant: str, child_id: str, report_ulid: str, accepted: list[Assessed], *,
           reason: str, comment: str | None, user_id: str, role: str) -> RequestItem:
    """Write one child's absence with its days and event; then earn its hours."""
    request_id = request_ids.new(child_id, report_ulid)
    group_id, location_id = accepted[0].contract.group_id, accepted[0].contract.location_id
    lines = [day_line(a) for a in accepted]
    deregistered = sum(line["minutes"] for line in lines)
    earned = sum(line["earned_min"] for line in lines)
    request = RequestItem(
        store.key(tenant, "CHILD", child_id), f"REQ#{report_ulid}", request_id=request_id, child_id=child_id,
        kind="absence", status="reported", group_id=group_id, location_id=location_id, days=lines, reason=reason,
        comment=comment, created_at=clock.now().isoformat(), created_by=user_id, created_by_role=role,
        deregistered_min=deregistered, earned_min=earned,
        gsi1pk=store.key(tenant, "GRP", group_id), gsi1sk=f"REQ#{report_ulid}")
    ch = Changes(outbox, tenant, "planning")
    ch.save(request, RequestItem.pk.does_not_exist())
    for line in lines:
        pk, sk = days.key(tenant, child_id, line["date"], request_id)
        gpk, gsk = days.group_key(tenant, group_id, line["date"], child_id, request_id)
        ch.save(DayItem(pk, sk, request_id=request_id, child_id=child_id, kind="absence", status="reported",
                        date=line["date"], start=line["start"], end=line["end"], minutes=line["minutes"],
                        group_id=group_id, gsi1pk=gpk, gsi1sk=gsk))
    ch.emit(events.AbsenceReported(
        request_id=request_id, child_id=child_id, group_id=group_id, reported_by=user_id, reported_by_role=role,
        reason=reason, hours_deregistered=str(care.to_hours(deregistered)),
        swap_hours_earned=str(care.to_hours(earned)),
        days=[events.AbsenceDay(date=line["date"], start=line["start"], end=line["end"],
                                hours=str(care.to_hours(line["minutes"])),
                                earned_hours=str(care.to_hours(line["earned_min"])),
                                earned_minutes=line["earned_min"], outcome=line["outcome"],
                                valid_until=line["valid_until"]) for line in lines]))
    ch.commit()
    earn_hours(tenant, child_id, request_id, lines)
    return request


def earn_hours(tenant: str, child_id: str, request_id: str, lines: list[dict[str, Any]]) -> None:
    """Earn each day's hours once (the operation id makes a repeat a no-op)."""
    for line in lines:
        minutes = int(line.get("earned_min") or 0)
        if minutes > 0:
            ledger.earn(tenant, child_id, earn_op(request_id, line["date"]), care.Minutes(minutes),
                        line["valid_until"], request_id)


def on_absence_reported(env: Envelope) -> None:
    """Planning's own consumer: make sure every earned hour reached the ledger (idempotent)."""
    payload = env.payload
    lines = [{"date": d["date"], "earned_min": d["earned_minutes"], "valid_until": d["valid_until"]}
             for d in payload["days"]]
    earn_hours(env.tenant, payload["child_id"], payload["request_id"], lines)


HANDLERS = {"planning.absence.reported": on_absence_reported}
