"""A location's own closing days: set by its manager or an admin, shown in the calendar with the
manager's words, and respected by absences and requests."""

from __future__ import annotations

import pytest

from tests.auth_helpers import callers, demo_login_header, seed_second_location

PATH = "/planning/admin/locations/loc-zonnebloem/closures"
STUDY_DAY = "2026-12-07"  # a Monday: Noor and Daan come


@pytest.fixture
def world(world, seeded, services):
    seeded("a second location", lambda: seed_second_location(services["auth"].module.directory))
    return world


@pytest.fixture
def manager(world):
    return demo_login_header(world, "manager@demo.ouderportaal.nl")


def test_a_manager_closes_a_day_and_parents_see_it_by_name(world, manager, bus):
    created = world.put(f"{PATH}/{STUDY_DAY}", headers=manager, json={"description": "Studiedag team"})
    assert created.status_code == 201, created.json
    again = world.put(f"{PATH}/{STUDY_DAY}", headers=manager, json={"description": "Studiedag"})
    assert again.status_code == 200 and again.json["description"] == "Studiedag"
    listed = world.get(f"{PATH}?from=2026-12-01&to=2026-12-31", headers=manager).json["items"]
    assert listed == [{"location_id": "loc-zonnebloem", "date": STUDY_DAY, "description": "Studiedag"}]
    assert [e.payload["closed"] for e in bus.published if e.type == "planning.closure.changed"] == [True, True]
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    day = world.get(f"/planning/calendar?from={STUDY_DAY}&to={STUDY_DAY}", headers=parent).json["days"][0]
    assert day["closed"] and day["closed_code"] == "location" and day["closed_reason"] == "Studiedag"
    assert all(c["items"] == [] and c["closed"] for c in day["children"])
    # No absence to report on a closed day (nothing earned either), no extra day to ask for.
    absent = world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor"], "from": STUDY_DAY, "to": STUDY_DAY, "reason": "sick"})
    assert absent.status_code == 422 and absent.json["code"] == "no_care_days"
    extra = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "payment": "invoice",
        "days": [{"date": STUDY_DAY, "start": "07:30", "end": "13:00"}]})
    assert extra.status_code == 422 and extra.json["code"] == "closed"
    # The other location stays open.
    elders = world.get(f"/planning/admin/locations/loc-elders/closures?from={STUDY_DAY}&to={STUDY_DAY}",
                       headers=demo_login_header(world, "admin@demo.ouderportaal.nl")).json["items"]
    assert elders == []
    assert world.delete(f"{PATH}/{STUDY_DAY}", headers=manager).status_code == 204
    assert world.delete(f"{PATH}/{STUDY_DAY}", headers=manager).status_code == 404
    day = world.get(f"/planning/calendar?from={STUDY_DAY}&to={STUDY_DAY}", headers=parent).json["days"][0]
    assert not day["closed"] and day["children"][0]["items"][0]["kind"] == "care"


@pytest.mark.parametrize("day, body, status", [
    ("2026-11-23", {"description": "Te laat"}, 422),          # in the past
    ("2026-12-25", {"description": "Kerst"}, 422),            # a national holiday already
    ("2026-12-05", {"description": "Zaterdag"}, 422),         # a weekend day
    ("2026-13-01", {"description": "Nergens"}, 404),
    ("morgen", {"description": "Nergens"}, 404),
    (STUDY_DAY, {"description": ""}, 422),
    (STUDY_DAY, {"description": "x" * 201}, 422),
    (STUDY_DAY, {"description": "Studiedag", "all_day": True}, 400),
])
def test_impossible_closing_days_are_refused(world, manager, day, body, status):
    answer = world.put(f"{PATH}/{day}", headers=manager, json=body)
    assert answer.status_code == status, answer.json
    assert world.get(f"{PATH}?from=2026-11-01&to=2027-01-31", headers=manager).json["items"] == []


def test_closure_routes_refuse_parents_staff_other_locations_and_other_tenants(world, tokens, bus):
    who = callers(tokens)
    for name, expected in (("parent", 403), ("staff", 403), ("other_manager", 404), ("other_tenant", 404)):
        headers = who[name]
        assert world.put(f"{PATH}/{STUDY_DAY}", headers=headers, json={"description": "x"}).status_code == expected
        assert world.get(f"{PATH}?from=2026-12-01&to=2026-12-31", headers=headers).status_code == expected
        assert world.delete(f"{PATH}/{STUDY_DAY}", headers=headers).status_code == expected
    assert world.put("/planning/admin/locations/loc%23zonnebloem/closures/2026-12-07", headers=who["admin"],
                     json={"description": "x"}).status_code == 404
    assert world.put("/planning/admin/locations/loc-nowhere/closures/2026-12-07", headers=who["admin"],
                     json={"description": "x"}).status_code == 404
    assert not [e for e in bus.published if e.type == "planning.closure.changed"]
