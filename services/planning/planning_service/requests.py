"""Extra-day requests: submission (with the swap-hour hold), decision, cancellation and expiry.

A request is paid entirely with swap hours or entirely on invoice; a flex request (`kind` flex) from
the child's flex-hours pot (`flex.py`: held in the request's own transaction, used or freed in the
status change's; approved flex days are billed like invoice days). Swap hours are held at submission
(`ledger.hold_days`: enough hours valid on each requested date, or nothing is held), spent on
approval, released on rejection, cancellation or expiry. The hold is the serialization point: a
spend after a release (or the reverse) fails, so of an approval racing a cancellation, a rejection
or the expiry exactly one wins and the other gets 409. Every status change writes the request and
its days in one transaction conditioned on `status = pending` and `version`, with its event. So a
spent hold always ends in an approved request, a released one never does.

Ledger operation ids are derived from the request (`hold.<id>`, `spend.<id>`, `release.<id>`), so a
retried call repeats nothing, and the expiry job releasing what a cancellation already released
changes nothing.

Crash windows and how they heal:
- Between holding the hours and writing the request. Before the hold, a submission writes a marker
  row (`REQ_SUBMIT#<ulid>` in the child's partition, status `submitting`) that sits in the expiry index
  at now + `SUBMISSION_GRACE`; the request's transaction deletes it on condition that it is still
  `submitting`. If that write is refused or fails, the hold is released at once (compensation) and
  the marker dropped. If the process stops in between, the marker remains: when its moment comes
  the expiry job claims it (`submitting` → `abandoned`, conditional, so a submission still running
  can no longer commit), releases whatever was held under that request id (nothing, if the process
  stopped before the hold) and deletes the marker. The grace (15 minutes, Lambda's longest run)
  makes sure no live submission is claimed. Left: hours held up to 15 minutes (plus the job's
  5-minute period) longer than needed, visible as held in the balance meanwhile.
- Hold spent, request still pending (stopped between the two): approving again completes it (the
  spend repeats as a no-op); the expiry job, finding the hold spent, completes the approval too.
- Hold released, request still pending (a rejection or cancellation stopped between the two): an
  approval then fails on the hold (409); the request expires at its moment, the job's release
  repeating the earlier one as a no-op.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, PynamoDBException, TransactWriteError, UpdateError

from planning_service import care, days, flex, ledger, request_ids
from planning_service.store import BillableItem, ContractItem, DayItem, RequestItem
from planning_service.swap_rules import HoldNotFound, HoldSettled
from portal_common import clock, errors, store
from portal_common.contracts import planning as events
from portal_common.outbox import Changes, Outbox

EXPIRY_INDEX = "_REQ_EXPIRY"
PENDING = "pending"
SWAP_HOURS, INVOICE, FLEX_POT = "swap_hours", "invoice", "flex_pot"
SUBMITTING, ABANDONED = "submitting", "abandoned"
MARKER = "REQ_SUBMIT#"  # not "REQ#": the overview's prefix queries never see a marker
SUBMISSION_GRACE = timedelta(minutes=15)  # ≥ the longest a submission can run (Lambda's maximum)
log = logging.getLogger("planning.requests")


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


def _conflict(msg: str) -> errors.Conflict:
    return errors.Conflict(code="not_pending", errors=[{"loc": ["path", "request_id"], "msg": msg}])


def lapses_at(request: RequestItem) -> datetime | None:
    """The moment a pending request lapses (its key in the expiry index), None once decided."""
    if not request.gsi2sk:
        return None
    return datetime.strptime(request.gsi2sk.split("#", 1)[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _marker(tenant: str, child_id: str, ulid: str, request_id: str, user_id: str, role: str) -> RequestItem:
    claim_at = clock.now() + SUBMISSION_GRACE
    return RequestItem(store.key(tenant, "CHILD", child_id), f"{MARKER}{ulid}", request_id=request_id,
                       child_id=child_id, kind="extra", status=SUBMITTING, group_id="-", location_id="-",
                       created_at=clock.now().isoformat(), created_by=user_id, created_by_role=role, version=0,
                       gsi2pk=EXPIRY_INDEX, gsi2sk=f"{utc_key(claim_at)}#{tenant}#{request_id}")


def _drop(marker: RequestItem) -> None:
    try:
        marker.delete(condition=RequestItem.status == SUBMITTING)
    except DeleteError:
        pass  # the expiry job claimed it: it finishes the clean-up


def _written(request: RequestItem) -> bool | None:
    """Whether the request's transaction went through (after an error that does not say); None: unknown."""
    try:
        RequestItem.get(request.pk, request.sk, consistent_read=True)
        return True
    except RequestItem.DoesNotExist:
        return False
    except PynamoDBException:
        return None


def submit(outbox: Outbox, tenant: str, *, child_id: str, contract: ContractItem, lines: list[dict[str, Any]],
           payment: str, expires_at: datetime | None, comment: str | None, user_id: str, role: str,
           kind: str = "extra", contracts: list[ContractItem] | None = None) -> RequestItem:
    """Hold the hours (swap-hour payment), then write the request, its days and its event (and, for a
    flex request, the pot's hold: `contracts` are the child's, which give the pot its size)."""
    ulid_request = request_ids.new(child_id)
    ulid = request_ids.parse(ulid_request)[1]
    first = lines[0]
    lapses = expires_at or clock.at(date.fromisoformat(first["date"]), first["start"])
    marker = None
    if payment == SWAP_HOURS:
        marker = _marker(tenant, child_id, ulid, ulid_request, user_id, role)
        marker.save(RequestItem.pk.does_not_exist())
        try:
            ledger.hold_days(tenant, child_id, f"hold.{ulid_request}", ulid_request,
                             [(d["date"], care.Minutes(d["minutes"])) for d in lines])
        except errors.Problem:  # refused (not enough hours, busy): nothing was held
            _drop(marker)
            raise
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
    if marker is not None:
        ch.delete(marker, RequestItem.status == SUBMITTING)  # refused once the expiry job claimed it
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
    if payment == FLEX_POT:
        flex.stage_hold(ch, tenant, child_id, lines, contracts or [contract])  # 422 when the pot is short
    try:
        ch.commit()
    except TransactWriteError as exc:
        _compensate(tenant, child_id, marker, request)
        if payment == FLEX_POT:  # the pot changed between its read and the write (another request)
            raise errors.Conflict(code="flex_pot_changed", errors=[
                {"loc": ["body", "days"], "msg": "the flex hours changed meanwhile; try again"}]) from exc
        raise
    except Exception:
        _compensate(tenant, child_id, marker, request)
        raise
    return request


def _compensate(tenant: str, child_id: str, marker: RequestItem | None, request: RequestItem) -> None:
    """After a failed request write: give the held swap hours back."""
    # Give the hours back when the request was surely not written; when that is unknown, the
    # marker (still there exactly when nothing was written) leads the expiry job to them.
    if marker is not None and _written(request) is False:
        ledger.release(tenant, child_id, f"release.{request.request_id}", request.request_id)
        _drop(marker)


def billables(tenant: str, request: RequestItem, contract: ContractItem) -> list[BillableItem]:
    """One invoice line per approved invoice-paid day: minutes x hourly rate, rounded half up to a cent.

    A line belongs to the invoice of its day's month, or of the approval's month when that is later: an
    approval after a month was invoiced lands on the next invoice instead of being lost (a month is
    invoiced only once it has ended, see `invoicing`)."""
    rate = int(contract.hourly_rate_cents)
    approved_month = clock.today().isoformat()[:7]
    items = []
    for d in request.days:
        minutes = int(d["minutes"])
        cents = (minutes * rate * 2 + 60) // 120  # round half up without floats
        items.append(BillableItem(
            store.key(tenant, "BILL", max(d["date"][:7], approved_month)),
            f"{request.child_id}#{request.request_id}#{d['date']}",
            child_id=request.child_id, request_id=request.request_id, date=d["date"], minutes=minutes,
            hourly_rate_cents=rate, amount_cents=cents, kind=request.kind, location_id=request.location_id))
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
    if request.payment == FLEX_POT:
        flex.stage_settle(ch, tenant, request.child_id, request.days, spend=status == "approved")
    ch.emit(events.RequestDecided(
        request_id=request.request_id, kind=request.kind, child_id=request.child_id, group_id=request.group_id,
        status=status, requested_by=request.created_by, decided_by=user_id, reason=reason,
        payment=request.payment or INVOICE, days=_event_days(request.days)))
    try:
        ch.commit()
    except TransactWriteError:
        raise _conflict("the request was decided meanwhile") from None
    return RequestItem.get(request.pk, request.sk, consistent_read=True)


def require_pending(request: RequestItem) -> None:
    if request.status != PENDING:
        raise _conflict(f"the request is {request.status}")


def require_open(outbox: Outbox, tenant: str, request: RequestItem) -> None:
    """Pending and not past its expiry moment; one that lapsed is expired now (the job runs every 5
    minutes; a decision in between must not revive it) and answers 409."""
    require_pending(request)
    moment = lapses_at(request)
    if moment is not None and moment <= clock.now():
        _expire(outbox, tenant, request)
        raise _conflict("the request lapsed at its expiry moment")


def approve(outbox: Outbox, tenant: str, request: RequestItem, contract: ContractItem, user_id: str,
            reason: str | None) -> RequestItem:
    require_open(outbox, tenant, request)
    extra: list[Any] = []
    if request.payment == SWAP_HOURS:
        try:
            ledger.spend(tenant, request.child_id, f"spend.{request.request_id}", request.request_id)
        except HoldSettled:  # released by a rejection, cancellation or the expiry: that one won
            raise _conflict("the request was closed meanwhile") from None
    else:  # invoice, and flex days (the pot's use is settled in the status change)
        extra = billables(tenant, request, contract)
    return transition(outbox, tenant, request, "approved", user_id=user_id, reason=reason, extra=extra)


def _release(tenant: str, request: RequestItem) -> None:
    """Give a request's held swap hours back (raises HoldSettled when an approval spent them); a flex
    pot's hold is freed by the status change itself."""
    if request.payment != SWAP_HOURS:
        return
    try:
        ledger.release(tenant, request.child_id, f"release.{request.request_id}", request.request_id)
    except HoldNotFound:
        log.warning("a swap-hour request without a hold", extra={"request_id": request.request_id})


def release_and_close(outbox: Outbox, tenant: str, request: RequestItem, status: str, user_id: str | None,
                      reason: str | None = None) -> RequestItem:
    """Reject or cancel: give the held hours back, then close the request."""
    require_open(outbox, tenant, request)
    try:
        _release(tenant, request)
    except HoldSettled:  # an approval spent them first: it wins
        raise _conflict("the request was approved meanwhile") from None
    return transition(outbox, tenant, request, status, user_id=user_id, reason=reason)


def _expire(outbox: Outbox, tenant: str, request: RequestItem) -> bool:
    """pending → expired, hours released; False when something else closed it first (counted there)."""
    try:
        _release(tenant, request)
    except HoldSettled:
        # The hold was spent by an approval that stopped before its last write: complete it.
        try:
            transition(outbox, tenant, request, "approved", user_id=request.decided_by)
        except errors.Conflict:
            pass
        return False
    try:
        transition(outbox, tenant, request, "expired", user_id=None)
    except errors.Conflict:
        return False  # another run, a decision or a cancellation got there first
    return True


def _heal_abandoned(tenant: str, marker: RequestItem) -> None:
    """A submission that stopped between its hold and its request: claim it, give the hours back, drop it."""
    if marker.status == SUBMITTING:
        try:
            marker.update([RequestItem.status.set(ABANDONED)], condition=RequestItem.status == SUBMITTING)
        except UpdateError:
            return  # the submission completed, or another run claimed it (and finishes it)
    try:
        ledger.release(tenant, marker.child_id, f"release.{marker.request_id}", marker.request_id)
    except HoldNotFound:
        pass  # it stopped before holding anything
    log.warning("released the hours of an abandoned submission", extra={"request_id": marker.request_id})
    try:
        marker.delete(condition=RequestItem.status == ABANDONED)
    except DeleteError:
        pass  # an overlapping run deleted it


def expire_due(outbox: Outbox, now: datetime) -> int:
    """Expire every pending request whose moment has come (and heal abandoned submissions); safe when
    runs overlap: each request is expired, counted and announced once. One Query on the sparse index."""
    expired = 0
    for item in RequestItem.gsi2.query(EXPIRY_INDEX, RequestItem.gsi2sk <= f"{utc_key(now)}~"):
        tenant = item.pk.split(store.SEPARATOR)[0]
        if item.sk.startswith(MARKER):
            _heal_abandoned(tenant, item)
        elif item.status == PENDING and _expire(outbox, tenant, item):
            expired += 1
    return expired
