"""The swap-hour ledger of a child: earn, hold, release, spend, expire; balance and history.

Money-like state (ARCHITECTURE, conventions): hours never go negative, are never spent twice and never
vanish, whatever the timing, retries or redeliveries. How:

- Amounts are whole minutes (`care.to_minutes`); hours are shown as decimals with two places.
- Items (keys in `store.py`): one **lot** per earning (`free_min` + `held_min` = what is left of it),
  one **hold** per request (held → released | spent, once), one **operation** per applied operation id
  (the idempotency key *and* the journal: its entries and its outcome). One child, one partition.
- Every operation is ONE `TransactWriteItems`: the operation row `O#<op id>` with
  `attribute_not_exists(pk)`, plus the changed lots and hold, each with a condition that states the
  invariant the change needs, checked by DynamoDB at commit time:
  | operation | lot update | condition | hold |
  |---|---|---|---|
  | earn | new lot | does not exist | |
  | hold | free -= x, held += x | `free_min >= x` and `valid_until >=` last day | new, does not exist |
  | release | free += x, held -= x | `held_min >= x` | `status = held` → released |
  | spend | held -= x | `held_min >= x` | `status = held` → spent |
  | expire | free := 0 | `version = v` (free and held as read), `valid_until < today` | |
  So `free_min` and `held_min` can never drop below zero (no overspending, holds never exceed what
  is left), a hold settles once (release and spend race on `status = held`), and an operation id is
  applied once (a retry or redelivery finds its row and gets the original outcome back, without
  writing). Decisions (which lots, how much) are taken on a strongly consistent read of the child's
  lots and holds (one Query); if a condition fails because someone else wrote in between
  (`ConditionalCheckFailed`, `TransactionConflict`) the operation re-reads and decides again, up to
  `ATTEMPTS` times, then raises `LedgerBusy`.
- Expiry: a lot past its `valid_until` loses its free hours; hours held then stay held (requested while
  valid) and expire at a later run if released. Its row in the sparse `_LOT_EXPIRY` index (gsi2) leads
  the job to it and goes once the lot is past validity and empty. Overlapping runs compute the same
  operation id (`expire.<lot>.<version>`), so one of them applies it.
- A hold covers the days of one request, each from lots valid on it (`valid_until >= day`), oldest
  first (`swap_rules.allocate_days`), entirely or not at all (`NotEnoughHours`, nothing written).
  Whether a day may be requested (from tomorrow, opening day, capacity) is the caller's check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from planning_service import care, swap_rules
from planning_service.store import SwapHoldItem, SwapLedgerItem, SwapLotItem, SwapOpItem
from planning_service.swap_rules import (
    Balance,
    Entry,
    Hold,
    HoldExists,
    HoldNotFound,
    HoldSettled,
    LedgerBusy,
    Lot,
    NotEnoughHours,
    OperationIdReused,
)
from portal_common import clock, errors, ids, store

EXPIRY_INDEX = "_LOT_EXPIRY"
ATTEMPTS = 8
MAX_LOTS_PER_TRANSACTION = 45  # ≤ 100 items: an expiry writes 2 per lot, a hold 2 + 1 per lot
HELD, RELEASED, SPENT = "held", "released", "spent"
_RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
log = logging.getLogger("planning.ledger")


@dataclass
class _State:
    lots: dict[str, SwapLotItem]
    holds: dict[str, SwapHoldItem]


@dataclass
class _Plan:
    outcome: dict[str, Any]
    lines: list[dict[str, Any]]
    write: Callable[[Any], None] | None = None  # None: nothing to write, the outcome stands


def _pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "SWAP", child_id)


def _check_id(value: str, what: str) -> str:
    if not value or len(value) > 200 or store.SEPARATOR in value:
        raise ValueError(f"invalid {what}: {value!r}")
    return value


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _line(kind: str, minutes: int, lot_id: str, valid_until: str) -> dict[str, Any]:
    return {"kind": kind, "minutes": minutes, "lot_id": lot_id, "valid_until": valid_until}


def _read_state(pk: str) -> _State:
    """The child's lots and holds (not the journal): one strongly consistent Query."""
    state = _State({}, {})
    for item in SwapLedgerItem.query(pk, SwapLedgerItem.sk < "O#", consistent_read=True):
        if isinstance(item, SwapLotItem):
            state.lots[item.lot_id] = item
        elif isinstance(item, SwapHoldItem):
            state.holds[item.request_id] = item
    return state


def _applied(pk: str, op_id: str, verb: str, ref: str | None) -> dict[str, Any] | None:
    try:
        done = SwapOpItem.get(pk, f"O#{op_id}", consistent_read=True)
    except DoesNotExist:
        return None
    if done.verb != verb or done.ref != ref:
        raise OperationIdReused(f"operation {op_id} was a {done.verb} of {done.ref}, not a {verb} of {ref}")
    return dict(done.outcome)


def _op_item(tenant: str, child_id: str, op_id: str, verb: str, ref: str | None, plan: _Plan) -> SwapOpItem:
    return SwapOpItem(_pk(tenant, child_id), f"O#{op_id}", tenant=tenant, child_id=child_id, op_id=op_id,
                      verb=verb, ref=ref, seq=ids.new_id(), at=clock.now().isoformat(), lines=plan.lines,
                      outcome=plan.outcome)


def _conflict(exc: TransactWriteError) -> bool:
    codes = {r.code for r in exc.cancellation_reasons if r is not None}
    return bool(codes & _RETRYABLE)


def _apply(tenant: str, child_id: str, op_id: str, verb: str, ref: str | None,
           decide: Callable[[_State], _Plan]) -> dict[str, Any]:
    """Run one operation: the original outcome if `op_id` was applied, else decide, commit, retry."""
    _check_id(op_id, "operation id")
    pk = _pk(tenant, child_id)
    for attempt in range(ATTEMPTS):
        done = _applied(pk, op_id, verb, ref)
        if done is not None:
            return done
        plan = decide(_read_state(pk))
        if plan.write is None:
            return plan.outcome
        try:
            with store.transaction() as tx:
                tx.save(_op_item(tenant, child_id, op_id, verb, ref, plan), condition=SwapOpItem.pk.does_not_exist())
                plan.write(tx)
            return plan.outcome
        except TransactWriteError as exc:
            if not _conflict(exc):
                raise
            log.info("ledger conflict, retrying", extra={"verb": verb, "attempt": attempt + 1})
            store.backoff(attempt)
    raise LedgerBusy(f"the swap-hour ledger stayed busy; {verb} not applied")


def _lot_out(lot: dict[str, Any]) -> Lot:
    return Lot(lot["lot_id"], date.fromisoformat(lot["valid_until"]), lot["earned_minutes"],
               lot["free_minutes"], lot["held_minutes"], lot.get("source"))


def _hold_dict(item: SwapHoldItem, status: str | None = None) -> dict[str, Any]:
    return {"request_id": item.request_id, "days": [list(d) for d in item.days], "status": status or item.status,
            "allocations": [list(a) for a in item.allocations]}


def _hold_out(hold: dict[str, Any]) -> Hold:
    return Hold(hold["request_id"], tuple((date.fromisoformat(d), int(m)) for d, m in hold["days"]), hold["status"],
                tuple((lot, date.fromisoformat(until), int(m)) for lot, until, m in hold["allocations"]))


def earn(tenant: str, child_id: str, op_id: str, hours: Any, valid_until: date | str, source: str | None) -> Lot:
    """Add a lot of `hours` usable up to and including `valid_until` (from an absence: `source`)."""
    minutes = care.to_minutes(hours)
    if minutes <= 0:
        raise ValueError("earn a positive number of hours")
    until = _as_date(valid_until).isoformat()

    def decide(_state: _State) -> _Plan:
        lot_id = ids.new_id()
        item = SwapLotItem(
            _pk(tenant, child_id), f"L#{until}#{lot_id}", tenant=tenant, child_id=child_id, lot_id=lot_id,
            valid_until=until, earned_min=minutes, free_min=minutes, held_min=0, version=0, source=source,
            earned_at=clock.now().isoformat(), earned_op=op_id, gsi2pk=EXPIRY_INDEX,
            gsi2sk=f"{until}#{tenant}#{child_id}#{lot_id}")
        outcome = {"lot_id": lot_id, "valid_until": until, "earned_minutes": minutes, "free_minutes": minutes,
                   "held_minutes": 0, "source": source}
        return _Plan(outcome, [_line("earned", minutes, lot_id, until)],
                     lambda tx: tx.save(item, condition=SwapLotItem.pk.does_not_exist()))

    return _lot_out(_apply(tenant, child_id, op_id, "earn", source, decide))


def hold(tenant: str, child_id: str, op_id: str, request_id: str, hours: Any, on_date: date | str) -> Hold:
    """Reserve `hours` valid on `on_date` for a request, oldest first; all of them or `NotEnoughHours`."""
    return hold_days(tenant, child_id, op_id, request_id, [(on_date, hours)])


def hold_days(tenant: str, child_id: str, op_id: str, request_id: str,
              days: Iterable[tuple[date | str, Any]]) -> Hold:
    """Reserve hours for every day of a request at once, each from lots valid on it; all or nothing."""
    _check_id(request_id, "request id")
    wanted: dict[date, int] = {}
    for day, hours in days:
        minutes = care.to_minutes(hours)
        if minutes <= 0:
            raise ValueError("hold a positive number of hours")
        wanted[_as_date(day)] = wanted.get(_as_date(day), 0) + minutes
    if not wanted:
        raise ValueError("hold hours for at least one day")
    plan_days = [[day.isoformat(), m] for day, m in sorted(wanted.items())]

    def decide(state: _State) -> _Plan:
        existing = state.holds.get(request_id)
        if existing is not None:
            if [list(d) for d in existing.days] == plan_days:
                return _Plan(_hold_dict(existing), [])
            raise HoldExists(f"request {request_id} already holds other hours")
        views = [swap_rules.LotView(lot.lot_id, date.fromisoformat(lot.valid_until), int(lot.free_min))
                 for lot in state.lots.values()]
        taken = swap_rules.allocate_days(views, sorted(wanted.items()))
        if taken is None:
            short = [f"{care.to_hours(m)} on {d} ({care.to_hours(swap_rules.available_minutes(views, d))} valid)"
                     for d, m in sorted(wanted.items())]
            raise NotEnoughHours("not enough swap hours: " + ", ".join(short))
        per_lot: dict[str, int] = {}
        last_day: dict[str, date] = {}
        for lot_id, day, m in taken:  # one update per lot: a transaction touches an item once
            per_lot[lot_id] = per_lot.get(lot_id, 0) + m
            last_day[lot_id] = max(day, last_day.get(lot_id, day))
        if len(per_lot) > MAX_LOTS_PER_TRANSACTION:
            raise errors.Unprocessable("these hours are spread over too many small lots", code="too_many_lots")
        allocations = [[lot_id, state.lots[lot_id].valid_until, m] for lot_id, m in per_lot.items()]
        item = SwapHoldItem(_pk(tenant, child_id), f"H#{request_id}", tenant=tenant, child_id=child_id,
                            request_id=request_id, on_date=plan_days[0][0], days=plan_days,
                            minutes=sum(wanted.values()), allocations=allocations, status=HELD,
                            held_at=clock.now().isoformat(), hold_op=op_id)

        def write(tx: Any) -> None:
            tx.save(item, condition=SwapHoldItem.pk.does_not_exist())
            for lot_id, m in per_lot.items():
                tx.update(state.lots[lot_id],
                          [SwapLotItem.free_min.set(SwapLotItem.free_min - m),
                           SwapLotItem.held_min.set(SwapLotItem.held_min + m),
                           SwapLotItem.version.set(SwapLotItem.version + 1)],
                          condition=(SwapLotItem.free_min >= m)
                          & (SwapLotItem.valid_until >= last_day[lot_id].isoformat()))

        return _Plan(_hold_dict(item), [_line("held", m, lot, until) for lot, until, m in allocations], write)

    return _hold_out(_apply(tenant, child_id, op_id, "hold", request_id, decide))


def _settle(tenant: str, child_id: str, op_id: str, request_id: str, to: str) -> Hold:
    """Release (`to` = released) or spend (`to` = spent) a request's hold, once."""
    _check_id(request_id, "request id")

    def decide(state: _State) -> _Plan:
        item = state.holds.get(request_id)
        if item is None:
            raise HoldNotFound(f"request {request_id} holds no swap hours")
        if item.status == to:
            return _Plan(_hold_dict(item), [])
        if item.status != HELD:
            raise HoldSettled(f"the hours of request {request_id} were already {item.status}")
        if any(lot_id not in state.lots for lot_id, _until, _m in item.allocations):
            raise RuntimeError(f"hold {request_id} points at a missing lot")
        lines = [_line(to, int(m), lot_id, until) for lot_id, until, m in item.allocations]

        def write(tx: Any) -> None:
            tx.update(item, [SwapHoldItem.status.set(to), SwapHoldItem.settled_at.set(clock.now().isoformat()),
                             SwapHoldItem.settled_op.set(op_id)], condition=SwapHoldItem.status == HELD)
            for lot_id, _until, m in item.allocations:
                actions = [SwapLotItem.held_min.set(SwapLotItem.held_min - m),
                           SwapLotItem.version.set(SwapLotItem.version + 1)]
                if to == RELEASED:
                    actions.append(SwapLotItem.free_min.set(SwapLotItem.free_min + m))
                tx.update(state.lots[lot_id], actions, condition=SwapLotItem.held_min >= m)

        return _Plan(_hold_dict(item, to), lines, write)

    return _hold_out(_apply(tenant, child_id, op_id, "release" if to == RELEASED else "spend", request_id, decide))


def release(tenant: str, child_id: str, op_id: str, request_id: str) -> Hold:
    """Give a request's held hours back (rejection, cancellation, expiry of the request)."""
    return _settle(tenant, child_id, op_id, request_id, RELEASED)


def spend(tenant: str, child_id: str, op_id: str, request_id: str) -> Hold:
    """Turn a request's held hours into spent ones (approval)."""
    return _settle(tenant, child_id, op_id, request_id, SPENT)


def expire_due(tenant: str, child_id: str, today: date) -> list[Entry]:
    """Expire the free hours of the child's lots valid until before `today`; the entries written now.

    Idempotent and safe when runs overlap: each lot's expiry is conditioned on the version read and
    keyed by `expire.<lot>.<version>`; a run that loses re-reads and finds nothing left to do.
    """
    pk = _pk(tenant, child_id)
    for attempt in range(ATTEMPTS):
        state = _read_state(pk)
        due = sorted((lot for lot in state.lots.values() if lot.valid_until < today.isoformat()
                      and (lot.free_min > 0 or (lot.held_min == 0 and lot.gsi2pk))), key=lambda lot: lot.sk)
        if not due:
            return []
        written: list[SwapOpItem] = []
        try:
            with store.transaction() as tx:
                for lot in due[:MAX_LOTS_PER_TRANSACTION]:
                    _expire_lot(tx, tenant, child_id, lot, today, written)
        except TransactWriteError as exc:
            if not _conflict(exc):
                raise
            store.backoff(attempt)
            continue
        if len(due) > MAX_LOTS_PER_TRANSACTION:
            return [*_entries(written), *expire_due(tenant, child_id, today)]
        return _entries(written)
    raise LedgerBusy("the swap-hour ledger stayed busy; expiry not applied")


def _expire_lot(tx: Any, tenant: str, child_id: str, lot: SwapLotItem, today: date,
                written: list[SwapOpItem]) -> None:
    actions = [SwapLotItem.version.set(SwapLotItem.version + 1)]
    if lot.held_min == 0:  # nothing left once expired: leave the expiry index
        actions += [SwapLotItem.gsi2pk.remove(), SwapLotItem.gsi2sk.remove()]
    if lot.free_min > 0:
        minutes = int(lot.free_min)
        op_id = f"expire.{lot.lot_id}.{int(lot.version)}"
        plan = _Plan({"lot_id": lot.lot_id, "minutes": minutes, "valid_until": lot.valid_until},
                     [_line("expired", minutes, lot.lot_id, lot.valid_until)])
        op = _op_item(tenant, child_id, op_id, "expire", lot.lot_id, plan)
        tx.save(op, condition=SwapOpItem.pk.does_not_exist())
        written.append(op)
        actions.append(SwapLotItem.free_min.set(0))
    tx.update(lot, actions, condition=(SwapLotItem.version == lot.version) & (SwapLotItem.free_min == lot.free_min)
              & (SwapLotItem.valid_until < today.isoformat()))


def lots_due(today: date) -> Iterator[tuple[str, str]]:
    """(tenant, child) pairs with lots past validity: the expiry job's work list (gsi2, paged, no Scan)."""
    seen: set[tuple[str, str]] = set()
    for row in SwapLotItem.gsi2.query(EXPIRY_INDEX, SwapLotItem.gsi2sk < today.isoformat(), page_size=200):
        pair = (row.tenant, row.child_id)
        if pair not in seen:
            seen.add(pair)
            yield pair


def _entries(ops: list[SwapOpItem]) -> list[Entry]:
    found = []
    for op in sorted(ops, key=lambda o: (o.at, o.seq)):
        for line in op.lines:
            found.append(Entry(line["kind"], int(line["minutes"]), date.fromisoformat(line["valid_until"]),
                               datetime.fromisoformat(op.at), op.ref, op.op_id, line.get("lot_id")))
    return found


def balance(tenant: str, child_id: str, on_date: date) -> Balance:
    """Balance, hours available on `on_date`, hours held, and every entry (oldest first)."""
    lots: list[SwapLotItem] = []
    ops: list[SwapOpItem] = []
    for item in SwapLedgerItem.query(_pk(tenant, child_id), consistent_read=True):
        if isinstance(item, SwapLotItem):
            lots.append(item)
        elif isinstance(item, SwapOpItem):
            ops.append(item)
    day = on_date.isoformat()
    return Balance(
        balance_minutes=sum(int(lot.free_min) + int(lot.held_min) for lot in lots),
        available_minutes=sum(int(lot.free_min) for lot in lots if lot.valid_until >= day),
        held_minutes=sum(int(lot.held_min) for lot in lots),
        entries=tuple(_entries(ops)),
        lots=tuple(Lot(lot.lot_id, date.fromisoformat(lot.valid_until), int(lot.earned_min), int(lot.free_min),
                       int(lot.held_min), lot.source) for lot in sorted(lots, key=lambda lot: lot.sk)),
    )


def hold_of(tenant: str, child_id: str, request_id: str) -> Hold | None:
    """The hold of a request, if it has one (consistent read)."""
    try:
        item = SwapHoldItem.get(_pk(tenant, child_id), f"H#{request_id}", consistent_read=True)
    except DoesNotExist:
        return None
    return _hold_out(_hold_dict(item))
