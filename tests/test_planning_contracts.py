"""Contracts admin API and planning settings, through HTTP (the access window that follows a
contract's end: tests/test_auth_contract_window.py)."""

from __future__ import annotations

import pytest

from tests.auth_helpers import callers, demo_login_header

NEW_CONTRACT = {"product": "regular", "group_id": "grp-bijen", "start": "2027-01-04", "hourly_rate_cents": 1052,
                "days": {"1": {"part": "morning"}, "4": {"start": "08:00", "end": "17:00"}}}


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


@pytest.fixture
def new_child(world, admin):
    answer = world.post("/auth/admin/children", headers=admin, json={
        "name": "Olivia Bos", "birth_date": "2024-10-01", "group_id": "grp-bijen", "start": "2027-01-04"})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def published(bus, kind):
    return [e.payload for e in bus.published if e.type == kind]


def test_an_admin_registers_a_contract_with_parts_of_day_or_times_and_it_shapes_the_calendar(world, admin, new_child,
                                                                                          bus):
    created = world.post(f"/planning/admin/children/{new_child}/contracts", headers=admin, json=NEW_CONTRACT)
    assert created.status_code == 201, created.json
    contract = created.json
    assert contract["days"] == {"1": {"start": "07:30", "end": "13:00"}, "4": {"start": "08:00", "end": "17:00"}}
    assert contract["location_id"] == "loc-zonnebloem" and contract["end"] is None
    [started] = published(bus, "planning.contract.started")
    assert started["child_id"] == new_child and started["contract_id"] == contract["id"]
    listed = world.get(f"/planning/admin/children/{new_child}/contracts", headers=admin).json["items"]
    assert [c["id"] for c in listed] == [contract["id"]]
    week = world.get(f"/planning/calendar?from=2027-01-04&to=2027-01-10&child_id={new_child}", headers=admin).json
    hours = {d["date"]: [i["hours"] for i in d["children"][0]["items"]] for d in week["days"]}
    assert hours["2027-01-04"] == [5.5] and hours["2027-01-07"] == [9.0] and hours["2027-01-05"] == []
    overlapping = world.post(f"/planning/admin/children/{new_child}/contracts", headers=admin,
                             json={**NEW_CONTRACT, "start": "2027-06-01"})
    assert overlapping.status_code == 409 and overlapping.json["code"] == "contract_overlaps"
    changed = world.put(f"/planning/admin/children/{new_child}/contracts/{contract['id']}", headers=admin, json={
        "group_id": "grp-bijen", "hourly_rate_cents": 1100, "days": {"2": {"part": "whole_day"}}, "end": "2027-05-31"})
    assert changed.status_code == 200, changed.json
    assert changed.json["hourly_rate_cents"] == 1100 and changed.json["end"] == "2027-05-31"
    assert [e["end"] for e in published(bus, "planning.contract.ended")] == ["2027-05-31"]
    moved_nowhere = world.put(f"/planning/admin/children/{new_child}/contracts/{contract['id']}", headers=admin,
                              json={"group_id": "grp-nowhere", "hourly_rate_cents": 1100, "end": "2027-05-31",
                                    "days": {"2": {"part": "whole_day"}}})
    assert moved_nowhere.status_code == 422 and moved_nowhere.json["code"] == "unknown_group"
    assert len(published(bus, "planning.contract.changed")) == 1
    follow_up = world.post(f"/planning/admin/children/{new_child}/contracts", headers=admin,
                           json={**NEW_CONTRACT, "start": "2027-06-01", "product": "flex", "days": {},
                                 "flex_hours_per_year": 400})
    assert follow_up.status_code == 201, follow_up.json


@pytest.mark.parametrize("change, status, code", [
    ({"group_id": "grp-nowhere"}, 422, "unknown_group"),
    ({"group_id": "grp-nowhere", "days": {}}, 422, "unknown_group"),
    ({"days": {}}, 422, "invalid_contract"),                                      # regular without care days
    ({"end": "2026-12-31"}, 422, "invalid_contract"),                             # ends before it starts
    ({"flex_hours_per_year": 100}, 422, "invalid_contract"),                      # flex hours on a regular contract
    ({"days": {"1": {"part": "morning", "start": "07:30"}}}, 422, None),
    ({"days": {"1": {"start": "13:00", "end": "07:30"}}}, 422, None),
    ({"days": {"8": {"part": "morning"}}}, 422, None),
    ({"hourly_rate_cents": -1}, 422, None),
    ({"hourly_rate_cents": 10.5}, 422, None),
    ({"product": "weekend"}, 422, None),
    ({"colour": "red"}, 400, None),
])
def test_impossible_contracts_are_refused_and_nothing_is_written(world, admin, new_child, bus, change, status, code):
    answer = world.post(f"/planning/admin/children/{new_child}/contracts", headers=admin,
                        json={**NEW_CONTRACT, **change})
    assert answer.status_code in ({status, 400} if code is None else {status}), answer.json
    if code:
        assert answer.json["code"] == code
    assert world.get(f"/planning/admin/children/{new_child}/contracts", headers=admin).json["items"] == []
    assert published(bus, "planning.contract.started") == []


def test_contract_routes_refuse_parents_staff_managers_and_other_tenants(world, tokens, bus):
    who = callers(tokens)
    body = {**NEW_CONTRACT, "group_id": "grp-rupsen"}
    change = {"group_id": "grp-rupsen", "hourly_rate_cents": 1, "days": {"1": {"part": "morning"}}}
    for name in ("parent", "staff", "manager"):
        assert world.get("/planning/admin/children/child-noor/contracts", headers=who[name]).status_code == 403
        assert world.post("/planning/admin/children/child-noor/contracts", headers=who[name],
                          json=body).status_code == 403
        assert world.put("/planning/admin/children/child-noor/contracts/contract-noor", headers=who[name],
                         json=change).status_code == 403
    other = who["other_tenant"]
    assert world.get("/planning/admin/children/child-noor/contracts", headers=other).status_code == 404
    assert world.post("/planning/admin/children/child-noor/contracts", headers=other, json=body).status_code == 404
    assert world.put("/planning/admin/children/child-noor/contracts/contract-noor", headers=other,
                     json=change).status_code == 404
    admin = who["admin"]
    assert world.get("/planning/admin/children/child%23noor/contracts", headers=admin).status_code == 404
    assert world.put("/planning/admin/children/child-noor/contracts/contract-daan", headers=admin,
                     json=change).status_code == 404  # Daan's contract is not Noor's
    assert published(bus, "planning.contract.changed") == []


def test_settings_routes_refuse_everyone_but_the_tenants_admins(world, admin, tokens):
    defaults = world.get("/planning/admin/settings", headers=admin)
    assert defaults.status_code == 200 and defaults.json["swap_hours_notice_hours"] == 24
    who = callers(tokens)
    new = {**defaults.json, "swap_hours_notice_hours": 12}
    for name in ("parent", "staff", "manager"):
        assert world.get("/planning/admin/settings", headers=who[name]).status_code == 403
        assert world.put("/planning/admin/settings", headers=who[name], json=new).status_code == 403
    assert world.put("/planning/admin/settings", headers=who["other_tenant"], json=new).status_code == 200
    assert world.get("/planning/admin/settings", headers=admin).json["swap_hours_notice_hours"] == 24  # not demo's
    assert world.put("/planning/admin/settings", headers=admin, json={**new, "extra": 1}).status_code == 400
    assert world.put("/planning/admin/settings", headers=admin,
                     json={**new, "request_max_days_ahead": 0}).status_code == 422
    assert world.put("/planning/admin/settings", headers=admin, json=new).status_code == 200
    # 12 hours' notice: tomorrow's care (07:30, reported at 09:00 the day before) now earns.
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    earned = world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor"], "from": "2026-11-25", "to": "2026-11-25", "reason": "sick"})
    assert earned.json["swap_hours_earned"] == 11.0
