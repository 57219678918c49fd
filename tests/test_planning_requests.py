"""Extra-day requests through HTTP: swap hours held, spent or given back; invoice days billed; the
rules that refuse a day; who may decide. Demo data, clock on Tuesday 24 November 2026, 09:00.

Noor (Rupsen, capacity 12 per half day) comes Monday and Wednesday 07:30-18:30; on Tuesday
1 December only Yara is expected in Rupsen. Reporting Noor absent on Monday 30 November earns 11 hours.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from portal_common import clock as business_clock
from portal_common import errors, store
from tests.auth_helpers import demo_login_header, run_schedule

TUESDAY = "2026-12-01"
MORNING = {"date": TUESDAY, "start": "07:30", "end": "13:00"}


@pytest.fixture
def earned(world, parent):
    answer = world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor"], "from": "2026-11-30", "to": "2026-11-30", "reason": "holiday"})
    assert answer.json["swap_hours_earned"] == 11.0
    return parent


def swap(world, headers):
    return world.get("/planning/swap-hours?child_id=child-noor", headers=headers).json


def ask(world, headers, days=(MORNING,), payment="swap_hours", **extra):
    return world.post("/planning/requests", headers=headers,
                      json={"child_id": "child-noor", "days": list(days), "payment": payment, **extra})


def calendar_items(world, headers, day=TUESDAY):
    answer = world.get(f"/planning/calendar?from={day}&to={day}&child_id=child-noor", headers=headers).json
    return [(i["kind"], i["status"]) for i in answer["days"][0]["children"][0]["items"]]


def test_swap_hours_are_held_at_submission_and_spent_on_approval(world, earned, staff):
    answer = ask(world, earned, comment="Opa is jarig")
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "pending" and answer.json["hours"] == 5.5
    hours = swap(world, earned)
    assert (hours["balance_hours"], hours["available_hours"], hours["held_hours"]) == (11.0, 5.5, 5.5)
    assert calendar_items(world, earned) == [("extra", "pending")]
    free_before = world.get(f"/planning/availability?child_id=child-daan&date={TUESDAY}", headers=earned).json
    decided = world.post(f"/planning/requests/{answer.json['id']}/decision", headers=staff,
                         json={"decision": "approve", "reason": "Gezellig!"})
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "approved" and decided.json["decision_reason"] == "Gezellig!"
    hours = swap(world, earned)
    assert (hours["balance_hours"], hours["available_hours"], hours["held_hours"]) == (5.5, 5.5, 0)
    assert [e["kind"] for e in hours["entries"]][:2] == ["spent", "held"]
    assert calendar_items(world, earned) == [("extra", "approved")]
    overview = world.get("/planning/requests", headers=earned).json["items"]
    assert [(i["kind"], i["status"]) for i in overview] == [("extra", "approved"), ("absence", "reported")]
    # Daan is in another group: his availability is untouched; Rupsen's morning lost one place.
    availability = world.get(f"/planning/availability?child_id=child-noor&date={TUESDAY}", headers=earned).json
    morning = {o["part"]: o for o in availability["options"]}["morning"]
    assert morning["reason"] == "already_attends" and not morning["available"]
    assert free_before == world.get(f"/planning/availability?child_id=child-daan&date={TUESDAY}", headers=earned).json
    again = world.post(f"/planning/requests/{answer.json['id']}/decision", headers=staff, json={"decision": "reject"})
    assert again.status_code == 409 and again.json["code"] == "not_pending"


def test_rejection_and_cancellation_give_the_hours_back(world, earned, staff):
    first = ask(world, earned).json
    rejected = world.post(f"/planning/requests/{first['id']}/decision", headers=staff,
                          json={"decision": "reject", "reason": "Te druk"})
    assert rejected.json["status"] == "rejected" and swap(world, earned)["available_hours"] == 11.0
    assert calendar_items(world, earned) == []
    second = ask(world, earned).json
    assert swap(world, earned)["available_hours"] == 5.5
    cancelled = world.post(f"/planning/requests/{second['id']}/cancel", headers=earned)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert swap(world, earned)["available_hours"] == 11.0
    assert world.post(f"/planning/requests/{second['id']}/cancel", headers=earned).status_code == 409
    third = ask(world, earned).json
    world.post(f"/planning/requests/{third['id']}/decision", headers=staff, json={"decision": "approve"})
    refused = world.post(f"/planning/requests/{third['id']}/cancel", headers=earned)
    assert refused.status_code == 409 and swap(world, earned)["balance_hours"] == 5.5


def test_invoice_days_become_billable_items_and_staff_requests_are_invoiced(world, parent, staff, services):
    by_staff = ask(world, staff, payment="swap_hours")
    assert by_staff.status_code == 422 and by_staff.json["code"] == "staff_requests_are_invoiced"
    entered = ask(world, staff, days=({"date": TUESDAY, "start": "07:30", "end": "12:59"},), payment="invoice")
    assert entered.status_code == 201, entered.json
    world.post(f"/planning/requests/{entered.json['id']}/decision", headers=staff, json={"decision": "approve"})
    lib = services["planning"].lib
    [line] = list(lib.store.BillableItem.query(store.key("demo", "BILL", "2026-12")))
    # 329 minutes at € 10,52 an hour: 5768.47 cents, rounded to 5768.
    assert (line.child_id, line.minutes, line.hourly_rate_cents, line.amount_cents) == ("child-noor", 329, 1052, 5768)
    assert swap(world, parent)["entries"] == []  # no swap hours involved


def test_amounts_round_half_up_to_whole_cents(services):
    lib = services["planning"].lib
    contract = lib.store.ContractItem("p", "s", hourly_rate_cents=1045)
    request = lib.store.RequestItem("p", "s", child_id="c", request_id="c.r", kind="extra", days=[
        {"date": "2026-12-01", "minutes": 6}, {"date": "2026-12-02", "minutes": 7}])
    assert [b.amount_cents for b in lib.requests.billables("demo", request, contract)] == [105, 122]  # 104.5, 121.9


@pytest.mark.parametrize("days, extra, code", [
    (({"date": "2026-11-24", "start": "13:00", "end": "18:30"},), {}, "date_out_of_range"),    # today
    (({"date": "2027-03-02", "start": "07:30", "end": "13:00"},), {}, "date_out_of_range"),    # beyond 3 months
    (({"date": "2026-12-25", "start": "07:30", "end": "13:00"},), {}, "closed"),               # Christmas Day
    (({"date": "2026-12-05", "start": "07:30", "end": "13:00"},), {}, "closed"),               # a Saturday
    (({"date": "2026-11-30", "start": "07:30", "end": "13:00"},), {}, "already_attends"),      # Noor's Monday
    (({"date": TUESDAY, "start": "06:00", "end": "13:00"},), {}, "outside_opening_hours"),
    (({"date": TUESDAY, "start": "13:00", "end": "07:30"},), {}, "end_before_start"),
    ((MORNING, {"date": "2026-12-03", "start": "07:30", "end": "18:30"}), {}, "not_enough_swap_hours"),  # 16.5 h
    ((MORNING,), {"expires_at": "2026-12-01T08:00:00+01:00"}, "expiry_after_first_day"),
    ((MORNING,), {"expires_at": "2026-11-24T08:00:00+01:00"}, "expiry_in_the_past"),
])
def test_days_the_rules_refuse_get_422_and_nothing_is_held(world, earned, days, extra, code):
    answer = ask(world, earned, days=days, **extra)
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == code
    assert swap(world, earned)["held_hours"] == 0
    assert world.get("/planning/requests", headers=earned).json["items"][0]["kind"] == "absence"


def test_a_full_group_refuses_the_request_and_approval_checks_again(world, earned, staff, services):
    copy = services["planning"].lib.directory_copy.group("demo", "grp-rupsen")
    pending = ask(world, earned).json  # 12 places, Yara expected: room
    copy.capacity = {"morning": 1, "afternoon": 1}
    copy.save()
    full = ask(world, earned, days=({"date": "2026-12-08", "start": "07:30", "end": "13:00"},))
    assert full.status_code == 422 and full.json["code"] == "no_capacity"
    refused = world.post(f"/planning/requests/{pending['id']}/decision", headers=staff, json={"decision": "approve"})
    assert refused.status_code == 409 and refused.json["code"] == "no_capacity"
    assert swap(world, earned)["held_hours"] == 5.5  # still pending, still held


@pytest.mark.parametrize("body, status", [
    ({"child_id": "child-noor", "days": [MORNING], "payment": "swap_hours", "colour": "red"}, 400),
    ({"child_id": "child-noor", "days": [{**MORNING, "payment": "invoice"}], "payment": "swap_hours"}, 400),
    ({"child_id": "child-noor", "days": [MORNING], "payment": "both"}, 422),
    ({"child_id": "child-noor", "days": [MORNING, MORNING], "payment": "invoice"}, 422),
    ({"child_id": "child-noor", "days": [], "payment": "invoice"}, 422),
    ({"child_id": "child-noor", "days": [{**MORNING, "start": "7:30"}], "payment": "invoice"}, 422),
    ({"child_id": "child-noor", "days": [MORNING], "payment": "invoice", "expires_at": "2026-11-30T10:00:00"}, 422),
    ({"child_id": "child-noor", "days": [MORNING], "payment": "invoice", "comment": "x" * 501}, 422),
    ({"child_id": "child#noor", "days": [MORNING], "payment": "invoice"}, 422),
    ({"child_id": 7, "days": [MORNING], "payment": "invoice"}, 422),
])
def test_malformed_requests_are_refused(world, parent, body, status):
    answer = world.post("/planning/requests", headers=parent, json=body)
    assert answer.status_code in {status, 400 if status == 422 else status}, answer.json
    assert world.get("/planning/requests", headers=parent).json["items"] == []


def test_request_routes_refuse_other_families_other_groups_and_other_tenants(world, earned, staff, tokens, bus):
    own = ask(world, earned).json
    published = len(bus.published)
    other_family = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    other_group = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    other_tenant = tokens.header(tenant="other", role="staff", user_id="user-staff1", groups=("grp-rupsen",))
    other_tenant_parent = tokens.header(tenant="other", role="parent", user_id="user-parent1",
                                        children=("child-noor",), groups=("grp-rupsen",))
    # Expected answers per caller: create, availability, cancel, decision. Staff never cancel and
    # parents never decide (403 by role, revealing nothing); everything else that is not theirs: 404.
    for headers, expected in ((other_family, (404, 404, 404, 403)), (other_group, (404, 404, 403, 404)),
                              (other_tenant, (404, 404, 403, 404)), (other_tenant_parent, (404, 404, 404, 403))):
        answers = (ask(world, headers, payment="invoice").status_code,
                   world.get(f"/planning/availability?child_id=child-noor&date={TUESDAY}", headers=headers).status_code,
                   world.post(f"/planning/requests/{own['id']}/cancel", headers=headers).status_code,
                   world.post(f"/planning/requests/{own['id']}/decision", headers=headers,
                              json={"decision": "reject"}).status_code)
        assert answers == expected
    assert world.post(f"/planning/requests/{own['id']}/decision", headers=earned,
                      json={"decision": "approve"}).status_code == 403
    assert world.post(f"/planning/requests/{own['id']}/cancel", headers=staff).status_code == 403
    # Malformed or made-up ids are simply unknown, on both routes.
    for bad in ("child-noor%23x.01KZZZZZZZZZZZZZZZZZZZZZZZ", "nonsense", "child-noor.01KZZZZZZZZZZZZZZZZZZZZZZZ",
                "child-yara.01KZZZZZZZZZZZZZZZZZZZZZZZ", "%23.%23"):
        assert world.post(f"/planning/requests/{bad}/cancel", headers=earned).status_code == 404
        assert world.post(f"/planning/requests/{bad}/decision", headers=staff,
                          json={"decision": "reject"}).status_code == 404
    # Nothing was written: still held, still pending, no event.
    assert swap(world, earned)["held_hours"] == 5.5 and len(bus.published) == published
    assert [i["status"] for i in world.get("/planning/requests", headers=earned).json["items"]] == [
        "pending", "reported"]


def test_a_pending_request_lapses_at_its_expiry_and_overlapping_runs_expire_it_once(world, earned, services, clock):
    planning = services["planning"]
    lapsing = ask(world, earned, expires_at="2026-11-27T12:00:00+01:00").json
    silent = ask(world, earned, days=({"date": "2026-12-08", "start": "13:00", "end": "18:30"},)).json
    assert swap(world, earned)["held_hours"] == 11.0
    clock.set(datetime(2026, 11, 27, 12, 0, 1, tzinfo=business_clock.AMSTERDAM))
    runs = [planning.lib.requests.expire_due(planning.app.outbox, business_clock.now()) for _ in range(2)]
    assert runs == [1, 0]
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    statuses = {i["id"]: i["status"] for i in world.get("/planning/requests", headers=parent).json["items"]}
    assert statuses[lapsing["id"]] == "expired" and statuses[silent["id"]] == "pending"
    assert swap(world, parent)["held_hours"] == 5.5 and calendar_items(world, parent) == []
    # Without an expiry moment a request lapses when its first day begins.
    clock.set(datetime(2026, 12, 8, 13, 0, tzinfo=business_clock.AMSTERDAM))  # its day begins at 13:00
    assert run_schedule(planning.module.expire_requests) == 1
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert swap(world, parent)["held_hours"] == 0 and swap(world, parent)["available_hours"] == 11.0


def test_a_request_expiring_while_being_approved_ends_one_way_only(world, earned, services, clock):
    planning = services["planning"]
    lib = planning.lib
    pending = ask(world, earned, expires_at="2026-11-25T12:00:00+01:00").json
    read_by_staff = lib.requests.get("demo", pending["id"])  # the approval has read it: pending
    clock.set(datetime(2026, 11, 25, 12, 0, 1, tzinfo=business_clock.AMSTERDAM))
    assert lib.requests.expire_due(planning.app.outbox, business_clock.now()) == 1
    contract = lib.contracts.contracts_of_child("demo", "child-noor")[0]
    with pytest.raises(Exception) as lost:
        lib.requests.approve(planning.app.outbox, "demo", read_by_staff, contract, "user-staff1", None)
    assert getattr(lost.value, "status", None) == 409
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert swap(world, parent)["available_hours"] == 11.0 and swap(world, parent)["held_hours"] == 0
    assert world.get("/planning/requests", headers=parent).json["items"][0]["status"] == "expired"


def test_parallel_submissions_against_one_balance_never_overspend(world, earned, services, monkeypatch):
    """Eight requests of 5.5 hours at once against 11 hours, all deciding on the same first read of the
    ledger: exactly two are held, the rest refused (moto made atomic per request, as DynamoDB is)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_planning_ledger import serialize_moto, stale_reads

    planning = services["planning"]
    lib = planning.lib
    serialize_moto(monkeypatch)
    stale_reads(monkeypatch, lib.ledger, 8)
    contract = lib.contracts.contracts_of_child("demo", "child-noor")[0]
    tuesdays = ["2026-12-01", "2026-12-08", "2026-12-15", "2026-12-22", "2027-01-05", "2027-01-12",
                "2027-01-19", "2027-01-26"]

    def submit(day: str) -> str:
        try:
            lib.requests.submit(planning.app.outbox, "demo", child_id="child-noor", contract=contract,
                                lines=[{"date": day, "start": "07:30", "end": "13:00", "minutes": 330}],
                                payment="swap_hours", expires_at=None, comment=None, user_id="user-parent1",
                                role="parent")
            return "held"
        except lib.swap_rules.NotEnoughHours:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(submit, tuesdays))
    assert sorted(outcomes) == ["held"] * 2 + ["refused"] * 6
    hours = swap(world, earned)
    assert (hours["balance_hours"], hours["available_hours"], hours["held_hours"]) == (11.0, 0, 11.0)
    pending = [i for i in world.get("/planning/requests", headers=earned).json["items"] if i["status"] == "pending"]
    assert len(pending) == 2


@pytest.mark.parametrize("payment", ["swap_hours", "invoice"])
@pytest.mark.parametrize("first, second", [("approve", "reject"), ("approve", "approve"), ("approve", "cancel"),
                                           ("cancel", "approve"), ("reject", "approve")])
def test_two_decisions_at_once_end_one_way(world, earned, services, monkeypatch, bus, payment, first, second):
    """Both have read the request pending; they run in parallel threads. One wins, the other gets 409,
    and the ledger, the bill and the events tell the winner's story only."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_planning_ledger import serialize_moto

    planning = services["planning"]
    lib, outbox = planning.lib, planning.app.outbox
    request_id = ask(world, earned, payment=payment).json["id"]
    read = lib.requests.get("demo", request_id)
    contract = lib.contracts.contracts_of_child("demo", "child-noor")[0]
    serialize_moto(monkeypatch)
    start = threading.Barrier(2, timeout=10)
    done = {"approve": "approved", "reject": "rejected", "cancel": "cancelled"}

    def act(verb):
        start.wait()
        try:
            if verb == "approve":
                lib.requests.approve(outbox, "demo", read, contract, "user-staff1", None)
            else:
                lib.requests.release_and_close(outbox, "demo", read, done[verb], "user-staff1")
            return done[verb]
        except errors.Conflict as exc:  # the loser's answer is the point
            return exc.status

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(act, (first, second)))
    [winner] = [o for o in outcomes if o != 409]
    assert outcomes.count(409) == 1, outcomes
    assert world.get("/planning/requests", headers=earned).json["items"][0]["status"] == winner
    decided = [e.payload["status"] for e in bus.of_type("planning.request.decided")]
    assert decided == [winner]
    bills = list(lib.store.BillableItem.query(store.key("demo", "BILL", "2026-12")))
    assert len(bills) == (1 if (winner, payment) == ("approved", "invoice") else 0)
    entries = [e["kind"] for e in swap(world, earned)["entries"]]
    if payment == "swap_hours":
        assert (entries.count("spent"), entries.count("released")) == ((1, 0) if winner == "approved" else (0, 1))
        assert swap(world, earned)["held_hours"] == 0


def test_a_cancellation_after_an_approval_read_the_request_leaves_the_approval_nothing(world, earned, services):
    """Interleaved by hand: staff read the request, the parent cancels, then staff approve the stale copy."""
    lib, outbox = services["planning"].lib, services["planning"].app.outbox
    request_id = ask(world, earned).json["id"]
    read_by_staff = lib.requests.get("demo", request_id)
    assert world.post(f"/planning/requests/{request_id}/cancel", headers=earned).status_code == 200
    contract = lib.contracts.contracts_of_child("demo", "child-noor")[0]
    with pytest.raises(errors.Conflict) as lost:
        lib.requests.approve(outbox, "demo", read_by_staff, contract, "user-staff1", None)
    assert (lost.value.status, lost.value.code) == (409, "not_pending")
    hours = swap(world, earned)
    assert (hours["available_hours"], hours["held_hours"]) == (11.0, 0)
    assert "spent" not in [e["kind"] for e in hours["entries"]]
