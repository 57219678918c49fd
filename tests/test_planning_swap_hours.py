"""GET /planning/swap-hours through HTTP: the balance a parent sees at every step of the ledger.

The clock starts on Tuesday 24 November 2026, 09:00 (Amsterdam). Noor comes on Mondays and
Wednesdays 07:30-18:30 (11 hours); Sem on Monday, Tuesday and Thursday mornings 07:30-13:00 (5.5 hours).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from portal_common import clock as business_clock
from tests.auth_helpers import demo_login_header, run_schedule


def hours_of(world, headers, child_id="child-noor", **params):
    query = "&".join(f"{k}={v}" for k, v in {"child_id": child_id, **params}.items())
    answer = world.get(f"/planning/swap-hours?{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def report(world, headers, child_id, first, last):
    answer = world.post("/planning/absences", headers=headers,
                        json={"child_ids": [child_id], "from": first, "to": last, "reason": "sick"})
    assert answer.status_code == 201, answer.json
    return answer.json


def ask(world, headers, day):
    answer = world.post("/planning/requests", headers=headers, json={
        "child_id": "child-noor", "days": [{"date": day, "start": "07:30", "end": "13:00"}],
        "payment": "swap_hours"})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def test_a_child_without_swap_hours_has_an_empty_balance_on_today(world, parent):
    empty = hours_of(world, parent)
    assert empty == {"child_id": "child-noor", "date": "2026-11-24", "balance_hours": 0, "available_hours": 0,
                     "held_hours": 0, "lots": [], "entries": []}


def test_half_days_give_decimal_hours(world):
    parent = demo_login_header(world, "parent5@demo.ouderportaal.nl")
    absence = report(world, parent, "child-sem", "2026-11-30", "2026-12-01")
    assert absence["swap_hours_earned"] == 11.0  # two mornings of 5.5 hours
    found = hours_of(world, parent, "child-sem")
    assert found["balance_hours"] == 11.0
    assert [(e["kind"], e["hours"], e["valid_until"]) for e in found["entries"]] == [
        ("earned", 5.5, "2027-12-01"), ("earned", 5.5, "2027-11-30")]  # newest first
    assert [(lot["valid_until"], lot["remaining_hours"]) for lot in found["lots"]] == [
        ("2027-11-30", 5.5), ("2027-12-01", 5.5)]


def test_every_change_shows_held_released_spent_and_expired_newest_first(world, parent, clock, services):
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    absence = report(world, parent, "child-noor", "2026-11-30", "2026-12-02")
    noor_request = absence["children"][0]["request_id"]

    first = ask(world, parent, "2026-12-08")
    held = hours_of(world, parent)
    assert (held["balance_hours"], held["available_hours"], held["held_hours"]) == (22.0, 16.5, 5.5)
    assert world.post(f"/planning/requests/{first}/cancel", headers=parent).status_code == 200
    assert hours_of(world, parent)["available_hours"] == 22.0

    second = ask(world, parent, "2026-12-10")
    decided = world.post(f"/planning/requests/{second}/decision", headers=staff, json={"decision": "approve"})
    assert decided.status_code == 200, decided.json
    spent = hours_of(world, parent)
    assert (spent["balance_hours"], spent["available_hours"], spent["held_hours"]) == (16.5, 16.5, 0)
    # Oldest hours first: the Monday lot (valid until 30 November 2027) paid the morning.
    assert [(lot["valid_until"], lot["remaining_hours"]) for lot in spent["lots"]] == [
        ("2027-11-30", 5.5), ("2027-12-02", 11.0)]
    # Hours are valid on a date up to their validity: on 1 December 2027 only the Wednesday lot is.
    assert hours_of(world, parent, date="2027-12-01")["available_hours"] == 11.0

    clock.set(datetime(2027, 12, 1, 3, 0, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(services["planning"].module.expire_swap_hours) == 1
    assert run_schedule(services["planning"].module.expire_swap_hours) == 0  # a second run changes nothing
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    last = hours_of(world, parent)
    assert last["date"] == "2027-12-01" and last["balance_hours"] == 11.0 and last["available_hours"] == 11.0
    entries = [(e["kind"], e["hours"], e["ref"]) for e in last["entries"]]
    # The expiry names the absence that earned what was left of Monday's hours.
    assert entries == [("expired", 5.5, noor_request), ("spent", 5.5, second), ("held", 5.5, second),
                       ("released", 5.5, first), ("held", 5.5, first),
                       ("earned", 11.0, noor_request), ("earned", 11.0, noor_request)]
    assert [e["at"] for e in last["entries"]] == sorted((e["at"] for e in last["entries"]), reverse=True)


@pytest.mark.parametrize("query", [
    "",                                          # child_id missing
    "child_id=child-noor&date=tomorrow",         # not a date
    "child_id=child-noor&date=2026-02-30",       # no such day
    "child_id=child-noor&extra=1",               # unknown parameter
    "child_id=" + "x" * 65,                      # too long
    "child_id=child%23noor",                     # "#" never reaches a key
    "child_id=child-noor&date=2035-01-01",       # beyond three years
])
def test_malformed_questions_are_refused_without_a_server_error(world, parent, query):
    answer = world.get(f"/planning/swap-hours?{query}", headers=parent)
    assert 400 <= answer.status_code < 500, answer.json
    assert answer.json.get("code") != "internal"


def test_another_childs_hours_are_not_shown(world, parent):
    report(world, parent, "child-noor", "2026-11-30", "2026-11-30")
    assert hours_of(world, parent, "child-daan")["balance_hours"] == 0  # her brother has his own ledger
    other = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    assert world.get("/planning/swap-hours?child_id=child-noor", headers=other).status_code == 404
    assert world.get("/planning/swap-hours", headers={}).status_code == 401
