"""Extra-day requests: submission (with the swap-hour hold), decision, cancellation and expiry.

A request is paid entirely with swap hours or entirely on invoice. Swap hours are held at submission
(`ledger.hold_days`: enough hours valid on each requested date, or nothing is held), spent on
approval, released on rejection, cancellation or expiry. The hold is the serialization point: a
spend after a release (or the reverse) fails, so of an approval racing a cancellation or the expiry
exactly one wins and the other gets 409. Every status change writes the request and its days in one
transaction conditioned on `status = pending` and `version`, with its event.

Ledger operation ids are derived from the request (`hold.<id>`, `spend.<id>`, `release.<id>`), so a
retried call repeats nothing. Crash windows and how they heal:
- the request write fails: the hold is released at once (compensation). Only a process that stops
  between the hold and the write leaves hours held for a request that does not exist; they show as
  held in the balance. Healing that needs an index of holds by day (not built yet: a known gap).
- hold spent, request still pending (stopped between the two): approving again completes it (the
  spend repeats as a no-op); the expiry job, finding the hold spent, completes the approval too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import care, days, events, ledger, request_ids
from chalicelib.store import BillableItem, ContractItem, DayItem, RequestItem
from chalicelib.swap_rules import HoldNotFound, HoldSettled
from portal_common import clock, errors, store
from portal_common.outbox import Changes, Outbox

EXPIRY_INDEX = "_REQ_EXPIRY"
PENDING = "pending"


def utc_key(moment: datetime) -> str:
    """An instant as a sortable UTC string (index keys compare as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def get(tenant: str, request_id: str) -> RequestItem:
    child_id, ulid = request_ids.parse(request_id)
    try:
        item = RequestItem.get(store.key(tenant, "CHILD", child_id), f"REQ#{ulid}", consistent_read=True)
    except RequestItem.DoesNotExist:
        raise errors.NotFound() from None
    if item.kind == "absence":
        raise errors.NotFound()  # absences are reported, not decided
    return item


def day_lines(requested: list[Any]) -> list[dict[str, Any]]:
    return [{"date": d.date.isoformat(), "start": d.start, "end": d.end,
             "minutes": care.minutes(d.start, d.end, d.date)} for d in requested]


def _event_days(lines: list[dict[str, Any]]) -> list[events.DayLine]:
    return [events.DayLine(date=d["date"], start=d["start"], end=d["end"], hours=str(care.to_hours(d["minutes"])))
            for d in lines]


def submit(outbox: Outbox, tenant: str, *, child_id: str, contract: ContractItem, lines: list[dict[str, Any]],
           payment: str, expires_at: datetime | None, comment: str | None, user_id: str, role: str,
           kind: str = "extra") -> RequestItem:
    """Hold the hours (swap-hour payment), then write the request, its days and its event."""
    ulid_request = request_ids.new(child_id)
    ulid = request_ids.parse(ulid_request)[1]
    first = lines[0]
    lapses = expires_at or clock.at(date.fromisoformat(first["date"]), first["start"])
    if payment == "swap_hours":
        ledger.hold_days(tenant, child_id, f"hold.{ulid_request}", ulid_request,
                         [(d["date"], care.Minutes(d["minutes"])) for d in lines])
    group_id, location_id = contract.group_id, contract.location_id
    request = RequestItem(
        store.key(tenant, "CHILD", child_id), f"REQ#{ulid}", request_id=ulid_request, child_id=child_id, kind=kind,
        status=PENDING, group_id=group_id, location_id=location_id, days=lines, payment=payment, comment=comment,
        expires_at=expires_at.isoformat() if expires_at else None, created_at=clock.now().isoformat(),
        created_by=user_id, created_by_role=role, version=0,
        gsi1pk=store.key(tenant, "GRP", group_id), gsi1sk=f"REQ#{ulid}",
        gsi2pk=EXPIRY_INDEX, gsi2sk=f"{utc_key(lapses)}#{tenant}#{ulid_request}")
    ch = Changes(outbox, tenant, "planning")
    ch.save(request, RequestItem.pk.does_not_exist())
    for line in lines:
        pk, sk = days.key(tenant, child_id, line["date"], ulid_request)
        gpk, gsk = days.group_key(tenant, group_id, line["date"], child_id, ulid_request)
        ch.save(DayItem(pk, sk, request_id=ulid_request, child_id=child_id, kind=kind, status=PENDING,
                        date=line["date"], start=line["start"], end=line["end"], minutes=line["minutes"],
                        group_id=group_id, gsi1pk=gpk, gsi1sk=gsk))
    ch.emit(events.RequestSubmitted(
        request_id=ulid_request, kind=kind, child_id=child_id, group_id=group_id, location_id=location_id,
        requested_by=user_id, requested_by_role=role, payment=payment, days=_event_days(lines),
        expires_at=request.expires_at, comment=comment))
    try:
        ch.commit()
    except Exception:
        if payment == "swap_hours":  # give the hours back: the request was never written
            ledger.release(tenant, child_id, f"release.{ulid_request}", ulid_request)
        raise
    return request


def billables(tenant: str, request: RequestItem, contract: ContractItem) -> list[BillableItem]:
    """One invoice line per approved invoice-paid day: minutes x hourly rate, rounded half up to a cent."""
    rate = int(contract.hourly_rate_cents)
    items = []
    for d in request.days:
        minutes = int(d["minutes"])
        cents = (minutes * rate * 2 + 60) // 120  # round half up without floats
        items.append(BillableItem(
            store.key(tenant, "BILL", d["date"][:7]), f"{request.child_id}#{request.request_id}#{d['date']}",
            child_id=request.child_id, request_id=request.request_id, date=d["date"], minutes=minutes,
            hourly_rate_cents=rate, amount_cents=cents, kind=request.kind))
    return items


def transition(outbox: Outbox, tenant: str, request: RequestItem, status: str, *, user_id: str | None,
               reason: str | None = None, extra: list[Any] = ()) -> RequestItem:  # type: ignore[assignment]
    """pending → `status`, with the days, any billable items and the event, or 409 when no longer pending."""
    now = clock.now().isoformat()
    actions = [RequestItem.status.set(status), RequestItem.version.add(1), RequestItem.decided_at.set(now),
               RequestItem.gsi2pk.remove(), RequestItem.gsi2sk.remove()]
    if user_id:
        actions.append(RequestItem.decided_by.set(user_id))
    if reason:
        actions.append(RequestItem.decision_reason.set(reason))
    ch = Changes(outbox, tenant, "planning")
    ch.update(request, actions, condition=(RequestItem.status == PENDING) & (RequestItem.version == request.version))
    for line in request.days:
        pk, sk = days.key(tenant, request.child_id, line["date"], request.request_id)
        ch.update(DayItem(pk, sk), [DayItem.status.set(status)], condition=DayItem.pk.exists())
    for item in extra:
        ch.save(item, BillableItem.pk.does_not_exist())
    ch.emit(events.RequestDecided(
        request_id=request.request_id, kind=request.kind, child_id=request.child_id, group_id=request.group_id,
        status=status, requested_by=request.created_by, decided_by=user_id, reason=reason,
        payment=request.payment or "invoice", days=_event_days(request.days)))
    try:
        ch.commit()
    except TransactWriteError:
        raise errors.Conflict(code="not_pending", errors=[{"loc": ["path", "request_id"],
                                                          "msg": "the request was decided meanwhile"}]) from None
    return RequestItem.get(request.pk, request.sk, consistent_read=True)


def require_pending(request: RequestItem) -> None:
    if request.status != PENDING:
        raise errors.Conflict(code="not_pending", errors=[{"loc": ["path", "request_id"],
                                                          "msg": f"the request is {request.status}"}])


def approve(outbox: Outbox, tenant: str, request: RequestItem, contract: ContractItem, user_id: str,
            reason: str | None) -> RequestItem:
    require_pending(request)
    extra: list[Any] = []
    if request.payment == "swap_hours":
        ledger.spend(tenant, request.child_id, f"spend.{request.request_id}", request.request_id)
    else:
        extra = billables(tenant, request, contract)
    return transition(outbox, tenant, request, "approved", user_id=user_id, reason=reason, extra=extra)


def release_and_close(outbox: Outbox, tenant: str, request: RequestItem, status: str, user_id: str | None,
                      reason: str | None = None) -> RequestItem:
    """Reject, cancel or expire: give the held hours back, then close the request."""
    require_pending(request)
    if request.payment == "swap_hours":
        ledger.release(tenant, request.child_id, f"release.{request.request_id}", request.request_id)
    return transition(outbox, tenant, request, status, user_id=user_id, reason=reason)


def expire_due(outbox: Outbox, now: datetime) -> int:
    """Expire every pending request whose moment has come; safe when runs overlap (each counted once)."""
    expired = 0
    due = RequestItem.gsi2.query(EXPIRY_INDEX, RequestItem.gsi2sk <= f"{utc_key(now)}~")
    for item in due:
        tenant = item.pk.split(store.SEPARATOR)[0]
        if item.status != PENDING:
            continue
        try:
            release_and_close(outbox, tenant, item, "expired", None)
            expired += 1
        except HoldSettled:
            # The hold was spent by an approval that stopped before its last write: complete it.
            try:
                transition(outbox, tenant, item, "approved", user_id=item.decided_by)
            except errors.Conflict:
                pass
        except (errors.Conflict, HoldNotFound):
            continue  # another run (or a decision) got there first
    return expired
