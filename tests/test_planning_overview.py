"""The requests overview (parents and staff) and the staff's group day, through HTTP with demo data."""

from __future__ import annotations

import pytest

from tests.auth_helpers import demo_login_header


@pytest.fixture
def history(world, parent):
    """Both children absent on Monday 30 November (one report), then an extra morning for Noor."""
    report = world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor", "child-daan"], "from": "2026-11-30", "to": "2026-11-30", "reason": "sick"}).json
    extra = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "days": [{"date": "2026-12-01", "start": "07:30", "end": "13:00"}],
        "payment": "swap_hours"}).json
    return report, extra


def pages(world, headers, query="", limit=1):
    items, cursor = [], None
    while True:
        url = f"/planning/requests?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        answer = world.get(url, headers=headers)
        assert answer.status_code == 200, answer.json
        items += answer.json["items"]
        cursor = answer.json["next_cursor"]
        if not cursor:
            return items


def test_a_parent_sees_every_request_and_absence_of_their_children_newest_first(world, parent, history):
    _report, extra = history
    items = world.get("/planning/requests", headers=parent).json["items"]
    assert [(i["kind"], i["child_id"], i["status"]) for i in items] == [
        ("extra", "child-noor", "pending"), ("absence", "child-noor", "reported"),
        ("absence", "child-daan", "reported")]
    assert items[0]["id"] == extra["id"] and items[0]["hours"] == 5.5 and items[0]["payment"] == "swap_hours"
    assert items[1]["swap_hours_earned"] == 11.0 and items[1]["reason"] == "sick"
    assert items[2]["hours"] == 11.0  # Daan's Monday, 07:30-18:30
    # One at a time, nothing skipped or repeated, also within one report shared by two children.
    assert [i["id"] for i in pages(world, parent)] == [i["id"] for i in items]
    assert [i["kind"] for i in pages(world, parent, "&child_id=child-daan")] == ["absence"]
    assert [i["kind"] for i in pages(world, parent, "&status=pending", limit=2)] == ["extra"]


def test_staff_list_their_groups_requests_and_see_the_groups_day(world, staff, history):
    assert world.get("/planning/requests", headers=staff).status_code == 422  # name the group
    items = pages(world, staff, "&group_id=grp-rupsen")
    assert [(i["kind"], i["child_id"]) for i in items] == [("extra", "child-noor"), ("absence", "child-noor")]
    assert [i["kind"] for i in pages(world, staff, "&group_id=grp-rupsen&status=pending")] == ["extra"]
    monday = world.get("/planning/groups/grp-rupsen/day?date=2026-11-30", headers=staff).json
    assert [(c["child_id"], c["absent"]) for c in monday["children"]] == [("child-luuk", False), ("child-noor", True)]
    assert monday["places"]["morning"] == {"capacity": 12, "expected": 1, "extra": 0, "free": 11}
    assert monday["places"]["afternoon"] == {"capacity": 12, "expected": 0, "extra": 0, "free": 12}
    tuesday = world.get("/planning/groups/grp-rupsen/day?date=2026-12-01", headers=staff).json
    assert [(r["child_id"], r["status"]) for r in tuesday["requests"]] == [("child-noor", "pending")]
    assert tuesday["places"]["morning"]["extra"] == 0  # pending takes no place until approved
    christmas = world.get("/planning/groups/grp-rupsen/day?date=2026-12-25", headers=staff).json
    assert christmas["closed"] and christmas["closed_reason"] == "Eerste kerstdag"


def test_a_cursor_belongs_to_its_caller_and_its_list(world, parent, staff, history):
    first = world.get("/planning/requests?limit=1", headers=parent).json
    other_parent = demo_login_header(world, "parent2@demo.ouderportaal.nl")  # Noor's other parent
    assert world.get(f"/planning/requests?limit=1&cursor={first['next_cursor']}",
                     headers=other_parent).status_code == 400
    staff_page = world.get("/planning/requests?limit=1&group_id=grp-rupsen", headers=staff).json
    manager = demo_login_header(world, "manager@demo.ouderportaal.nl")
    assert world.get(f"/planning/requests?limit=1&group_id=grp-rupsen&cursor={staff_page['next_cursor']}",
                     headers=manager).status_code == 400
    assert world.get("/planning/requests?limit=0", headers=parent).status_code in (400, 422)
    assert world.get("/planning/requests?status=lost", headers=parent).status_code in (400, 422)


def test_overview_and_group_day_refuse_other_families_other_groups_and_other_tenants(world, parent, history, tokens):
    other_family = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    other_group = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    other_tenant = tokens.header(tenant="other", role="staff", user_id="user-staff1", groups=("grp-rupsen",))
    other_tenant_parent = tokens.header(tenant="other", role="parent", user_id="user-parent1",
                                        children=("child-noor",))
    assert world.get("/planning/requests?child_id=child-noor", headers=other_family).status_code == 404
    assert world.get("/planning/requests", headers=other_family).json["items"] == []  # only their own: none yet
    assert world.get("/planning/requests", headers=other_tenant_parent).json["items"] == []
    for headers in (other_group, other_tenant):
        assert world.get("/planning/requests?group_id=grp-rupsen", headers=headers).status_code == 404
        assert world.get("/planning/groups/grp-rupsen/day?date=2026-11-30", headers=headers).status_code == 404
    assert world.get("/planning/groups/grp-rupsen/day?date=2026-11-30", headers=parent).status_code == 403
    refused = world.get("/planning/requests?group_id=grp-rupsen", headers=parent)
    assert (refused.status_code, refused.json["code"]) == (403, "action_not_allowed")
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    assert world.get("/planning/groups/grp%23rupsen/day?date=2026-11-30", headers=staff).status_code == 404
    assert world.get("/planning/groups/grp-unknown/day?date=2026-11-30", headers=staff).status_code == 404
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    assert world.get("/planning/groups/grp-unknown/day?date=2026-11-30", headers=admin).status_code == 404


def test_a_parent_naming_a_group_is_refused_by_role_like_on_every_staff_route(world, parent, history):
    """A group's requests are staff's: a parent gets 403 `action_not_allowed` for any group, their child's
    included (it was a 422 `group_id_is_for_staff`, unlike the group's day and messaging's group inbox)."""
    for group in ("grp-rupsen", "grp-bijen", "grp-unknown"):
        refused = world.get(f"/planning/requests?group_id={group}", headers=parent)
        assert (refused.status_code, refused.json["code"]) == (403, "action_not_allowed"), group
    assert world.get("/planning/requests?child_id=child-noor", headers=parent).status_code == 200
