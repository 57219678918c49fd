"""The swap-hour ledger against DynamoDB (moto): operations, idempotency, expiry, concurrency."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from moto.dynamodb.models import DynamoDBBackend

from portal_common.clock import AMSTERDAM, at
from tests.test_planning_opening_days import planning_module

T, CHILD = "t1", "child-1"


@pytest.fixture(scope="module")
def ledger(services):
    return planning_module(services, "ledger")


@pytest.fixture
def db(aws, clock):
    return aws


def serialize_moto(monkeypatch) -> None:
    """Make each DynamoDB request atomic, as DynamoDB is, under threads.

    moto's in-process backend is not thread-safe (a failed transaction restores a deep copy of the
    whole table, undoing whatever another thread wrote meanwhile). One lock per *request* keeps
    DynamoDB's semantics: the ledger's read → decide → transact sequences still interleave freely
    between threads, so only its conditions stand between concurrent holds and overspending.
    """
    lock = threading.RLock()
    for name in ("get_item", "query", "put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def stale_reads(monkeypatch, ledger, parties: int) -> None:
    """Every thread's first read waits until all have read: all decide on the same, soon stale, state."""
    barrier = threading.Barrier(parties, timeout=10)
    seen: set[int] = set()
    original = ledger._read_state

    def read(pk):
        state = original(pk)
        me = threading.get_ident()
        if me not in seen:
            seen.add(me)
            barrier.wait()
        return state

    monkeypatch.setattr(ledger, "_read_state", read)


def run_threads(count, target):
    outcomes: list = [None] * count

    def work(n):
        try:
            outcomes[n] = target(n)
        except Exception as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def test_earn_hold_spend_and_the_balance(ledger, db):
    lot = ledger.earn(T, CHILD, "ev-1", Decimal("11"), date(2027, 11, 26), "absence-1")
    assert (lot.earned_minutes, lot.free_minutes, lot.valid_until) == (660, 660, date(2027, 11, 26))
    ledger.earn(T, CHILD, "ev-2", "5.5", "2027-06-01", "absence-2")
    held = ledger.hold(T, CHILD, "req-1.hold", "req-1", 8, date(2026, 12, 1))
    # Oldest validity first: the 5.5 hours that lapse in June, then 2.5 from November's lot.
    assert [(until, m) for _lot, until, m in held.allocations] == [(date(2027, 6, 1), 330), (date(2027, 11, 26), 150)]
    assert (held.status, held.hours, held.on_date) == ("held", Decimal("8.00"), date(2026, 12, 1))
    now = ledger.balance(T, CHILD, date(2026, 12, 1))
    assert (now.balance_hours, now.available_hours, now.held_hours) == (Decimal("16.50"), Decimal("8.50"), Decimal(8))
    spent = ledger.spend(T, CHILD, "req-1.approve", "req-1")
    assert spent.status == "spent"
    after = ledger.balance(T, CHILD, date(2026, 12, 1))
    assert (after.balance_hours, after.available_hours, after.held_hours) == (Decimal("8.50"), Decimal("8.50"), 0)
    kinds = sorted((e.kind, e.minutes) for e in after.entries)
    assert kinds == [("earned", 330), ("earned", 660), ("held", 150), ("held", 330), ("spent", 150), ("spent", 330)]
    assert {e.ref for e in after.entries if e.kind == "spent"} == {"req-1"}
    assert after.entries[0].as_dict()["hours"] in {Decimal("11.00"), Decimal("5.50")}
    assert ledger.hold_of(T, CHILD, "req-1").status == "spent"
    assert ledger.hold_of(T, CHILD, "req-unknown") is None


def test_release_gives_the_hours_back(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-1")
    ledger.hold(T, CHILD, "req-1.hold", "req-1", 11, date(2026, 12, 1))
    assert ledger.balance(T, CHILD, date(2026, 12, 1)).available_minutes == 0
    with pytest.raises(ledger.NotEnoughHours):
        ledger.hold(T, CHILD, "req-2.hold", "req-2", 1, date(2026, 12, 2))
    released = ledger.release(T, CHILD, "req-1.reject", "req-1")
    assert released.status == "released"
    now = ledger.balance(T, CHILD, date(2026, 12, 1))
    assert (now.balance_minutes, now.available_minutes, now.held_minutes) == (660, 660, 0)


def test_redelivered_operations_return_the_original_outcome_and_apply_once(ledger, db):
    first = ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-1")
    assert ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-1") == first
    hold = ledger.hold(T, CHILD, "req-1.hold", "req-1", 3, date(2026, 12, 1))
    assert ledger.hold(T, CHILD, "req-1.hold", "req-1", 3, date(2026, 12, 1)) == hold
    # A second submission of the same request under another operation id holds nothing more either.
    assert ledger.hold(T, CHILD, "req-1.hold-again", "req-1", 3, date(2026, 12, 1)) == hold
    with pytest.raises(ledger.HoldExists):
        ledger.hold(T, CHILD, "req-1.hold-more", "req-1", 4, date(2026, 12, 1))
    spent = ledger.spend(T, CHILD, "req-1.approve", "req-1")
    assert ledger.spend(T, CHILD, "req-1.approve", "req-1") == spent
    assert ledger.spend(T, CHILD, "req-1.approve-2", "req-1").status == "spent"
    now = ledger.balance(T, CHILD, date(2026, 12, 1))
    assert (now.balance_minutes, now.held_minutes) == (660 - 180, 0)
    assert [e.kind for e in now.entries].count("earned") == 1
    assert [e.kind for e in now.entries].count("spent") == 1


def test_an_operation_id_cannot_be_reused_for_something_else(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-1")
    with pytest.raises(ledger.OperationIdReused):
        ledger.hold(T, CHILD, "ev-1", "req-1", 1, date(2026, 12, 1))
    with pytest.raises(ledger.OperationIdReused):
        ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-2")
    with pytest.raises(ValueError):
        ledger.earn(T, CHILD, "bad#id", 1, date(2027, 1, 1), None)


def test_a_settled_hold_cannot_be_settled_the_other_way(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-1")
    ledger.hold(T, CHILD, "a.hold", "req-a", 2, date(2026, 12, 1))
    ledger.hold(T, CHILD, "b.hold", "req-b", 2, date(2026, 12, 1))
    ledger.spend(T, CHILD, "a.approve", "req-a")
    with pytest.raises(ledger.HoldSettled):
        ledger.release(T, CHILD, "a.expire", "req-a")
    ledger.release(T, CHILD, "b.cancel", "req-b")
    assert ledger.release(T, CHILD, "b.expire", "req-b").status == "released"  # already released: no-op
    with pytest.raises(ledger.HoldSettled):
        ledger.spend(T, CHILD, "b.approve", "req-b")
    with pytest.raises(ledger.HoldNotFound):
        ledger.release(T, CHILD, "c.cancel", "req-c")
    now = ledger.balance(T, CHILD, date(2026, 12, 1))
    assert (now.balance_minutes, now.available_minutes, now.held_minutes) == (540, 540, 0)


def test_hours_are_not_available_after_their_validity(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 1, 10), "absence-1")
    assert ledger.balance(T, CHILD, date(2027, 1, 10)).available_minutes == 660
    assert ledger.balance(T, CHILD, date(2027, 1, 11)).available_minutes == 0
    with pytest.raises(ledger.NotEnoughHours) as caught:
        ledger.hold(T, CHILD, "req-1.hold", "req-1", 1, date(2027, 1, 11))
    assert caught.value.to_dict()["code"] == "not_enough_swap_hours"
    assert ledger.hold_of(T, CHILD, "req-1") is None
    assert ledger.balance(T, CHILD, date(2027, 1, 10)).entries[-1].kind == "earned"  # nothing written
    assert ledger.hold(T, CHILD, "req-2.hold", "req-2", 11, date(2027, 1, 10)).status == "held"


def test_a_request_of_several_days_holds_each_day_from_hours_valid_on_it(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 1, 10), "absence-1")
    ledger.earn(T, CHILD, "ev-2", 11, date(2027, 6, 1), "absence-2")
    with pytest.raises(ledger.NotEnoughHours):  # the January lot cannot pay for February
        ledger.hold_days(T, CHILD, "r.hold", "r", [(date(2027, 2, 1), 11), (date(2027, 2, 2), 11)])
    held = ledger.hold_days(T, CHILD, "r.hold", "r", [(date(2027, 2, 1), 11), (date(2027, 1, 5), 11)])
    assert held.days == ((date(2027, 1, 5), 660), (date(2027, 2, 1), 660))
    assert held.minutes == 1320 and ledger.balance(T, CHILD, date(2027, 1, 1)).available_minutes == 0


def test_expiry_takes_the_free_hours_at_validity_end_and_only_once(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 1, 10), "absence-1")
    ledger.earn(T, CHILD, "ev-2", 5, date(2027, 6, 1), "absence-2")
    ledger.hold(T, CHILD, "r.hold", "r", 3, date(2027, 1, 8))
    assert ledger.expire_due(T, CHILD, date(2027, 1, 10)) == []  # still valid on the 10th
    assert list(ledger.lots_due(date(2027, 1, 11))) == [(T, CHILD)]
    expired = ledger.expire_due(T, CHILD, date(2027, 1, 11))
    assert [(e.kind, e.minutes, e.valid_until) for e in expired] == [("expired", 480, date(2027, 1, 10))]
    assert ledger.expire_due(T, CHILD, date(2027, 1, 11)) == []  # a second run: nothing left
    now = ledger.balance(T, CHILD, date(2027, 1, 11))
    assert (now.balance_minutes, now.held_minutes, now.available_minutes) == (180 + 300, 180, 300)
    # The held hours stay held; released after validity, they expire at the next run.
    ledger.release(T, CHILD, "r.reject", "r")
    assert list(ledger.lots_due(date(2027, 1, 12))) == [(T, CHILD)]
    assert [e.minutes for e in ledger.expire_due(T, CHILD, date(2027, 1, 12))] == [180]
    assert list(ledger.lots_due(date(2027, 1, 12))) == []  # empty and past validity: off the index
    now = ledger.balance(T, CHILD, date(2027, 1, 12))
    assert (now.balance_minutes, now.held_minutes, now.available_minutes) == (300, 0, 300)
    assert sum(e.minutes for e in now.entries if e.kind == "expired") == 660


def test_overlapping_expiry_runs_expire_once(ledger, db, monkeypatch):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 1, 10), "absence-1")
    ledger.earn(T, CHILD, "ev-2", 2, date(2027, 1, 20), "absence-2")
    stale = ledger._read_state(ledger._pk(T, CHILD))
    assert [e.minutes for e in ledger.expire_due(T, CHILD, date(2027, 1, 11))] == [660]
    reads = iter([stale])
    original = ledger._read_state
    monkeypatch.setattr(ledger, "_read_state", lambda pk: next(reads, None) or original(pk))
    assert ledger.expire_due(T, CHILD, date(2027, 1, 11)) == []  # lost on its conditions, re-read, done
    now = ledger.balance(T, CHILD, date(2027, 1, 11))
    assert (now.balance_minutes, [e.kind for e in now.entries].count("expired")) == (120, 1)


def test_a_spent_lot_leaves_the_expiry_index_once_past_validity(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 2, date(2027, 1, 10), "absence-1")
    ledger.hold(T, CHILD, "r.hold", "r", 2, date(2027, 1, 5))
    ledger.spend(T, CHILD, "r.approve", "r")
    assert list(ledger.lots_due(date(2027, 1, 11))) == [(T, CHILD)]
    assert ledger.expire_due(T, CHILD, date(2027, 1, 11)) == []
    assert list(ledger.lots_due(date(2027, 1, 11))) == []


def test_tenants_and_children_have_separate_ledgers(ledger, db):
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 11, 26), "absence-1")
    ledger.earn("t2", CHILD, "ev-1", 1, date(2027, 11, 26), "absence-1")
    assert ledger.balance(T, CHILD, date(2026, 12, 1)).balance_minutes == 660
    assert ledger.balance("t2", CHILD, date(2026, 12, 1)).balance_minutes == 60
    assert ledger.balance(T, "child-2", date(2026, 12, 1)).balance_minutes == 0


def test_parallel_holds_never_overspend(ledger, db, monkeypatch):
    serialize_moto(monkeypatch)
    ledger.earn(T, CHILD, "ev-1", 5, date(2027, 3, 1), "absence-1")
    ledger.earn(T, CHILD, "ev-2", 5, date(2027, 6, 1), "absence-2")
    ledger.earn(T, CHILD, "ev-3", 1, date(2027, 9, 1), "absence-3")  # 11 hours in all
    threads = 8
    stale_reads(monkeypatch, ledger, threads)
    outcomes = run_threads(threads, lambda n: ledger.hold(T, CHILD, f"r{n}.hold", f"r{n}", 2, date(2026, 12, 1)))
    holds = [o for o in outcomes if isinstance(o, ledger.Hold)]
    refused = [o for o in outcomes if isinstance(o, ledger.NotEnoughHours)]
    assert (len(holds), len(refused)) == (5, 3), outcomes  # 5 x 2 hours fit in 11, the other 3 do not
    now = ledger.balance(T, CHILD, date(2026, 12, 1))
    assert (now.balance_minutes, now.held_minutes, now.available_minutes) == (660, 600, 60)
    assert all(lot.free_minutes >= 0 and lot.held_minutes >= 0 for lot in now.lots)
    assert sum(e.minutes for e in now.entries if e.kind == "held") == 600


def test_a_redelivered_operation_racing_itself_applies_once(ledger, db, monkeypatch):
    serialize_moto(monkeypatch)
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 3, 1), "absence-1")
    stale_reads(monkeypatch, ledger, 4)
    outcomes = run_threads(4, lambda _n: ledger.hold(T, CHILD, "r.hold", "r", 3, date(2026, 12, 1)))
    assert all(isinstance(o, ledger.Hold) for o in outcomes) and len(set(outcomes)) == 1, outcomes
    assert ledger.balance(T, CHILD, date(2026, 12, 1)).held_minutes == 180


def test_a_request_expiring_while_being_approved_is_settled_once(ledger, db, monkeypatch):
    serialize_moto(monkeypatch)
    ledger.earn(T, CHILD, "ev-1", 11, date(2027, 3, 1), "absence-1")
    ledger.hold(T, CHILD, "r.hold", "r", 4, date(2026, 12, 1))
    stale_reads(monkeypatch, ledger, 2)
    settle = [lambda: ledger.spend(T, CHILD, "r.approve", "r"), lambda: ledger.release(T, CHILD, "r.lapse", "r")]
    outcomes = run_threads(2, lambda n: settle[n]())
    winners = [o for o in outcomes if isinstance(o, ledger.Hold)]
    losers = [o for o in outcomes if isinstance(o, ledger.HoldSettled)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    now = ledger.balance(T, CHILD, date(2026, 12, 1))
    expected = 660 - 240 if winners[0].status == "spent" else 660
    assert (now.balance_minutes, now.held_minutes, now.available_minutes) == (expected, 0, expected)


def test_an_absence_on_the_daylight_saving_monday_earns_its_hours_into_the_ledger(services, ledger, db):
    rules = planning_module(services, "swap_rules")
    days = {"1": {"start": "07:30", "end": "18:30"}}
    monday = date(2026, 3, 30)  # the day after the switch to summer time
    in_time = rules.assess_absence(monday, at(date(2026, 3, 29), "07:30"), days=days, contract_start="2026-01-01",
                                   contract_end=None)
    late = rules.assess_absence(monday, at(date(2026, 3, 29), "07:31"), days=days, contract_start="2026-01-01",
                                contract_end=None)
    assert (in_time.outcome, late.outcome) == ("earned", "late")
    assert in_time.deadline.tzinfo is AMSTERDAM
    lot = ledger.earn(T, CHILD, "absence-1.earned", in_time.earned_hours, in_time.valid_until, "absence-1")
    assert (lot.earned_minutes, lot.valid_until) == (660, date(2027, 3, 30))
    assert ledger.hold(T, CHILD, "r.hold", "r", 11, date(2027, 3, 30)).status == "held"
    ledger.release(T, CHILD, "r.cancel", "r")
    with pytest.raises(ledger.NotEnoughHours):
        ledger.hold(T, CHILD, "s.hold", "s", 11, date(2027, 3, 31))
    easter_monday = rules.assess_absence(date(2026, 4, 6), at(date(2026, 3, 1), "09:00"), days=days,
                                         contract_start="2026-01-01", contract_end=None)
    assert (easter_monday.outcome, easter_monday.earned_minutes) == ("closed", 0)


def test_the_hourly_schedule_expires_hours_past_their_validity_once(services, aws, clock):
    ledger = planning_module(services, "ledger")
    ledger.earn("demo", "child-noor", "earn-old", Decimal("11"), date(2026, 11, 20), "absence-1")
    ledger.earn("demo", "child-noor", "earn-new", Decimal("5.5"), date(2027, 11, 20), "absence-2")
    expire = services["planning"].module.expire_swap_hours
    event = {"id": "e1", "detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-11-24T08:00:00Z",
             "region": "eu-west-1", "resources": [], "detail": {}, "account": "123456789012", "version": "0"}
    assert expire(event, None) == 1
    assert expire(event, None) == 0
    balance = ledger.balance("demo", "child-noor", date(2026, 11, 24))
    assert balance.balance_hours == Decimal("5.5")
    assert [e.kind for e in balance.entries].count("expired") == 1
