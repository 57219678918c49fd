"""GET /planning/calendar: contracted care per child and closed days with their names, through HTTP."""

from __future__ import annotations

import pytest

from tests.auth_helpers import demo_login_header


def test_a_parent_sees_both_childrens_care_and_the_christmas_closure(world):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    answer = world.get("/planning/calendar?from=2026-12-21&to=2026-12-27", headers=parent)
    assert answer.status_code == 200, answer.json
    days = {d["date"]: d for d in answer.json["days"]}
    assert len(days) == 7
    monday = {c["child_id"]: c["items"] for c in days["2026-12-21"]["children"]}
    assert monday["child-noor"] == [{"kind": "care", "start": "07:30", "end": "18:30", "status": "planned",
                                     "hours": 11.0, "request_id": None}]
    assert monday["child-daan"][0]["start"] == "07:30"
    christmas = days["2026-12-25"]
    assert christmas["closed"] and christmas["closed_code"] == "christmas_day"
    assert christmas["closed_reason"] == "Eerste kerstdag"
    assert all(c["items"] == [] for c in christmas["children"])  # Daan's Friday morning is not held
    assert days["2026-12-22"]["children"][0]["items"] == []  # Tuesday: no contract day for either


def test_names_of_closing_days_follow_the_users_language_and_one_child_can_be_chosen(world):
    parent = demo_login_header(world, "parent3@demo.ouderportaal.nl")  # reads English
    answer = world.get("/planning/calendar?from=2027-04-26&to=2027-04-27&child_id=child-liam", headers=parent).json
    kings_day = answer["days"][1]
    assert kings_day["closed_code"] == "kings_day" and kings_day["closed_reason"] == "King's Day"
    assert [c["child_id"] for c in answer["days"][0]["children"]] == ["child-liam"]


def test_staff_of_the_group_read_a_childs_calendar(world):
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    answer = world.get("/planning/calendar?from=2026-12-21&to=2026-12-21&child_id=child-noor", headers=staff)
    assert answer.status_code == 200 and answer.json["days"][0]["children"][0]["items"][0]["hours"] == 11.0
    assert world.get("/planning/calendar?from=2026-12-21&to=2026-12-21", headers=staff).status_code == 422


def test_the_calendar_refuses_other_families_other_groups_and_other_tenants(world, tokens):
    other_family = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    other_group = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    other_tenant = tokens.header(tenant="other", role="parent", user_id="user-parent1", children=("child-noor",))
    for headers in (other_family, other_group, other_tenant):
        answer = world.get("/planning/calendar?from=2026-12-21&to=2026-12-27&child_id=child-noor", headers=headers)
        assert answer.status_code == 404, answer.json
    # The other tenant's parent without child_id sees an empty calendar of their own, nothing of demo's.
    own = world.get("/planning/calendar?from=2026-12-21&to=2026-12-21", headers=other_tenant).json
    assert own["days"][0]["children"] == []


@pytest.mark.parametrize("query, status", [
    ("from=2026-12-21", 400),                          # `to` missing
    ("from=2026-12-21&to=2026-12-20", 422),            # reversed
    ("from=2026-01-01&to=2027-12-31", 422),            # over 400 days
    ("from=2026-13-01&to=2026-12-31", 400),            # not a date
    ("from=2026-12-21&to=2026-12-22&colour=red", 400),  # unknown parameter
])
def test_bad_ranges_are_refused(world, query, status):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert world.get(f"/planning/calendar?{query}", headers=parent).status_code == status
