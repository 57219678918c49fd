"""A hypothesis state machine drives the swap-hour ledger (on moto) and checks it against a plain model.

Random sequences of earn, hold, release, spend and expire, with operations redelivered under their
original operation id. After every step: balance = sum of the entries ≥ 0, held ≤ what is left,
hours available = the model's, every lot as the model says, and every operation applied at most once.
Each example gets a fresh moto (one table), so examples cannot see each other.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from moto import mock_aws

from portal_common import resources
from portal_common import settings as portal_settings
from tests.test_planning_opening_days import planning_module

T, CHILD = "t1", "child-1"
START = date(2027, 1, 4)
EXACT_MINUTES = [30, 60, 90, 120, 330, 660]  # whole minutes that are exact decimal hours


class LedgerMachine(RuleBasedStateMachine):
    ledger = None   # the planning ledger module, set by the test
    table = None    # the planning table's TableSpec
    dynamodb = None  # one boto3 client for every example (creating one costs ~100 ms)

    requests = Bundle("requests")

    def __init__(self) -> None:
        super().__init__()
        self.mock = mock_aws()
        self.mock.start()
        self.dynamodb.create_table(**self.table.create_kwargs())
        self.today = START
        self.lots: dict[str, list] = {}     # lot id → [valid_until, free, held]
        self.holds: dict[str, list] = {}    # request id → [status, [(lot id, minutes)]]
        self.totals: Counter[str] = Counter()  # entry kind → minutes
        self.applied: list[tuple[partial, object]] = []  # (the call with its op id, its outcome)
        self.count = 0

    def teardown(self) -> None:
        self.mock.stop()

    def _op_id(self, verb: str) -> str:
        self.count += 1
        return f"{verb}-{self.count}"

    @rule(minutes=st.sampled_from(EXACT_MINUTES), valid_days=st.integers(-3, 60))
    def earn(self, minutes, valid_days):
        until = self.today + timedelta(days=valid_days)
        call = partial(self.ledger.earn, T, CHILD, self._op_id("earn"), Decimal(minutes) / 60, until, "absence")
        lot = call()
        assert lot.lot_id not in self.lots and (lot.earned_minutes, lot.valid_until) == (minutes, until)
        self.lots[lot.lot_id] = [until, minutes, 0]
        self.totals["earned"] += minutes
        self.applied.append((call, lot))

    @rule(target=requests, minutes=st.sampled_from(EXACT_MINUTES), ahead=st.integers(1, 40))
    def hold(self, minutes, ahead):
        on_date = self.today + timedelta(days=ahead)
        request = f"req-{self.count}"
        call = partial(self.ledger.hold, T, CHILD, self._op_id("hold"), request, Decimal(minutes) / 60, on_date)
        usable = sorted((until, lot_id, lot[1]) for lot_id, lot in self.lots.items()
                        if (until := lot[0]) >= on_date and lot[1] > 0)
        if sum(free for *_rest, free in usable) < minutes:
            with pytest.raises(self.ledger.NotEnoughHours):
                call()
            return request
        expected, left = [], minutes
        for _until, lot_id, free in usable:  # oldest validity first, whole lots until the last
            take = min(free, left)
            expected.append((lot_id, take))
            left -= take
            if not left:
                break
        got = call()
        assert [(lot_id, m) for lot_id, _until, m in got.allocations] == expected
        for lot_id, m in expected:
            self.lots[lot_id][1] -= m
            self.lots[lot_id][2] += m
        self.holds[request] = ["held", expected]
        self.totals["held"] += minutes
        self.applied.append((call, got))
        return request

    @rule(request=requests, approve=st.booleans())
    def settle(self, request, approve):
        to = "spent" if approve else "released"
        operation = self.ledger.spend if approve else self.ledger.release
        call = partial(operation, T, CHILD, self._op_id("settle"), request)
        hold = self.holds.get(request)
        if hold is None:
            with pytest.raises(self.ledger.HoldNotFound):
                call()
        elif hold[0] == to:
            assert call().status == to  # settled that way already: nothing happens
        elif hold[0] != "held":
            with pytest.raises(self.ledger.HoldSettled):
                call()
        else:
            got = call()
            assert got.status == to
            for lot_id, m in hold[1]:
                self.lots[lot_id][2] -= m
                if to == "released":
                    self.lots[lot_id][1] += m
                self.totals[to] += m
            hold[0] = to
            self.applied.append((call, got))

    @rule(days=st.integers(0, 30))
    def expire(self, days):
        self.today += timedelta(days=days)
        expected = {lot_id: lot[1] for lot_id, lot in self.lots.items() if lot[0] < self.today and lot[1] > 0}
        got = self.ledger.expire_due(T, CHILD, self.today)
        assert {(e.lot_id, e.minutes) for e in got} == set(expected.items())
        assert all(e.kind == "expired" for e in got)
        for lot_id, minutes in expected.items():
            self.lots[lot_id][1] = 0
            self.totals["expired"] += minutes

    @precondition(lambda self: self.applied)
    @rule(pick=st.integers(0, 10_000))
    def redeliver(self, pick):
        call, outcome = self.applied[pick % len(self.applied)]
        assert call() == outcome  # the original outcome, and (checked by the invariant) no second effect

    @invariant()
    def ledger_matches_the_model(self):
        now = self.ledger.balance(T, CHILD, self.today)
        sums = Counter()
        for entry in now.entries:
            sums[entry.kind] += entry.minutes
        assert +sums == +self.totals, "every operation applied exactly once"
        balance = sums["earned"] - sums["spent"] - sums["expired"]
        held = sums["held"] - sums["released"] - sums["spent"]
        assert now.balance_minutes == balance >= 0
        assert now.held_minutes == held >= 0
        assert now.held_minutes <= now.balance_minutes
        assert now.balance_minutes == sum(lot[1] + lot[2] for lot in self.lots.values())
        assert now.available_minutes == sum(lot[1] for lot in self.lots.values() if lot[0] >= self.today)
        assert {lot.lot_id: [lot.valid_until, lot.free_minutes, lot.held_minutes] for lot in now.lots} == self.lots
        assert all(lot.free_minutes >= 0 and lot.held_minutes >= 0 for lot in now.lots)


def test_the_ledger_keeps_its_invariants_under_random_operations_and_redelivery(services, clock):
    LedgerMachine.ledger = planning_module(services, "ledger")
    LedgerMachine.table = resources.TableSpec.from_model(services["planning"].lib.store.PlanningItem)
    LedgerMachine.dynamodb = boto3.client("dynamodb", region_name=portal_settings.get_settings().region)
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=30, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow]))
