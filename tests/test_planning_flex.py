"""Flex care through HTTP: the pot per year (pro rata), the month M-1 deadline, hold, spend, release.

Mila (parent6, Bijen) has a flex contract of 600 hours a year since 2025. The clock stands on
Tuesday 24 November 2026: the first month still open for flex days is January 2027.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from portal_common import clock as business_clock
from portal_common import store
from tests.auth_helpers import demo_login_header, run_schedule

JANUARY_DAY = {"date": "2027-01-05", "start": "07:30", "end": "18:30"}


@pytest.fixture
def parent(world):
    return demo_login_header(world, "parent6@demo.ouderportaal.nl")


@pytest.fixture
def staff(world):
    return demo_login_header(world, "staff3@demo.ouderportaal.nl")


def pot(world, headers, year=2027, child_id="child-mila"):
    answer = world.get(f"/planning/flex-pot?child_id={child_id}&year={year}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def ask(world, headers, days=(JANUARY_DAY,), child_id="child-mila", **extra):
    return world.post("/planning/flex-requests", headers=headers,
                      json={"child_id": child_id, "days": list(days), **extra})


def test_a_flex_parent_requests_next_next_months_days_and_sees_the_pot_move(world, parent, staff, services):
    assert pot(world, parent) == {"child_id": "child-mila", "year": 2027, "total_hours": 600.0, "used_hours": 0.0,
                                  "held_hours": 0.0, "available_hours": 600.0, "first_open_month": "2027-01"}
    first = ask(world, parent, comment="Oma is ziek")
    assert first.status_code == 201, first.json
    assert first.json["kind"] == "flex" and first.json["status"] == "pending" and first.json["payment"] == "flex_pot"
    assert pot(world, parent)["held_hours"] == 11.0 and pot(world, parent)["available_hours"] == 589.0
    calendar = world.get("/planning/calendar?from=2027-01-05&to=2027-01-05&child_id=child-mila", headers=parent).json
    assert [(i["kind"], i["status"]) for i in calendar["days"][0]["children"][0]["items"]] == [("flex", "pending")]
    approved = world.post(f"/planning/requests/{first.json['id']}/decision", headers=staff,
                          json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    after = pot(world, parent)
    assert (after["used_hours"], after["held_hours"], after["available_hours"]) == (11.0, 0.0, 589.0)
    [line] = list(services["planning"].lib.store.BillableItem.query(store.key("demo", "BILL", "2027-01")))
    assert (line.kind, line.minutes, line.amount_cents) == ("flex", 660, 11572)  # 11 h at € 10,52
    assert pot(world, parent, year=2026)["used_hours"] == 0.0  # another year's pot


def test_rejected_cancelled_and_lapsed_flex_requests_give_the_hours_back(world, parent, staff, services, clock):
    rejected = ask(world, parent).json
    world.post(f"/planning/requests/{rejected['id']}/decision", headers=staff, json={"decision": "reject"})
    cancelled = ask(world, parent, days=({"date": "2027-01-06", "start": "07:30", "end": "13:00"},)).json
    assert pot(world, parent)["held_hours"] == 5.5
    assert world.post(f"/planning/requests/{cancelled['id']}/cancel", headers=parent).json["status"] == "cancelled"
    lapsing = ask(world, parent, days=({"date": "2027-01-07", "start": "13:00", "end": "18:30"},),
                  expires_at="2026-12-01T12:00:00+01:00").json
    assert pot(world, parent)["held_hours"] == 5.5
    clock.set(datetime(2026, 12, 1, 12, 0, 1, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(services["planning"].module.expire_requests) == 1
    parent = demo_login_header(world, "parent6@demo.ouderportaal.nl")
    assert pot(world, parent) | {"first_open_month": None} == {
        "child_id": "child-mila", "year": 2027, "total_hours": 600.0, "used_hours": 0.0, "held_hours": 0.0,
        "available_hours": 600.0, "first_open_month": None}
    statuses = [i["status"] for i in world.get("/planning/requests", headers=parent).json["items"]]
    assert statuses == ["expired", "cancelled", "rejected"] and lapsing["status"] == "pending"


def test_the_pot_is_pro_rata_and_a_short_pot_refuses_without_holding(world, parent, services):
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    child = world.post("/auth/admin/children", headers=admin, json={
        "name": "Jip Vos", "birth_date": "2024-02-02", "group_id": "grp-bijen", "start": "2027-07-01"}).json["id"]
    created = world.post(f"/planning/admin/children/{child}/contracts", headers=admin, json={
        "product": "flex", "group_id": "grp-bijen", "start": "2027-07-01", "hourly_rate_cents": 1052, "days": {},
        "flex_hours_per_year": 365})
    assert created.status_code == 201, created.json
    assert pot(world, admin, child_id=child)["total_hours"] == 184.0  # 184 of 365 days
    # Mila's contract is cut to 10 hours a year: one whole day (11 h) no longer fits.
    world.put("/planning/admin/children/child-mila/contracts/contract-mila", headers=admin, json={
        "group_id": "grp-bijen", "hourly_rate_cents": 1052, "days": {}, "flex_hours_per_year": 10})
    short = ask(world, parent)
    assert short.status_code == 422 and short.json["code"] == "not_enough_flex_hours"
    assert pot(world, parent)["held_hours"] == 0.0 and pot(world, parent)["total_hours"] == 10.0
    fits = ask(world, parent, days=({"date": "2027-01-05", "start": "07:30", "end": "13:00"},))
    assert fits.status_code == 201 and pot(world, parent)["available_hours"] == 4.5


@pytest.mark.parametrize("days, code", [
    (({"date": "2026-12-15", "start": "07:30", "end": "18:30"},), "flex_deadline_passed"),  # December closed
    (({"date": "2027-01-01", "start": "07:30", "end": "18:30"},), "closed"),                # New Year's Day
    (({"date": "2027-01-09", "start": "07:30", "end": "18:30"},), "closed"),                # a Saturday
    (({"date": "2028-01-04", "start": "07:30", "end": "18:30"},), "date_out_of_range"),
    (({"date": "2027-01-05", "start": "07:00", "end": "18:30"},), "outside_opening_hours"),
])
def test_flex_days_the_rules_refuse(world, parent, days, code):
    answer = ask(world, parent, days=days)
    assert answer.status_code == 422 and answer.json["code"] == code, answer.json
    assert pot(world, parent)["held_hours"] == 0.0


def test_only_flex_contracts_have_a_pot(world):
    noor = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    refused = ask(world, noor, child_id="child-noor")
    assert refused.status_code == 422 and refused.json["code"] == "no_flex_contract"
    assert world.get("/planning/flex-pot?child_id=child-noor", headers=noor).status_code == 422
    assert ask(world, noor, child_id="child-noor", payment="flex_pot").status_code == 400  # unknown field


def test_flex_routes_refuse_other_families_other_groups_and_other_tenants(world, parent, tokens):
    other_family = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    other_group = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    other_tenant = tokens.header(tenant="other", role="parent", user_id="user-parent6", children=("child-mila",))
    for headers in (other_family, other_group, other_tenant):
        assert ask(world, headers).status_code == 404
        assert world.get("/planning/flex-pot?child_id=child-mila", headers=headers).status_code == 404
    assert world.get("/planning/flex-pot?child_id=child%23mila", headers=parent).status_code in (400, 404, 422)
    assert pot(world, parent)["held_hours"] == 0.0
