"""Planning figures: a child's calendar for a year, a location's day view, ledger operations per second.

In-process over moto (moto adds its own latency to every call, so times are upper bounds; the
DynamoDB call counts are what carries over to AWS).
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

from bench.inprocess import demo_system
from portal_common import tokens
from portal_common.authz import Principal, Role
from portal_common.testing.calls import count_calls, total

GROUPS, CHILDREN_PER_GROUP = 5, 16
TENANT = "bench"
LOCATION = "loc-bench"


def _header(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get_signer().sign(principal)}"}


def _timed(fn: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _seed_location(planning: Any) -> list[str]:
    """A location of 5 groups x 16 children, each with a contract (planning's own items only)."""
    from portal_common import store

    lib = planning.lib
    copy_item = lib.store.GroupCopyItem
    groups = []
    for g in range(GROUPS):
        group_id = f"grp-bench-{g}"
        copy_item(store.key(TENANT, "GRP", group_id), "GROUP", group_id=group_id, location_id=LOCATION,
                  name=f"Groep {g}", capacity={"morning": 18, "afternoon": 18},
                  as_of="2026-01-01T00:00:00+00:00").save()
        whole = {"start": "07:30", "end": "18:30"}
        for c in range(CHILDREN_PER_GROUP):
            days = {str(d): whole for d in range(1, 6) if (c + d) % 3}  # 3-4 days a week, differing per child
            lib.contracts.create_contract(TENANT, f"contract-{g}-{c}", child_id=f"child-{g}-{c}", product="regular",
                                          location_id=LOCATION, group_id=group_id, start="2026-01-01", end=None,
                                          hourly_rate_cents=1045, days=days)
        groups.append(group_id)
    return groups


def _ledger_ops_per_second(ledger: Any, children: int, seconds: float = 2.0) -> tuple[float, int]:
    """earn → hold → spend cycles spread over `children` children for about `seconds`: operations per
    second (one thread). Each operation reads the child's live lots and holds, so a child with a long
    history costs more: with 1 child the state grows every cycle."""
    ops, n, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += 1
        child = f"child-ledger-{children}-{n % children}"
        ledger.earn(TENANT, child, f"earn.{n}", 5, "2027-06-30", f"absence-{n}")
        ledger.hold_days(TENANT, child, f"hold.{n}", f"req-{n}", [("2027-01-05", 5)])
        ledger.spend(TENANT, child, f"spend.{n}", f"req-{n}")
        ops += 3
    return ops / (time.perf_counter() - start), n


def main() -> None:
    from infra.local.services import load

    print("== planning (in-process over moto) ==")
    planning = load()["planning"]
    with demo_system() as client:
        parent = _header(Principal("demo", "user-parent1", Role.PARENT, frozenset({"child-noor", "child-daan"})))
        path = "/planning/calendar?from=2027-01-01&to=2027-12-31&child_id=child-noor"
        with count_calls() as calls:
            answer = client.get(path, headers=parent)
        assert answer.status_code == 200, answer.json
        print(f"  calendar, one child, a year   DynamoDB calls {total(calls, 'dynamodb'):3d}  {dict(calls)}")
        year = _timed(lambda: client.get(path, headers=parent), 10)
        print(f"  calendar, one child, a year   p50 {statistics.median(year) * 1000:7.1f} ms "
              f"({len(answer.json['days'])} days)")

        groups = _seed_location(planning)
        manager = _header(Principal(TENANT, "user-manager", Role.MANAGER, locations=frozenset({LOCATION})))
        day = date(2027, 1, 5)

        def location_day() -> None:
            for group_id in groups:
                got = client.get(f"/planning/groups/{group_id}/day?date={day.isoformat()}", headers=manager)
                assert got.status_code == 200, got.json

        with count_calls() as calls:
            location_day()
        print(f"  location day view (5 x 16)    DynamoDB calls {total(calls, 'dynamodb'):3d}  {dict(calls)}")
        runs = _timed(location_day, 10)
        print(f"  location day view (5 x 16)    p50 {statistics.median(runs) * 1000:7.1f} ms for all 5 groups")

        scans = calls.get("dynamodb.Scan", 0)
        print(f"  Scan calls on these routes    {scans}")
        ledger = planning.lib.ledger
        with count_calls() as calls:
            ledger.earn(TENANT, "child-count", "earn.count", 5, "2027-06-30", "absence-count")
        print(f"  DynamoDB calls per ledger op  {total(calls, 'dynamodb'):3d}  {dict(calls)}")
        for children in (50, 1):
            rate, cycles = _ledger_ops_per_second(planning.lib.ledger, children)
            print(f"  ledger operations             {rate:7.0f} per second, one thread ({cycles} earn+hold+spend "
                  f"cycles over {children} {'child' if children == 1 else 'children'})")
