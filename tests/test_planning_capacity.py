"""A group's free places per half day and a child's availability, with demo data (clock: Tuesday
24 November 2026, 09:00).

Rupsen (capacity 12 per half day): Noor Mon+Wed and Yara Tue+Fri whole days, Zeynep Wed+Thu, Luuk
Monday mornings and Thursdays. So on Monday 30 November Noor and Luuk come in the morning and Noor in
the afternoon; on Tuesday 1 December only Yara comes.
"""

from __future__ import annotations

from datetime import date

import pytest

from portal_common.testing.calls import count_calls, total
from tests.auth_helpers import demo_login_header

MONDAY, TUESDAY = date(2026, 11, 30), date(2026, 12, 1)


@pytest.fixture
def lib(services):
    return services["planning"].lib


def login(world, who):
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def options(world, headers, child_id, day):
    answer = world.get(f"/planning/availability?child_id={child_id}&date={day}", headers=headers)
    assert answer.status_code == 200, answer.json
    return {o["part"]: (o["available"], o["free_places"], o["reason"]) for o in answer.json["options"]}


def set_capacity(lib, group_id, morning, afternoon):
    copy = lib.directory_copy.group("demo", group_id)
    copy.capacity = {"morning": morning, "afternoon": afternoon}
    copy.save()


def test_contracted_children_take_their_half_days_and_absent_ones_free_them(world, lib):
    assert lib.capacity.free_places("demo", "grp-rupsen", MONDAY) == {"morning": 10, "afternoon": 11}
    answer = world.post("/planning/absences", headers=login(world, "parent1"), json={
        "child_ids": ["child-noor"], "from": MONDAY.isoformat(), "to": MONDAY.isoformat(), "reason": "sick"})
    assert answer.status_code == 201, answer.json
    assert lib.capacity.free_places("demo", "grp-rupsen", MONDAY) == {"morning": 11, "afternoon": 12}
    view = lib.capacity.group_day("demo", "grp-rupsen", MONDAY)
    assert [(e.child_id, e.start, e.end, e.absent) for e in view.expected] == [
        ("child-luuk", "07:30", "13:00", False), ("child-noor", "07:30", "18:30", True)]
    assert view.places["morning"] == {"capacity": 12, "expected": 1, "extra": 0, "free": 11}
    # Another group's day is its own: Vlinders (16) has Daan and Sem on Monday mornings.
    assert lib.capacity.free_places("demo", "grp-vlinders", MONDAY) == {"morning": 14, "afternoon": 15}


def test_only_contracts_running_that_day_count(world, lib):
    # Tess (Bijen, capacity 14) comes Mondays until her contract ends on 31 July 2027.
    assert lib.capacity.free_places("demo", "grp-bijen", date(2027, 7, 26)) == {"morning": 13, "afternoon": 13}
    assert lib.capacity.free_places("demo", "grp-bijen", date(2027, 8, 2)) == {"morning": 14, "afternoon": 14}
    # Before any contract started nobody is expected.
    assert lib.capacity.group_day("demo", "grp-bijen", date(2020, 1, 6)).expected == []


def test_pending_extra_days_take_no_place_until_approved(world, lib):
    parent, staff = login(world, "parent1"), login(world, "staff1")
    before = options(world, login(world, "parent7"), "child-zeynep", TUESDAY)  # Zeynep: Rupsen, not on Tuesdays
    assert before == {"morning": (True, 11, None), "afternoon": (True, 11, None), "whole_day": (True, 11, None)}
    answer = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "payment": "invoice",
        "days": [{"date": TUESDAY.isoformat(), "start": "12:30", "end": "18:30"}]})
    assert answer.status_code == 201, answer.json
    request_id = answer.json["id"]
    assert lib.capacity.free_places("demo", "grp-rupsen", TUESDAY) == {"morning": 11, "afternoon": 11}
    [booked] = lib.capacity.group_day("demo", "grp-rupsen", TUESDAY).booked
    assert (booked.child_id, booked.request_id, booked.status) == ("child-noor", request_id, "pending")
    decided = world.post(f"/planning/requests/{request_id}/decision", headers=staff, json={"decision": "approve"})
    assert decided.status_code == 200, decided.json
    # 12:30-18:30 touches both halves: one place fewer in each.
    assert lib.capacity.free_places("demo", "grp-rupsen", TUESDAY) == {"morning": 10, "afternoon": 10}
    assert lib.capacity.free_places("demo", "grp-rupsen", TUESDAY, exclude_request=request_id) == {
        "morning": 11, "afternoon": 11}
    assert options(world, login(world, "parent7"), "child-zeynep", TUESDAY)["afternoon"] == (True, 10, None)
    assert options(world, parent, "child-noor", TUESDAY)["morning"] == (False, 10, "already_attends")


def test_availability_follows_the_free_places_of_each_half_day(world, lib):
    parent = login(world, "parent1")
    set_capacity(lib, "grp-rupsen", 1, 2)  # Yara fills the Tuesday morning; one afternoon place left
    assert options(world, parent, "child-noor", TUESDAY) == {
        "morning": (False, 0, "no_capacity"), "afternoon": (True, 1, None), "whole_day": (False, 0, "no_capacity")}
    refused = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "payment": "invoice", "days": [{"date": "2026-12-01", "start": "12:00",
                                                                  "end": "18:30"}]})
    assert refused.status_code == 422 and refused.json["code"] == "no_capacity"
    allowed = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "payment": "invoice", "days": [{"date": "2026-12-01", "start": "13:00",
                                                                  "end": "18:30"}]})
    assert allowed.status_code == 201, allowed.json


@pytest.mark.parametrize("day, reason", [
    ("2026-11-24", "out_of_range"),      # today: requests start tomorrow
    ("2027-02-25", "out_of_range"),      # 93 days ahead
    ("2026-12-25", "closed"),            # Christmas Day
    ("2026-12-06", "closed"),            # a Sunday
    ("2026-11-30", "already_attends"),   # Noor's contracted Monday
])
def test_days_that_cannot_be_requested_offer_nothing(world, day, reason):
    found = options(world, login(world, "parent1"), "child-noor", date.fromisoformat(day))
    assert {part: (available, why) for part, (available, _places, why) in found.items()} == dict.fromkeys(
        ("morning", "afternoon", "whole_day"), (False, reason))


def test_a_closing_day_set_by_the_manager_closes_the_day_with_its_name(world):
    parent, manager = login(world, "parent1"), login(world, "manager")
    path = "/planning/admin/locations/loc-zonnebloem/closures/2026-12-08"
    assert world.put(path, headers=manager, json={"description": "Studiedag"}).status_code == 201
    answer = world.get("/planning/availability?child_id=child-noor&date=2026-12-08", headers=parent).json
    assert answer["closed_reason"] == "Studiedag"
    assert {o["reason"] for o in answer["options"]} == {"closed"} and not any(o["available"] for o in answer["options"])


def test_availability_answers_the_parts_with_their_times(world):
    answer = world.get(f"/planning/availability?child_id=child-noor&date={TUESDAY}", headers=login(world, "parent1"))
    assert answer.json["date"] == "2026-12-01" and answer.json["group_id"] == "grp-rupsen"
    assert [(o["part"], o["start"], o["end"]) for o in answer.json["options"]] == [
        ("morning", "07:30", "13:00"), ("afternoon", "13:00", "18:30"), ("whole_day", "07:30", "18:30")]


@pytest.mark.parametrize("query, status", [
    ("child_id=child-noor", 400),                       # no date
    ("child_id=child-noor&date=1-12-2026", 400),        # not a date
    ("child_id=child-noor&date=2026-12-01&x=1", 400),   # unknown parameter
    ("child_id=child%23noor&date=2026-12-01", 400),     # "#" in the id
    ("child_id=child-nobody&date=2026-12-01", 404),     # no contract: unknown
])
def test_malformed_availability_queries_are_refused(world, query, status):
    answer = world.get(f"/planning/availability?{query}", headers=login(world, "parent1"))
    assert answer.status_code in {status, 422 if status == 400 else status}, answer.json


def test_a_group_day_costs_three_dynamodb_calls_whatever_the_children(world, lib):
    with count_calls() as calls:
        lib.capacity.free_places("demo", "grp-rupsen", MONDAY)
    assert total(calls, "dynamodb") == 3 and calls["dynamodb.Query"] == 2, dict(calls)


def test_refusals_explain_themselves_in_the_readers_language(world, lib):
    set_capacity(lib, "grp-rupsen", 1, 1)
    dutch = world.post("/planning/requests", headers=login(world, "parent1"), json={
        "child_id": "child-noor", "payment": "invoice", "days": [{"date": "2026-12-01", "start": "07:30",
                                                                  "end": "13:00"}]})
    assert (dutch.status_code, dutch.json["code"]) == (422, "no_capacity")
    assert dutch.json["detail"] == "Er is geen plaats meer in de groep."
    english = world.post("/planning/requests", headers=login(world, "parent3"), json={  # Emma reads English
        "child_id": "child-liam", "payment": "invoice", "days": [{"date": "2026-12-25", "start": "07:30",
                                                                  "end": "13:00"}]})
    assert (english.status_code, english.json["code"]) == (422, "closed")
    assert english.json["detail"] == "The location is closed on a day asked."
