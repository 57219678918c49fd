"""Pending requests lapse at their expiry moment, once, whatever runs overlap; submissions that stopped
half-way give their hours back. Demo data, clock on Tuesday 24 November 2026, 09:00; Noor earns 11
swap hours by being reported absent on Monday 30 November.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from pynamodb.exceptions import TransactWriteError

from portal_common import clock as business_clock
from portal_common import store
from tests.auth_helpers import demo_login_header, run_schedule, sent_mail
from tests.test_planning_ledger import serialize_moto

TUESDAY, NEXT_TUESDAY = "2026-12-01", "2026-12-08"
NOOR = store.key("demo", "CHILD", "child-noor")


class ProcessDied(BaseException):
    """A Lambda stopped mid-way (timeout, crash): no `except Exception` runs."""


@pytest.fixture
def planning(services):
    return services["planning"]


@pytest.fixture
def parent(world):
    headers = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    answer = world.post("/planning/absences", headers=headers, json={
        "child_ids": ["child-noor"], "from": "2026-11-30", "to": "2026-11-30", "reason": "holiday"})
    assert answer.json["swap_hours_earned"] == 11.0
    return headers


def ask(world, headers, day=TUESDAY, payment="swap_hours", start="07:30", end="13:00", **extra):
    answer = world.post("/planning/requests", headers=headers, json={
        "child_id": "child-noor", "days": [{"date": day, "start": start, "end": end}], "payment": payment, **extra})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def hours(world, headers):
    found = world.get("/planning/swap-hours?child_id=child-noor", headers=headers).json
    return found["available_hours"], found["held_hours"], [e["kind"] for e in found["entries"]]


def statuses(world, headers):
    return {i["id"]: i["status"] for i in world.get("/planning/requests", headers=headers).json["items"]}


def calendar_items(world, headers, day):
    answer = world.get(f"/planning/calendar?from={day}&to={day}&child_id=child-noor", headers=headers).json
    return [(i["kind"], i["status"]) for i in answer["days"][0]["children"][0]["items"]]


def at(*moment):
    return datetime(*moment, tzinfo=business_clock.AMSTERDAM)


def expired_events(bus):
    decided = bus.of_type("planning.request.decided")
    return [e.payload["request_id"] for e in decided if e.payload["status"] == "expired"]


def markers(lib):
    return list(lib.store.RequestItem.query(NOOR, lib.store.RequestItem.sk.startswith(lib.requests.MARKER)))


def test_two_overlapping_runs_expire_each_request_once_and_release_its_hold_once(
        world, parent, planning, clock, bus, monkeypatch, services):
    held = ask(world, parent, expires_at="2026-11-27T12:00:00+01:00")
    invoiced = ask(world, parent, day=NEXT_TUESDAY, payment="invoice", expires_at="2026-11-27T12:00:00+01:00")
    later = ask(world, parent, day="2026-12-15", start="13:00", end="18:30")  # lapses on its day
    assert hours(world, parent)[:2] == (0, 11.0)
    assert calendar_items(world, parent, TUESDAY) == [("extra", "pending")]
    mails_before = len(sent_mail())

    # Both runs read the index before either writes: each finds both due requests, pending.
    serialize_moto(monkeypatch)
    lib = planning.lib
    both_listed = threading.Barrier(2, timeout=10)
    original, seen = lib.requests._expire, set()

    def expire_after_both_listed(outbox, tenant, request):
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            both_listed.wait()
        return original(outbox, tenant, request)

    monkeypatch.setattr(lib.requests, "_expire", expire_after_both_listed)
    clock.set(at(2026, 11, 27, 12, 0))  # the moment itself: due
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda _: lib.requests.expire_due(planning.app.outbox, business_clock.now()), "ab"))
    assert sum(counts) == 2
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")  # the clock moved past the token
    assert sorted(expired_events(bus)) == sorted([held, invoiced])
    found = {k: v for k, v in statuses(world, parent).items() if v != "reported"}
    assert found == {held: "expired", invoiced: "expired", later: "pending"}
    available, still_held, entries = hours(world, parent)
    assert (available, still_held) == (5.5, 5.5) and entries.count("released") == 1
    assert calendar_items(world, parent, TUESDAY) == [] and calendar_items(world, parent, NEXT_TUESDAY) == []
    run_schedule(services["messaging"].module.deliver_notifications)  # notifications go out every minute
    assert len(sent_mail()) == mails_before + 2  # the parent hears of each lapse once (messaging mails it)
    # A third run, and the hourly schedule, find nothing left.
    assert lib.requests.expire_due(planning.app.outbox, business_clock.now()) == 0
    assert run_schedule(planning.module.expire_requests) == 0 and len(expired_events(bus)) == 2


def test_a_request_without_expiry_moment_lapses_when_its_first_day_begins(world, parent, planning, clock):
    request_id = ask(world, parent, start="13:00", end="18:30")
    clock.set(at(2026, 12, 1, 12, 59, 59))
    assert run_schedule(planning.module.expire_requests) == 0
    clock.set(at(2026, 12, 1, 13, 0))
    assert run_schedule(planning.module.expire_requests) == 1
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert statuses(world, parent)[request_id] == "expired"
    assert hours(world, parent)[:2] == (11.0, 0)


def test_a_decision_after_the_expiry_moment_finds_the_request_lapsed_even_before_the_job_ran(
        world, parent, planning, clock, bus):
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    first = ask(world, parent, expires_at="2026-11-25T12:00:00+01:00")
    second = ask(world, parent, day=NEXT_TUESDAY, expires_at="2026-11-25T12:00:00+01:00")
    clock.set(at(2026, 11, 25, 12, 1))  # the job's next run is minutes away
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    approved = world.post(f"/planning/requests/{first}/decision", headers=staff, json={"decision": "approve"})
    assert approved.status_code == 409 and approved.json["code"] == "not_pending"
    cancelled = world.post(f"/planning/requests/{second}/cancel", headers=parent)
    assert cancelled.status_code == 409 and cancelled.json["code"] == "not_pending"
    assert statuses(world, parent)[first] == "expired" and statuses(world, parent)[second] == "expired"
    assert hours(world, parent)[:2] == (11.0, 0) and "spent" not in hours(world, parent)[2]
    assert sorted(expired_events(bus)) == sorted([first, second])
    assert planning.lib.requests.expire_due(planning.app.outbox, business_clock.now()) == 0


def test_the_job_completes_an_approval_that_stopped_after_spending_the_hours(world, parent, planning, clock):
    lib = planning.lib
    request_id = ask(world, parent, expires_at="2026-11-26T12:00:00+01:00")
    lib.ledger.spend("demo", "child-noor", f"spend.{request_id}", request_id)  # then the process stopped
    clock.set(at(2026, 11, 26, 12, 0))
    assert lib.requests.expire_due(planning.app.outbox, business_clock.now()) == 0
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert statuses(world, parent)[request_id] == "approved"
    assert hours(world, parent)[:2] == (5.5, 0)


def submit_directly(lib, outbox):
    contract = lib.contracts.contracts_of_child("demo", "child-noor")[0]
    return lib.requests.submit(outbox, "demo", child_id="child-noor", contract=contract,
                               lines=[{"date": TUESDAY, "start": "07:30", "end": "13:00", "minutes": 330}],
                               payment="swap_hours", expires_at=None, comment=None, user_id="user-parent1",
                               role="parent")


@pytest.mark.parametrize("stops_in", ["hold_days", "commit"])
def test_a_submission_that_stopped_half_way_gets_its_hours_back_from_the_expiry_job(
        world, parent, planning, clock, monkeypatch, stops_in):
    lib = planning.lib

    def die(*args, **kwargs):
        raise ProcessDied()

    if stops_in == "hold_days":  # after the marker, before anything was held
        monkeypatch.setattr(lib.ledger, "hold_days", die)
    else:  # after the hold, before the request was written
        monkeypatch.setattr(lib.requests.Changes, "commit", die)
    with pytest.raises(ProcessDied):
        submit_directly(lib, planning.app.outbox)
    monkeypatch.undo()
    assert hours(world, parent)[1] == (5.5 if stops_in == "commit" else 0)
    assert list(statuses(world, parent).values()) == ["reported"]  # no request to see or decide
    assert len(markers(lib)) == 1
    # Within the grace a live submission could still be running: left alone.
    clock.advance(timedelta(minutes=14))
    assert lib.requests.expire_due(planning.app.outbox, business_clock.now()) == 0 and len(markers(lib)) == 1
    clock.advance(timedelta(minutes=1))
    assert run_schedule(planning.module.expire_requests) == 0  # healed, not counted as expired
    assert run_schedule(planning.module.expire_requests) == 0
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    available, held, entries = hours(world, parent)
    assert (available, held, markers(lib)) == (11.0, 0, [])
    assert entries.count("released") == (1 if stops_in == "commit" else 0)


def test_a_submission_claimed_by_the_job_can_no_longer_commit(world, parent, planning, clock, monkeypatch):
    """Should a submission ever outlive its grace, the job's claim wins: no request, hours back once."""
    lib = planning.lib
    original = lib.requests.Changes.commit

    def slow_commit(changes):
        clock.advance(timedelta(minutes=16))
        lib.requests.expire_due(planning.app.outbox, business_clock.now())
        return original(changes)

    monkeypatch.setattr(lib.requests.Changes, "commit", slow_commit)
    with pytest.raises(TransactWriteError):  # the marker is gone: the request's transaction is refused
        submit_directly(lib, planning.app.outbox)
    monkeypatch.undo()
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    available, held, entries = hours(world, parent)
    assert (available, held, entries.count("released"), markers(lib)) == (11.0, 0, 1, [])
    assert list(statuses(world, parent).values()) == ["reported"]


def test_a_refused_request_write_gives_the_hours_back_at_once(world, parent, planning, monkeypatch):
    lib = planning.lib

    def refused(changes):
        raise RuntimeError("DynamoDB said no")

    monkeypatch.setattr(lib.requests.Changes, "commit", refused)
    with pytest.raises(RuntimeError):
        submit_directly(lib, planning.app.outbox)
    monkeypatch.undo()
    available, held, entries = hours(world, parent)
    assert (available, held, entries.count("released"), markers(lib)) == (11.0, 0, 1, [])
